"""Roster import: each kind of column's parser on its own, against a stand-in for what a chunk is checked
against (no database): the value it gives the form, each message it reports, and an empty cell, which keeps
what is on record."""

from types import SimpleNamespace

import pytest

from beneficiaries.imports import columns
from beneficiaries.imports.columns import CellError, parse_cell

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def known():
    return SimpleNamespace(
        aliases=columns.choice_aliases(),
        own_branch=7,
        branches={"东城": [1], "和平": [2, 3], "东城/和平": [2], "西城/和平": [3]},
        needs={"康复": 11, "就业": 12},
        bases={"法定救助": 21},
    )


def parse(name: str, text: str, known, current: dict | None = None):
    return parse_cell(name, text, known, current)


def test_every_column_has_a_parser():
    assert set(columns.PARSERS) == set(columns.COLUMNS)


# --- cells that cannot be read: the message, and what the form gets instead (None: the field is left out) ------


@pytest.mark.parametrize(
    ("name", "text", "message", "instead"),
    [
        ("gender", "未知", "“未知”不是可选的值，可选：男、女。", ""),
        ("branch", "和平", "您负责的单位中有多个叫“和平”：请写成“上级单位/本单位”。", None),
        ("branch", "别人的社区", "“别人的社区”不是您负责的单位。", None),
        ("needs", "康复、心理、助学", "不认识的需求：心理、助学。可选：康复、就业。", [11]),
        ("statutory_basis", "口头同意", "“口头同意”不是管理员设置的法定职责依据。", None),
        # Quoted back short, and with anything like an ID number masked.
        ("gender", ID_NUMBER, "“110105**********2X”不是可选的值，可选：男、女。", ""),
        ("branch", "长" * 40, f"“{'长' * 29}…”不是您负责的单位。", None),
    ],
    ids=["choice", "branch-ambiguous", "branch-unknown", "needs", "statutory-basis", "masked", "cut"],
)
def test_a_cell_that_cannot_be_read_is_reported(known, name, text, message, instead):
    with pytest.raises(CellError) as raised:
        parse(name, text, known)
    assert raised.value.message == message
    assert raised.value.instead == instead


# --- choice ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("gender", "女", "F"),
        ("gender", "m", "M"),
        ("gender", "F", "F"),
        ("disability_grade", "一级（最重）", "1"),
        ("disability_grade", "一级", "1"),
        ("disability_category", "肢体残疾", "4"),
        ("disability_category", "肢体", "4"),
        ("disability_category", "4", "4"),
        ("household_status", "低保边缘", "dibao_edge"),
        ("consent_given_by", "监护人", "guardian"),
    ],
)
def test_a_choice_reads_a_label_a_short_label_or_a_stored_value(known, name, text, value):
    assert parse(name, text, known) == value


def test_an_empty_choice_keeps_the_current_value_or_takes_the_forms_default(known):
    assert parse("gender", "", known, {"gender": "M"}) == "M"
    assert parse("household_status", "", known, {"household_status": "tekun"}) == "tekun"
    assert parse("household_status", "", known) == "none"
    assert parse("gender", "", known) == ""


# --- branch ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "pk"), [("东城", 1), ("东城/和平", 2), ("/西城/和平 ", 3)])
def test_a_branch_is_one_of_the_users_units(known, text, pk):
    assert parse("branch", text, known) == pk


def test_an_empty_branch_keeps_the_current_unit_or_takes_the_users_own(known):
    assert parse("branch", "", known, {"branch": 2}) == 2
    assert parse("branch", "", known) == 7
    known.own_branch = None
    assert parse("branch", "", known) == ""


# --- needs ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["康复、就业", "康复,就业", "康复，就业", "康复；就业", "康复/就业", "康复 就业"])
def test_needs_are_names_with_any_separator(known, text):
    assert parse("needs", text, known) == [11, 12]


def test_empty_needs_keep_the_current_ones_or_are_none(known):
    assert parse("needs", "", known, {"needs": [12]}) == [12]
    assert parse("needs", "", known) == []


# --- statutory basis ------------------------------------------------------------------------------------------


def test_a_statutory_basis_is_one_set_up_by_name(known):
    assert parse("statutory_basis", "法定救助", known) == 21


def test_an_empty_statutory_basis_keeps_the_current_one(known):
    assert parse("statutory_basis", "", known, {"statutory_basis": 21}) == 21
    assert parse("statutory_basis", "", known) == ""


# --- numbers, dates, plain text -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["id_number", "certificate_number"])
def test_a_number_is_read_as_the_matching_reads_it(known, name):
    assert parse(name, " 110105 19491231 002x ", known) == ID_NUMBER
    assert parse(name, "", known, {name: ID_NUMBER}) == ID_NUMBER
    assert parse(name, "", known) == ""


@pytest.mark.parametrize("text", ["2026.01.05", "2026年1月5日", "20260105", "2026/1/5", "2026-01-05", " 2026.1.5 "])
@pytest.mark.parametrize("name", ["birth_date", "consent_given_on"])
def test_a_date_is_read_as_people_type_it(known, name, text):
    assert parse(name, text, known) == "2026-01-05"


def test_a_date_that_cannot_be_read_is_left_for_the_form_to_report(known):
    assert parse("birth_date", "去年春天", known) == "去年春天"
    assert parse("birth_date", "2026-02-30", known) == "2026-02-30"


def test_an_empty_date_keeps_the_current_one(known):
    assert parse("birth_date", "", known, {"birth_date": "1949-12-31"}) == "1949-12-31"
    assert parse("consent_given_on", "", known) == ""


@pytest.mark.parametrize("name", ["name", "address", "phone", "needs_detail", "consent_guardian_name"])
def test_plain_text_is_kept_as_it_is(known, name):
    assert parse(name, "朝阳路 1 号", known) == "朝阳路 1 号"
    assert parse(name, "", known, {name: "原有"}) == "原有"
    assert parse(name, "", known) == ""

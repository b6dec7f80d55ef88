import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from volunteer_portal.validators import (
    id_check_character,
    normalize_id_number,
    validate_certificate_number,
    validate_hours,
    validate_id_number,
    validate_money,
    validate_not_future,
)

# A copy of ../shared/testdata/id-vectors.csv, kept in the repository so that the tests do not depend on
# what lies beside the checkout.
VECTORS = list(csv.DictReader((Path(__file__).parent / "data" / "id-vectors.csv").open(encoding="utf-8")))
ID_ROWS = [row for row in VECTORS if row["kind"] == "id"]
CERT_ROWS = [row for row in VECTORS if row["kind"] == "certificate"]

# The error each invalid row in the vectors must produce, told by the words of its reason.
ID_REASON_CODES = [
    ("check character not a digit", "id_characters"),
    ("wrong check character", "id_check"),
    ("non-leap", "id_birth_date"),
    ("month 13", "id_birth_date"),
    ("future", "id_birth_future"),
    ("characters", "id_length"),
    ("empty", "id_length"),
]
CERT_REASON_CODES = [
    ("grade 5", "certificate_grade"),
    ("category 8", "certificate_category"),
    ("grade is", "certificate_grade_mismatch"),
    ("category is", "certificate_category_mismatch"),
    ("someone else", "certificate_id_mismatch"),
]


def expected_code(reason: str, table) -> str:
    return next(code for words, code in table if words in reason)


def error_code(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.code


def test_the_vectors_have_both_kinds_of_rows():
    assert len(ID_ROWS) >= 20 and len(CERT_ROWS) >= 15
    assert {row["valid"] for row in VECTORS} == {"yes", "no"}


@pytest.mark.parametrize("row", [r for r in ID_ROWS if r["valid"] == "yes"], ids=lambda r: r["value"])
def test_valid_id_numbers_pass(row):
    validate_id_number(row["value"])


@pytest.mark.parametrize("row", [r for r in ID_ROWS if r["valid"] == "no"], ids=lambda r: r["why"])
def test_invalid_id_numbers_fail_for_their_reason(row):
    assert error_code(lambda: validate_id_number(row["value"])) == expected_code(row["why"], ID_REASON_CODES)


def test_lower_case_x_is_normalised():
    assert normalize_id_number(" 44030519350311977x ") == "44030519350311977X"


@pytest.mark.parametrize("area", ["990105", "000000", "110000", "640000"])
def test_unknown_or_bare_province_area_codes_are_refused(area):
    first17 = f"{area}19700101001"
    assert error_code(lambda: validate_id_number(first17 + id_check_character(first17))) == "id_area"


@pytest.mark.parametrize("area", ["810101", "820103", "830102"])
def test_hong_kong_macao_and_taiwan_residence_permits_are_accepted(area):
    first17 = f"{area}19700101001"
    validate_id_number(first17 + id_check_character(first17))


def test_birth_date_tomorrow_is_in_the_future(settings):
    tomorrow = timezone.localdate() + dt.timedelta(days=2)
    first17 = f"110105{tomorrow:%Y%m%d}001"
    assert error_code(lambda: validate_id_number(first17 + id_check_character(first17))) == "id_birth_future"


def test_each_single_digit_change_breaks_the_check_character():
    valid = "110105197311150888"
    for position in range(17):
        digit = str((int(valid[position]) + 1) % 10)
        changed = valid[:position] + digit + valid[position + 1 :]
        with pytest.raises(ValidationError):
            validate_id_number(changed)


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "校验码"), ("en", "check character")])
def test_messages_follow_the_active_language(language, expected):
    with translation.override(language):
        with pytest.raises(ValidationError) as caught:
            validate_id_number("640106201503143900")
        assert expected in caught.value.messages[0]


def _beneficiary_id(row) -> str:
    named = re.search(r"\d{17}[\dX]", row["why"])
    return named.group(0) if named else row["value"][:18]


@pytest.mark.parametrize("row", [r for r in CERT_ROWS if r["valid"] == "yes"], ids=lambda r: r["value"])
def test_valid_certificates_pass(row):
    validate_certificate_number(
        row["value"], id_number=row["value"][:18], category=int(row["category"]), grade=int(row["grade"])
    )


@pytest.mark.parametrize("row", [r for r in CERT_ROWS if r["valid"] == "no"], ids=lambda r: r["why"])
def test_invalid_certificates_fail_for_their_reason(row):
    code = error_code(
        lambda: validate_certificate_number(
            row["value"],
            id_number=_beneficiary_id(row),
            category=int(row["category"]),
            grade=int(row["grade"]),
        )
    )
    assert code == expected_code(row["why"], CERT_REASON_CODES)


def test_certificate_of_wrong_length_or_bad_id_part():
    assert error_code(
        lambda: validate_certificate_number("1101051973111508884", id_number="", category=4, grade=4)
    ) == ("certificate_length")
    assert (
        error_code(
            lambda: validate_certificate_number(
                "11010519731115088944", id_number="110105197311150894", category=4, grade=4
            )
        )
        == "certificate_id"
    )


def test_dates_money_and_hours():
    validate_not_future(timezone.localdate())
    with pytest.raises(ValidationError):
        validate_not_future(timezone.localdate() + dt.timedelta(days=2))
    validate_money(Decimal("0.00"))
    with pytest.raises(ValidationError):
        validate_money(Decimal("-0.01"))
    validate_hours(Decimal("24"))
    validate_hours(Decimal("0.5"))
    for bad in ("0", "24.5", "25", "-1"):
        with pytest.raises(ValidationError):
            validate_hours(Decimal(bad))

"""Roster import: the template, checking with the beneficiary form's rules, the preview, all or nothing, and an
idempotent second import."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from beneficiaries import imports
from beneficiaries.forms import BeneficiaryForm
from beneficiaries.imports import checking, writing
from beneficiaries.models import Beneficiary, Consent, RosterImport, RosterImportRow, StatutoryBasis
from beneficiaries.privacy import mask_id_number
from volunteer_portal.branches.models import RoleGrant

from ..factories import BeneficiaryFactory, RoleGrantFactory, UserFactory, make_id_number

pytestmark = pytest.mark.django_db

START = reverse("beneficiaries:import-start")
H = None  # the headers, read once the database (and the translations) are up


@pytest.fixture(autouse=True)
def _headers():
    global H
    H = imports.headers()


@pytest.fixture(autouse=True)
def _roster_keeper(tree):
    """secretary_a keeps the roster, so may see its numbers (README: an import matches people on their ID
    number, which tells whose it is, so it does so only where the uploader may see it)."""
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True)


def person(n: int, **overrides) -> dict:
    """One valid row, keyed by field name."""
    id_number = overrides.pop("id_number", make_id_number(n))
    row = {
        "name": f"导入{n}",
        "gender": "女",
        "id_number": id_number,
        "certificate_number": f"{id_number}42",
        "disability_category": "肢体残疾",
        "disability_grade": "二级",
        "household_status": "低保",
        "branch": "丽景社区",
        "address": f"丽景街{n}号",
        "needs": "辅助器具、康复训练",
        "consent_given_by": "本人",
        "consent_given_on": "2026-01-05",
    }
    row.update(overrides)
    return row


def xlsx(rows: list[dict], name: str = "roster.xlsx", numeric_ids: bool = False) -> SimpleUploadedFile:
    names = imports.headers()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([names[field] for field in imports.COLUMNS])
    for row in rows:
        values = [row.get(field, "") for field in imports.COLUMNS]
        if numeric_ids:
            values[imports.COLUMNS.index("id_number")] = int(row["id_number"][:17])
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(rows: list[dict], encoding: str = "utf-8-sig") -> SimpleUploadedFile:
    lines = [",".join(H[field] for field in imports.COLUMNS)]
    lines += [",".join(row.get(field, "") for field in imports.COLUMNS) for row in rows]
    return SimpleUploadedFile("roster.csv", "\n".join(lines).encode(encoding))


def upload_and_check(client, upload) -> RosterImport:
    response = client.post(START, {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = RosterImport.objects.latest("pk")
    while batch.status == RosterImport.Status.CHECKING:
        client.post(reverse("beneficiaries:import-check", args=[batch.pk]))
        batch.refresh_from_db()
    return batch


def problems(batch) -> list[tuple[int, str, str]]:
    return [(row.number, column, message) for row in imports.problems_of(batch) for column, message in row.problems]


# --- the template --------------------------------------------------------------------------------------------


def test_the_template_has_the_chinese_headers_and_explains_each_column(as_user, tree):
    response = as_user(tree.secretary_a).get(reverse("beneficiaries:import-template"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    roster, notes = workbook.worksheets
    header = [cell.value for cell in roster[1]]
    assert header[:3] == ["姓名", "性别", "身份证号"] and "责任单位" in header and len(header) == len(imports.COLUMNS)
    assert roster.column_dimensions["C"].number_format == "@"  # the ID column is text: Excel keeps 18 digits
    explained = "\n".join(str(cell.value) for row in notes.iter_rows() for cell in row if cell.value)
    assert "丽景社区" in explained and "北塔社区" not in explained  # the units this secretary may import into
    assert "视力残疾" in explained and "辅助器具" in explained


def test_a_filled_in_template_imports(as_user, tree):
    client = as_user(tree.secretary_a)
    workbook = load_workbook(io.BytesIO(client.get(reverse("beneficiaries:import-template")).content))
    sheet = workbook.worksheets[0]
    sheet.append([person(1).get(field, "") for field in imports.COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = upload_and_check(client, SimpleUploadedFile("filled.xlsx", buffer.getvalue()))
    assert problems(batch) == [] and imports.import_counts(batch)["create"] == 1


# --- valid rows, and a second import of the same file ------------------------------------------------------


def test_valid_rows_are_previewed_then_written_and_a_second_import_changes_nothing(as_user, tree):
    client = as_user(tree.secretary_a)
    rows = [person(n) for n in range(1, 6)]
    batch = upload_and_check(client, xlsx(rows))
    assert Beneficiary.objects.count() == 0  # nothing before the confirmation
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "5 条新增" in page and "导入 5 行" in page and "导入2" in page
    assert make_id_number(2) not in page  # the preview masks the numbers too

    response = client.post(reverse("beneficiaries:import-confirm", args=[batch.pk]))
    assert response.status_code == 302
    assert Beneficiary.objects.count() == 5
    written = Beneficiary.objects.get(id_number=make_id_number(3))
    assert written.branch == tree.branch_a and written.disability_category == 4 and written.disability_grade == 2
    assert written.household_status == "dibao" and str(written.birth_date) == "1970-01-01"
    assert sorted(written.needs.values_list("name", flat=True)) == ["康复训练", "辅助器具"]
    assert written.consents.get().recorded_by == tree.secretary_a
    assert written.history.get().history_user == tree.secretary_a
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.updated_count) == ("imported", 5, 0)
    assert not RosterImportRow.objects.exists()  # the staged personal data is gone

    again = upload_and_check(client, xlsx(rows))
    counts = imports.import_counts(again)
    assert counts["unchanged"] == 5 and counts["create"] == counts["update"] == counts["invalid"] == 0
    assert "已在名册中且内容一致" in client.get(again.get_absolute_url()).content.decode()
    with pytest.raises(Exception, match=r"没有需要导入"):
        imports.import_commit(actor=tree.secretary_a, batch=again)
    assert Beneficiary.objects.count() == 5


def test_a_changed_row_updates_the_person_matched_on_the_id_number(as_user, tree):
    existing = BeneficiaryFactory(id_number=make_id_number(7), branch=tree.branch_a, address="旧址")
    client = as_user(tree.secretary_a)
    row = person(7, id_number=existing.id_number.lower()[:-1] + existing.id_number[-1].lower(), address="新址")
    row["certificate_number"] = existing.certificate_number
    row.update(disability_category="肢体", disability_grade="1")  # short label, and the stored value, work too
    batch = upload_and_check(client, xlsx([row]))
    changed = batch.rows.get()
    assert changed.action == "update" and "住址" in changed.changed and "姓名" in changed.changed
    assert "1 行为已登记的人填写了同意信息" in client.get(batch.get_absolute_url()).content.decode()
    imports.import_commit(actor=tree.secretary_a, batch=batch)
    existing.refresh_from_db()
    assert existing.address == "新址" and Beneficiary.objects.count() == 1
    assert existing.history.latest().history_user == tree.secretary_a
    assert not existing.consents.exists()  # consent columns apply to new people only


def test_an_empty_cell_keeps_the_record_and_a_new_person_gets_the_forms_default(as_user, tree):
    existing = BeneficiaryFactory(id_number=make_id_number(7), branch=tree.branch_a, disability_grade=2,
                                  household_status="tekun", address="旧址", phone="13900000000")  # fmt: skip
    rows = [
        {"name": existing.name, "gender": "男", "id_number": existing.id_number, "disability_category": "肢体",
         "disability_grade": "二级", "address": "新址"},
        person(8, household_status="", branch=""),
    ]  # fmt: skip
    batch = upload_and_check(as_user(tree.secretary_a), xlsx(rows))
    assert problems(batch) == []
    imports.import_commit(actor=tree.secretary_a, batch=batch)
    existing.refresh_from_db()
    assert (existing.household_status, existing.phone, existing.address) == ("tekun", "13900000000", "新址")
    assert existing.certificate_number and existing.branch == tree.branch_a
    new = Beneficiary.objects.get(id_number=make_id_number(8))
    assert new.household_status == "none" and new.branch == tree.branch_a


def test_numbers_this_secretary_may_not_see_are_not_changed_by_an_import(as_user, tree):
    existing = BeneficiaryFactory(id_number=make_id_number(7), branch=tree.branch_a, disability_grade=2)
    hidden = UserFactory(username="no_reveal")
    RoleGrantFactory(user=hidden, branch=tree.branch_a, role=RoleGrant.Role.SECRETARY)
    batch = upload_and_check(as_user(hidden), xlsx([person(7, name="改过的名字")]))
    # Not matched (that would tell whose number it is): a row like any new one, refused when confirmed.
    assert problems(batch) == [] and imports.import_counts(batch)["create"] == 1
    with pytest.raises(ValidationError, match="已登记"):
        imports.import_commit(actor=hidden, batch=batch)
    existing.refresh_from_db()
    assert existing.name != "改过的名字" and Beneficiary.objects.count() == 1


def test_csv_in_gbk_as_excel_in_china_saves_it(as_user, tree):
    batch = upload_and_check(as_user(tree.secretary_a), csv_file([person(1), person(2)], encoding="gb18030"))
    assert problems(batch) == [] and imports.import_counts(batch)["create"] == 2


def test_a_statutory_basis_instead_of_consent(as_user, tree):
    StatutoryBasis.objects.create(name="残疾人证管理")
    row = person(1, consent_given_by="", consent_given_on="", statutory_basis="残疾人证管理")
    batch = upload_and_check(as_user(tree.secretary_a), xlsx([row]))
    imports.import_commit(actor=tree.secretary_a, batch=batch)
    assert Beneficiary.objects.get().statutory_basis.name == "残疾人证管理"


# --- problems ------------------------------------------------------------------------------------------------


def test_the_preview_lists_each_problem_with_row_column_and_the_forms_message(as_user, tree):
    BeneficiaryFactory(id_number=make_id_number(9), branch=tree.branch_b)
    bad_id = make_id_number(3)[:-1] + ("0" if make_id_number(3)[-1] != "0" else "1")
    rows = [
        person(1),  # row 2: fine
        person(2, name=""),  # row 3: a required cell left empty
        person(3, id_number=bad_id, certificate_number=""),  # row 4: the check digit is wrong
        person(4, branch="北塔社区"),  # row 5: another secretary's unit
        person(1, name="重复"),  # row 6: the same person as row 2
        person(5, gender="未知", needs="辅助器具、飞行"),  # row 7: not a choice; an unknown need
        person(9),  # row 8: registered by a unit whose numbers this secretary may not see: no answer here
        person(6, id_number="653125201811069982", certificate_number="", consent_given_by="本人"),  # row 9: a child
        person(8, consent_given_by="", consent_given_on=""),  # row 10: no basis
    ]
    client = as_user(tree.secretary_a)
    batch = upload_and_check(client, xlsx(rows))
    found = problems(batch)
    rows_with_problems = sorted({number for number, _, _ in found})
    assert rows_with_problems == [3, 4, 5, 6, 7, 9, 10]

    # Exactly the beneficiary form's messages: the same bad value gives the same words on the form.
    form = BeneficiaryForm({"id_number": bad_id}, user=tree.secretary_a)
    form.is_valid()
    assert (4, "身份证号", form.errors["id_number"][0]) in found
    assert (3, "姓名", "这个字段是必填项。") in found
    assert any(n == 5 and column == "责任单位" and "北塔社区" in message for n, column, message in found)
    assert any(n == 6 and "第 2 行" in message for n, _, message in found)
    assert any(n == 7 and column == "性别" and "未知" in message for n, column, message in found)
    assert any(n == 7 and column == "需求" and "飞行" in message for n, column, message in found)
    assert not any(n == 8 for n, _, _ in found)  # someone whose number this secretary may not see: no answer
    assert (9, "由谁同意", "未满14周岁的，应由父母或其他监护人同意。") in found
    assert any(n == 10 and column == "由谁同意" for n, column, _ in found)

    page = client.get(batch.get_absolute_url()).content.decode()
    assert "7 行有问题" in page and "飞行" in page and 'id="import-problems"' in page
    assert reverse("beneficiaries:import-confirm", args=[batch.pk]) not in page
    # All or nothing: even forced, the confirmation writes nothing while a row has a problem.
    response = client.post(reverse("beneficiaries:import-confirm", args=[batch.pk]))
    assert response.status_code == 302 and Beneficiary.objects.count() == 1


def test_an_id_number_excel_turned_into_a_number_is_refused(as_user, tree):
    batch = upload_and_check(as_user(tree.secretary_a), xlsx([person(1)], numeric_ids=True))
    ((number, column, _),) = [p for p in problems(batch) if "文本" in p[2]]
    assert number == 2 and column == "身份证号"


def test_the_fixed_file_imports_without_duplicates(as_user, tree):
    """The issue's story: three rows flagged, fixed, and the file imported again."""
    client = as_user(tree.secretary_a)
    rows = [person(n) for n in range(1, 8)]
    rows[1]["gender"] = "男性?"
    rows[3]["branch"] = "不存在的社区"
    rows[5]["consent_given_on"] = "2099-01-01"
    batch = upload_and_check(client, xlsx(rows))
    assert sorted({n for n, _, _ in problems(batch)}) == [3, 5, 7]
    rows[1]["gender"], rows[3]["branch"], rows[5]["consent_given_on"] = "男", "", "2026-01-01"
    fixed = upload_and_check(client, xlsx(rows))
    batch.refresh_from_db()
    assert batch.status == "discarded"  # the earlier, unfinished upload is dropped with its staged rows
    assert problems(fixed) == []
    imports.import_commit(actor=tree.secretary_a, batch=fixed)
    third = upload_and_check(client, xlsx(rows))
    assert imports.import_counts(third)["unchanged"] == 7
    assert Beneficiary.objects.count() == 7


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("roster.txt", b"hello"), ".xlsx 或 .csv"),
        (SimpleUploadedFile("roster.xlsx", b"not a zip"), "无法作为 Excel"),
        (SimpleUploadedFile("roster.csv", "姓名,地址\n张三,x\n".encode()), "缺少：性别、身份证号"),
        (SimpleUploadedFile("roster.csv", "姓名,性别,身份证号,残疾类别,残疾等级\n".encode()), "没有要导入的行"),
        (SimpleUploadedFile("roster.csv", b"\xff\xfe\x00\x00bad"), "编码"),
    ],
)
def test_a_file_that_cannot_be_read_says_why_and_stages_nothing(as_user, tree, upload, message):
    response = as_user(tree.secretary_a).post(START, {"file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RosterImport.objects.exists()


def test_the_roster_changing_after_the_check_writes_nothing_and_checks_again(as_user, tree):
    client = as_user(tree.secretary_a)
    batch = upload_and_check(client, xlsx([person(1), person(2)]))
    BeneficiaryFactory(id_number=make_id_number(2), branch=tree.branch_a, disability_grade=2)  # registered meanwhile
    response = client.post(reverse("beneficiaries:import-confirm", args=[batch.pk]), follow=True)
    assert "检查后有改动" in response.content.decode()
    assert Beneficiary.objects.count() == 1
    batch.refresh_from_db()
    assert batch.status == "checking"
    batch = upload_and_check(client, xlsx([person(1), person(2)]))
    assert imports.import_counts(batch)["create"] == 1 and imports.import_counts(batch)["update"] == 1


def test_a_database_refusal_mid_write_leaves_nothing(as_user, tree, monkeypatch):
    client = as_user(tree.secretary_a)
    batch = upload_and_check(client, xlsx([person(1), person(2)]))
    from django.db import IntegrityError

    original = writing.bulk_create_with_history
    calls = []

    def create_then_fail(objs, model, **kwargs):
        calls.append(model)
        if model is Consent:
            raise IntegrityError("simulated")
        return original(objs, model, **kwargs)

    monkeypatch.setattr(writing, "bulk_create_with_history", create_then_fail)
    with pytest.raises(Exception, match="检查后有改动"):
        imports.import_commit(actor=tree.secretary_a, batch=batch)
    assert Beneficiary in calls and Beneficiary.objects.count() == 0


# --- progress and access -------------------------------------------------------------------------------------


def test_the_check_runs_in_chunks_and_reports_progress(as_user, tree, monkeypatch):
    monkeypatch.setattr(checking, "CHUNK", 2)
    client = as_user(tree.secretary_a)
    client.post(START, {"file": xlsx([person(n) for n in range(1, 6)])})
    batch = RosterImport.objects.get()
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="import-progress"' in page and "js/import.js" in page
    url = reverse("beneficiaries:import-check", args=[batch.pk])
    seen = [client.post(url, HTTP_ACCEPT="application/json").json() for _ in range(3)]
    assert [(s["checked"], s["done"]) for s in seen] == [(2, False), (4, False), (5, True)]
    assert all(s["total"] == 5 for s in seen)


def test_a_chunk_costs_a_fixed_number_of_queries_plus_the_forms_own(as_user, tree):
    """Per row, one query: the form's check that no other live beneficiary has the ID number. Everything else (the
    existing people, duplicates in the file, the units, needs and bases the form chooses from) is read once per
    chunk."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(tree.secretary_a)
    counts = []
    for size in (10, 40):
        client.post(START, {"file": xlsx([person(n) for n in range(1, size + 1)])})
        batch = RosterImport.objects.latest("pk")
        with CaptureQueriesContext(connection) as queries:
            imports.import_check_next(actor=tree.secretary_a, batch=batch)
        counts.append(len(queries))
    assert counts[1] - counts[0] <= 30, counts  # measured: 28 more for 30 more rows
    assert counts[0] - 10 <= 20, counts  # the lock, the lookups, the duplicates, the write-back


def test_only_the_uploader_sees_an_import(client, as_user, tree):
    batch = upload_and_check(as_user(tree.secretary_a), xlsx([person(1)]))
    urls = {
        "detail": (reverse("beneficiaries:import-detail", args=[batch.pk]), "get"),
        "check": (reverse("beneficiaries:import-check", args=[batch.pk]), "post"),
        "confirm": (reverse("beneficiaries:import-confirm", args=[batch.pk]), "post"),
        "discard": (reverse("beneficiaries:import-discard", args=[batch.pk]), "post"),
    }
    other = as_user(tree.secretary_b)
    for url, method in urls.values():
        assert getattr(other, method)(url).status_code == 404, url
    leader = as_user(tree.district_leader)
    for url, method in [*urls.values(), (START, "get"), (reverse("beneficiaries:import-template"), "get")]:
        assert getattr(leader, method)(url).status_code == 403, url
    client.logout()
    for url, method in [*urls.values(), (START, "get")]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Beneficiary.objects.count() == 0 and RosterImport.objects.get().status == "checked"


def test_discarding_drops_the_staged_rows(as_user, tree):
    client = as_user(tree.secretary_a)
    batch = upload_and_check(client, xlsx([person(1)]))
    response = client.post(reverse("beneficiaries:import-discard", args=[batch.pk]), follow=True)
    assert "什么也没有写入" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "discarded" and not batch.rows.exists() and Beneficiary.objects.count() == 0


# --- what a review found: concurrency, odd files, and data the check relied on ------------------------------


def test_an_edit_between_two_chunks_makes_the_import_stale(as_user, tree, monkeypatch):
    from beneficiaries import services

    monkeypatch.setattr(checking, "CHUNK", 1)
    existing = BeneficiaryFactory(id_number=make_id_number(1), branch=tree.branch_a, disability_grade=2, phone="111")
    client = as_user(tree.secretary_a)
    client.post(START, {"file": xlsx([person(1, certificate_number=existing.certificate_number), person(2)])})
    batch = RosterImport.objects.get()
    imports.import_check_next(actor=tree.secretary_a, batch=batch)  # the existing person's row
    services.beneficiary_update(actor=tree.secretary_b, beneficiary=existing, phone="13912345678")
    imports.import_check_next(actor=tree.secretary_a, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "checked"
    with pytest.raises(Exception, match="检查后有改动"):
        imports.import_commit(actor=tree.secretary_a, batch=batch)
    existing.refresh_from_db()
    assert existing.phone == "13912345678" and Beneficiary.objects.count() == 1


def test_a_discard_during_the_check_is_not_undone(as_user, tree):
    client = as_user(tree.secretary_a)
    client.post(START, {"file": xlsx([person(1)])})
    batch = RosterImport.objects.get()
    stale_copy = RosterImport.objects.get()
    imports.import_discard(actor=tree.secretary_a, batch=batch)
    result = imports.import_check_next(actor=tree.secretary_a, batch=stale_copy)
    assert result.status == "discarded" and not RosterImportRow.objects.exists()
    assert client.post(reverse("beneficiaries:import-confirm", args=[batch.pk])).status_code == 302
    assert Beneficiary.objects.count() == 0


def test_rows_gone_missing_do_not_leave_the_check_running_for_ever(as_user, tree):
    client = as_user(tree.secretary_a)
    client.post(START, {"file": xlsx([person(1), person(2)])})
    batch = RosterImport.objects.get()
    batch.rows.filter(number=3).delete()
    batch = imports.import_check_next(actor=tree.secretary_a, batch=batch)
    assert batch.status == "checked" and batch.total == 1


def test_changed_grants_before_the_confirmation_make_the_import_check_again(as_user, tree):
    from django.contrib.auth import get_user_model

    batch = upload_and_check(as_user(tree.secretary_a), xlsx([person(1)]))
    from volunteer_portal.branches.models import RoleGrant

    RoleGrant.objects.filter(user=tree.secretary_a).update(branch=tree.branch_b)  # moved to another community
    moved = get_user_model().objects.get(pk=tree.secretary_a.pk)
    with pytest.raises(Exception, match="检查后有改动"):
        imports.import_commit(actor=moved, batch=batch)
    assert Beneficiary.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == "checking"
    batch = imports.import_check_next(actor=moved, batch=batch)
    assert any("丽景社区" in message for _, _, message in problems(batch))  # no longer theirs


def test_a_corrupt_workbook_is_refused_with_a_message(as_user, tree):
    import zipfile

    good = xlsx([person(1)]).read()
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    response = as_user(tree.secretary_a).post(START, {"file": SimpleUploadedFile("r.xlsx", damaged.getvalue())})
    assert response.status_code == 200 and "无法作为 Excel" in response.content.decode()


def test_merged_cells_and_repeated_headers_are_refused(as_user, tree):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([H[field] for field in imports.COLUMNS])
    for n in (1, 2):
        sheet.append([person(n).get(field, "") for field in imports.COLUMNS])
    sheet.merge_cells("I2:I3")
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = as_user(tree.secretary_a)
    page = client.post(START, {"file": SimpleUploadedFile("m.xlsx", buffer.getvalue())}).content.decode()
    assert "合并的单元格" in page
    twice = "姓名,性别,身份证号,残疾类别,残疾等级,住址,住址\n张三,男,x,肢体,一级,a,b\n"
    page = client.post(START, {"file": SimpleUploadedFile("d.csv", twice.encode())}).content.decode()
    assert "列标题出现了不止一次：住址" in page
    assert not RosterImport.objects.exists()


def test_a_stray_cell_far_down_the_sheet_does_not_hold_up_the_upload(as_user, tree):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([H[field] for field in imports.COLUMNS])
    sheet.append([person(1).get(field, "") for field in imports.COLUMNS])
    sheet["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = imports.parse_file(SimpleUploadedFile("far.xlsx", buffer.getvalue()))
    assert [row.number for row in parsed.rows] == [2]


def test_quoted_cells_never_show_a_full_id_number(as_user, tree):
    shifted = person(1, gender=make_id_number(55))  # a column shifted: someone's number in the gender cell
    client = as_user(tree.secretary_a)
    batch = upload_and_check(client, xlsx([shifted]))
    page = client.get(batch.get_absolute_url()).content.decode()
    assert make_id_number(55) not in page and mask_id_number(make_id_number(55)) in page


def test_long_cells_dates_and_spaced_numbers_as_people_type_them(as_user, tree):
    spaced = make_id_number(1)[:6] + " " + make_id_number(1)[6:].lower()
    rows = [
        person(1, id_number=spaced, certificate_number="", consent_given_on="2026.01.05"),
        person(2, consent_given_on="2026年1月5日", family_situation="长" * 3000),
        person(3, consent_given_on="20260105"),
        person(4, family_situation="长" * 6000),
        person(5, consent_given_on="去年"),
    ]
    batch = upload_and_check(as_user(tree.secretary_a), xlsx(rows))
    found = problems(batch)
    assert sorted({n for n, _, _ in found}) == [5, 6]
    assert any(n == 5 and column == "家庭情况" and "6000" in message for n, column, message in found)
    assert [message for n, column, message in found if n == 6] == ["输入一个有效的日期。"]  # said once


def test_abandoned_imports_are_pruned_with_their_staged_rows(as_user, tree, settings):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    client = as_user(tree.secretary_a)
    client.post(START, {"file": xlsx([person(1)])})
    RosterImport.objects.update(created_at=timezone.now() - dt.timedelta(hours=settings.ROSTER_IMPORT_KEEP_HOURS + 1))
    out = io.StringIO()
    call_command("prune_roster_imports", stdout=out)
    assert "Discarded 1" in out.getvalue()
    assert RosterImport.objects.get().status == "discarded" and not RosterImportRow.objects.exists()


def test_columns_not_in_the_template_are_named_and_left_aside(as_user, tree):
    lines = [",".join([*(H[field] for field in imports.COLUMNS), "备注"])]
    lines.append(",".join([*(person(1).get(field, "") for field in imports.COLUMNS), "随便写的"]))
    response = as_user(tree.secretary_a).post(
        START, {"file": SimpleUploadedFile("r.csv", "\n".join(lines).encode())}, follow=True
    )
    assert "以下列不在模板中，已忽略：备注" in response.content.decode()
    assert "随便写的" not in str(RosterImportRow.objects.get().cells)

"""Every .xlsx the portal writes keeps text as text: a name typed as a formula stays the text typed, never a
live formula, and no apostrophe is added ("+86 …" stays as it is). Each workbook is downloaded through its view
and reopened."""

import datetime as dt
import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from volunteer_portal.branches.models import Branch, RoleGrant
from volunteer_portal.dashboards.periods import Frequency
from volunteer_portal.reports.models import BranchReport, ReportRequirement

from .factories import ActivityFactory, BeneficiaryFactory, RoleGrantFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'
PHONE = "+86 13800000000"
Q3 = dt.date(2026, 7, 1)
QUARTER = {"frequency": "quarterly", "year": 2026, "number": 3}


@pytest.fixture
def typed(tree):
    """branch_a and a beneficiary named as a formula, branch_b and the beneficiary's address a phone number."""
    Branch.objects.filter(pk=tree.branch_a.pk).update(name=FORMULA)
    Branch.objects.filter(pk=tree.branch_b.pk).update(name=PHONE)
    Branch.objects.update(created_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY,
                                     starts_on=dt.date(2025, 7, 1))  # fmt: skip
    beneficiary = BeneficiaryFactory(branch=tree.branch_a, name=FORMULA, address=PHONE)
    VisitFactory(beneficiary=beneficiary, branch=tree.branch_a, date=dt.date(2026, 7, 5),
                 activity=ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 7, 5)))  # fmt: skip
    return beneficiary


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def download(tree, what: str) -> bytes:
    if what == "roster":
        exporter = UserFactory(username="exporter")
        RoleGrantFactory(user=exporter, branch=tree.district, role=RoleGrant.Role.LEADER, may_export=True)
        response = signed_in(exporter).get(reverse("beneficiaries:beneficiary-export"))
    elif what == "template":
        response = signed_in(tree.secretary_a).get(reverse("beneficiaries:import-template"))
    elif what == "dashboard":
        response = signed_in(tree.district_leader).get(reverse("dashboards:dashboard-export", args=[tree.district.pk]))
    elif what == "report":
        report = BranchReport.objects.create(
            branch=tree.branch_a, frequency=Frequency.QUARTERLY, period_start=Q3, period_end=dt.date(2026, 9, 30)
        )
        response = signed_in(tree.secretary_a).get(reverse("reports:report-xlsx", args=[report.pk]))
    elif what == "summary":
        response = signed_in(tree.district_leader).get(reverse("reports:summary-xlsx", args=[tree.district.pk]),
                                                       QUARTER)  # fmt: skip
    else:
        response = signed_in(tree.district_leader).get(
            reverse("reports:evaluation-xlsx", args=[tree.district.pk]), {"year": 2026}
        )
    assert response.status_code == 200, what
    return response.content


@pytest.mark.parametrize("what", ["roster", "template", "dashboard", "report", "summary", "evaluation"])
def test_text_is_written_as_the_text_typed_never_a_formula(tree, typed, what):
    content = download(tree, what)
    book = load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    typed_cells = [
        cell for cell in cells if isinstance(cell.value, str) and ("HYPERLINK" in cell.value or PHONE in cell.value)
    ]
    assert typed_cells, what
    for cell in typed_cells:
        assert cell.data_type == "s", (what, cell.coordinate, cell.value)
        assert not cell.value.startswith("'"), (what, cell.coordinate)
    exact = {cell.value for cell in typed_cells}
    if what == "report":  # the title names the branch: "=HYPERLINK(…): …"
        assert any(value.startswith(FORMULA) for value in exact)
    elif what != "template":  # the template names the unit inside its explanations
        assert {FORMULA, PHONE} <= exact, what
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name)
                assert b"<f>" not in xml and b"<f " not in xml, (what, name)


def test_numbers_and_dates_stay_numbers_and_dates(tree, typed):
    rows = list(load_workbook(io.BytesIO(download(tree, "roster"))).active.iter_rows())
    person = next(row for row in rows if row[0].value == FORMULA)
    assert person[8].value == PHONE and person[8].data_type == "s"  # the address
    assert person[-1].is_date and person[-1].value.date() == dt.date(2026, 7, 5)  # the last visit
    dashboard = load_workbook(io.BytesIO(download(tree, "dashboard"))).active
    branch_row = next(row for row in dashboard.iter_rows() if row[0].value == FORMULA)
    assert branch_row[1].data_type == "n" and branch_row[1].value == 1  # one activity this year


def test_the_helper_leaves_other_values_alone():
    from decimal import Decimal

    from openpyxl import Workbook

    from volunteer_portal.spreadsheets import append_row

    sheet = Workbook().active
    append_row(sheet, ["=1+1", "@SUM(A1)", "-2", "#N/A", 3, 2.5, Decimal("1.5"), dt.date(2026, 1, 5), None, ""])
    cells = list(sheet[1])
    assert [cell.data_type for cell in cells[:4]] == ["s"] * 4
    assert [cell.value for cell in cells[:4]] == ["=1+1", "@SUM(A1)", "-2", "#N/A"]
    assert [cell.data_type for cell in cells[4:7]] == ["n"] * 3
    assert cells[7].is_date and cells[8].value is None


def test_a_percentage_in_excel_reads_as_on_the_page():
    """Excel rounds to nearest, so 26/29 (89.66%) shows "89.7%" and 0.8996 "90.0%" there, while the page cuts
    towards the threshold ("89.6%", "89.9%"); the workbook stores the page's value."""
    from volunteer_portal.documents import workbook
    from volunteer_portal.templatetags import percent

    content = workbook("t", ["branch", "rate"], [["a", 26 / 29], ["b", 0.8996]], percent_columns={1})
    sheet = load_workbook(io.BytesIO(content)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=4)]
    assert [cell.value for cell in cells] == [0.896, 0.899] and all(c.number_format == "0.0%" for c in cells)
    assert [percent(c.value) for c in cells] == [percent(26 / 29), percent(0.8996)] == ["89.6%", "89.9%"]


def test_a_streamed_row_keeps_text_as_text_and_numbers_and_dates_as_they_are():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from volunteer_portal.spreadsheets import append_streamed_row

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("x")
    append_streamed_row(sheet, 1, ["姓名", "号码"], font=Font(bold=True))
    append_streamed_row(sheet, 2, [FORMULA, "#N/A", PHONE, "a\x07b", 3, dt.date(2026, 3, 5), None, "丽景社区"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = load_workbook(buffer).active
    assert sheet["A1"].font.bold and sheet["A1"].value == "姓名"
    cells = sheet[2]
    assert [cell.data_type for cell in cells[:4]] == ["s", "s", "s", "s"]
    assert [cell.value for cell in cells[:5]] == [FORMULA, "#N/A", PHONE, "ab", 3]
    assert cells[5].value.date() == dt.date(2026, 3, 5) and cells[6].value is None and cells[7].value == "丽景社区"

"""Assistance figures with group items (handed over at an activity to people not named) and unknown values:
counted by kind as items (their quantity) beside values, on the dashboard, its Excel file and branch reports."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from volunteer_portal.dashboards.figures import rollup
from volunteer_portal.reports import services
from volunteer_portal.reports.models import BranchReport

from ..factories import ActivityFactory, AssistanceItemFactory, BeneficiaryFactory, GroupItemFactory, VisitFactory

pytestmark = pytest.mark.django_db

YEAR = 2026
START, END = dt.date(YEAR, 7, 1), dt.date(YEAR, 9, 30)  # a quarter that has ended
ARCHIVED = dt.datetime(YEAR, 10, 1, tzinfo=dt.UTC)


@pytest.fixture
def handed_over(tree):
    """Branch A: a 联谊 handing out presents (no value) and prostheses (one batch valued, one not), and a visit
    with a wheelchair (no value) and cash. Not counted: an archived activity's items, an item out of the period,
    and the items of an archived visit."""
    party = ActivityFactory(branch=tree.branch_a, date=dt.date(YEAR, 7, 5))
    GroupItemFactory(activity=party, kind="goods", description="书包、文具盒、小食品", quantity=20, recipients=20)
    donation = ActivityFactory(branch=tree.branch_a, date=dt.date(YEAR, 8, 1))
    GroupItemFactory(activity=donation, kind="device", description="假肢", quantity=2, recipients=2)
    GroupItemFactory(activity=donation, kind="device", description="假肢", quantity=1, recipients=1,
                     value=Decimal("3000"))  # fmt: skip
    archived = ActivityFactory(branch=tree.branch_a, date=dt.date(YEAR, 8, 2), archived_at=ARCHIVED)
    GroupItemFactory(activity=archived, kind="cash", value=Decimal("9999"), recipients=5)
    later = ActivityFactory(branch=tree.branch_a, date=dt.date(YEAR, 10, 2))
    GroupItemFactory(activity=later, kind="cash", value=Decimal("8888"), recipients=5)
    household = BeneficiaryFactory(branch=tree.branch_a)
    visit = VisitFactory(beneficiary=household, branch=tree.branch_a, date=dt.date(YEAR, 9, 9))
    AssistanceItemFactory(visit=visit, kind="device", description="手摇轮椅", value=None)
    AssistanceItemFactory(visit=visit, kind="cash", description="慰问金", value=Decimal("1000"))
    gone = VisitFactory(beneficiary=household, branch=tree.branch_a, date=dt.date(YEAR, 9, 10), archived_at=ARCHIVED)
    AssistanceItemFactory(visit=gone, kind="device", description="轮椅", value=None)
    # Branch B hands over one service at an activity, value not known.
    GroupItemFactory(activity=ActivityFactory(branch=tree.branch_b, date=dt.date(YEAR, 9, 1)), kind="service",
                     description="康复指导", recipients=8)  # fmt: skip
    return tree


def test_group_items_count_in_the_activitys_branch_by_quantity_with_unknown_values(handed_over):
    tree = handed_over
    result = rollup(tree.district, START, END)
    f = result.figures
    assert f.assistance == {"cash": Decimal("1000"), "goods": 0, "device": Decimal("3000"), "service": 0}
    assert f.assistance_items == {"cash": 1, "goods": 20, "device": 4, "service": 1}
    assert f.assistance_unvalued == {"cash": 0, "goods": 20, "device": 3, "service": 1}
    children = dict(result.children)
    assert children[tree.branch_a].assistance_items == {"cash": 1, "goods": 20, "device": 4, "service": 0}
    assert children[tree.branch_b].assistance_unvalued == {"cash": 0, "goods": 0, "device": 0, "service": 1}
    assert result.own[tree.branch_a.pk].assistance["device"] == Decimal("3000")
    # The activity's date decides the period, not when the item was typed in.
    october = rollup(tree.district, dt.date(YEAR, 10, 1), dt.date(YEAR, 10, 31)).figures
    assert october.assistance["cash"] == Decimal("8888") and october.assistance_items["cash"] == 1


def test_the_dashboard_shows_items_by_kind_beside_values(as_user, handed_over):
    tree = handed_over
    url = reverse("dashboards:dashboard-node", args=[tree.district.pk])
    page = as_user(tree.district_leader).get(url, {"period": "year", "year": YEAR}).content.decode()
    assert "4 件（其中 3 件未填金额）" in page  # devices: two prostheses and the wheelchair without a value
    assert "20 件（均未填金额）" in page and "2 笔" in page and "1 项（均未填金额）" in page  # cash: July and October
    assert "24 件未填金额" in page  # under the headline total
    assert "9999" not in page  # the archived activity's cash


def test_the_dashboard_excel_has_items_values_and_unvalued_per_kind(as_user, handed_over):
    tree = handed_over
    url = reverse("dashboards:dashboard-export", args=[tree.district.pk])
    response = as_user(tree.district_leader).get(url, {"period": "year", "year": YEAR})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = next(row for row in rows if row and row[0] == "单位" and row[1] == "活动")
    total = next(row for row in rows if row and str(row[0]).startswith("合计"))
    by_name = dict(zip(header, total, strict=True))
    assert (by_name["康复器具数量"], by_name["康复器具金额（元）"], by_name["康复器具未填金额数量"]) == (4, 3000, 3)
    assert by_name["慰问品数量"] == 20 and by_name["服务未填金额数量"] == 1


def submitted_report(tree) -> BranchReport:
    report = services.report_create(actor=tree.secretary_a, branch=tree.branch_a, frequency="quarterly", start=START)
    services.report_submit(actor=tree.secretary_a, report=report)
    report.refresh_from_db()
    return report


def test_a_submitted_report_freezes_and_shows_items_by_kind(as_user, handed_over):
    tree = handed_over
    report = submitted_report(tree)
    total = report.figures["total"]
    assert total["assistance_items"] == {"cash": 1, "goods": 20, "device": 4, "service": 0}
    assert total["assistance_unvalued"]["device"] == 3
    GroupItemFactory(activity=ActivityFactory(branch=tree.branch_a, date=dt.date(YEAR, 7, 9)), kind="device",
                     quantity=5)  # fmt: skip  # after submission: the frozen figures do not move
    client = as_user(tree.secretary_a)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "其中：康复器具" in page and "4 件（其中 3 件未填金额），¥3000.00" in page
    docx = Document(io.BytesIO(client.get(reverse("reports:report-docx", args=[report.pk])).content))
    cells = [cell.text for table in docx.tables for row in table.rows for cell in row.cells]
    assert cells[cells.index("其中：慰问品") + 1] == "20 件（均未填金额），¥0.00"
    sheet = load_workbook(io.BytesIO(client.get(reverse("reports:report-xlsx", args=[report.pk])).content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["其中：康复器具"] == "4 件（其中 3 件未填金额），¥3000.00"


def test_figures_frozen_before_items_were_counted_still_read(as_user, handed_over):
    tree = handed_over
    report = submitted_report(tree)
    for name in ("assistance_items", "assistance_unvalued"):
        del report.figures["total"][name]
    BranchReport.objects.filter(pk=report.pk).update(figures=report.figures)
    client = as_user(tree.secretary_a)
    page = client.get(report.get_absolute_url()).content.decode()
    # Values alone in the figures (the draft's own sentence, written before submission, may still name them).
    assert "其中：康复器具" in page and "¥3000.00" in page
    assert "件（其中" not in page and "（均未填金额）" not in page
    assert client.get(reverse("reports:report-docx", args=[report.pk])).status_code == 200
    del report.figures["total"]["assistance"]  # older still: the total alone
    BranchReport.objects.filter(pk=report.pk).update(figures=report.figures)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "其中：康复器具" not in page
    assert client.get(reverse("reports:report-xlsx", args=[report.pk])).status_code == 200


def test_no_group_item_no_rows_of_zero_items(as_user, tree):
    url = reverse("dashboards:dashboard-node", args=[tree.district.pk])
    page = as_user(tree.district_leader).get(url, {"period": "year", "year": timezone.localdate().year})
    text = page.content.decode()
    assert "件未填金额" not in text and "均未填金额" not in text and "0 件" not in text


def test_the_summary_downloads_sum_the_reports_items_by_kind(as_user, handed_over):
    tree = handed_over
    submitted_report(tree)
    client = as_user(tree.district_leader)
    period = {"frequency": "quarterly", "year": YEAR, "number": 3}
    docx = Document(io.BytesIO(client.get(reverse("reports:summary-docx", args=[tree.district.pk]), period).content))
    text = "\n".join(p.text for p in docx.paragraphs)
    assert ("其中：慰问金 1 笔，¥1000.00；慰问品 20 件（均未填金额），¥0.00；"
            "康复器具 4 件（其中 3 件未填金额），¥3000.00。") in text  # fmt: skip
    sheet = load_workbook(io.BytesIO(client.get(reverse("reports:summary-xlsx", args=[tree.district.pk]),
                                                period).content)).active  # fmt: skip
    rows = list(sheet.iter_rows(values_only=True))
    assert any(row[:3] == ("其中：康复器具", None, "4 件（其中 3 件未填金额），¥3000.00") for row in rows)


def test_a_summary_of_reports_frozen_before_items_says_so(as_user, handed_over):
    tree = handed_over
    report = submitted_report(tree)
    for name in ("assistance", "assistance_items", "assistance_unvalued"):
        report.figures["own"].pop(name)
    BranchReport.objects.filter(pk=report.pk).update(figures=report.figures)
    period = {"frequency": "quarterly", "year": YEAR, "number": 3}
    response = as_user(tree.district_leader).get(reverse("reports:summary-docx", args=[tree.district.pk]), period)
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "1 份报告提交于按件数统计之前" in text and "其中：慰问金" not in text

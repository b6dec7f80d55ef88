"""The year-end evaluation (reports/evaluation.py) on hand-built data."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from volunteer_portal.reports.evaluation import evaluate
from volunteer_portal.reports.models import (
    BranchReport,
    EvaluationCriteria,
    Frequency,
    ReportRequirement,
)

from ..factories import (
    ActivityFactory,
    BeneficiaryFactory,
    BranchFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


# --- the year-end evaluation ---------------------------------------------------------------------------------

YEAR, TODAY = 2025, dt.date(2026, 1, 20)


@pytest.fixture
def judged(tree):
    """Five communities under the district, each failing one criterion but the first:
    ok — active 6 months, everyone took part, 4 quarterly reports approved, no overdue pairing;
    months — active in 5 months only; rate — one of two members never took part;
    reports — the fourth quarter's report is not approved; overdue — one of its two pairings is overdue."""
    # Owed from before the year: every quarter of it is owed.
    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY,
                                     starts_on=dt.date(2024, 1, 1))  # fmt: skip
    branch_a_b = {tree.branch_a.pk, tree.branch_b.pk}
    from volunteer_portal.branches.models import Branch

    Branch.objects.filter(pk__in=branch_a_b).update(active=False)  # keep the fixture's two out of the way
    built = {}
    for name in ("ok", "months", "rate", "reports", "overdue"):
        branch = BranchFactory(name=name, kind="community", parent=tree.district)
        member = MemberFactory(branch=branch)
        months = 5 if name == "months" else 6
        for month in range(1, months + 1):
            ParticipationFactory(member=member, activity=ActivityFactory(branch=branch, date=dt.date(YEAR, month, 9)))
        if name == "rate":
            MemberFactory(branch=branch)
        for quarter in range(4):
            start = dt.date(YEAR, quarter * 3 + 1, 1)
            end = dt.date(YEAR, quarter * 3 + 3, 30 if quarter in (1, 2) else 31)
            status = "submitted" if name == "reports" and quarter == 3 else "approved"
            BranchReport.objects.create(branch=branch, frequency="quarterly", period_start=start, period_end=end,
                                        status=status)  # fmt: skip
        household = BeneficiaryFactory(branch=branch)
        kept = PairingFactory(member=member, beneficiary=household, start_date=dt.date(YEAR, 1, 1))
        # Met recently (so not overdue, whether judged on TODAY or on the real today, as the page does).
        # Met in December: not overdue as the year ended (pairings are judged as of the year's end).
        VisitFactory(beneficiary=household, date=dt.date(YEAR, 12, 20)).visitors.add(kept.member)
        if name == "overdue":
            PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=branch), start_date=dt.date(YEAR, 1, 1))
        built[name] = branch
    Branch.objects.update(created_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))  # in place before the year judged
    return built


def test_the_evaluation_fails_each_criterion_once_with_its_reason(tree, judged):
    results = {r.branch.name: r for r in evaluate(tree.district, YEAR, today=TODAY)}
    assert results["ok"].eligible and results["ok"].reasons == []
    failed = {name: [c.key for c in results[name].checks if not c.passed] for name in judged if name != "ok"}
    assert failed == {"months": ["months"], "rate": ["rate"], "reports": ["reports"], "overdue": ["overdue"]}
    assert results["months"].reasons == ["全年有 5 个月开展活动，须至少 6 个月"]
    assert results["rate"].reasons == ["2 名成员中 1 人参与，须至少 90%"]
    assert results["reports"].reasons == ["应交的 4 份报告中有 1 份未审核通过"]
    assert results["overdue"].reasons == ["2 个进行中的结对有 1 个超期，最多允许 10%"]
    # The district is judged on its whole subtree: the failures below it show there too.
    assert not results["兴庆区残联"].eligible


def test_the_thresholds_come_from_the_criteria_the_administrator_sets(tree, judged):
    EvaluationCriteria.objects.update(min_months_active=5, min_participation_rate=50, max_overdue_share=50,
                                      require_reports=False)  # fmt: skip
    results = {r.branch.name: r for r in evaluate(tree.district, YEAR, today=TODAY)}
    assert all(results[name].eligible for name in judged)
    check = next(c for c in results["reports"].checks if c.key == "reports")
    assert check.passed and check.threshold == "不考核" and check.value == "3 / 4"  # shown, not counted
    assert [c.key for c in results["ok"].checks] == ["months", "rate", "reports", "overdue", "march"]


def test_the_evaluation_page_and_excel_export(as_user, tree, judged, assert_flat_queries):
    client = as_user(tree.root_leader)
    url = reverse("reports:evaluation-node", args=[tree.district.pk])
    page = client.get(url, {"year": YEAR}).content.decode()
    assert "个单位不能评先评优" in page and "全年有 5 个月开展活动" in page
    response = client.get(reverse("reports:evaluation-xlsx", args=[tree.district.pk]), {"year": YEAR})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    by_name = {row[0]: row for row in rows if row and row[0] in judged}
    assert by_name["ok"][-2] == "是" and by_name["months"][-2] == "否"
    assert "全年有 5 个月开展活动" in by_name["months"][-1]
    assert_flat_queries(
        lambda: client.get(url, {"year": YEAR}),
        lambda: [BranchFactory(parent=tree.district, kind="community") for _ in range(5)],
        queries=16,
    )


def test_a_requirement_starting_during_the_year_still_counts_the_reports_written_before(tree, judged):
    ReportRequirement.objects.update(starts_on=dt.date(2025, 8, 15))  # in the third quarter
    results = {r.branch.name: r for r in evaluate(tree.district, YEAR, today=TODAY)}
    check = next(c for c in results["reports"].checks if c.key == "reports")
    # Q3 and Q4 owed by the requirement; the approved Q1 and Q2 reports stand, so they count as owed and met.
    assert check.value == "3 / 4"
    BranchReport.objects.filter(branch=judged["reports"], period_start__lt=dt.date(2025, 7, 1)).update(
        status=BranchReport.Status.DRAFT
    )
    results = {r.branch.name: r for r in evaluate(tree.district, YEAR, today=TODAY)}
    check = next(c for c in results["reports"].checks if c.key == "reports")
    assert check.value == "1 / 2"  # drafts before the start are not owed; Q3 approved, Q4 only submitted


def test_outsiders_cannot_open_an_evaluation_or_summary(as_user, tree, client):
    for name in ("reports:evaluation-node", "reports:evaluation-xlsx", "reports:summary-node",
                 "reports:summary-docx", "reports:summary-xlsx"):  # fmt: skip
        url = reverse(name, args=[tree.district.pk])
        assert as_user(tree.secretary_b).get(url).status_code == 404, url
        client.logout()
        assert client.get(url)["Location"].startswith("/accounts/login/"), url
    for bad in ({"year": "1900"}, {"year": "abc"}, {"year": "2999"}):
        response = as_user(tree.root_leader).get(reverse("reports:evaluation-node", args=[tree.root.pk]), bad)
        assert response.status_code == 200


def test_a_rate_just_under_the_threshold_never_reads_as_reaching_it(tree):
    """26 of 29 members took part: 89.66%. The evaluation showed "90%" and failed it against "≥ 90%"; the
    dashboard showed "89.7%". One way to write a rate: rounded towards the side it is judged on."""
    from volunteer_portal.branches.models import Branch
    from volunteer_portal.templatetags import percent

    Branch.objects.filter(pk__in=[tree.branch_b.pk]).update(active=False)
    members = MemberFactory.create_batch(29, branch=tree.branch_a)
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(YEAR, 5, 5))
    for member in members[:26]:
        ParticipationFactory(member=member, activity=activity)
    result = next(r for r in evaluate(tree.district, YEAR, today=TODAY) if r.branch == tree.branch_a)
    check = next(c for c in result.checks if c.key == "rate")
    assert not check.passed and check.value == "89.6%" and check.threshold == "≥ 90%"
    assert percent(26 / 29) == "89.6%" and percent(0.9) == "90.0%" and percent(None) == "—"


def test_a_rate_exactly_at_an_edited_threshold_passes(tree):
    """29 of 50 is 58%, but 29 / 50 * 100 is 57.99… in floating point: the evaluation showed "58.0%" beside a
    failed "≥ 58%". The comparison is in whole numbers now."""
    from volunteer_portal.branches.models import Branch

    Branch.objects.filter(pk=tree.branch_b.pk).update(active=False)
    EvaluationCriteria.objects.update(min_participation_rate=58)
    members = MemberFactory.create_batch(50, branch=tree.branch_a)
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(YEAR, 5, 5))
    for member in members[:29]:
        ParticipationFactory(member=member, activity=activity)
    result = next(r for r in evaluate(tree.district, YEAR, today=TODAY) if r.branch == tree.branch_a)
    check = next(c for c in result.checks if c.key == "rate")
    assert check.passed and check.value == "58.0%"

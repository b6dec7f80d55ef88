"""Which reports are owed (`selectors.owed_reports`), asked alike by the summary, the evaluation and the due list;
and the evaluation's 常态化 criterion (the March share) and its page."""

import datetime as dt
import io
import random

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from volunteer_portal.branches.models import Branch
from volunteer_portal.dashboards.periods import ended_periods
from volunteer_portal.reports import selectors
from volunteer_portal.reports.evaluation import evaluate
from volunteer_portal.reports.models import BranchReport, EvaluationCriteria, Frequency, ReportRequirement
from volunteer_portal.reports.selectors import organisation_summary, owed_reports

from ..factories import ActivityFactory, BranchFactory, MemberFactory, ParticipationFactory

pytestmark = pytest.mark.django_db
Status = BranchReport.Status
TODAY = dt.date(2026, 12, 1)
QUARTERS_2012 = ended_periods(Frequency.QUARTERLY, dt.date(2012, 1, 1), dt.date(2013, 1, 1))


def report(branch, start, end, status=Status.APPROVED, frequency=Frequency.QUARTERLY) -> BranchReport:
    return BranchReport.objects.create(branch=branch, frequency=frequency, period_start=start, period_end=end,
                                       status=status)  # fmt: skip


def evaluation_reports(node, year) -> dict[str, tuple[int, int]]:
    """Each branch's (approved, owed) as the evaluation states them: "1 / 4", or "none required"."""
    result = {}
    for evaluation in evaluate(node, year, today=TODAY):
        check = next(c for c in evaluation.checks if c.key == "reports")
        done, _slash, owed = check.value.partition(" / ")
        result[evaluation.branch.name] = (int(done), int(owed)) if owed else (0, 0)
    return result


def summary_reports(node, frequency, year) -> dict[str, tuple[int, int]]:
    """Each branch's (approved, owed) added up over the year's summaries, period by period."""
    result: dict[str, tuple[int, int]] = {}
    for start, _end in ended_periods(frequency, dt.date(year, 1, 1), dt.date(year + 1, 1, 1)):
        for row in organisation_summary(node, frequency, start, with_drift=False).rows:
            done, owed = result.get(row.branch.name, (0, 0))
            result[row.branch.name] = (done + (row.state == selectors.SummaryState.APPROVED), owed + 1)
    return result


@pytest.fixture
def history(tree):
    """The issue's case: twelve communities and a requirement all entered "today" in 2026 for 2012's history,
    the requirement set to start on 2012-01-01, and one approved 2012 Q1 report."""
    Branch.objects.filter(pk=tree.branch_a.pk).update(name="社区00")
    Branch.objects.filter(pk=tree.branch_b.pk).update(name="社区01")
    for n in range(2, 12):
        BranchFactory(parent=tree.district, kind="community", name=f"社区{n:02d}")
    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY,
                                     starts_on=dt.date(2012, 1, 1))  # fmt: skip
    report(tree.branch_a, *QUARTERS_2012[0])
    return tree


def test_history_entered_later_is_owed_from_the_requirements_start(history):
    """Before: the summary said 12 owed and 11 missing for 2012 Q1, the evaluation "none required" for every
    branch, though the approved report exists. Records dated 2026 say when they were entered, not when the
    branches began; the requirement's start date says from when reports are owed."""
    first = organisation_summary(history.district, Frequency.QUARTERLY, dt.date(2012, 1, 1))
    assert len(first.rows) == 12
    assert first.counts[selectors.SummaryState.MISSING] == 11
    assert first.counts[selectors.SummaryState.APPROVED] == 1
    judged = evaluation_reports(history.district, 2012)
    assert judged["社区00"] == (1, 4) and judged["社区05"] == (0, 4)
    assert {name: judged[name] for name in judged if name.startswith("社区")} == summary_reports(
        history.district, Frequency.QUARTERLY, 2012
    )
    reasons = next(e for e in evaluate(history.district, 2012, today=TODAY) if e.branch.name == "社区00").reasons
    assert "应交的 4 份报告中有 3 份未审核通过" in reasons


def test_a_standing_report_before_the_start_is_owed_and_met(history):
    """Reports owed from 2012 Q3 on; the approved Q1 report still counts, for the summary and the evaluation."""
    ReportRequirement.objects.update(starts_on=dt.date(2012, 7, 1))
    report(history.branch_b, *QUARTERS_2012[1], status=Status.SUBMITTED)
    report(history.branch_b, *QUARTERS_2012[0], status=Status.DRAFT)  # a draft before the start owes nothing
    q1 = organisation_summary(history.district, Frequency.QUARTERLY, dt.date(2012, 1, 1))
    assert [(row.branch.name, row.state) for row in q1.rows] == [("社区00", "approved")]
    q2 = organisation_summary(history.district, Frequency.QUARTERLY, dt.date(2012, 4, 1))
    assert [(row.branch.name, row.state) for row in q2.rows] == [("社区01", "submitted")]
    judged = evaluation_reports(history.district, 2012)
    assert judged["社区00"] == (1, 3) and judged["社区01"] == (0, 3) and judged["社区05"] == (0, 2)


def test_the_due_list_asks_the_same_rule(history):
    """A secretary owes the periods of the last year from the start date on; a returned one is owed again."""
    ReportRequirement.objects.update(starts_on=dt.date(2026, 4, 1))
    report(history.branch_a, dt.date(2026, 4, 1), dt.date(2026, 6, 30), status=Status.APPROVED)
    report(history.branch_a, dt.date(2026, 7, 1), dt.date(2026, 9, 30), status=Status.RETURNED)
    due = selectors.due_reports(history.secretary_a, today=TODAY)
    assert [(d.start, d.state) for d in due] == [(dt.date(2026, 7, 1), "returned")]
    due_b = selectors.due_reports(history.secretary_b, today=TODAY)
    assert [(d.start, d.state) for d in due_b] == [(dt.date(2026, 4, 1), "overdue"), (dt.date(2026, 7, 1), "overdue")]


@pytest.mark.parametrize("seed", range(6))
def test_the_summary_the_evaluation_and_the_due_list_always_agree(tree, seed):
    """Generated cases: a few communities (some inactive), a requirement of a random frequency and start date,
    and reports of every status scattered over the year and the years around it. Whatever they are, each branch's
    owed and approved reports for the year are the same in the summary and the evaluation, and the secretary's
    due list holds exactly the owed periods of the last year with no report that stands."""
    rng = random.Random(seed)  # noqa: S311 -- repeatable generated cases, not secrets
    frequency = rng.choice([Frequency.QUARTERLY, Frequency.MONTHLY])
    starts_on = dt.date(2011, 1, 1) + dt.timedelta(days=rng.randrange(0, 3 * 365))
    ReportRequirement.objects.create(branch_kind="community", frequency=frequency, starts_on=starts_on)
    branches = [tree.branch_a, tree.branch_b]
    branches += [BranchFactory(parent=tree.district, kind="community") for _ in range(rng.randrange(0, 3))]
    periods = ended_periods(frequency, dt.date(2011, 6, 1), dt.date(2013, 6, 1))
    for branch in branches:
        for start, end in rng.sample(periods, k=rng.randrange(0, 8)):
            report(branch, start, end, status=rng.choice(list(Status)), frequency=frequency)
    if rng.random() < 0.5:
        Branch.objects.filter(pk=branches[-1].pk).update(active=False)
    judged = evaluation_reports(tree.district, 2012)
    summed = summary_reports(tree.district, frequency, 2012)
    active = set(Branch.objects.filter(active=True).values_list("name", flat=True))
    assert {name: value for name, value in summed.items() if name in active} == {
        name: value for name, value in judged.items() if value != (0, 0)
    }
    today = dt.date(2013, 1, 20)
    due = {(d.start, d.end) for d in selectors.due_reports(tree.secretary_a, today=today) if d.state != "returned"}
    since = today - dt.timedelta(days=selectors.LOOK_BACK_DAYS)
    branch_a = Branch.objects.get(pk=tree.branch_a.pk)
    owed = owed_reports([branch_a], since, today, today=today)
    assert due == {(o.start, o.end) for o in owed if o.report is None or o.report.status == Status.DRAFT}
    assert all(o.end >= starts_on or o.standing for o in owed)


def test_an_existing_requirement_starts_where_the_old_rule_did():
    """The migration gives each existing requirement the period before the one it was set up in."""
    from importlib import import_module

    migration = import_module("volunteer_portal.reports.migrations.0002_requirement_starts_on_march_share")
    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY)
    ReportRequirement.objects.create(branch_kind="street", frequency=Frequency.MONTHLY)
    ReportRequirement.objects.update(created_at=dt.datetime(2025, 8, 15, 2, tzinfo=dt.UTC))
    from django.apps import apps

    migration.start_where_the_old_rule_did(apps, None)
    starts = dict(ReportRequirement.objects.values_list("branch_kind", "starts_on"))
    assert starts == {"community": dt.date(2025, 4, 1), "street": dt.date(2025, 7, 1)}


def test_the_start_date_is_set_in_the_admin(admin_client):
    page = admin_client.get(reverse("admin:reports_reportrequirement_add"))
    text = page.content.decode()
    assert 'name="starts_on"' in text and "应报起始日期" in text and "2012-01-01" in text
    response = admin_client.post(
        reverse("admin:reports_reportrequirement_add"),
        {"frequency": "quarterly", "branch_kind": "community", "due_days": 10, "starts_on": "2012-01-01",
         "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ReportRequirement.objects.get().starts_on == dt.date(2012, 1, 1)


# --- 常态化: the March share -----------------------------------------------------------------------------------


def active_in(branch, months: list[int], year: int = 2025) -> None:
    for month in months:
        ActivityFactory(branch=branch, date=dt.date(year, month, 9))


def march(node, name: str):
    evaluation = next(e for e in evaluate(node, 2025, today=TODAY) if e.branch.name == name)
    return next(c for c in evaluation.checks if c.key == "march")


def test_work_concentrated_in_march_is_flagged(tree):
    active_in(tree.branch_a, [3, 3, 3, 3, 7])  # four of five in March
    active_in(tree.branch_b, [3, 9])  # exactly half: at most 50% passes
    check = march(tree.district, "丽景社区")
    assert not check.passed and check.label == "常态化（三月活动占比）"
    assert check.reason == "三月活动占全年 80.0%，超过 50%（三月来，四月走）"
    assert check.value == "4 / 5 (80.0%)" and check.threshold == "≤ 50%"
    assert march(tree.district, "北塔社区").passed
    assert not march(tree.district, "兴庆区残联").passed  # 5 of 7 over the district's subtree


def test_the_march_threshold_is_the_administrators(tree):
    active_in(tree.branch_a, [3, 3, 3, 3, 7])
    EvaluationCriteria.objects.update_or_create(
        pk=EvaluationCriteria.current().pk, defaults={"max_march_share_percent": 80}
    )
    assert march(tree.district, "丽景社区").passed
    EvaluationCriteria.objects.update(max_march_share_percent=79)
    assert not march(tree.district, "丽景社区").passed


def test_a_branch_with_no_activities_says_so_rather_than_passing(tree):
    check = march(tree.district, "北塔社区")
    assert not check.passed and check.value == "—"
    assert check.reason == "全年没有开展活动，无法计算三月活动占比"


def test_the_march_criterion_on_the_page_and_in_the_export(as_user, tree):
    active_in(tree.branch_a, [3, 3, 3, 3, 7])
    client = as_user(tree.root_leader)
    page = client.get(reverse("reports:evaluation-node", args=[tree.district.pk]), {"year": 2025}).content.decode()
    assert "常态化（三月活动占比）" in page and "三月活动占全年 80.0%，超过 50%（三月来，四月走）" in page
    response = client.get(reverse("reports:evaluation-xlsx", args=[tree.district.pk]), {"year": 2025})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = next(row for row in rows if row and row[0] == "单位")
    assert "常态化（三月活动占比）" in header
    branch_a = next(row for row in rows if row and row[0] == "丽景社区")
    assert "4 / 5 (80.0%)" in branch_a and "三月来，四月走" in branch_a[-1]


# --- the evaluation page: the ineligible first, a page at a time ---------------------------------------------


def test_the_evaluation_lists_the_ineligible_first_and_pages(as_user, tree):
    """27 branches judged: the district and every fourth of 24 communities (active all year, their member taking
    part) may be rated excellent; the two fixture communities (no activities) and the 18 active only in March may
    not. The 20 who may not fill the first page; the 7 who may come after."""
    eligible = {"兴庆区残联"}
    for n in range(24):
        branch = BranchFactory(parent=tree.district, kind="community", name=f"社区{n:02d}")
        if n % 4 == 0:
            member = MemberFactory(branch=branch)
            for month in range(1, 13):
                ParticipationFactory(
                    member=member, activity=ActivityFactory(branch=branch, date=dt.date(2025, month, 9))
                )
            eligible.add(branch.name)
        else:
            active_in(branch, [3])
    client = as_user(tree.root_leader)
    url = reverse("reports:evaluation-node", args=[tree.district.pk])

    def listed(**query) -> list:
        return list(client.get(url, {"year": 2025, **query}).context["page"].object_list)

    first, second = listed(), listed(page=2)
    assert len(first) == 20 and not any(r.eligible for r in first)
    assert {r.branch.name for r in second} == eligible and all(r.eligible for r in second)
    assert {r.branch.name for r in listed(show="eligible")} == eligible
    ineligible = client.get(url, {"year": 2025, "show": "ineligible"}).context["page"]
    assert ineligible.paginator.count == 20 and not any(r.eligible for r in ineligible.object_list)
    assert listed(show="ineligible", page=2) == ineligible.object_list  # one page only: the nearest real one


def test_a_bad_filter_keeps_the_year_and_lists_every_branch(as_user, tree):
    client = as_user(tree.root_leader)
    response = client.get(reverse("reports:evaluation-node", args=[tree.district.pk]), {"year": 2025, "show": "x"})
    assert response.status_code == 200 and response.context["year"] == 2025 and response.context["shown"] == ""
    none_eligible = client.get(reverse("reports:evaluation-node", args=[tree.district.pk]),
                               {"year": 2025, "show": "eligible"})  # fmt: skip
    assert "今年这里没有可以评先评优的单位" in none_eligible.content.decode()


@pytest.mark.parametrize("query", [{"year": 2025, "show": "ineligible"}, {"year": 2025, "page": 2}])
def test_outsiders_cannot_open_a_filtered_or_later_page(as_user, tree, client, query):
    url = reverse("reports:evaluation-node", args=[tree.district.pk])
    assert as_user(tree.secretary_b).get(url, query).status_code == 404
    client.logout()
    assert client.get(url, query)["Location"].startswith("/accounts/login/")

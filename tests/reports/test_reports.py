"""Branch reports: the workflow and who may make each move, frozen figures and drift, the organisation summary,
and the Word and Excel downloads."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from volunteer_portal.branches.selectors import forget_grants
from volunteer_portal.dashboards.periods import Frequency
from volunteer_portal.reports import selectors, services
from volunteer_portal.reports.models import BranchReport, ReportEvent, ReportRequirement

from ..factories import ActivityFactory, ActivityTypeFactory, MemberFactory, ParticipationFactory, RoleGrantFactory

pytestmark = pytest.mark.django_db

Q3 = dt.date(2026, 7, 1)  # the last quarter that has ended (today is 2026-11-28 on this machine and in CI)


@pytest.fixture
def as_user(db):
    """Here each user gets a client of their own: a secretary and a leader take turns on one report."""
    from django.test import Client

    def sign_in(user):
        client = Client()
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def requirement(tree):
    """Communities report quarterly, since before this year: every quarter of 2026 is owed, whatever today is."""
    from volunteer_portal.branches.models import Branch

    requirement = ReportRequirement.objects.create(
        branch_kind="community", frequency=Frequency.QUARTERLY, starts_on=dt.date(2025, 7, 1)
    )
    Branch.objects.update(created_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    return requirement


@pytest.fixture
def work(tree):
    """Two activities of branch_a in Q3 with three participations; one of branch_b."""
    visit = ActivityTypeFactory(name="走访慰问")
    members = [MemberFactory(branch=tree.branch_a) for _ in range(2)]
    first = ActivityFactory(branch=tree.branch_a, type=visit, date=dt.date(2026, 7, 5), title="七月走访")
    second = ActivityFactory(branch=tree.branch_a, type=visit, date=dt.date(2026, 8, 9), title="八月走访")
    for member in members:
        ParticipationFactory(activity=first, member=member)
    ParticipationFactory(activity=second, member=members[0])
    ActivityFactory(branch=tree.branch_b, type=visit, date=dt.date(2026, 7, 6))
    return first


def draft(client, branch, start=Q3):
    response = client.post(
        reverse("reports:report-start"),
        {"branch": branch.pk, "frequency": "quarterly", "year": start.year, "number": (start.month - 1) // 3 + 1},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return BranchReport.objects.get(branch=branch, period_start=start)


def edit(client, report, submit=False, **sections):
    report.refresh_from_db()
    data = {name: sections.get(name, getattr(report, name)) for name in services.NARRATIVE}
    if "typical_activities" in sections:
        data["typical_activities"] = sections["typical_activities"]
    if submit:
        data["submit"] = "1"
    return client.post(reverse("reports:report-edit", args=[report.pk]), data)


def review(client, report, decision, comment=""):
    return client.post(reverse("reports:report-review", args=[report.pk]), {"decision": decision, "comment": comment})


# --- the workflow --------------------------------------------------------------------------------------------


def test_a_draft_is_prefilled_with_the_figures_in_sentences(as_user, tree, work):
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    assert report.status == "draft" and report.figures is None
    assert report.period_start == Q3 and report.period_end == dt.date(2026, 9, 30)
    assert "丽景社区" in report.basic_situation and "2 次学雷锋活动" in report.basic_situation
    assert "3 人次" in report.basic_situation and "志愿服务 6.0 小时" in report.basic_situation
    assert "走访慰问：2 次，6.0 小时" in report.practices
    page = as_user(tree.secretary_a).get(reverse("reports:report-edit", args=[report.pk])).content.decode()
    assert "2 次学雷锋活动" in page and "七月走访" in page  # the typical-case checkboxes list the period's activities


def test_the_whole_workflow_with_who_may_do_what(as_user, tree, work):
    secretary = as_user(tree.secretary_a)
    report = draft(secretary, tree.branch_a)
    edit(secretary, report, problems="人手不足")
    # A secretary cannot approve (not even their own branch's report).
    assert review(secretary, report, "approve").status_code == 403

    assert edit(secretary, report, submit=True).status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted" and report.figures["total"]["activities"] == 2
    # Nobody edits a submitted report: the page says so and the text stays.
    response = secretary.get(reverse("reports:report-edit", args=[report.pk]), follow=True)
    assert "不能再修改" in response.content.decode()
    edit(secretary, report, problems="改了")
    report.refresh_from_db()
    assert report.problems == "人手不足"

    leader = as_user(tree.district_leader)
    # Returning needs a comment, which the branch then sees.
    response = review(leader, report, "return", "")
    report.refresh_from_db()
    assert report.status == "submitted"
    assert review(leader, report, "return", "请补充典型案例").status_code == 302
    report.refresh_from_db()
    assert report.status == "returned"
    page = secretary.get(report.get_absolute_url()).content.decode()
    assert "请补充典型案例" in page
    home = secretary.get(reverse("home")).content.decode()
    assert "被退回" in home and "丽景社区" in home

    # A returned report is edited and submitted again; the leader approves it.
    edit(secretary, report, submit=True, practices="补充了典型案例", typical_activities=[work.pk])
    report.refresh_from_db()
    assert report.status == "submitted" and report.practices == "补充了典型案例"
    assert review(leader, report, "approve").status_code == 302
    report.refresh_from_db()
    assert report.status == "approved"
    assert edit(secretary, report, problems="x").status_code == 302 and BranchReport.objects.get().problems != "x"

    events = [(e.action, e.actor.username) for e in report.events.order_by("at", "pk")]
    assert events == [
        ("created", "secretary_a"),
        ("submitted", "secretary_a"),
        ("returned", "district_leader"),
        ("submitted", "secretary_a"),
        ("approved", "district_leader"),
    ]
    assert ReportEvent.objects.get(action="returned").comment == "请补充典型案例"


def test_the_typical_cases_are_kept_and_shown(as_user, tree, work):
    secretary = as_user(tree.secretary_a)
    report = draft(secretary, tree.branch_a)
    data = {name: getattr(report, name) for name in services.NARRATIVE}
    secretary.post(reverse("reports:report-edit", args=[report.pk]), {**data, "typical_activities": [work.pk]})
    page = secretary.get(report.get_absolute_url()).content.decode()
    assert "典型案例" in page and "七月走访" in page


def test_a_period_that_has_not_ended_cannot_be_submitted(as_user, tree, work):
    secretary = as_user(tree.secretary_a)
    report = draft(secretary, tree.branch_a, start=dt.date(2026, 10, 1))
    response = secretary.post(reverse("reports:report-submit", args=[report.pk]), follow=True)
    assert "尚未结束" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "draft"


def test_a_future_period_cannot_be_drafted(as_user, tree):
    today = timezone.localdate()
    response = as_user(tree.secretary_a).post(
        reverse("reports:report-start"), {"branch": tree.branch_a.pk, "frequency": "yearly", "year": today.year}
    )
    assert response.status_code == 302 and BranchReport.objects.count() == 1  # this year has begun: allowed
    if today.month < 12:
        response = as_user(tree.secretary_a).post(
            reverse("reports:report-start"), {"branch": tree.branch_a.pk, "frequency": "monthly", "year": today.year,
                                              "number": today.month + 1}, follow=True)  # fmt: skip
        assert "尚未开始" in response.content.decode() and BranchReport.objects.count() == 1
    response = as_user(tree.secretary_a).post(
        reverse("reports:report-start"), {"branch": tree.branch_a.pk, "frequency": "yearly", "year": 10000},
        follow=True)  # fmt: skip
    assert "请选择报告的单位和时段" in response.content.decode() and BranchReport.objects.count() == 1


def test_odd_years_in_the_address_show_the_default_period(as_user, tree):
    client = as_user(tree.district_leader)
    for year in ("9999", "99999999999999999999999", "-1", "二〇二六"):
        for name in ("reports:summary-node", "reports:summary-xlsx", "reports:evaluation-node"):
            response = client.get(reverse(name, args=[tree.district.pk]), {"frequency": "quarterly", "year": year,
                                                                          "number": 4})  # fmt: skip
            assert response.status_code == 200, (name, year)


def test_the_written_sentences_follow_the_figures_up_to_submission(as_user, tree, work):
    secretary = as_user(tree.secretary_a)
    report = draft(secretary, tree.branch_a)
    ActivityFactory(branch=tree.branch_a, type=work.type, date=dt.date(2026, 9, 20))  # recorded after the draft
    edit(secretary, report, next_steps="继续走访。")  # the secretary's own text is kept
    services.report_submit(actor=tree.secretary_a, report=report)
    report.refresh_from_db()
    assert "3 次学雷锋活动" in report.basic_situation and report.figures["total"]["activities"] == 3
    assert "走访慰问：3 次" in report.practices and report.next_steps == "继续走访。"
    other = as_user(tree.secretary_b)
    edited = draft(other, tree.branch_b)
    edit(other, edited, basic_situation="我们自己写的情况。")
    services.report_submit(actor=tree.secretary_b, report=edited)
    edited.refresh_from_db()
    assert edited.basic_situation == "我们自己写的情况。"


def test_bad_period_input_is_refused_with_a_message(as_user, tree):
    for data in ({"branch": tree.branch_a.pk, "frequency": "quarterly", "year": 2026, "number": 7},
                 {"branch": tree.branch_b.pk, "frequency": "quarterly", "year": 2026, "number": 1},
                 {"branch": "x", "frequency": "weekly", "year": "二〇二六"}):  # fmt: skip
        response = as_user(tree.secretary_a).post(reverse("reports:report-start"), data, follow=True)
        assert response.status_code == 200 and "请选择报告的单位和时段" in response.content.decode()
    assert not BranchReport.objects.exists()


def test_a_leader_of_another_subtree_and_another_secretary_see_nothing(as_user, tree, work, client):
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    other_leader = RoleGrantFactory(branch=tree.branch_b, role="leader").user
    urls = [
        reverse(name, args=[report.pk])
        for name in ("reports:report-detail", "reports:report-edit", "reports:report-docx", "reports:report-xlsx")
    ]
    posts = [reverse(name, args=[report.pk]) for name in ("reports:report-submit", "reports:report-review")]
    for user in (tree.secretary_b, other_leader):
        c = as_user(user)
        for url in urls:
            assert c.get(url).status_code in (403, 404), url
            if "edit" not in url:
                assert c.get(url).status_code == 404, url
        for url in posts:
            assert c.post(url, {"decision": "approve"}).status_code in (403, 404), url
    assert as_user(other_leader).get(reverse("reports:report-list")).content.decode().count("丽景社区") == 0
    client.logout()
    for url in [*urls, *posts, reverse("reports:report-list"), reverse("reports:summary")]:
        response = client.get(url)
        assert response.status_code in (302, 405) and (
            response.status_code == 405 or "/accounts/login/" in response["Location"]
        )
    report.refresh_from_db()
    assert report.status == "submitted"


def test_whoever_submitted_a_report_cannot_approve_it(as_user, tree, work):
    RoleGrantFactory(user=tree.secretary_a, branch=tree.district, role="leader")
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    assert review(as_user(tree.secretary_a), report, "approve").status_code == 403
    report.refresh_from_db()
    assert report.status == "submitted"


def test_a_leader_of_the_branch_itself_cannot_approve_but_an_ancestors_can(as_user, tree, work):
    own_leader = RoleGrantFactory(branch=tree.branch_a, role="leader").user
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    assert review(as_user(own_leader), report, "approve").status_code == 403
    assert as_user(own_leader).get(report.get_absolute_url()).status_code == 200  # they read it
    response = review(as_user(tree.root_leader), report, "maybe")
    report.refresh_from_db()
    assert response.status_code == 302 and report.status == "submitted"  # an unknown decision changes nothing
    assert review(as_user(tree.root_leader), report, "approve").status_code == 302
    report.refresh_from_db()
    assert report.status == "approved"


def test_a_superuser_reads_and_reviews_every_report(as_user, tree, work, superuser):
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    admin = as_user(superuser)
    for url in (report.get_absolute_url(), reverse("reports:report-docx", args=[report.pk]),
                reverse("members:member-record", args=[work.participations.first().member_id]),
                reverse("activities:activity-detail", args=[work.pk])):  # fmt: skip
        assert admin.get(url).status_code == 200, url
    assert review(admin, report, "approve").status_code == 302
    report.refresh_from_db()
    assert report.status == "approved"


# --- frozen figures and drift --------------------------------------------------------------------------------


def test_frozen_figures_do_not_move_and_the_summary_flags_the_drift(as_user, tree, work, requirement):
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 9, 1), type=work.type)  # recorded afterwards
    report.refresh_from_db()
    assert report.figures["total"]["activities"] == 2
    assert ("活动", 2, 3) in [(label, then, now) for label, then, now in selectors.drift(report)]
    page = as_user(tree.secretary_a).get(report.get_absolute_url()).content.decode()
    assert "提交后记录有改动" in page and "报告中为 2，现在为 3" in page

    summary = selectors.organisation_summary(tree.district, Frequency.QUARTERLY, Q3)
    flagged = {row.branch.name: row.drift for row in summary.rows}
    assert flagged["丽景社区"] and not flagged["北塔社区"]
    page = (
        as_user(tree.district_leader)
        .get(
            reverse("reports:summary-node", args=[tree.district.pk]),
            {"frequency": "quarterly", "year": 2026, "number": 3},
        )
        .content.decode()
    )
    assert "1 份报告与记录不一致" in page and "活动 2 → 3" in page


def test_the_summary_counts_states_and_rolls_up_the_frozen_figures(as_user, tree, work, requirement):
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    summary = selectors.organisation_summary(tree.district, Frequency.QUARTERLY, Q3)
    states = {row.branch.name: row.state for row in summary.rows}
    assert states == {"丽景社区": "submitted", "北塔社区": "missing"}
    assert summary.counts["submitted"] == 1 and summary.counts["missing"] == 1
    assert summary.totals["activities"] == 2 and summary.totals["participations"] == 3
    children = {child.name: (figures["activities"], done, owed) for child, figures, done, owed in summary.children}
    assert children == {"丽景社区": (2, 1, 1), "北塔社区": (0, 0, 1)}


def test_a_street_and_its_communities_add_up_without_counting_twice(as_user, tree, work):
    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY)
    ReportRequirement.objects.create(branch_kind="district", frequency=Frequency.QUARTERLY)
    from django.contrib.auth import get_user_model

    RoleGrantFactory(user=tree.secretary_a, branch=tree.district, role="secretary")
    secretary = get_user_model().objects.get(pk=tree.secretary_a.pk)  # a fresh user: the grants are read anew
    ActivityFactory(branch=tree.district, date=dt.date(2026, 8, 1), type=work.type)
    for branch in (tree.district, tree.branch_a, tree.branch_b):
        report = services.report_create(actor=secretary, branch=branch, frequency="quarterly", start=Q3)
        services.report_submit(actor=secretary, report=report)
    district = BranchReport.objects.get(branch=tree.district)
    assert district.figures["total"]["activities"] == 4  # its report states its whole subtree
    summary = selectors.organisation_summary(tree.root, Frequency.QUARTERLY, Q3)
    assert summary.totals["activities"] == 4  # 1 own + 2 + 1, not 4 + 2 + 1


# --- downloads -----------------------------------------------------------------------------------------------


def test_the_word_report_reopens_with_the_branch_period_and_figures(as_user, tree, work):
    secretary = as_user(tree.secretary_a)
    report = draft(secretary, tree.branch_a)
    edit(secretary, report, typical_activities=[work.pk])
    services.report_submit(actor=tree.secretary_a, report=report)
    response = secretary.get(reverse("reports:report-docx", args=[report.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "丽景社区" in text and "2026年第3季度" in text
    assert "一、基本情况" in text and "二、主要做法和成效" in text and "四、下一步打算" in text
    assert "2 次学雷锋活动" in text and "七月走访" in text  # figures in sentences, and the typical case
    assert cells[cells.index("活动") + 1] == "2" and cells[cells.index("参与人次") + 1] == "3"


def test_the_word_summary_has_a_table_per_branch(as_user, tree, work, requirement):
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    response = as_user(tree.district_leader).get(
        reverse("reports:summary-docx", args=[tree.district.pk]), {"frequency": "quarterly", "year": 2026, "number": 3}
    )
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "兴庆区残联" in text and "2026年第3季度" in text and "2 次活动" in text
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["丽景社区", "1 / 1", "2", "3", "6.0", "0", "0.00"] in rows
    assert any(row[:2] == ["北塔社区", "未提交"] for row in rows)


def test_the_excel_downloads_carry_the_same_figures(as_user, tree, work, requirement):
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    sheet = load_workbook(io.BytesIO(as_user(tree.secretary_a).get(
        reverse("reports:report-xlsx", args=[report.pk])).content)).active  # fmt: skip
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["活动"] == 2 and values["志愿服务时长"] == 6 and "丽景社区" in sheet["A1"].value
    summary = load_workbook(io.BytesIO(as_user(tree.district_leader).get(
        reverse("reports:summary-xlsx", args=[tree.district.pk]),
        {"frequency": "quarterly", "year": 2026, "number": 3}).content)).active  # fmt: skip
    rows = list(summary.iter_rows(values_only=True))
    assert ("丽景社区", "待审核", 2, 3, 6, 0, 0, None) in rows


# --- what is due, and query counts ---------------------------------------------------------------------------


def test_the_home_page_lists_reports_due_overdue_and_returned(as_user, tree, requirement):
    due = selectors.due_reports(tree.secretary_a, today=dt.date(2026, 10, 5))
    assert [(d.start, d.state) for d in due][-1] == (Q3, "due")  # due by 10 October
    due = selectors.due_reports(tree.secretary_a, today=dt.date(2026, 11, 28))
    assert (Q3, "overdue") in [(d.start, d.state) for d in due]
    assert all(d.branch == tree.branch_a for d in due)
    page = as_user(tree.secretary_a).get(reverse("home")).content.decode()
    assert "要写的报告" in page and "超期" in page
    assert "要写的报告" not in as_user(tree.district_leader).get(reverse("reports:report-list")).content.decode()


def test_report_pages_keep_their_query_count_as_reports_grow(as_user, tree, work, requirement, assert_flat_queries):
    from ..factories import BranchFactory

    leader = as_user(tree.district_leader)
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)

    def grow():
        for n in range(6):
            branch = BranchFactory(parent=tree.district, kind="community", name=f"新社区{n}")
            RoleGrantFactory(user=tree.secretary_a, branch=branch)
            forget_grants(tree.secretary_a)  # the grants are cached per user object
            ActivityFactory(branch=branch, date=dt.date(2026, 8, 1), type=work.type)
            created = services.report_create(actor=tree.secretary_a, branch=branch, frequency="quarterly", start=Q3)
            services.report_submit(actor=tree.secretary_a, report=created)

    period = {"frequency": "quarterly", "year": 2026, "number": 3}
    summary_url = reverse("reports:summary-node", args=[tree.district.pk])
    assert_flat_queries(lambda: leader.get(summary_url, period), grow, queries=13, also=[
        (lambda: leader.get(reverse("reports:report-list")), 5),
        (lambda: leader.get(report.get_absolute_url()), 21),  # +2: who the people in the history are
    ])  # fmt: skip


def test_a_report_page_and_its_word_file_keep_their_query_count(as_user, tree, work, assert_flat_queries):
    from volunteer_portal.reports.models import TypicalActivity

    secretary = as_user(tree.secretary_a)
    report = draft(secretary, tree.branch_a)
    child_type = ActivityTypeFactory(name="入户慰问", parent=work.type)  # its name shows its parent's too

    def grow():
        for day in range(1, 9):
            activity = ActivityFactory(branch=tree.branch_a, type=child_type, date=dt.date(2026, 9, day))
            TypicalActivity.objects.create(report=report, activity=activity)

    docx = reverse("reports:report-docx", args=[report.pk])
    assert_flat_queries(lambda: secretary.get(report.get_absolute_url()), grow, queries=21,
                        also=[(lambda: secretary.get(docx), 16)])  # fmt: skip


def test_the_summary_owes_the_same_reports_as_the_evaluation_and_the_due_list(as_user, tree):
    """A requirement owing reports from 2026 Q1 on owes none for 2025: the summary said 2025 Q4's reports were
    missing while the evaluation said none was needed."""
    from volunteer_portal.branches.models import Branch
    from volunteer_portal.reports.evaluation import evaluate

    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY,
                                     starts_on=dt.date(2026, 1, 1))  # fmt: skip
    Branch.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    before = selectors.organisation_summary(tree.district, Frequency.QUARTERLY, dt.date(2025, 10, 1))
    assert before.rows == [] and sum(before.counts.values()) == 0
    reports_check = [c for e in evaluate(tree.district, 2025) for c in e.checks if c.key == "reports"]
    assert all(check.passed for check in reports_check)
    owed = selectors.organisation_summary(tree.district, Frequency.QUARTERLY, dt.date(2026, 1, 1))
    assert {row.branch.name: row.state for row in owed.rows} == {"丽景社区": "missing", "北塔社区": "missing"}
    due = selectors.due_reports(tree.secretary_a, today=dt.date(2026, 6, 15))
    assert [(d.branch.name, d.start) for d in due] == [("丽景社区", dt.date(2026, 1, 1))]

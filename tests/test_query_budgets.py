"""Query budgets of the pages and downloads the app tests do not pin: each runs an exact number of queries at
two sizes that differ (STYLE.md: "query counts are part of the contract")."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from activities.models import CampaignTarget
from beneficiaries.models import RosterImport
from beneficiaries.services import visit_record
from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.dashboards.periods import Frequency
from volunteer_portal.reports import services
from volunteer_portal.reports.models import ReportRequirement

from .factories import (
    ActivityFactory,
    BeneficiaryFactory,
    BranchFactory,
    CampaignFactory,
    MemberFactory,
    ParticipationFactory,
    RoleGrantFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db
YEAR = 2026


def communities(tree, count: int, start: int = 0) -> list:
    """More communities under the district, each with a member who took part in an activity this year."""
    made = []
    for n in range(start, start + count):
        branch = BranchFactory(parent=tree.district, kind="community", name=f"社区{n}")
        ParticipationFactory(activity=ActivityFactory(branch=branch, date=dt.date(YEAR, 3, 5)),
                             member=MemberFactory(branch=branch))  # fmt: skip
        MemberFactory(branch=branch)  # and one who did not
        made.append(branch)
    return made


def test_the_dashboard_export_and_the_non_participants(as_user, tree, assert_flat_queries):
    communities(tree, 2)
    client = as_user(tree.district_leader)
    period = {"period": "year", "year": YEAR}
    export = reverse("dashboards:dashboard-export", args=[tree.district.pk])
    missing = reverse("dashboards:non-participants", args=[tree.district.pk])
    assert_flat_queries(lambda: client.get(export, period), lambda: communities(tree, 12, start=2), queries=13,
                        also=[(lambda: client.get(missing, period), 6)])  # fmt: skip


def test_the_roster_export(as_user, tree, assert_flat_queries):
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True, may_export=True)
    BeneficiaryFactory.create_batch(2, branch=tree.branch_a)
    client = as_user(tree.secretary_a)

    def grow():
        BeneficiaryFactory.create_batch(20, branch=tree.branch_a)
        BeneficiaryFactory.create_batch(5, branch=tree.branch_b)  # not exported: out of scope

    # One count decides whether the file is made now or by the worker (EXPORT_INLINE_MAX_ROWS).
    assert_flat_queries(lambda: client.get(reverse("beneficiaries:beneficiary-export")), grow, queries=6)


def roster(start: int, count: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from beneficiaries import imports

    book = Workbook()
    headers = imports.headers()
    book.active.append([headers[name] for name in imports.COLUMNS])
    for n in range(start, start + count):
        row = {"name": f"导入{n}", "gender": "男", "id_number": make_id_number(n), "disability_category": "肢体残疾",
               "disability_grade": "一级", "consent_given_by": "本人", "consent_given_on": "2026-01-05"}  # fmt: skip
        book.active.append([row.get(name, "") for name in imports.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


def test_the_import_pages(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    batch: list[RosterImport] = []

    def upload(start: int, count: int) -> None:
        client.post(reverse("beneficiaries:import-start"), {"file": roster(start, count)})
        batch[:] = [RosterImport.objects.order_by("-pk").first()]
        while batch[0].status == RosterImport.Status.CHECKING:
            client.post(reverse("beneficiaries:import-check", args=[batch[0].pk]))
            batch[0].refresh_from_db()

    upload(1, 2)
    assert_flat_queries(lambda: client.get(batch[0].get_absolute_url()), lambda: upload(100, 30), queries=8,
                        also=[(lambda: client.get(reverse("beneficiaries:import-start")), 4)])  # fmt: skip


def test_the_summary_and_evaluation_downloads(as_user, tree, assert_flat_queries):
    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY)
    RoleGrantFactory(user=tree.secretary_a, branch=tree.district, role=RoleGrant.Role.SECRETARY)
    secretary = type(tree.secretary_a).objects.get(pk=tree.secretary_a.pk)

    def reports_for(branches) -> None:
        for branch in branches:
            report = services.report_create(actor=secretary, branch=branch, frequency="quarterly",
                                            start=dt.date(YEAR, 1, 1))  # fmt: skip
            services.report_submit(actor=secretary, report=report)

    reports_for(communities(tree, 2))
    client = as_user(tree.root_leader)
    period = {"frequency": "quarterly", "year": YEAR, "number": 1}
    summary = [reverse(f"reports:summary-{kind}", args=[tree.district.pk]) for kind in ("docx", "xlsx")]
    evaluation = reverse("reports:evaluation-xlsx", args=[tree.district.pk])
    assert_flat_queries(
        lambda: client.get(summary[0], period),
        lambda: reports_for(communities(tree, 10, start=2)),
        queries=13,
        also=[(lambda: client.get(summary[1], period), 13), (lambda: client.get(evaluation, {"year": YEAR}), 15)],
    )


def test_the_campaign_pages(as_user, tree, assert_flat_queries):
    campaign = CampaignFactory(branch=tree.district, start=dt.date(YEAR, 1, 1), end=dt.date(YEAR, 12, 31))
    common = {"campaign": campaign, "quantity": 1}
    CampaignTarget.objects.create(name="每个社区慰问1户", metric="households", subject="branch",
                                  branch_kind="community", **common)  # fmt: skip
    CampaignTarget.objects.create(name="每个社区开展1次活动", metric="activities", subject="branch",
                                  branch_kind="community", **common)  # fmt: skip
    CampaignTarget.objects.create(name="班子成员每人慰问1户", metric="visits", subject="member", leadership_only=True,
                                  **common)  # fmt: skip
    CampaignTarget.objects.create(name="每人服务2小时", metric="hours", subject="member", **common)

    def grow(count: int, start: int = 0) -> None:
        for branch in communities(tree, count, start=start):
            leader = MemberFactory(branch=branch, is_leadership=True, joined_on=dt.date(2010, 1, 1))
            visit_record(actor=None, beneficiary=BeneficiaryFactory(branch=branch), branch=tree.district,
                         date=dt.date(YEAR, 3, 9), visitors=[leader])  # fmt: skip

    grow(2)
    client = as_user(tree.district_leader)
    assert_flat_queries(lambda: client.get(campaign.get_absolute_url()), lambda: grow(12, start=2), queries=8,
                        also=[(lambda: client.get(reverse("campaigns:campaign-list")), 5)])  # fmt: skip


def test_the_evaluation_page_a_page_at_a_time(as_user, tree, assert_flat_queries):
    """A thousand branches made 586 KB of HTML on one page: it now shows 20 at a time, the ineligible first, and
    reads the same number of queries whatever the size of the subtree or the page shown."""
    communities(tree, 25)
    client = as_user(tree.root_leader)
    url = reverse("reports:evaluation-node", args=[tree.district.pk])
    page = client.get(url, {"year": YEAR})
    assert len(page.context["page"].object_list) == 20
    later = {"year": YEAR, "page": 2, "show": "ineligible"}
    assert_flat_queries(lambda: client.get(url, {"year": YEAR}), lambda: communities(tree, 15, start=25), queries=16,
                        also=[(lambda: client.get(url, later), 16)])  # fmt: skip


def test_the_notifications_page(as_user, tree, assert_flat_queries):
    from volunteer_portal.reminders.models import Channel, Kind, Reminder

    def notify(start: int, count: int) -> None:
        Reminder.objects.bulk_create(
            Reminder(channel=Channel.PORTAL, user=tree.secretary_a, kind=Kind.REPORT_OVERDUE, subject=f"report:{n}",
                     period="overdue", title=f"汇报逾期 {n}", link="/reports/", status=Reminder.Status.SENT)
            for n in range(start, start + count)
        )  # fmt: skip

    notify(0, 2)
    client = as_user(tree.secretary_a)
    url = reverse("reminders:notification-list")
    # session, user, the page's count and rows; the bell's count is kept in the session
    assert_flat_queries(lambda: client.get(url), lambda: notify(2, 30), queries=4,
                        also=[(lambda: client.get(url, {"page": 2}), 4)])  # fmt: skip

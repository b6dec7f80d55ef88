"""Each rule of issue 17: who is reminded of what, once; and what a message may say."""

import datetime as dt

import pytest

from beneficiaries.models import Pairing
from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.dashboards.periods import Frequency
from volunteer_portal.reminders import rules
from volunteer_portal.reminders.models import Channel, Kind, Reminder
from volunteer_portal.reminders.services import send_reminders
from volunteer_portal.reports import services as report_services
from volunteer_portal.reports.models import ReportRequirement

from ..factories import (
    ActivityFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    RoleGrantFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)  # a Wednesday


def run(today=TODAY):
    return send_reminders(today=today, sleep=lambda seconds: None)


def kinds(user, channel=Channel.PORTAL):
    return sorted(Reminder.objects.filter(user=user, channel=channel).values_list("kind", flat=True))


@pytest.fixture
def paired(tree):
    """A member of branch_a with a login, paired with 杨秀英 of 丽景社区 (branch_a)."""
    user = UserFactory(username="zhangwei", email="zhangwei@example.org")
    member = MemberFactory(branch=tree.branch_a, name="张伟", user=user)
    household = BeneficiaryFactory(branch=tree.branch_a, name="杨秀英")
    return user, member, household


def pair(member, household, *, due_in: int) -> Pairing:
    """A pairing never visited whose contact is due `due_in` days after TODAY (negative: overdue)."""
    return PairingFactory(member=member, beneficiary=household, interval_days=60,
                          start_date=TODAY - dt.timedelta(days=60 - due_in))  # fmt: skip


def test_a_pairing_due_within_7_days_reminds_the_member_once(paired):
    user, member, household = paired
    pairing = pair(member, household, due_in=5)
    assert len(run().planned) > 0
    reminder = Reminder.objects.get(user=user, channel=Channel.PORTAL, kind=Kind.PAIRING_DUE)
    assert reminder.subject == f"pairing:{pairing.pk}"
    assert reminder.link == f"/me/pairings/{pairing.pk}/visit/"  # the member's own form, which they may open
    assert run().planned == [] and run(TODAY + dt.timedelta(days=1)).planned == []
    assert Reminder.objects.filter(user=user, kind=Kind.PAIRING_DUE).count() == 2  # the bell and an email


def test_a_pairing_due_in_8_days_is_not_yet_reminded(paired):
    user, member, household = paired
    pair(member, household, due_in=8)
    run()
    assert kinds(user) == []


def test_overdue_once_then_one_weekly_reminder_while_it_stays_overdue(paired):
    user, member, household = paired
    pair(member, household, due_in=-3)
    run()
    assert kinds(user) == [Kind.PAIRING_OVERDUE]
    run(TODAY + dt.timedelta(days=1))  # the same week: nothing new
    assert kinds(user) == [Kind.PAIRING_OVERDUE]
    monday = TODAY + dt.timedelta(days=5)
    for day in range(7):
        run(monday + dt.timedelta(days=day))
    assert kinds(user) == [Kind.PAIRING_OVERDUE, Kind.PAIRINGS_WEEKLY]
    run(monday + dt.timedelta(days=7))
    assert kinds(user) == [Kind.PAIRING_OVERDUE, Kind.PAIRINGS_WEEKLY, Kind.PAIRINGS_WEEKLY]
    assert {r.link for r in Reminder.objects.filter(user=user, kind=Kind.PAIRINGS_WEEKLY)} == {"/me/"}


def test_a_visit_by_the_member_ends_the_reminders(paired):
    user, member, household = paired
    pair(member, household, due_in=-3)
    VisitFactory(beneficiary=household, branch=member.branch, date=TODAY - dt.timedelta(days=1), visitors=[member])
    run()
    assert kinds(user) == []


def test_the_due_soon_reminder_comes_again_for_the_next_due_date(paired):
    user, member, household = paired
    pair(member, household, due_in=5)
    run()
    VisitFactory(beneficiary=household, branch=member.branch, date=TODAY + dt.timedelta(days=3), visitors=[member])
    run(TODAY + dt.timedelta(days=57))  # the next contact is due 60 days after the visit
    assert kinds(user) == [Kind.PAIRING_DUE, Kind.PAIRING_DUE]


def test_a_member_without_a_login_is_not_reminded_but_the_secretary_digest_names_the_pairing(tree):
    member = MemberFactory(branch=tree.branch_a, name="王芳")
    pair(member, BeneficiaryFactory(branch=tree.branch_a, name="欧阳明"), due_in=-10)
    run()
    assert Reminder.objects.filter(kind__in=[Kind.PAIRING_DUE, Kind.PAIRING_OVERDUE]).count() == 0
    digest = Reminder.objects.get(user=tree.secretary_a, kind=Kind.SECRETARY_WEEKLY)
    assert "欧阳某某" in digest.body and "丽景社区" in digest.body and "王芳" in digest.body
    assert not Reminder.objects.filter(user=tree.secretary_b).exists()  # another branch's secretary
    run(TODAY + dt.timedelta(days=2))
    assert Reminder.objects.filter(user=tree.secretary_a, kind=Kind.SECRETARY_WEEKLY).count() == 1


def test_messages_name_a_household_by_surname_and_community_never_in_full_nor_by_number(paired):
    _user, member, household = paired
    pair(member, household, due_in=-3)
    run(TODAY + dt.timedelta(days=7))
    assert Reminder.objects.exists()
    for reminder in Reminder.objects.all():
        text = reminder.title + reminder.body
        assert "杨秀英" not in text and household.id_number not in text and household.id_number[-6:] not in text
    assert "杨某某（丽景社区）" in Reminder.objects.filter(kind=Kind.PAIRING_OVERDUE).first().title


def test_surnames():
    from beneficiaries.privacy import surname_only

    assert [surname_only(name) for name in ["杨秀英", "欧阳明", "欧阳", "王", " 李强 ", ""]] == [
        "杨某某", "欧阳某某", "欧某某", "王某某", "李某某", ""]  # fmt: skip


# --- reports -------------------------------------------------------------------------------------------------


@pytest.fixture
def quarterly(tree):
    return ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY, due_days=10,
                                            starts_on=dt.date(2026, 7, 1))  # fmt: skip


def test_a_report_due_within_5_days_then_overdue_reminds_the_branchs_secretaries_once_each(tree, quarterly):
    other = UserFactory(username="deputy_a")
    RoleGrantFactory(user=other, branch=tree.branch_a, role=RoleGrant.Role.SECRETARY)
    run(dt.date(2026, 10, 4))  # Q3 is due on 10-10: six days ahead
    assert kinds(tree.secretary_a) == []
    run(dt.date(2026, 10, 5))
    assert kinds(tree.secretary_a) == kinds(other) == [Kind.REPORT_DUE]
    run(dt.date(2026, 10, 6))
    run(dt.date(2026, 10, 11))  # a Sunday: overdue, and in that week's digest
    run(dt.date(2026, 10, 12))  # Monday: the next week's digest; the overdue notice is not repeated
    run(dt.date(2026, 10, 13))
    assert kinds(tree.secretary_a) == [Kind.REPORT_DUE, Kind.REPORT_OVERDUE, Kind.SECRETARY_WEEKLY,
                                       Kind.SECRETARY_WEEKLY]  # fmt: skip
    overdue = Reminder.objects.get(user=tree.secretary_a, kind=Kind.REPORT_OVERDUE)
    assert overdue.link == "/reports/" and "丽景社区" in overdue.title
    # the district's leader is told in the weekly digest; nobody else is sent the community's report
    assert not Reminder.objects.filter(user=tree.secretary_b, title__contains="丽景社区").exists()


def test_a_report_is_reminded_to_the_nearest_secretary_only(tree, quarterly):
    district_secretary = UserFactory(username="district_secretary")
    RoleGrantFactory(user=district_secretary, branch=tree.district, role=RoleGrant.Role.SECRETARY)
    RoleGrant.objects.filter(user=tree.secretary_b).delete()
    run(dt.date(2026, 10, 12))
    titles = list(Reminder.objects.filter(user=district_secretary, kind=Kind.REPORT_OVERDUE).values_list(
        "title", flat=True))  # fmt: skip
    assert len(titles) == 1 and "北塔社区" in titles[0]  # branch_b has no secretary of its own now


def test_a_submitted_report_is_not_reminded_and_a_returned_one_is_each_time(tree, quarterly):
    report = report_services.report_create(actor=tree.secretary_a, branch=tree.branch_a,
                                           frequency=Frequency.QUARTERLY, start=dt.date(2026, 7, 1))  # fmt: skip
    report_services.report_submit(actor=tree.secretary_a, report=report)
    run(dt.date(2026, 10, 12))
    assert kinds(tree.secretary_a) == []
    report_services.report_review(actor=tree.root_leader, report=report, approve=False, comment="请补充")
    run(dt.date(2026, 10, 13))
    returned = Reminder.objects.get(user=tree.secretary_a, kind=Kind.REPORT_RETURNED)
    assert returned.link == report.get_absolute_url()
    run(dt.date(2026, 10, 14))
    report_services.report_submit(actor=tree.secretary_a, report=report)
    report_services.report_review(actor=tree.root_leader, report=report, approve=False, comment="再补充")
    run(dt.date(2026, 10, 14))
    assert Reminder.objects.filter(user=tree.secretary_a, kind=Kind.REPORT_RETURNED).count() == 2


# --- leaders -------------------------------------------------------------------------------------------------


def test_leaders_get_a_weekly_digest_of_the_lagging_branches_in_their_scope(tree, quarterly):
    MemberFactory(branch=tree.branch_a)
    MemberFactory(branch=tree.branch_b)
    ActivityFactory(branch=tree.branch_b, date=dt.date(2026, 11, 20))
    member = MemberFactory(branch=tree.branch_b)
    pair(member, BeneficiaryFactory(branch=tree.branch_b), due_in=-5)
    run()
    digest = Reminder.objects.get(user=tree.district_leader, kind=Kind.LEADER_WEEKLY)
    lines = digest.body.splitlines()
    assert any(line.startswith("丽景社区") and "本月尚无活动" in line for line in lines)
    assert any(line.startswith("北塔社区") and "1 个结对逾期" in line and "1 份汇报逾期或被退回" in line
               for line in lines)  # fmt: skip
    assert digest.link == "/dashboard/"
    assert Reminder.objects.filter(user=tree.root_leader, kind=Kind.LEADER_WEEKLY).count() == 1
    run(TODAY + dt.timedelta(days=1))
    assert Reminder.objects.filter(kind=Kind.LEADER_WEEKLY).count() == 2  # one each, this week


def test_a_leader_outside_the_lagging_branches_gets_no_digest(tree):
    outside = UserFactory(username="outside_leader")
    from ..factories import BranchFactory

    RoleGrantFactory(user=outside, branch=BranchFactory(name="别的组织", code="other"), role=RoleGrant.Role.LEADER)
    MemberFactory(branch=tree.branch_a)
    run()
    assert Reminder.objects.filter(user=tree.district_leader, kind=Kind.LEADER_WEEKLY).exists()
    assert not Reminder.objects.filter(user=outside).exists()


def test_no_activity_looks_at_last_month_in_the_first_week():
    assert rules.activity_month(dt.date(2026, 12, 3)) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), False)
    assert rules.activity_month(dt.date(2026, 12, 8)) == (dt.date(2026, 12, 1), dt.date(2026, 12, 8), True)


def test_records_waiting_for_confirmation_remind_the_branchs_secretaries_weekly(tree, paired):
    """Members' own hours and visits waiting: one reminder a week per secretary of the deciding branch while any
    wait, naming the household by surname only, linking to the queue; nothing once they are decided."""
    from volunteer_portal.selfservice.services import claim_check_in, claim_confirm, claim_visit_submit

    user, member, household = paired
    pairing = pair(member, household, due_in=30)
    activity = ActivityFactory(branch=member.branch, title="助残清扫", date=TODAY - dt.timedelta(days=3))
    hours = claim_check_in(actor=user, member=member, activity=activity)
    visit = claim_visit_submit(actor=user, member=member, pairing=pairing, date=TODAY - dt.timedelta(days=1),
                               notes="送米面油")  # fmt: skip
    district_secretary = UserFactory(username="district_secretary")
    RoleGrantFactory(user=district_secretary, branch=member.branch.parent, role=RoleGrant.Role.SECRETARY)
    run()
    secretary_a = tree.secretary_a
    reminder = Reminder.objects.get(user=secretary_a, channel=Channel.PORTAL, subject="claims")
    assert (reminder.kind, reminder.period, reminder.link) == (Kind.SECRETARY_WEEKLY, "2026-W48", "/members-work/")
    assert reminder.title == "2 条成员记录待确认"
    assert reminder.body.splitlines() == [
        "张伟：2026-11-22 参加“助残清扫” 2.0 小时",
        "张伟：2026-11-24 走访杨某某（丽景社区）",
    ]
    assert "杨秀英" not in reminder.title + reminder.body
    # Not the district's secretary (the branch has its own), nor another branch's, nor the member.
    assert not Reminder.objects.filter(subject="claims").exclude(user=secretary_a).exists()
    assert not [r for r in run(TODAY + dt.timedelta(days=2)).planned if r.subject == "claims"]  # once a week
    assert [r.user for r in run(TODAY + dt.timedelta(days=7)).planned if r.subject == "claims"] == [secretary_a]
    claim_confirm(actor=secretary_a, claim=hours)
    claim_confirm(actor=secretary_a, claim=visit)
    assert rules.hours_waiting(TODAY + dt.timedelta(days=14)) == []


def test_the_households_secretary_hears_of_a_pairing_by_another_branchs_member(tree):
    member = MemberFactory(branch=tree.branch_b, name="李强")
    pair(member, BeneficiaryFactory(branch=tree.branch_a, name="杨秀英"), due_in=2)
    run()
    for secretary in (tree.secretary_a, tree.secretary_b):
        digest = Reminder.objects.get(user=secretary, kind=Kind.SECRETARY_WEEKLY)
        assert "杨某某（丽景社区），结对人李强" in digest.body

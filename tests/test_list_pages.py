"""The list pages read what they show from their rows (issue 13; DESIGN.md: "list pages never aggregate rows they
do not show"). The counts and dates a list needs are stored on the row and kept by the services in the same
transaction (`activities.upkeep`, `beneficiaries.upkeep`); a member's figures are computed for the page's members
only. Here: the stored values through every write, the sorts by them, the pages' SQL, and their query counts at
two sizes with each filter and sort."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from activities.models import ActivityType
from beneficiaries import services
from beneficiaries.models import Beneficiary, Pairing, Visit
from beneficiaries.selectors import never_visited_q, pairings_with_status
from beneficiaries.upkeep import visits_changed

from .factories import (
    ActivityFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def visit_type(db):
    return ActivityType.objects.get(name="走访慰问", parent=None)


def totals(activity) -> tuple[int, Decimal]:
    activity.refresh_from_db()
    return activity.participant_count, activity.total_hours


def sql_of(fetch) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        assert fetch().status_code == 200
    return [query["sql"] for query in context.captured_queries]


def reading(queries: list[str], table: str) -> list[str]:
    return [sql for sql in queries if f'"{table}"' in sql]


# --- activities: participant count and hours on the row -------------------------------------------------------


def test_the_services_keep_an_activitys_participant_count_and_hours(tree, visit_type):
    one, two, three = (MemberFactory(branch=tree.branch_a) for _ in range(3))
    activity = activity_services.activity_create(
        actor=tree.secretary_a, branch=tree.branch_a, type=visit_type, date=days_ago(3), title="走访",
        participants={one: Decimal("2.0"), two: Decimal("3.5")},
    )  # fmt: skip
    assert totals(activity) == (2, Decimal("5.5"))
    activity_services.activity_update(
        actor=tree.secretary_a, activity=activity, participants={two: Decimal("1.0"), three: Decimal("4.0")},
        new_members=[{"name": "新人", "gender": "F"}], default_hours=Decimal("2.0"),
    )  # fmt: skip
    assert totals(activity) == (3, Decimal("7.0"))
    activity_services.activity_update(actor=tree.secretary_a, activity=activity, participants={})
    assert totals(activity) == (0, Decimal(0))
    activity_services.activity_update(actor=tree.secretary_a, activity=activity, participants={one: Decimal("2")})
    activity_services.activity_archive(actor=tree.secretary_a, activity=activity)
    assert totals(activity) == (1, Decimal("2.0"))  # an archived activity keeps what it had (the archive lists it)


def test_the_admin_keeps_the_totals_of_both_activities_a_participation_moves_between(client, superuser, tree):
    before, after = ActivityFactory(branch=tree.branch_a), ActivityFactory(branch=tree.branch_a)
    participation = ParticipationFactory(activity=before, member=MemberFactory(branch=tree.branch_a))
    ParticipationFactory(activity=after, member=MemberFactory(branch=tree.branch_a), hours=Decimal("1.5"))
    client.force_login(superuser)
    url = reverse("admin:activities_participation_change", args=[participation.pk])
    response = client.post(url, {"activity": after.pk, "member": participation.member_id, "hours": "3.0"})
    assert response.status_code == 302
    assert totals(before) == (0, Decimal(0)) and totals(after) == (2, Decimal("4.5"))


def test_the_activity_list_sorts_by_the_stored_count_and_reads_no_participation(as_user, tree):
    for title, people in [("三人", 3), ("一人", 1), ("两人", 2), ("无人", 0)]:
        activity = ActivityFactory(branch=tree.branch_a, title=title)
        for _ in range(people):
            ParticipationFactory(activity=activity, member=MemberFactory(branch=tree.branch_a))
    client = as_user(tree.secretary_a)
    url = reverse("activities:activity-list")
    page = client.get(url, {"sort": "-participants"}).context["page"]
    assert [(a.title, a.participant_count, a.total_hours) for a in page] == [
        ("三人", 3, Decimal("6.0")), ("两人", 2, Decimal("4.0")), ("一人", 1, Decimal("2.0")), ("无人", 0, Decimal(0)),
    ]  # fmt: skip
    for params in ({"sort": "-participants"}, {}):
        assert reading(sql_of(lambda p=params: client.get(url, p)), "activities_participation") == []
    assert reading(sql_of(lambda: client.get(reverse("home"))), "activities_participation") == []


def test_the_activity_list_query_count_with_a_sort_by_participants(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    ParticipationFactory(activity=ActivityFactory(branch=tree.branch_a), member=MemberFactory(branch=tree.branch_a))

    def grow():
        for n in range(25):
            activity = ActivityFactory(branch=tree.branch_a if n % 2 else tree.branch_b)
            ParticipationFactory(activity=activity, member=MemberFactory(branch=activity.branch))

    url = reverse("activities:activity-list")
    assert_flat_queries(lambda: client.get(url, {"sort": "-participants"}), grow, queries=8,
                        also=[(lambda: client.get(url, {"sort": "-participants", "page": 2}), 8)])  # fmt: skip


# --- members: this year's figures for the page's members only -------------------------------------------------


def test_the_member_list_computes_figures_for_its_page_only(as_user, tree):
    year = TODAY.year
    members = [MemberFactory(branch=tree.branch_a, name=f"成员{n:02d}") for n in range(55)]
    this_year, last_year = (
        ActivityFactory(branch=tree.branch_a, date=dt.date(year, 1, 2)),
        ActivityFactory(branch=tree.branch_a, date=dt.date(year - 1, 6, 1)),
    )
    archived = ActivityFactory(branch=tree.branch_a, date=dt.date(year, 1, 3), archived_at=timezone.now())
    for member in (members[0], members[52]):
        ParticipationFactory(activity=this_year, member=member, hours=Decimal("2.5"))
        ParticipationFactory(activity=last_year, member=member)
        ParticipationFactory(activity=archived, member=member)
    client = as_user(tree.secretary_a)
    url = reverse("members:member-list")
    first, second = client.get(url).context["page"], client.get(url, {"page": 2}).context["page"]
    figures = {m.name: (m.activities_this_year, m.hours_this_year) for m in [*first, *second]}
    assert figures["成员00"] == figures["成员52"] == (1, Decimal("2.5")) and figures["成员01"] == (0, None)
    grouped = reading(sql_of(lambda: client.get(url)), "activities_participation")
    assert len(grouped) == 1 and '"member_id" IN (' in grouped[0]
    assert grouped[0].count(",") >= 49  # the page's 50 ids, no other row


def test_the_member_list_query_count_with_a_search(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    ParticipationFactory(activity=ActivityFactory(branch=tree.branch_a), member=MemberFactory(branch=tree.branch_a))

    def grow():
        for _ in range(60):
            ParticipationFactory(activity=ActivityFactory(branch=tree.branch_a),
                                 member=MemberFactory(branch=tree.branch_a))  # fmt: skip

    url = reverse("members:member-list")
    assert_flat_queries(lambda: client.get(url, {"q": "成员"}), grow, queries=7,
                        also=[(lambda: client.get(url, {"page": 2}), 7)])  # fmt: skip


# --- beneficiaries and pairings: last visit and last contact on the row ---------------------------------------


def stored(pairing) -> tuple:
    pairing.refresh_from_db()
    pairing.beneficiary.refresh_from_db()
    return pairing.beneficiary.last_visit_on, pairing.last_contact_on


def test_the_visit_and_pairing_services_keep_the_last_visit_and_contact(tree):
    member, other = MemberFactory(branch=tree.branch_a), MemberFactory(branch=tree.branch_a)
    household = BeneficiaryFactory(branch=tree.branch_a)
    early = services.visit_record(actor=tree.secretary_a, beneficiary=household, branch=tree.branch_a,
                                  date=days_ago(40), visitors=[member])  # fmt: skip
    # A pairing made after a visit since its start counts that visit; one started after it does not.
    pairing = services.pairing_create(actor=tree.secretary_a, member=member, beneficiary=household,
                                      start_date=days_ago(50))  # fmt: skip
    later_pairing = services.pairing_create(actor=tree.secretary_a, member=other, beneficiary=household,
                                            start_date=days_ago(30))  # fmt: skip
    assert stored(pairing) == (days_ago(40), days_ago(40)) and stored(later_pairing)[1] is None
    late = services.visit_record(actor=tree.secretary_a, beneficiary=household, branch=tree.branch_a,
                                 date=days_ago(10), visitors=[other])  # fmt: skip
    assert stored(pairing) == (days_ago(10), days_ago(40)) and stored(later_pairing)[1] == days_ago(10)
    services.visit_update(actor=tree.secretary_a, visit=late, visitors=[member, other], items=[], date=days_ago(5))
    assert stored(pairing) == (days_ago(5), days_ago(5))
    services.visit_update(actor=tree.secretary_a, visit=late, visitors=[other], items=[])  # the member taken off
    assert stored(pairing) == (days_ago(5), days_ago(40))
    services.visit_archive(actor=tree.secretary_a, visit=late)
    assert stored(pairing) == (days_ago(40), days_ago(40)) and stored(later_pairing)[1] is None
    # Un-archived (no page does it yet; the admin cannot): the same function brings the dates back.
    Visit.objects.filter(pk=late.pk).update(archived_at=None, archived_by=None)
    visits_changed([household.pk])
    assert stored(pairing) == (days_ago(5), days_ago(40)) and stored(later_pairing)[1] == days_ago(5)
    services.visit_archive(actor=tree.secretary_a, visit=early)
    services.visit_archive(actor=tree.secretary_a, visit=Visit.objects.get(pk=late.pk))
    assert stored(pairing) == (None, None)
    # Saving the household or ending the pairing writes every column: never a stale copy of the stored ones.
    stale = Beneficiary.objects.get(pk=household.pk)
    services.visit_record(actor=tree.secretary_a, beneficiary=household, branch=tree.branch_a, date=days_ago(2),
                          visitors=[member])  # fmt: skip
    services.beneficiary_update(actor=tree.secretary_a, beneficiary=stale, name="改名")
    services.pairing_end(actor=tree.secretary_a, pairing=Pairing.objects.get(pk=pairing.pk), end_date=TODAY)
    assert stored(pairing) == (days_ago(2), days_ago(2))


def test_the_admin_archive_action_keeps_the_dates(client, superuser, tree):
    member = MemberFactory(branch=tree.branch_a)
    pairing = PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a))
    visit = VisitFactory(beneficiary=pairing.beneficiary, date=days_ago(3), visitors=[member])
    assert stored(pairing) == (days_ago(3), days_ago(3))
    client.force_login(superuser)
    response = client.post(reverse("admin:beneficiaries_visit_changelist"),
                           {"action": "archive_selected", "_selected_action": [visit.pk]})  # fmt: skip
    assert response.status_code == 302 and Visit.objects.get(pk=visit.pk).is_archived
    assert stored(pairing) == (None, None)


def from_the_visits(pairing: Pairing, as_of: dt.date):
    """The last contact as the rule states it, computed in Python from the visits."""
    dates = [v.date for v in Visit.objects.live().filter(beneficiary=pairing.beneficiary, visitors=pairing.member)
             if pairing.start_date <= v.date <= as_of]  # fmt: skip
    return max(dates, default=None)


def test_the_status_reads_the_same_from_the_row_today_and_from_the_visits_in_the_past(tree):
    member = MemberFactory(branch=tree.branch_a)
    pairings = [
        PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a), start_date=days_ago(start))
        for start in (300, 200, 100, 20)
    ]
    for pairing, visited in zip(pairings, [(250, 150, 70), (190,), (), (10,)], strict=True):
        for ago in visited:
            VisitFactory(beneficiary=pairing.beneficiary, date=days_ago(ago), visitors=[member])
    VisitFactory(beneficiary=pairings[2].beneficiary, date=days_ago(5))  # not by the member: no contact
    for as_of in (TODAY, days_ago(1), days_ago(160), days_ago(199)):
        rows = pairings_with_status(Pairing.objects.filter(pk__in=[p.pk for p in pairings]), today=as_of)
        for row in rows:
            last = from_the_visits(row, as_of)
            due = (last or row.start_date) + dt.timedelta(days=row.interval_days)
            started = row.start_date <= as_of
            assert (row.last_contact, row.next_due, row.is_overdue) == (last, due, started and due < as_of), as_of
        never = set(Beneficiary.objects.filter(never_visited_q(as_of=as_of)).values_list("pk", flat=True))
        expected = {p.beneficiary_id for p in pairings if not Visit.objects.live().filter(
            beneficiary=p.beneficiary, date__lte=as_of).exists()}  # fmt: skip
        assert never == expected, as_of


def households(tree, count: int, start: int = 0) -> None:
    """Households with a pairing each: a third overdue, a third never visited, a third visited on time."""
    for n in range(start, start + count):
        member = MemberFactory(branch=tree.branch_a)
        household = BeneficiaryFactory(branch=tree.branch_a, name=f"户{n:03d}")
        pairing = PairingFactory(member=member, beneficiary=household, start_date=days_ago(200))
        if n % 3:
            VisitFactory(beneficiary=household, date=days_ago(100 if n % 3 == 1 else 10), visitors=[pairing.member])


def test_the_beneficiary_list_filters_and_sorts_from_the_row(as_user, tree):
    households(tree, 9)
    client = as_user(tree.secretary_a)
    url = reverse("beneficiaries:beneficiary-list")

    def names(**params):
        return [b.name for b in client.get(url, params).context["page"]]

    assert names(never_visited="true") == ["户000", "户003", "户006"]
    assert sorted(names(overdue="true")) == ["户000", "户001", "户003", "户004", "户006", "户007"]
    visited = {"never_visited": "false"}  # where the never visited sort (first or last) is the database's choice
    assert names(sort="-last_visit", **visited) == ["户002", "户005", "户008", "户001", "户004", "户007"]
    assert names(sort="last_visit", **visited) == ["户001", "户004", "户007", "户002", "户005", "户008"]
    for params in ({"never_visited": "true"}, {"overdue": "true"}, {"sort": "last_visit"}, {}):
        assert reading(sql_of(lambda p=params: client.get(url, p)), "beneficiaries_visit") == [], params
    pairing_queries = sql_of(lambda: client.get(reverse("beneficiaries:pairing-list"), {"overdue": "1"}))
    assert reading(pairing_queries, "beneficiaries_visit") == []


def test_the_beneficiary_and_pairing_lists_query_counts_with_their_filters(as_user, tree, assert_flat_queries):
    households(tree, 3)
    client = as_user(tree.secretary_a)
    beneficiaries, pairings = reverse("beneficiaries:beneficiary-list"), reverse("beneficiaries:pairing-list")
    assert_flat_queries(lambda: client.get(beneficiaries, {"overdue": "true"}), lambda: households(tree, 60, start=3),
                        queries=7, also=[
                            (lambda: client.get(beneficiaries, {"never_visited": "true", "sort": "last_visit"}), 7),
                            (lambda: client.get(beneficiaries, {"sort": "-last_visit", "page": 2}), 7),
                            (lambda: client.get(pairings, {"overdue": "1"}), 5),
                            (lambda: client.get(pairings, {"page": 2}), 5),
                        ])  # fmt: skip


def test_the_administrators_home_page_reads_no_whole_table(client, superuser, tree, assert_flat_queries):
    households(tree, 3)
    ParticipationFactory(activity=ActivityFactory(branch=tree.branch_a), member=MemberFactory(branch=tree.branch_a))
    client.force_login(superuser)
    home = reverse("home")
    queries = sql_of(lambda: client.get(home))
    assert reading(queries, "activities_participation") == []
    # Visits are read only as the page's own list (open follow-ups), never grouped per household.
    assert not any("GROUP BY" in sql or "MAX(" in sql for sql in reading(queries, "beneficiaries_visit"))

    def grow():
        households(tree, 30, start=3)
        for _ in range(10):
            ParticipationFactory(activity=ActivityFactory(branch=tree.branch_b),
                                 member=MemberFactory(branch=tree.branch_b))  # fmt: skip

    assert_flat_queries(lambda: client.get(home), grow, queries=len(queries))
    assert client.get(home).context["never_visited_count"] == 11


# --- the organisation summary: a page of the branches that report ---------------------------------------------


def test_the_summary_lists_the_branches_that_report_a_page_at_a_time(as_user, tree, assert_flat_queries):
    from volunteer_portal.branches.models import RoleGrant
    from volunteer_portal.dashboards.periods import Frequency
    from volunteer_portal.reports import services as report_services
    from volunteer_portal.reports.models import ReportRequirement

    from .factories import BranchFactory, RoleGrantFactory

    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY)
    RoleGrantFactory(user=tree.secretary_a, branch=tree.district, role=RoleGrant.Role.SECRETARY)
    secretary = type(tree.secretary_a).objects.get(pk=tree.secretary_a.pk)
    year = TODAY.year - 1

    def communities(count: int, start: int) -> None:
        for n in range(start, start + count):
            branch = BranchFactory(parent=tree.district, kind="community", name=f"社区{n:03d}")
            member = MemberFactory(branch=branch)
            ParticipationFactory(activity=ActivityFactory(branch=branch, date=dt.date(year, 2, 1)), member=member)
            report = report_services.report_create(actor=secretary, branch=branch, frequency="quarterly",
                                                   start=dt.date(year, 1, 1))  # fmt: skip
            report_services.report_submit(actor=secretary, report=report)

    communities(4, 0)
    client = as_user(tree.root_leader)
    url = reverse("reports:summary-node", args=[tree.root.pk])
    period = {"frequency": "quarterly", "year": year, "number": 1}
    assert_flat_queries(lambda: client.get(url, period), lambda: communities(56, 4), queries=13,
                        also=[(lambda: client.get(url, {**period, "page": 2}), 13)])  # fmt: skip
    first, second = client.get(url, period), client.get(url, {**period, "page": 2})
    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 10
    assert "page=" not in second.context["query"]
    (district, sums, done, owed), = first.context["summary"].children  # fmt: skip
    assert (district, done, owed) == (tree.district, 60, 60)
    assert sums == first.context["summary"].totals and sums["activities"] == sums["participations"] == 60

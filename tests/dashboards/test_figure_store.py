"""The figure store (branches/tallies.py, dashboards/tallies.py): kept equal to the base tables by every write,
and the figures it answers equal to those the base tables give.

`differences()` is `figures_check`: the store against rows worked out from the base tables by the database.
`rollup(stored=False)` computes the same figures from the base tables alone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from activities import services as activity_services
from beneficiaries import services as beneficiary_services
from beneficiaries.models import AssistanceItem
from volunteer_portal.branches import services as branch_services
from volunteer_portal.branches.models import Branch, BranchLine, Member, Presence, Tally
from volunteer_portal.dashboards import tallies
from volunteer_portal.dashboards.figures import rollup

from ..factories import ActivityTypeFactory, BeneficiaryFactory, BranchFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

YEAR = 2025
PERIODS = [
    (dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)),  # a year: the per-ancestor year rows
    (dt.date(YEAR, 4, 1), dt.date(YEAR, 6, 30)),  # a quarter: the quarter rows
    (dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 31)),  # a month: the month rows
    (dt.date(YEAR, 2, 1), dt.date(YEAR, 7, 31)),  # whole months across quarters
    (dt.date(YEAR - 1, 1, 1), dt.date(YEAR, 12, 31)),  # two years
]


def item(kind=AssistanceItem.Kind.CASH, value="500", quantity=1) -> dict:
    return {
        "kind": kind,
        "description": "慰问",
        "quantity": quantity,
        "value": None if value is None else Decimal(value),
    }


def assert_store_matches(*nodes: Branch) -> None:
    """The store equals the base tables, and every whole-month figure read from it equals the base tables'."""
    assert tallies.differences() == []
    for node in nodes:
        node.refresh_from_db()
        for start, end in PERIODS:
            stored = rollup(node, start, end, today=dt.date(YEAR, 12, 31), stored=True)
            base = rollup(node, start, end, today=dt.date(YEAR, 12, 31), stored=False)
            assert stored.figures == base.figures, (node, start, end)
            assert stored.children == base.children, (node, start, end)
            assert stored.monthly == base.monthly and stored.own == base.own, (node, start, end)
            assert stored.households_by_category == base.households_by_category, (node, start, end)


@pytest.fixture
def people(tree):
    joined = dt.date(2000, 1, 1)
    return {
        "a": [MemberFactory(branch=tree.branch_a, joined_on=joined) for _ in range(3)],
        "b": [MemberFactory(branch=tree.branch_b, joined_on=joined) for _ in range(2)],
        "households": [BeneficiaryFactory(branch=tree.branch_a, disability_category=n % 3 + 1) for n in range(3)],
    }


def test_every_kind_of_write_keeps_the_store_equal_to_the_base_tables(tree, people):
    actor, kind = tree.secretary_a, ActivityTypeFactory(name="走访慰问")
    a1, a2, a3 = people["a"]
    activity = activity_services.activity_create(
        actor=actor, branch=tree.branch_a, type=kind, date=dt.date(YEAR, 3, 5), title="三月走访",
        participants={a1: Decimal("2"), a2: Decimal("1.5")},
    )  # fmt: skip
    other = activity_services.activity_create(
        actor=actor, branch=tree.branch_b, type=kind, date=dt.date(YEAR, 3, 9), title="北塔", participants={a1: 3}
    )
    assert_store_matches(tree.root)
    # Moved to another month and branch, one person off, one on, hours changed.
    activity_services.activity_update(
        actor=actor, activity=activity, participants={a2: Decimal("4"), a3: Decimal("1")},
        date=dt.date(YEAR, 5, 20), branch=tree.district,
    )  # fmt: skip
    assert_store_matches(tree.root, tree.district)

    h1, h2, _h3 = people["households"]
    visit = beneficiary_services.visit_record(
        actor=actor, beneficiary=h1, branch=tree.branch_a, date=dt.date(YEAR, 2, 1), visitors=[a1],
        items=[item(), item(AssistanceItem.Kind.DEVICE, None, 2)],
    )  # fmt: skip
    beneficiary_services.visit_record(actor=actor, beneficiary=h2, branch=tree.branch_a, date=dt.date(YEAR, 2, 2))
    beneficiary_services.visits_record_for_activity(
        actor=actor, activity=other, beneficiaries=[h1, h2], date=dt.date(YEAR, 3, 9), items=[item(value="100")]
    )
    assert_store_matches(tree.root)
    cash = visit.items.get(kind=AssistanceItem.Kind.CASH)
    beneficiary_services.visit_update(
        actor=actor, visit=visit, visitors=[a2], date=dt.date(YEAR, 8, 1),
        items=[{**item(value="800"), "id": cash}], removed_items=list(visit.items.exclude(pk=cash.pk)),
    )  # fmt: skip
    assert_store_matches(tree.root)

    beneficiary_services.visit_archive(actor=actor, visit=visit)
    beneficiary_services.beneficiary_archive(actor=actor, beneficiary=h2)
    activity_services.activity_archive(actor=actor, activity=other)
    assert_store_matches(tree.root, tree.district)


def test_a_branch_move_counts_its_subtree_under_its_new_ancestors(tree, people):
    kind = ActivityTypeFactory(name="助残服务")
    activity_services.activity_create(
        actor=tree.secretary_a, branch=tree.branch_a, type=kind, date=dt.date(YEAR, 4, 2), title="服务",
        participants=dict.fromkeys(people["a"], Decimal("2")),
    )  # fmt: skip
    beneficiary_services.visit_record(
        actor=tree.secretary_a, beneficiary=people["households"][0], branch=tree.branch_a, date=dt.date(YEAR, 4, 2)
    )
    elsewhere = BranchFactory(name="金凤区残联", code="jinfeng", parent=tree.root)
    branch_services.branch_move(branch=tree.branch_a, new_parent=elsewhere)
    assert_store_matches(tree.root, tree.district, elsewhere)
    year = Presence.objects.filter(span=Presence.Span.YEAR, period=dt.date(YEAR, 1, 1), kind="participant")
    assert year.filter(branch=elsewhere).count() == 3 and not year.filter(branch=tree.district).exists()


def test_figures_check_fails_on_any_difference_and_a_rebuild_puts_it_right(tree, people, capsys):
    activity_services.activity_create(
        actor=tree.secretary_a, branch=tree.branch_a, type=ActivityTypeFactory(), date=dt.date(YEAR, 6, 1),
        title="座谈会", participants={people["a"][0]: Decimal("2")},
    )  # fmt: skip
    call_command("figures_check")
    assert "matches the base tables" in capsys.readouterr().out

    Tally.objects.filter(figure="hours").update(amount=F("amount") + 1)
    Presence.objects.filter(span=Presence.Span.QUARTER, branch=tree.root).delete()
    BranchLine.objects.filter(branch=tree.branch_a, ancestor=tree.root).delete()
    with pytest.raises(CommandError, match="differs from the base tables in 3 places"):
        call_command("figures_check")
    error = capsys.readouterr().err
    assert "tally hours" in error and "branch lines" in error

    activity_services.Activity.objects.update(participant_count=7)  # a list total left wrong by a bulk write
    call_command("figures_rebuild")
    call_command("figures_check")
    assert_store_matches(tree.root)
    assert list(activity_services.Activity.objects.values_list("participant_count", flat=True)) == [1]


def test_a_rebuild_writes_what_the_services_wrote(tree, people):
    beneficiary_services.visit_record(
        actor=tree.secretary_a, beneficiary=people["households"][1], branch=tree.branch_b, date=dt.date(YEAR, 9, 9),
        items=[item(AssistanceItem.Kind.GOODS, "35.5", 3)],
    )  # fmt: skip
    kept = sorted(Tally.objects.values_list("branch", "month", "figure", "amount"))
    call_command("figures_rebuild")
    assert sorted(Tally.objects.values_list("branch", "month", "figure", "amount")) == kept
    assert ("value:goods", Decimal("35.50")) in {(row[2], row[3]) for row in kept}


def test_logging_an_activity_runs_as_many_queries_for_20_people_as_for_2(tree):
    kind, actor = ActivityTypeFactory(), tree.secretary_a
    people = [MemberFactory(branch=tree.branch_a, joined_on=dt.date(2000, 1, 1)) for _ in range(25)]

    def log(count: int) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            activity = activity_services.activity_create(
                actor=actor, branch=tree.branch_a, type=kind, date=dt.date(YEAR, 3, 5), title=f"{count} 人",
                participants=dict.fromkeys(people[:count], Decimal("2")),
            )  # fmt: skip
        # The first person off, the others' hours changed, five more on.
        edited = dict.fromkeys(people[1 : count + 5], Decimal("3"))
        with CaptureQueriesContext(connection) as edit:
            activity_services.activity_update(actor=actor, activity=activity, participants=edited)
        assert activity.participations.count() == count + 4
        return len(queries), len(edit)

    assert log(2) == log(20)
    history = activity_services.Participation.history
    assert history.filter(history_type="-").count() == 2 and history.filter(history_type="~").count() == 1 + 19
    assert_store_matches(tree.root)


def test_the_demo_and_a_generated_organisation_leave_the_store_matching(capsys):
    """seed_demo writes the demo's story through the services and a generated organisation in bulk (then rebuilds
    the store): either way `figures_check` finds nothing (CI runs it on the demo on both databases)."""
    call_command("seed_demo", "--activities", "300", "--beneficiaries", "40", verbosity=0)
    call_command("figures_check")
    assert "matches the base tables" in capsys.readouterr().out
    assert Tally.objects.filter(figure="activities").exists() and Presence.objects.filter(span="Y").exists()


# --- property: random sequences of writes ------------------------------------------------------------------------

DAYS = st.dates(min_value=dt.date(YEAR - 1, 11, 1), max_value=dt.date(YEAR, 12, 31))
WRITE = st.one_of(
    st.tuples(st.just("log"), st.integers(0, 2), DAYS, st.sets(st.integers(0, 4), max_size=4), st.integers(1, 8)),
    st.tuples(st.just("edit"), st.integers(0, 9), st.integers(0, 2), DAYS, st.sets(st.integers(0, 4), max_size=4)),
    st.tuples(st.just("archive"), st.integers(0, 9)),
    st.tuples(st.just("visit"), st.integers(0, 2), st.integers(0, 2), DAYS, st.integers(0, 3), st.booleans()),
    st.tuples(st.just("edit visit"), st.integers(0, 9), DAYS, st.integers(0, 3)),
    st.tuples(st.just("archive visit"), st.integers(0, 9)),
    st.tuples(st.just("archive household"), st.integers(0, 2)),
    st.tuples(st.just("move"), st.integers(0, 2), st.integers(0, 3)),
)


class TestRandomWrites(HypothesisTestCase):
    """Any sequence of the services' writes leaves the store exactly what a rebuild from the base tables writes,
    and the figures read from it equal those computed from the base tables."""

    def setUp(self) -> None:
        self.actor = UserFactory(username="writer")
        root = BranchFactory(name="根", code="r", kind=Branch.Kind.ORGANISATION)
        district = BranchFactory(name="区", code="d", parent=root)
        self.branches = [root, district, BranchFactory(name="甲", code="x", parent=district),
                         BranchFactory(name="乙", code="y", parent=district)]  # fmt: skip
        self.members = [MemberFactory(branch=self.branches[2 + n % 2], joined_on=dt.date(2000, 1, 1)) for n in range(5)]
        self.households = [BeneficiaryFactory(branch=self.branches[2], disability_category=n + 1) for n in range(3)]
        self.kind = ActivityTypeFactory(name="活动")

    def write(self, step: tuple) -> None:
        from activities.models import Activity
        from beneficiaries.models import Visit

        what, *args = step
        activities = list(Activity.objects.live().order_by("pk"))
        visits = list(Visit.objects.live().filter(beneficiary__archived_at__isnull=True).order_by("pk"))
        if what == "log":
            branch, day, people, hours = args
            activity_services.activity_create(
                actor=self.actor, branch=self.branches[1 + branch], type=self.kind, date=day, title="活动",
                participants={self.members[n]: Decimal(hours) / 2 for n in people},
            )  # fmt: skip
        elif what == "edit" and activities:
            index, branch, day, people = args
            activity_services.activity_update(
                actor=self.actor, activity=activities[index % len(activities)], date=day,
                branch=self.branches[1 + branch], participants=dict.fromkeys((self.members[n] for n in people), 1),
            )  # fmt: skip
        elif what == "archive" and activities:
            activity_services.activity_archive(actor=self.actor, activity=activities[args[0] % len(activities)])
        elif what == "visit":
            household, branch, day, items, unvalued = args
            if self.households[household].archived_at is None:
                beneficiary_services.visit_record(
                    actor=self.actor, beneficiary=self.households[household], branch=self.branches[1 + branch],
                    date=day, items=[item(value=None if unvalued else f"{10 * n}.5", quantity=n + 1)
                                     for n in range(items)],
                )  # fmt: skip
        elif what == "edit visit" and visits:
            index, day, items = args
            visit = visits[index % len(visits)]
            beneficiary_services.visit_update(
                actor=self.actor, visit=visit, visitors=[], date=day, removed_items=list(visit.items.all()),
                items=[item(AssistanceItem.Kind.SERVICE, "3") for _ in range(items)],
            )  # fmt: skip
        elif what == "archive visit" and visits:
            beneficiary_services.visit_archive(actor=self.actor, visit=visits[args[0] % len(visits)])
        elif what == "archive household" and self.households[args[0]].archived_at is None:
            beneficiary_services.beneficiary_archive(actor=self.actor, beneficiary=self.households[args[0]])
        elif what == "move":
            branch, parent = self.branches[2 + args[0] % 2], self.branches[args[1] % 2]
            branch_services.branch_move(branch=branch, new_parent=parent)
            for other in self.branches:
                other.refresh_from_db()

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(WRITE, min_size=1, max_size=8))
    def test_the_store_stays_equal_to_the_base_tables(self, steps) -> None:
        for record in [*self.branches, *self.households]:  # each example starts from setUp's rows again
            record.refresh_from_db()
        for step in steps:
            self.write(step)
        assert_store_matches(self.branches[0], self.branches[1])
        assert Member.objects.count() == 5


def test_the_administration_keeps_the_store_too(client, superuser, tree, people):
    """A participation moved to another activity in the admin, and the archive action on activities and visits:
    each reaches the store in the same transaction, as the services' writes do."""
    from django.urls import reverse

    kind, a1 = ActivityTypeFactory(), people["a"][0]
    first, second = (
        activity_services.activity_create(
            actor=tree.secretary_a, branch=branch, type=kind, date=day, title=title, participants={a1: Decimal("2")}
        )
        for branch, day, title in [
            (tree.branch_a, dt.date(YEAR, 1, 9), "一"),
            (tree.branch_b, dt.date(YEAR, 4, 9), "二"),
        ]
    )
    visit = beneficiary_services.visit_record(
        actor=tree.secretary_a, beneficiary=people["households"][0], branch=tree.branch_a, date=dt.date(YEAR, 2, 2),
        items=[item()],
    )  # fmt: skip
    client.force_login(superuser)
    participation = first.participations.get()
    other = people["a"][1]
    response = client.post(
        reverse("admin:activities_participation_change", args=[participation.pk]),
        {"activity": second.pk, "member": other.pk, "hours": "5.0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_store_matches(tree.root)
    assert rollup(tree.root, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)).figures.hours == Decimal("7.0")

    for model, record in [("activities_activity", second), ("beneficiaries_visit", visit)]:
        response = client.post(
            reverse(f"admin:{model}_changelist"), {"action": "archive_selected", "_selected_action": [record.pk]}
        )
        assert response.status_code == 302
    assert_store_matches(tree.root)
    figures = rollup(tree.root, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)).figures
    assert (figures.activities, figures.visits, figures.hours) == (1, 0, Decimal("0"))

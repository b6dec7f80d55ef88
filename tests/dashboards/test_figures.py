"""The figures against values worked out by hand on a small tree.

    root
    └── district          (own: activity A6, visit V5)
        ├── branch_a      members m1, m3;  activities A1 (1 Jan), A3 (10 Mar);  visit V1 (household b1)
        └── branch_b      member m2;       activity A2 (30 Jun);                visit V2 (household b1 again)

Period: 1 January – 30 June 2026, both ends included. Outside it or archived, and so never counted: A4 (1 Jul),
A5 (archived), V3 (archived), V4 (1 Aug).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from volunteer_portal.dashboards.figures import Figures, rollup

from ..factories import (
    ActivityFactory,
    AssistanceItemFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
ARCHIVED = dt.datetime(2026, 7, 1, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def world(tree):
    m1 = MemberFactory(branch=tree.branch_a, name="m1")
    m2 = MemberFactory(branch=tree.branch_b, name="m2")
    MemberFactory(branch=tree.branch_a, name="m3")  # never takes part
    MemberFactory(branch=tree.district, name="m4", active=False, left_on=dt.date(2026, 5, 1))  # gone by the end
    MemberFactory(branch=tree.branch_b, name="m5", joined_on=dt.date(2026, 7, 15))  # not yet there at the end

    def activity(branch, date, *participants, archived=False):
        record = ActivityFactory(branch=branch, date=date, archived_at=ARCHIVED if archived else None)
        for member, hours in participants:
            ParticipationFactory(activity=record, member=member, hours=Decimal(hours))
        return record

    activity(tree.branch_a, dt.date(2026, 1, 1), (m1, "2"), (m2, "1.5"))  # A1, first day
    activity(tree.branch_b, dt.date(2026, 6, 30), (m2, "3"))  # A2, last day
    activity(tree.branch_a, dt.date(2026, 3, 10), (m1, "1"))  # A3
    activity(tree.branch_a, dt.date(2026, 7, 1), (m1, "5"))  # A4, a day after
    activity(tree.branch_b, dt.date(2026, 3, 15), (m2, "7"), archived=True)  # A5
    activity(tree.district, dt.date(2026, 3, 20), (m1, "2"))  # A6, the district's own

    b1 = BeneficiaryFactory(branch=tree.branch_a, disability_category=4)
    b2 = BeneficiaryFactory(branch=tree.branch_a, disability_category=2)
    b3 = BeneficiaryFactory(branch=tree.district, disability_category=1)
    BeneficiaryFactory(branch=tree.branch_b)  # never visited
    b5 = BeneficiaryFactory(branch=tree.branch_a)  # only an archived visit: never visited

    v1 = VisitFactory(beneficiary=b1, branch=tree.branch_a, date=dt.date(2026, 2, 1))
    v1.visitors.add(m1)
    AssistanceItemFactory(visit=v1, kind="cash", value=Decimal("500"))
    AssistanceItemFactory(visit=v1, kind="goods", value=Decimal("100"))
    v2 = VisitFactory(beneficiary=b1, branch=tree.branch_b, date=dt.date(2026, 2, 2))
    AssistanceItemFactory(visit=v2, kind="device", value=Decimal("1000"))
    v3 = VisitFactory(beneficiary=b2, branch=tree.branch_a, date=dt.date(2026, 5, 5), archived_at=ARCHIVED)
    AssistanceItemFactory(visit=v3, kind="cash", value=Decimal("9999"))
    VisitFactory(beneficiary=b2, branch=tree.branch_a, date=dt.date(2026, 8, 1))  # V4
    v5 = VisitFactory(beneficiary=b3, branch=tree.district, date=dt.date(2026, 4, 1))
    AssistanceItemFactory(visit=v5, kind="service", value=Decimal("50"))
    VisitFactory(beneficiary=b5, branch=tree.branch_a, date=dt.date(2026, 2, 3), archived_at=ARCHIVED)

    today = timezone.localdate()
    PairingFactory(member=m1, beneficiary=b1, start_date=dt.date(2026, 1, 1))  # last met 1 Feb: overdue
    PairingFactory(member=m2, beneficiary=b2, start_date=today - dt.timedelta(days=10))  # new: not yet due
    return tree


def figures_of(result, branch) -> Figures:
    return next(f for child, f in result.children if child == branch)


def test_the_district_by_hand(world):
    result = rollup(world.district, START, END)
    f = result.figures
    assert (f.activities, f.participations, f.participants, f.hours) == (4, 5, 2, Decimal("9.5"))
    assert (f.march_activities, f.months_active, f.march_share) == (2, 3, None)  # a half year has no March share
    year = rollup(world.district, dt.date(2026, 1, 1), dt.date(2026, 12, 31)).figures
    assert (year.activities, year.march_activities, year.march_share) == (5, 2, 0.4)  # A4 (July) joins
    assert (f.visits, f.households) == (3, 2)
    assert f.assistance == {
        "cash": Decimal("500"),
        "goods": Decimal("100"),
        "device": Decimal("1000"),
        "service": Decimal("50"),
    }
    assert f.assistance_total == Decimal("1650")
    assert (f.members, f.participating_members, f.non_participants) == (3, 2, 1)
    assert f.participation_rate == pytest.approx(2 / 3)
    # Never visited as the period ended: b4, b5 (an archived visit only) and b2 (its one live visit, V4, is in
    # August, after the period).
    assert (f.overdue_pairings, f.never_visited) == (1, 3)
    assert dict(result.households_by_category) == {
        "视力残疾": 1, "听力残疾": 0, "言语残疾": 0, "肢体残疾": 1, "智力残疾": 0, "精神残疾": 0, "多重残疾": 0,
    }  # fmt: skip


def test_the_children_by_hand(world):
    result = rollup(world.district, START, END)
    a, b = figures_of(result, world.branch_a), figures_of(result, world.branch_b)
    assert (a.activities, a.participants, a.hours, a.visits, a.households) == (2, 2, Decimal("4.5"), 1, 1)
    assert (b.activities, b.participants, b.hours, b.visits, b.households) == (1, 1, Decimal("3"), 1, 1)
    assert (a.members, a.participating_members, b.members, b.participating_members) == (2, 1, 1, 1)
    assert a.assistance_total == Decimal("600") and b.assistance_total == Decimal("1000")
    assert (a.never_visited, b.never_visited, a.overdue_pairings) == (2, 1, 1)  # a: b2 and b5 (see above)


def test_distinct_counts_count_once_at_the_parent(world):
    result = rollup(world.district, START, END)
    children = [f for _branch, f in result.children]
    # m2 took part in both children's activities, b1 was visited by both: once each at the district.
    assert sum(f.participants for f in children) == 3 and result.figures.participants == 2
    assert sum(f.households for f in children) == 2 and result.figures.households == 2


def test_additive_figures_are_the_nodes_own_plus_its_childrens(world):
    district = rollup(world.district, START, END)
    children = [f for _branch, f in district.children]
    # The district's own records (worked out by hand): A6 with one participation of 2 hours, and V5.
    own = {"activities": 1, "participations": 1, "hours": Decimal("2"), "visits": 1}
    for name, value in own.items():
        assert getattr(district.figures, name) == value + sum(getattr(f, name) for f in children), name
    assert district.figures.assistance_total == Decimal("50") + sum(f.assistance_total for f in children)
    root = rollup(world.root, START, END)
    for name in ("activities", "participations", "hours", "visits", "members", "never_visited", "overdue_pairings"):
        assert getattr(root.figures, name) == getattr(district.figures, name), name


def test_both_ends_of_the_range_count_and_nothing_outside(world):
    only_first_day = rollup(world.district, START, START).figures
    assert only_first_day.activities == 1
    only_last_day = rollup(world.district, END, END).figures
    assert only_last_day.activities == 1
    july = rollup(world.district, dt.date(2026, 7, 1), dt.date(2026, 7, 31)).figures
    assert (july.activities, july.hours) == (1, Decimal("5"))


def test_archived_rows_never_count(world):
    f = rollup(world.branch_b, START, END).figures
    assert f.activities == 1 and f.hours == Decimal("3")  # not A5's 7 hours
    assert rollup(world.branch_a, START, END).figures.assistance["cash"] == Decimal("500")  # not V3's 9999


def test_the_monthly_trend(world):
    months = {
        month.month: (activities, visits) for month, activities, visits in rollup(world.district, START, END).monthly
    }
    assert months == {1: (1, 0), 2: (0, 2), 3: (2, 0), 4: (0, 1), 5: (0, 0), 6: (1, 0)}


def test_an_empty_branch_has_no_rates_rather_than_zero_division(tree):
    f = rollup(tree.branch_b, START, END).figures
    assert (f.activities, f.participation_rate, f.march_share) == (0, None, None)

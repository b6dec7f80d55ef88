"""A past period reads as it was (DESIGN.md, "the roll" and "overdue pairings ... as of the end of the range"):
members on that period's roll, households registered by its end, pairings as they stood at its end."""

import datetime as dt

import pytest
from django.utils import timezone

from volunteer_portal.dashboards.figures import rollup

from ..factories import (
    ActivityFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

YEAR_2012 = (dt.date(2012, 1, 1), dt.date(2012, 12, 31))
Q1_2012 = (dt.date(2012, 1, 1), dt.date(2012, 3, 31))
TODAY = dt.date(2026, 12, 1)


def figures(tree, period, node=None):
    return rollup(node or tree.district, *period, today=TODAY).figures


def test_participation_counts_the_roll_of_the_period(tree):
    took_part = [MemberFactory(branch=tree.branch_a, joined_on=dt.date(2010, 1, 1)) for _ in range(3)]
    MemberFactory(branch=tree.branch_a, joined_on=dt.date(2011, 5, 1), left_on=dt.date(2013, 1, 1), active=False)
    MemberFactory(branch=tree.branch_a, joined_on=dt.date(2020, 1, 1))  # joined later: not on the 2012 roll
    MemberFactory(branch=tree.branch_a, joined_on=dt.date(2005, 1, 1), left_on=dt.date(2011, 1, 1), active=False)
    MemberFactory(branch=tree.branch_a, joined_on=None)  # recorded today without a date: counts from today only
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2012, 3, 5))
    for member in took_part:
        ParticipationFactory(activity=activity, member=member)
    year = figures(tree, YEAR_2012)
    # On the roll at the end of 2012: the three who took part and the one who left on 2013-01-01.
    assert (year.members, year.participating_members, year.participants) == (4, 3, 3)
    # Today in the portal's time zone: the undated member was recorded today there (in UTC it may still be
    # yesterday, which once made this test fail after 16:00 UTC).
    now = timezone.localdate()
    today = rollup(tree.district, dt.date(now.year, 1, 1), now, today=now).figures
    assert today.members == 5  # the three, the 2020 joiner, the undated one


def test_never_visited_households_are_counted_as_of_the_periods_end(tree):
    BeneficiaryFactory(branch=tree.branch_a, registered_on=dt.date(2024, 5, 1))  # not on the 2012 roster
    visited_later = BeneficiaryFactory(branch=tree.branch_a, registered_on=dt.date(2011, 3, 1))
    VisitFactory(beneficiary=visited_later, date=dt.date(2013, 4, 1))
    visited_then = BeneficiaryFactory(branch=tree.branch_a, registered_on=dt.date(2011, 3, 1))
    VisitFactory(beneficiary=visited_then, date=dt.date(2012, 3, 9))
    assert figures(tree, YEAR_2012).never_visited == 1  # visited_later, as 2012 ended
    assert figures(tree, (dt.date(2013, 1, 1), dt.date(2013, 12, 31))).never_visited == 0
    assert figures(tree, (dt.date(2026, 1, 1), dt.date(2026, 12, 31))).never_visited == 1  # the 2024 household


def test_pairings_are_judged_as_they_stood_at_the_periods_end(tree):
    member = MemberFactory(branch=tree.branch_a, joined_on=dt.date(2010, 1, 1))
    # Met on 1 February 2012, then not until 2014: due again by 1 April 2012.
    lapsed = PairingFactory(member=member, start_date=dt.date(2012, 1, 1), interval_days=60)
    visit = VisitFactory(beneficiary=lapsed.beneficiary, branch=tree.branch_a, date=dt.date(2012, 2, 1))
    visit.visitors.add(member)
    later = VisitFactory(beneficiary=lapsed.beneficiary, branch=tree.branch_a, date=dt.date(2014, 1, 10))
    later.visitors.add(member)
    # Ended in June 2012 without a visit: overdue in Q1 (never met, started 90 days before its end)? No: 60 days
    # from 1 January is 1 March, so yes, overdue at the end of Q1; gone by the end of 2012.
    PairingFactory(member=member, start_date=dt.date(2012, 1, 1), end_date=dt.date(2012, 6, 30), interval_days=60)
    PairingFactory(member=member, start_date=dt.date(2026, 1, 1))  # today's pairing: no 2012 page counts it
    assert figures(tree, Q1_2012).overdue_pairings == 1  # the ended one; `lapsed` was due only on 1 April
    assert figures(tree, YEAR_2012).overdue_pairings == 1  # `lapsed`; the 2014 visit is not yet made
    assert figures(tree, (dt.date(2014, 1, 1), dt.date(2014, 2, 28))).overdue_pairings == 0  # met 10 January


def test_the_dashboard_of_a_past_period_says_its_counts_are_as_of_its_end(as_user, tree):
    from .test_views import dashboard

    page = as_user(tree.district_leader).get(dashboard(tree.district), {"period": "chosen_year", "year": "2012"})
    text = page.content.decode()
    assert "截至 2012-12-31" in text
    assert "?overdue=1" not in text  # the list behind that link shows today's pairings, not 2012's

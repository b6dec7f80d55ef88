"""Demo reports for `seed_demo`: which branches report how often, and reports in every state of the workflow.

Party branches and communities report each quarter, streets each year. The two quarters before the last one
are approved everywhere; for the last quarter some communities have submitted, one was returned, and the two
demo secretaries' party branches have not reported yet, so `secretary1` finds the quarter's report due.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from activities.models import Activity, Participation
from volunteer_portal.branches.models import Branch, Member, on_roll_q
from volunteer_portal.dashboards.figures import took_part_in
from volunteer_portal.dashboards.periods import Frequency, period_of

from .. import services
from ..models import ReportRequirement

DEMO_SECRETARY_BRANCHES = {"kfzx-zb", "bgs-zb"}


def build_demo_reports(*, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    User = get_user_model()
    admin, leader = User.objects.get(username="admin"), User.objects.get(username="leader")
    for kind, frequency in [
        (Branch.Kind.PARTY_BRANCH, Frequency.QUARTERLY),
        (Branch.Kind.COMMUNITY, Frequency.QUARTERLY),
        (Branch.Kind.STREET, Frequency.YEARLY),
    ]:
        ReportRequirement.objects.create(branch_kind=kind, frequency=frequency)
    # Only the named demo tree: a large generated organisation gets requirements but no reports.
    branches = list(
        Branch.objects.filter(kind__in=[Branch.Kind.PARTY_BRANCH, Branch.Kind.COMMUNITY])
        .exclude(code__startswith="demo-")
        .order_by("path")
    )
    last_start, _end = period_of(Frequency.QUARTERLY, today)
    quarters: list[dt.date] = []
    day = last_start
    for _i in range(3):
        start, _end = period_of(Frequency.QUARTERLY, day - dt.timedelta(days=1))
        quarters.insert(0, start)
        day = start
    created = 0
    exemplary: list[Branch] = []
    for index, start in enumerate(quarters):
        latest = index == len(quarters) - 1
        for position, branch in enumerate(branches):
            if latest and branch.code in DEMO_SECRETARY_BRANCHES:
                continue  # left for the demo secretaries to write
            report = services.report_create(actor=admin, branch=branch, frequency=Frequency.QUARTERLY, start=start)
            created += 1
            if latest and position % 4 == 3:
                continue  # a draft, not submitted
            services.report_submit(actor=admin, report=report)
            if latest and position % 4 == 2:
                continue  # awaiting review
            if latest and position % 4 == 1:
                services.report_review(actor=leader, report=report, approve=False,
                                      comment="请补充典型案例，并写明下一步打算。")  # fmt: skip
                continue
            services.report_review(actor=leader, report=report, approve=True)
            if latest:
                exemplary.append(branch)
    _everyone_takes_part(exemplary, today)
    return {"branch reports": created}


def _everyone_takes_part(branches: list[Branch], today: dt.date) -> None:
    """In the branches whose latest report was approved, every member on the roll took part this year, so the
    year-end evaluation shows branches that may be rated excellent beside those that may not."""
    year_start = dt.date(today.year, 1, 1)
    for branch in branches:
        activity = Activity.objects.filter(branch=branch, date__gte=year_start).order_by("-date").first()
        if activity is None:
            continue
        missing = Member.objects.filter(on_roll_q(today), branch=branch).exclude(took_part_in(year_start, today))
        Participation.objects.bulk_create([Participation(activity=activity, member=m) for m in missing])

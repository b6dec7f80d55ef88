"""What members' records add to the figure store while they wait: pending hours and visits in the deciding
branch's month, as `confirmed=False` rows (branches/tallies.py). They count in no figure; the dashboard shows
how much waits. A decided claim adds nothing here: once confirmed, its participation or visit counts."""

from collections.abc import Iterable
from decimal import Decimal

from volunteer_portal.branches.tallies import Footprint

from .models import Claim


def claim_footprint(claim_ids: Iterable[int]) -> Footprint:
    footprint = Footprint()
    pending = Claim.objects.filter(pk__in=list(claim_ids), status=Claim.Status.PENDING)
    for branch_id, path, day, kind, hours in pending.values_list("branch_id", "branch__path", "date", "kind", "hours"):
        amounts: dict[str, Decimal | int] = (
            {"hours": hours or 0, "participations": 1} if kind == Claim.Kind.HOURS else {"visits": 1}
        )
        footprint.add(branch_id=branch_id, path=path, day=day, amounts=amounts, confirmed=False)
    return footprint

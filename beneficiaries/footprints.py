"""What visits add to the figure store (branches/tallies.py; DESIGN.md, "Figures"): each live visit to a
household not archived counts once in its branch's month, with the items handed over by kind (their value, how
many, how many with no value given); each household counts once in the distinct figures. Items handed over at an
activity to people not named are few and dated by their activity: the figures read them from their own table."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from volunteer_portal.branches.tallies import Footprint

from .models import AssistanceItem, Visit

HOUSEHOLD = "household"


def visit_footprint(visit_ids: Iterable[int]) -> Footprint:
    """The footprint of these visits as they are stored now, in two queries."""
    ids = list(visit_ids)
    live = Visit.objects.live().filter(pk__in=ids, beneficiary__archived_at__isnull=True)
    footprint = Footprint()
    handed_over: dict[int, dict[str, Decimal | int]] = defaultdict(lambda: defaultdict(int))
    for visit_id, kind, value, quantity in AssistanceItem.objects.filter(visit__in=live).values_list(
        "visit_id", "kind", "value", "quantity"
    ):
        amounts = handed_over[visit_id]
        amounts[f"value:{kind}"] += value or 0
        amounts[f"items:{kind}"] += quantity
        if value is None:
            amounts[f"unvalued:{kind}"] += quantity
    for pk, branch_id, path, day, beneficiary_id in live.values_list(
        "pk", "branch_id", "branch__path", "date", "beneficiary_id"
    ):
        footprint.add(
            branch_id=branch_id,
            path=path,
            day=day,
            amounts={"visits": 1, **handed_over[pk]},
            present=[(HOUSEHOLD, beneficiary_id)],
        )
    return footprint


def visits_of(beneficiary_ids: Iterable[int]) -> list[int]:
    return list(Visit.objects.filter(beneficiary_id__in=list(beneficiary_ids)).values_list("pk", flat=True))

"""What activities add to the figure store (branches/tallies.py; DESIGN.md, "Figures"): each live activity
counts once in its branch's month, by its type too, with its participations and their hours; each participant
counts once in the distinct figures. Archived activities add nothing."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from volunteer_portal.branches.tallies import Footprint

from .models import Activity, Participation

PARTICIPANT = "participant"


def activity_footprint(activity_ids: Iterable[int]) -> Footprint:
    """The footprint of these activities as they are stored now, in two queries."""
    ids = list(activity_ids)
    footprint = Footprint()
    taking_part: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for activity_id, member_id, hours in Participation.objects.filter(
        activity_id__in=ids, activity__archived_at__isnull=True
    ).values_list("activity_id", "member_id", "hours"):
        taking_part[activity_id].append((member_id, hours))
    for pk, branch_id, path, day, type_id in (
        Activity.objects.live().filter(pk__in=ids).values_list("pk", "branch_id", "branch__path", "date", "type_id")
    ):
        people = taking_part[pk]
        footprint.add(
            branch_id=branch_id,
            path=path,
            day=day,
            amounts={
                "activities": 1,
                f"type:{type_id}": 1,
                "participations": len(people),
                "hours": sum((hours for _member, hours in people), Decimal("0")),
            },
            present=[(PARTICIPANT, member_id) for member_id, _hours in people],
        )
    return footprint

"""For `seed_demo`: one pairing of `secretary1`'s own member record that is due in three days, so that the demo's
reminders always show a pairing (the generated pairings are due or overdue at random)."""

import datetime as dt

from django.utils import timezone

from beneficiaries.models import Beneficiary, Pairing
from volunteer_portal.branches.models import Member, in_subtree

DUE_IN_DAYS = 3


def pair_demo_secretary(*, username: str = "secretary1", today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    member = Member.objects.filter(user__username=username).select_related("branch").first()
    if member is None:
        return 0
    household = (
        Beneficiary.objects.live()
        .filter(in_subtree(member.branch, via="branch"))
        .exclude(pairings__member=member)
        .order_by("pk")
        .first()
    )
    if household is None:
        return 0
    interval = 60
    Pairing.objects.create(member=member, beneficiary=household, interval_days=interval,
                           start_date=today - dt.timedelta(days=interval - DUE_IN_DAYS))  # fmt: skip
    return 1

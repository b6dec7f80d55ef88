"""For `seed_demo`: `volunteer1`, a member's own login (a volunteer of 康复中心支部, no role grant), so that the
members' side has something to show: two running pairings with households of the branch — one overdue (last met
long ago), one due later (met recently) — and hours at a recent activity of the branch waiting for secretary1's
confirmation. Written through the services, as a secretary and the member would; the figure store is rebuilt
after it anyway."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from activities.models import Activity
from beneficiaries.models import Beneficiary
from beneficiaries.services import pairing_create, visit_record
from volunteer_portal.branches.models import Branch, Member
from volunteer_portal.models import stamp_history_user
from volunteer_portal.selfservice.services import claim_check_in

from .organisation import DEMO_PASSWORD

VOLUNTEER = "volunteer1"
BRANCH_CODE = "kfzx-zb"
INTERVAL = 60
# (started this many days ago, last met this many days ago): overdue by a month, then due in seven weeks.
PAIRINGS = [(200, INTERVAL + 30), (150, 12)]
MEETING = "结对帮扶定期见面，了解家庭情况和各项需要。"


def build_demo_volunteer(*, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    branch = Branch.objects.get(code=BRANCH_CODE)
    secretary = get_user_model().objects.get(username="secretary1")
    # A volunteer without a login or a pairing of their own yet (not a leadership member, who pair already).
    member = (
        Member.objects.filter(branch=branch, active=True, user__isnull=True)
        .exclude(pairings__isnull=False)
        .order_by("is_leadership", "pk")
        .first()
    ) or Member.objects.filter(branch=branch, active=True, user__isnull=True).order_by("is_leadership", "pk").first()
    if member is None:
        return {}
    user = get_user_model().objects.create_user(VOLUNTEER, password=DEMO_PASSWORD)
    member.user = user
    stamp_history_user(member, user)
    member.save(update_fields=["user", "updated_at"])

    # Households of the branch the member has never visited, so that the last contact is the one made here.
    households = list(
        Beneficiary.objects.live()
        .filter(branch=branch)
        .exclude(visits__visitors=member)
        .exclude(pairings__member=member)
        .order_by("pk")[: len(PAIRINGS)]
    )
    for household, (started, met) in zip(households, PAIRINGS, strict=False):
        visit_record(actor=secretary, beneficiary=household, branch=branch, date=today - dt.timedelta(days=met),
                     visitors=[member], notes=MEETING)  # fmt: skip
        pairing_create(actor=secretary, member=member, beneficiary=household,
                       start_date=today - dt.timedelta(days=started), interval_days=INTERVAL)  # fmt: skip

    claims = 0
    activity = (
        Activity.objects.live()
        .filter(branch=branch, date__lte=today)
        .exclude(participations__member=member)
        .order_by("-date", "-pk")
        .first()
    )
    if activity is not None:
        claim_check_in(actor=user, member=member, activity=activity)
        claims = 1
    return {"pairings": len(households), "member logins": 1, "members' records waiting": claims}

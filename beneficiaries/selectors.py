"""Reads of beneficiaries, visits and pairings, always through the user's scope.

The overdue-pairing rule (DESIGN.md, "Figures") is written once, in `pairing_overdue_q`; the home page, the
lists and the dashboards all use it.
"""

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.branches.selectors import get_in_scope, scope_q, scope_q_any
from volunteer_portal.expressions import AddDays

from .models import AssistanceItem, Beneficiary, Pairing, Visit, VisitPhoto

Role = RoleGrant.Role
PAIRING_SCOPE = ("member__branch", "beneficiary__branch")
VISIT_SCOPE = ("branch", "beneficiary__branch")


def beneficiary_list(*, user, include_archived: bool = False) -> QuerySet[Beneficiary]:
    qs = Beneficiary.objects.filter(scope_q(user, via="branch"))
    if not include_archived:
        qs = qs.live()
    # The last visit is stored on the row (`beneficiaries.upkeep`): a page of 20 reads 20 rows.
    return qs.select_related("branch").annotate(last_visit=F("last_visit_on"))


def beneficiary_get_for_user(user, pk, *, for_write: bool = False) -> Beneficiary:
    return get_in_scope(Beneficiary.objects.select_related("branch"), user, pk, for_write=for_write)


def never_visited_q(*, as_of: dt.date | None = None) -> Q:
    """Households with no live visit; given a day, as that day ended: registered by then, not visited by then
    (a past period's "never visited" is as of its end, DESIGN.md). Up to today it reads the stored last visit
    (no visit is dated in the future); a past day asks the visits."""
    if as_of is None:
        return Q(last_visit_on__isnull=True)
    if as_of >= timezone.localdate():
        return Q(registered_on__lte=as_of, last_visit_on__isnull=True)
    visits = Visit.objects.live().filter(beneficiary=OuterRef("pk"), date__lte=as_of)
    return Q(registered_on__lte=as_of) & ~Q(Exists(visits))


def visit_list_for_beneficiary(beneficiary: Beneficiary) -> QuerySet[Visit]:
    return (
        beneficiary.visits.live()
        .select_related("branch", "activity")
        .prefetch_related("items", "visitors")
        .order_by("-date", "-pk")
    )


def assistance_totals(visits: QuerySet[Visit]) -> dict[str, tuple[object, int]]:
    """By kind over live visits: the sum of the item values given, and how many items had no value (the
    documents often give none; such an item still counts). One grouped query."""
    rows = (
        AssistanceItem.objects.filter(visit__in=visits.filter(archived_at__isnull=True))
        .values("kind")
        .annotate(total=Sum("value"), unvalued=Count("id", filter=Q(value__isnull=True)))
        .order_by("kind")
    )
    return {row["kind"]: (row["total"] or 0, row["unvalued"]) for row in rows}


def visit_get_for_user(user, pk, *, for_write: bool = False) -> Visit:
    return get_in_scope(
        Visit.objects.select_related("beneficiary", "beneficiary__branch", "branch", "activity", "archived_by"),
        user,
        pk,
        via=VISIT_SCOPE,
        for_write=for_write,
    )


def visit_photo_get_for_user(user, pk) -> VisitPhoto:
    """A live photo of a live or archived visit the user may read (404 otherwise)."""
    return get_in_scope(VisitPhoto.objects.live(), user, pk, via=tuple(f"visit__{lookup}" for lookup in VISIT_SCOPE))


def visits_for_activity(activity) -> QuerySet[Visit]:
    return activity.visits.live().select_related("beneficiary").prefetch_related("items").order_by("pk")


def group_items_for_activity(activity) -> QuerySet[AssistanceItem]:
    """What the activity handed over to people not recorded by name."""
    return activity.group_items.order_by("pk")


# --- pairings ----------------------------------------------------------------------------------------------


def _last_contact(as_of: dt.date) -> F | Subquery:
    """The latest live visit to the household in which the paired member took part, between the start and the
    day the status is read for (a past period reads its pairings as they stood at its end). Up to today that is
    the stored last contact (no visit is dated in the future: `beneficiaries.upkeep` keeps the same rule); a
    past day asks the visits."""
    if as_of >= timezone.localdate():
        return F("last_contact_on")
    return Subquery(
        Visit.objects.live()
        .filter(
            beneficiary=OuterRef("beneficiary"),
            visitors=OuterRef("member"),
            date__gte=OuterRef("start_date"),
            date__lte=as_of,
        )
        .order_by("-date")
        .values("date")[:1]
    )


def next_due() -> AddDays:
    """The day by which the pair should meet again: the last contact (or the start) plus the interval."""
    return AddDays(Coalesce(F("last_contact"), F("start_date")), F("interval_days"))


def open_pairing_q(*, today: dt.date | None = None) -> Q:
    """A pairing running: not archived, its household not archived, and not ended — given a day, running as
    that day ended (begun by then, not ended by then), so that a past period sees the pairings of its time.
    The one rule the overdue count, the pairing list and the evaluation's share use."""
    live = Q(archived_at__isnull=True, beneficiary__archived_at__isnull=True)
    if today is None:
        return live & Q(end_date__isnull=True)
    return live & Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gt=today))


def pairing_overdue_q(*, today: dt.date) -> Q:
    """Pairings running on the day whose last contact by then is older than their interval, or that never had
    one and started longer ago than that (DESIGN.md, "overdue pairings", as of the end of the range). Needs
    `pairings_with_status` annotations for the same day."""
    return Q(next_due__lt=today) & open_pairing_q(today=today)


def pairings_with_status(queryset: QuerySet[Pairing], *, today: dt.date | None = None) -> QuerySet[Pairing]:
    """Annotate last_contact, next_due and is_overdue as they stood at the end of `today` (default: today),
    all computed by the database."""
    today = today or timezone.localdate()
    return (
        queryset.annotate(last_contact=_last_contact(today))
        .annotate(next_due=next_due())
        .annotate(
            is_overdue=Case(
                When(pairing_overdue_q(today=today), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def pairing_list(*, user, include_ended: bool = False) -> QuerySet[Pairing]:
    qs = Pairing.objects.live().filter(scope_q_any(user, via=PAIRING_SCOPE))
    if not include_ended:
        qs = qs.filter(open_pairing_q())
    return pairings_with_status(qs.select_related("member", "member__branch", "beneficiary", "beneficiary__branch"))


def pairing_get_for_user(user, pk, *, for_write: bool = False) -> Pairing:
    return get_in_scope(
        Pairing.objects.select_related("member", "beneficiary"), user, pk, via=PAIRING_SCOPE, for_write=for_write
    )


def pairing_can_write(user, pairing: Pairing) -> bool:
    return Pairing.objects.filter(scope_q_any(user, via=PAIRING_SCOPE, role=Role.SECRETARY), pk=pairing.pk).exists()


def beneficiaries_with_overdue_pairing_q(*, today: dt.date | None = None) -> Q:
    overdue = pairings_with_status(Pairing.objects.live(), today=today).filter(Q(is_overdue=True))
    return Q(pk__in=overdue.values("beneficiary_id"))


def open_follow_ups(*, user) -> QuerySet[Visit]:
    return (
        Visit.objects.live()
        .filter(scope_q_any(user, via=VISIT_SCOPE), follow_up_needed=True, follow_up_closed_at__isnull=True)
        .select_related("beneficiary")
        .order_by("date")
    )

"""Reads of activities, always through the user's scope."""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet, Sum

from volunteer_portal.branches.models import Branch, Member, in_subtree
from volunteer_portal.branches.selectors import get_in_scope, scope_ancestor_ids, scope_q

from .models import Activity, ActivityPhoto, ActivityType, Campaign, CampaignTarget, Participation


def activity_list(*, user, include_archived: bool = False) -> QuerySet[Activity]:
    qs = Activity.objects.filter(scope_q(user, via="branch"))
    if not include_archived:
        qs = qs.live()
    # The participant count and hours are stored on the row (`activities.upkeep`): a page of 20 reads 20 rows.
    return qs.select_related("branch", "type", "type__parent", "campaign")


def activity_get_for_user(user, pk, *, for_write: bool = False) -> Activity:
    return get_in_scope(
        Activity.objects.select_related("branch", "type", "type__parent", "campaign", "archived_by"),
        user,
        pk,
        for_write=for_write,
    )


def photo_get_for_user(user, pk) -> ActivityPhoto:
    return get_in_scope(ActivityPhoto.objects.live(), user, pk, via="activity__branch")


def activity_type_choices() -> QuerySet[ActivityType]:
    """Active types a user can pick: those without sub-types (pick 家政维修, not its parent)."""
    return (
        ActivityType.objects.filter(active=True)
        .annotate(live_subtypes=Count("subtypes", filter=Q(subtypes__active=True)))
        .filter(live_subtypes=0)
        .select_related("parent")
        .order_by("order", "name")
    )


def campaign_choices(*, user, on: dt.date | None = None) -> QuerySet[Campaign]:
    """Live campaigns organised in the user's scope or above it (a secretary's activities count towards the
    plans of the federation they belong to)."""
    ancestor_ids = set() if user.is_superuser else scope_ancestor_ids(user)
    qs = Campaign.objects.live().filter(scope_q(user, via="branch") | Q(branch_id__in=ancestor_ids))
    if on is not None:
        qs = qs.filter(start__lte=on, end__gte=on)
    return qs.select_related("branch")


def campaign_list(*, user) -> QuerySet[Campaign]:
    """Live campaigns organised by a branch in the user's scope, newest first, with their number of targets."""
    return (
        Campaign.objects.live()
        .filter(scope_q(user, via="branch"))
        .select_related("branch")
        .annotate(target_count=Count("targets"))
        .order_by("-start", "name", "pk")
    )


def campaign_get_for_user(user, pk, *, for_write: bool = False) -> Campaign:
    """A live campaign whose organising branch is in the user's scope (404 otherwise); `for_write`: a secretary's
    (403 for a leader who may only read it)."""
    return get_in_scope(Campaign.objects.live().select_related("branch"), user, pk, for_write=for_write)


def target_get_for_user(user, pk, *, for_write: bool = False) -> CampaignTarget:
    return get_in_scope(
        CampaignTarget.objects.filter(campaign__archived_at__isnull=True).select_related(
            "campaign", "campaign__branch", "activity_type"
        ),
        user,
        pk,
        via="campaign__branch",
        for_write=for_write,
    )


def target_branches_q(target: CampaignTarget, root: "Branch | str") -> Q:
    """The branches a branch target is counted for, under `root` (a branch or its path): active, of the target's
    kind. The one statement of the rule: the target form's check, its preview and the progress all use it."""
    condition = Q(active=True) & in_subtree(root)
    return condition & Q(kind=target.branch_kind) if target.branch_kind else condition


def member_year_figures(members: Iterable[Member], *, year: int) -> list[Member]:
    """Set each given member's live activities and hours in a calendar year (`activities_this_year`,
    `hours_this_year`): one grouped query over these members' participations only, so a list computes them for
    the page it shows, never for every member."""
    members = list(members)
    rows = (
        Participation.objects.filter(
            member__in=[member.pk for member in members],
            activity__date__year=year,
            activity__archived_at__isnull=True,
        )
        .order_by()
        .values("member")
        .annotate(n=Count("activity", distinct=True), hours=Sum("hours"))
    )
    figures = {row["member"]: (row["n"], row["hours"]) for row in rows} if members else {}
    for member in members:  # named as the annotations the page read before, so the template is unchanged
        count, hours = figures.get(member.pk, (0, None))
        setattr(member, "activities_this_year", count)  # noqa: B010 (not a model field: mypy would refuse it)
        setattr(member, "hours_this_year", hours)  # noqa: B010
    return members

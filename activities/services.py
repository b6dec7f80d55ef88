"""Writes to activities. Each function validates, saves in one transaction and leaves an audit trail
(django-simple-history records who changed what; the actor is passed explicitly)."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteer_portal.branches import tallies
from volunteer_portal.branches.models import Branch, Member, on_roll_q
from volunteer_portal.branches.services import member_create
from volunteer_portal.models import ensure_not_archived, save_checked
from volunteer_portal.photos import to_jpeg, validate_photo
from volunteer_portal.services import record_archive
from volunteer_portal.versions import check_version

from .footprints import activity_footprint
from .models import Activity, ActivityPhoto, ActivityType, Campaign, CampaignTarget, Participation
from .selectors import target_branches_q
from .upkeep import activity_totals_refresh


def _add_new_members(activity: Activity, new_members: list[dict], hours: Decimal, actor) -> dict[Member, Decimal]:
    """People who took part but were not members yet: added to the activity's branch, on the roll from their
    join date (the activity's date unless given)."""
    added = {}
    for fields in new_members:
        member = member_create(
            actor=actor,
            branch=activity.branch,
            name=fields["name"],
            gender=fields["gender"],
            joined_on=fields.get("joined_on") or activity.date,
            left_on=fields.get("left_on"),
        )
        added[member] = hours
    return added


def _set_participants(activity: Activity, participants: dict[Member, Decimal], actor) -> None:
    """Replace the activity's participants. Only people on the roll on the activity's date may take part
    (DESIGN.md, "the roll"): the rest are refused by name, with what to do."""
    _check_on_roll({activity.pk: activity}, {(activity.pk, member.pk): member for member in participants})
    # In a constant number of statements however many take part: the roll query above checked the members, the
    # dictionary keeps each once, the field validators check the hours (the database's constraints stand behind).
    current = {p.member_id: p for p in activity.participations.all()}
    wanted = {member.pk: hours for member, hours in participants.items()}
    gone = [participation for member_id, participation in current.items() if member_id not in wanted]
    changed = [p for member_id, p in current.items() if member_id in wanted and p.hours != wanted[member_id]]
    added = [Participation(activity=activity, member=member, hours=hours) for member, hours in participants.items()
             if member.pk not in current]  # fmt: skip
    now = timezone.now()
    for participation in changed:
        participation.hours, participation.updated_at = wanted[participation.member_id], now
    for participation in [*changed, *added]:
        participation.full_clean(exclude=["activity", "member"], validate_unique=False, validate_constraints=False)
    if gone:
        # One DELETE, as Django's own fast path runs it: a queryset delete would send post_delete row by row (and
        # simple-history would write one history row each); nothing refers to a participation.
        removed = Participation.objects.filter(pk__in=[p.pk for p in gone])
        removed._raw_delete(removed.db)
    Participation.objects.bulk_update(changed, ["hours", "updated_at"])
    Participation.objects.bulk_create(added)
    _write_history(Participation, gone, "-", actor, now)
    _write_history(Participation, changed, "~", actor, now)
    _write_history(Participation, added, "+", actor, now)
    activity_totals_refresh(Activity.objects.filter(pk=activity.pk))


def _write_history(model, records: list, kind: str, actor, when) -> None:
    """The change history of many rows in one INSERT: "+" added, "~" changed, "-" removed (simple-history's own
    bulk helpers write the first two only)."""
    history = model.history.model
    history.objects.bulk_create(
        [
            history(
                history_date=when,
                history_user=actor,
                history_type=kind,
                history_change_reason="",
                **{field.attname: getattr(record, field.attname) for field in history.tracked_fields},
            )
            for record in records
        ]
    )


def _add_photos(activity: Activity, photos: list[UploadedFile], actor) -> None:
    for upload in photos:
        validate_photo(upload)
        photo = ActivityPhoto(activity=activity, uploaded_by=actor)
        photo.image.save("photo.jpg", to_jpeg(upload), save=False)
        photo.thumbnail.save("thumb.jpg", to_jpeg(upload, max_width=settings.PHOTO_THUMBNAIL_WIDTH), save=False)
        photo.save()


@transaction.atomic
def activity_create(
    *,
    actor,
    branch: Branch,
    type: ActivityType,
    date: dt.date,
    title: str,
    starts_at: dt.time | None = None,
    ends_at: dt.time | None = None,
    location: str = "",
    description: str = "",
    outcome: str = "",
    campaign: Campaign | None = None,
    participants: dict[Member, Decimal] | None = None,
    new_members: list[dict] | None = None,
    default_hours: Decimal = Decimal("2.0"),
    photos: list[UploadedFile] | None = None,
) -> Activity:
    activity = Activity(
        branch=branch,
        type=type,
        date=date,
        starts_at=starts_at,
        ends_at=ends_at,
        title=title,
        location=location,
        description=description,
        outcome=outcome,
        campaign=campaign,
    )
    save_checked(activity, actor)
    participants = {**(participants or {}), **_add_new_members(activity, new_members or [], default_hours, actor)}
    _set_participants(activity, participants, actor)
    _add_photos(activity, photos or [], actor)
    tallies.apply(tallies.Footprint(), activity_footprint([activity.pk]))
    return activity


@transaction.atomic
def activity_update(
    *,
    actor,
    activity: Activity,
    participants: dict[Member, Decimal],
    new_members: list[dict] | None = None,
    default_hours: Decimal = Decimal("2.0"),
    photos: list[UploadedFile] | None = None,
    version: dt.datetime | None = None,
    **fields,
) -> Activity:
    stored = Activity.objects.select_for_update().get(pk=activity.pk)
    ensure_not_archived(stored)
    check_version(stored, version, actor=actor, incoming=fields)
    before = activity_footprint([activity.pk])
    for name, value in fields.items():
        setattr(activity, name, value)
    save_checked(activity, actor)
    participants = {**participants, **_add_new_members(activity, new_members or [], default_hours, actor)}
    _set_participants(activity, participants, actor)
    _add_photos(activity, photos or [], actor)
    tallies.apply(before, activity_footprint([activity.pk]))
    return activity


@transaction.atomic
def activity_archive(*, actor, activity: Activity) -> Activity:
    before = activity_footprint([activity.pk])
    record_archive(actor=actor, record=activity)
    tallies.apply(before, activity_footprint([activity.pk]))
    return activity


# --- campaigns (活动方案) and their targets ----------------------------------------------------------------------

CAMPAIGN_FIELDS = ["name", "theme", "branch", "start", "end", "description"]
TARGET_FIELDS = ["name", "subject", "branch_kind", "leadership_only", "metric", "quantity", "activity_type",
                 "hardship_only"]  # fmt: skip


def _check_tied_activities(campaign: Campaign) -> None:
    """A campaign's period may not leave out activities already tied to it (Activity.clean's rule, seen from the
    campaign's side)."""
    if campaign.pk is None:
        return
    outside = campaign.activities.live().exclude(date__gte=campaign.start, date__lte=campaign.end)
    first = outside.order_by("date").values_list("date", flat=True).first()
    if first is not None:
        raise ValidationError(
            _(
                "%(count)s activities tied to this campaign are dated outside %(start)s to %(end)s (the first on "
                "%(date)s): keep them inside the period, or untie them from the campaign first."
            )
            % {
                "count": outside.count(),
                "start": f"{campaign.start:%Y-%m-%d}",
                "end": f"{campaign.end:%Y-%m-%d}",
                "date": f"{first:%Y-%m-%d}",
            }
        )


@transaction.atomic
def campaign_create(
    *, actor, name: str, branch: Branch, start: dt.date, end: dt.date, theme: str = "", description: str = ""
) -> Campaign:
    campaign = Campaign(name=name, branch=branch, start=start, end=end, theme=theme, description=description)
    save_checked(campaign, actor)
    return campaign


@transaction.atomic
def campaign_update(*, actor, campaign: Campaign, **fields) -> Campaign:
    stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
    ensure_not_archived(stored)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.full_clean()
    _check_tied_activities(campaign)
    save_checked(campaign, actor)
    return campaign


@transaction.atomic
def campaign_end(*, actor, campaign: Campaign, on: dt.date) -> Campaign:
    """End a campaign on a day (today, or earlier): its period stops there; nothing is deleted."""
    stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
    ensure_not_archived(stored)
    if on < stored.start:
        raise ValidationError({"on": _("A campaign cannot end before it starts (%(start)s).")
                               % {"start": f"{stored.start:%Y-%m-%d}"}})  # fmt: skip
    if on > stored.end:
        raise ValidationError({"on": _("The campaign already ends on %(end)s; to make it longer, edit it.")
                               % {"end": f"{stored.end:%Y-%m-%d}"}})  # fmt: skip
    campaign.end = on
    _check_tied_activities(campaign)
    save_checked(campaign, actor)
    return campaign


def target_check(target: CampaignTarget) -> CampaignTarget:
    """A target's rules, also asked by the target form's preview before anything is saved."""
    target.full_clean(exclude=["campaign"])
    if target.subject == CampaignTarget.Subject.BRANCH:
        organiser = target.campaign.branch
        if not Branch.objects.filter(target_branches_q(target, organiser)).exists():
            kind = target.get_branch_kind_display() if target.branch_kind else _("branch")
            raise ValidationError(
                {
                    "branch_kind": _(
                        "%(organiser)s has no %(kind)s below it, so this target could never be counted: choose "
                        "another kind, or ask the administrator to set the kinds in the branch tree."
                    )
                    % {"organiser": organiser.name, "kind": kind}
                }
            )
    return target


@transaction.atomic
def target_create(*, actor, campaign: Campaign, **fields) -> CampaignTarget:
    ensure_not_archived(Campaign.objects.select_for_update().get(pk=campaign.pk))
    target = CampaignTarget(campaign=campaign, **fields)
    target_check(target)
    target.save()
    return target


@transaction.atomic
def target_update(*, actor, target: CampaignTarget, **fields) -> CampaignTarget:
    ensure_not_archived(Campaign.objects.select_for_update().get(pk=target.campaign_id))
    for name, value in fields.items():
        setattr(target, name, value)
    target_check(target)
    target.save()
    return target


@transaction.atomic
def target_delete(*, actor, target: CampaignTarget) -> None:
    ensure_not_archived(Campaign.objects.select_for_update().get(pk=target.campaign_id))
    target.delete()


@transaction.atomic
def participations_add(*, actor, added: list[tuple[Activity, Member, Decimal]]) -> list[Participation]:
    """Participants added to activities (members' confirmed check-ins), in the order given, kept like the form's:
    each on the roll on the activity's date and once per activity, with the history, the list totals and the
    figure store. In a constant number of statements however many, over however many activities."""
    if not added:
        return []
    ids = sorted({activity.pk for activity, _member, _hours in added})
    stored = {activity.pk: activity for activity in Activity.objects.select_for_update().filter(pk__in=ids)}
    for activity in stored.values():
        ensure_not_archived(activity)
    taken = set(Participation.objects.filter(activity_id__in=ids).values_list("activity_id", "member_id"))
    wanted: dict[tuple[int, int], tuple[Member, Decimal]] = {}
    for activity, member, hours in added:
        if (activity.pk, member.pk) in taken or (activity.pk, member.pk) in wanted:
            raise ValidationError(_("%(name)s already took part in this activity.") % {"name": member.name},
                                  code="already_taking_part")  # fmt: skip
        wanted[(activity.pk, member.pk)] = (member, hours)
    _check_on_roll(stored, {key: member for key, (member, _hours) in wanted.items()})
    before = activity_footprint(ids)
    now = timezone.now()
    rows = [
        Participation(activity=stored[key[0]], member=member, hours=hours) for key, (member, hours) in wanted.items()
    ]
    for row in rows:
        row.full_clean(exclude=["activity", "member"], validate_unique=False, validate_constraints=False)
    Participation.objects.bulk_create(rows)
    _write_history(Participation, rows, "+", actor, now)
    activity_totals_refresh(Activity.objects.filter(pk__in=ids))
    tallies.apply(before, activity_footprint(ids))
    return rows


def _check_on_roll(activities: dict[int, Activity], wanted: dict[tuple[int, int], Member]) -> None:
    """Refuse, by name and day, whoever (activity pk, member pk) is not on the roll on their activity's date
    (DESIGN.md, "the roll"), with what to do: one query, whatever the number of days."""
    days = {day: number for number, day in enumerate(sorted({activity.date for activity in activities.values()}))}
    members_by_day: dict[dt.date, set[int]] = {day: set() for day in days}
    for activity_id, member_id in wanted:
        members_by_day[activities[activity_id].date].add(member_id)
    on_days = [
        Member.objects.filter(on_roll_q(day), pk__in=members_by_day[day])
        .annotate(day_number=Value(number))
        .values_list("pk", "day_number")
        .order_by()
        for day, number in days.items()
    ]
    on_roll = set(on_days[0].union(*on_days[1:], all=True))
    refused: dict[dt.date, list[str]] = {}
    for (activity_id, member_id), member in wanted.items():
        day = activities[activity_id].date
        if (member_id, days[day]) not in on_roll:
            refused.setdefault(day, []).append(member.name)
    if refused:
        raise ValidationError(
            {
                "participants": [
                    _(
                        "%(names)s were not on the roll on %(date)s: check their join and leave dates on the "
                        "member page, or untick them."
                    )
                    % {"names": "、".join(sorted(names)), "date": day.isoformat()}
                    for day, names in sorted(refused.items())
                ]
            }
        )

"""Writes to activities. Each function validates, saves in one transaction and leaves an audit trail
(django-simple-history records who changed what; the actor is passed explicitly)."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from volunteer_portal.branches.models import Branch, Member
from volunteer_portal.models import ensure_not_archived, save_checked, stamp_history_user
from volunteer_portal.photos import to_jpeg, validate_photo
from volunteer_portal.services import record_archive

from .models import Activity, ActivityPhoto, ActivityType, Campaign, Participation


def _set_participants(activity: Activity, participants: dict[Member, Decimal], actor) -> None:
    current = {p.member_id: p for p in activity.participations.all()}
    for participation in current.values():
        if participation.member not in participants:
            stamp_history_user(participation, actor)
            participation.delete()
    for member, hours in participants.items():
        participation = current.get(member.pk) or Participation(activity=activity, member=member)
        participation.hours = hours
        save_checked(participation, actor, exclude=["activity"])


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
    location: str = "",
    description: str = "",
    outcome: str = "",
    campaign: Campaign | None = None,
    participants: dict[Member, Decimal] | None = None,
    photos: list[UploadedFile] | None = None,
) -> Activity:
    activity = Activity(
        branch=branch,
        type=type,
        date=date,
        title=title,
        location=location,
        description=description,
        outcome=outcome,
        campaign=campaign,
    )
    save_checked(activity, actor)
    _set_participants(activity, participants or {}, actor)
    _add_photos(activity, photos or [], actor)
    return activity


@transaction.atomic
def activity_update(
    *,
    actor,
    activity: Activity,
    participants: dict[Member, Decimal],
    photos: list[UploadedFile] | None = None,
    **fields,
) -> Activity:
    stored = Activity.objects.select_for_update().get(pk=activity.pk)
    ensure_not_archived(stored)
    for name, value in fields.items():
        setattr(activity, name, value)
    save_checked(activity, actor)
    _set_participants(activity, participants, actor)
    _add_photos(activity, photos or [], actor)
    return activity


def activity_archive(*, actor, activity: Activity) -> Activity:
    record_archive(actor=actor, record=activity)
    return activity

"""Writes of the members' side: a member's check-in and visit become pending claims; a secretary confirms
(turning them into a participation or a visit through the apps' own services), corrects or rejects them. Each
write is atomic, leaves the history (django-simple-history, the actor passed) and keeps the figure store's
pending rows (footprints.py)."""

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from activities.models import Activity
from activities.services import participations_add
from beneficiaries.models import Pairing, VisitPhoto
from beneficiaries.selectors import open_pairing_q
from beneficiaries.services import NewVisit, visits_record
from volunteer_portal.branches import tallies
from volunteer_portal.branches.models import Member
from volunteer_portal.models import save_checked, stamp_history_user
from volunteer_portal.photos import to_jpeg, validate_photos

from .footprints import claim_footprint
from .invites import INVITE_GONE, invite_expiry, invite_for_token, invite_refusals, login_taken, new_token, token_hash
from .models import Claim, ClaimPhoto, Invite
from .selectors import my_claim_by_key

DEFAULT_HOURS = Decimal("2.0")
CORRECTED = ["hours", "date", "notes", "items"]  # what a secretary may correct before confirming
CLAIM_LINKS = [field.name for field in Claim._meta.fields if field.is_relation]  # read and locked, not looked up


def _submit(claim: Claim, actor) -> Claim:
    # The key's uniqueness is left to the database: two sends of one visit at once both pass a check made here,
    # and the second is answered from the first by claim_visit_submit.
    save_checked(claim, actor, exclude=["client_key"])
    tallies.apply(tallies.Footprint(), claim_footprint([claim.pk]))
    return claim


def _at_once(claim: Claim, actor) -> Claim:
    """Where the branch counts its members' work at once, the claim is confirmed as it comes (after its photos
    are saved, so that they move to the visit)."""
    if not claim.branch.confirm_members_work:
        return claim_confirm(actor=actor, claim=claim)
    return claim


@transaction.atomic
def claim_visit_submit(
    *,
    actor,
    member: Member,
    pairing: Pairing,
    date: dt.date,
    notes: str = "",
    items: Iterable[dict] = (),
    nothing_handed_over: bool = False,
    client_key: uuid.UUID | None = None,
    photos: Iterable[UploadedFile] = (),
) -> Claim:
    """A member's visit to a household they are paired with, with its photos (kept as JPEG). Sent again with the
    same `client_key` (a phone's retry), it answers the claim already recorded and records nothing new."""
    existing = my_claim_by_key(member, client_key)
    if existing is not None:
        return existing
    if pairing.member_id != member.pk or not Pairing.objects.filter(open_pairing_q(), pk=pairing.pk).exists():
        raise ValidationError(_("This household is not paired with you."), code="not_paired")
    if date < pairing.start_date:
        raise ValidationError(
            {
                "date": _("The pairing began on %(start)s: a visit cannot be dated before it.")
                % {"start": pairing.start_date.isoformat()}
            }
        )
    items = list(items)
    if not notes.strip() and not items and not nothing_handed_over:
        raise ValidationError(
            {"notes": _("Write what was done, add what was handed over, or tick “Visited; nothing was handed over”.")}
        )
    claim = Claim(
        kind=Claim.Kind.VISIT,
        member=member,
        branch=member.branch,
        date=date,
        pairing=pairing,
        notes=notes,
        items=[{**item, "value": None if item.get("value") is None else str(item["value"])} for item in items],
        nothing_handed_over=nothing_handed_over,
    )
    if client_key is not None:
        claim.client_key = client_key
    photos = list(photos)
    _check_photos(photos)
    try:
        with transaction.atomic():
            claim = _submit(claim, actor)
    except IntegrityError:
        # The same visit sent twice at the same moment (two tabs, or a retry racing the first send): the first
        # one stands, and this send gets its answer.
        existing = my_claim_by_key(member, client_key)
        if existing is None:  # the key of someone else's visit: a copied or made-up form
            raise ValidationError(
                _("This visit cannot be sent as it is: open the form again and fill it in."), code="foreign_key"
            ) from None
        return existing
    for upload in photos:
        photo = ClaimPhoto(claim=claim)
        photo.image.save("photo.jpg", to_jpeg(upload), save=False)
        photo.save()
    return _at_once(claim, actor)


def _check_photos(photos: list[UploadedFile]) -> None:
    """Every photo checked before anything is written, each bad one named."""
    try:
        validate_photos(photos)
    except ValidationError as error:
        raise ValidationError({"photos": error.messages}) from None


@transaction.atomic
def claim_check_in(*, actor, member: Member, activity: Activity, hours: Decimal = DEFAULT_HOURS) -> Claim:
    """A member checked in to an activity by its code: hours at it, once per member and activity."""
    existing = (
        Claim.objects.filter(kind=Claim.Kind.HOURS, member=member, activity=activity)
        .exclude(status=Claim.Status.REJECTED)
        .first()
    )
    if existing is not None:
        return existing
    if activity.participations.filter(member=member).exists():
        raise ValidationError(_("You are already recorded as taking part in this activity."), code="already_in")
    claim = Claim(kind=Claim.Kind.HOURS, member=member, branch=activity.branch, date=activity.date,
                  activity=activity, hours=hours)  # fmt: skip
    try:
        with transaction.atomic():
            return _at_once(_submit(claim, actor), actor)
    except IntegrityError:  # scanned twice at once: the other scan recorded it
        return Claim.objects.get(kind=Claim.Kind.HOURS, member=member, activity=activity,
                                 status__in=[Claim.Status.PENDING, Claim.Status.CONFIRMED])  # fmt: skip


def _item(values: dict) -> dict:
    """An item row as the visit service takes it: the value (kept as text in the claim's JSON) as a Decimal."""
    value = values.get("value")
    return {**values, "value": None if value in (None, "") else Decimal(str(value))}


def _stored_item(values: dict) -> dict:
    """An item row as the claim's JSON keeps it: the four fields, the value as text (JSON has no decimals)."""
    value = values.get("value")
    return {
        "kind": values["kind"],
        "description": values["description"],
        "quantity": values.get("quantity", 1),
        "value": None if value in (None, "") else str(value),
    }


def _photos_to_visits(claims: list[Claim], actor) -> None:
    """The members' photos become their visits'. The visit's rows point at the same stored files as the claim's:
    nothing here deletes a file (records are archived, never deleted), so sharing is safe and no copy doubles the
    storage. A thumbnail is made for the visit's page; a file gone missing leaves the row without one. One
    query for the claims' photos, then a file and an insert for each."""
    by_claim = {claim.pk: claim for claim in claims}
    for claim_photo in ClaimPhoto.objects.filter(claim_id__in=by_claim).order_by("claim_id", "pk"):
        claim = by_claim[claim_photo.claim_id]
        photo = VisitPhoto(visit=claim.visit, uploaded_by=claim.member.user or actor)
        photo.image.name = claim_photo.image.name
        try:
            with claim_photo.image.open("rb") as handle:
                thumbnail = to_jpeg(handle, max_width=settings.PHOTO_THUMBNAIL_WIDTH)
        except OSError:  # FileNotFoundError, or a file Pillow cannot read: the photo is kept, without a thumbnail
            thumbnail = None
        if thumbnail is not None:
            photo.thumbnail.save("thumb.jpg", thumbnail, save=False)
        photo.save()


def _decide(claim: Claim, actor, status: str, note: str) -> None:
    claim.status, claim.decided_by, claim.decided_at, claim.decision_note = status, actor, timezone.now(), note
    save_checked(claim, actor)


@transaction.atomic
def claim_confirm(
    *,
    actor,
    claim: Claim,
    hours: Decimal | None = None,
    date: dt.date | None = None,
    notes: str | None = None,
    items: list[dict] | None = None,
    note: str = "",
) -> Claim:
    """Confirm a pending claim, corrected where the secretary changed hours, date, notes or items: it becomes a
    participation or a visit, and counts from now on."""
    (claim,) = _lock_pending([claim.pk])
    if claim.kind == Claim.Kind.HOURS:
        claim.hours = hours if hours is not None else claim.hours
    else:
        claim.date = date or claim.date
        claim.notes = notes if notes is not None else claim.notes
        if items is not None:
            claim.items = [_stored_item(values) for values in items]
    _confirm(actor, [claim], note)
    return claim


def _lock_pending(ids: list[int]) -> list[Claim]:
    """The claims, locked, with what confirming them reads; refused all together if one was decided meanwhile.
    The claim rows only: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (activity, pairing)."""
    locked = list(
        Claim.objects.select_for_update(of=("self",))
        .select_related("activity", "member__user", "pairing__beneficiary", "branch")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(locked) < len(set(ids)) or any(claim.status != Claim.Status.PENDING for claim in locked):
        raise ValidationError(_("This record has already been decided."), code="decided")
    return locked


def _confirm(actor, claims: list[Claim], note: str = "") -> None:
    """Locked pending claims, as they stand (with any corrections), made participations and visits, decided and
    kept in the history and the figure store: in a constant number of statements however many, apart from a
    file and an insert for each photo a visit brings."""
    before = claim_footprint([claim.pk for claim in claims])
    # The model's check constraint holds each kind's link; the tests of None only say so to the type checker.
    check_ins = [(claim, claim.activity) for claim in claims if claim.kind == Claim.Kind.HOURS and claim.activity]
    visits = [(claim, claim.pairing) for claim in claims if claim.kind != Claim.Kind.HOURS and claim.pairing]
    for claim, pairing in visits:
        if claim.date < pairing.start_date:
            raise ValidationError(
                {
                    "date": _("The pairing began on %(start)s: a visit cannot be dated before it.")
                    % {"start": pairing.start_date.isoformat()}
                }
            )
    participations = participations_add(
        actor=actor,
        added=[(activity, claim.member, claim.hours or DEFAULT_HOURS) for claim, activity in check_ins],
    )
    # The visit is the deciding branch's (the member's when they sent it), not wherever the member is now: the
    # secretary confirming it writes inside their own scope.
    recorded = visits_record(
        actor=actor,
        visits=[
            NewVisit(pairing.beneficiary, claim.branch, claim.date, [claim.member], claim.notes,
                     items=[_item(values) for values in claim.items])
            for claim, pairing in visits
        ],
    )  # fmt: skip
    for (claim, _activity), participation in zip(check_ins, participations, strict=True):
        claim.participation = participation
    for (claim, _pairing), visit in zip(visits, recorded, strict=True):
        claim.visit = visit
    _photos_to_visits([claim for claim, _pairing in visits], actor)
    now = timezone.now()
    for claim in claims:
        claim.status, claim.decided_by, claim.decided_at, claim.decision_note = Claim.Status.CONFIRMED, actor, now, note
        claim.updated_at = now
        claim.full_clean(exclude=CLAIM_LINKS, validate_unique=False, validate_constraints=False)
    bulk_update_with_history(
        claims, Claim, [*CORRECTED, "participation", "visit", "status", "decided_by", "decided_at", "decision_note",
                        "updated_at"],
        default_user=actor, default_date=now,
    )  # fmt: skip
    tallies.apply(before, claim_footprint([claim.pk for claim in claims]))


@transaction.atomic
def claim_reject(*, actor, claim: Claim, reason: str) -> Claim:
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != Claim.Status.PENDING:
        raise ValidationError(_("This record has already been decided."), code="decided")
    if not reason.strip():
        raise ValidationError({"decision_note": _("Say why, so that the member knows what to correct.")})
    before = claim_footprint([claim.pk])
    _decide(claim, actor, Claim.Status.REJECTED, reason.strip())
    tallies.apply(before, claim_footprint([claim.pk]))
    return claim


@transaction.atomic
def claims_confirm(*, actor, claims: Iterable[Claim]) -> list[Claim]:
    """Confirm several at once, as they are ("confirm all"): all or none, by `claim_confirm`'s rules, in a
    constant number of statements however many (`_confirm`)."""
    locked = _lock_pending([claim.pk for claim in claims])
    if locked:
        _confirm(actor, locked)
    return locked


# --- sign-in invitations (invites.py) --------------------------------------------------------------------------


@transaction.atomic
def invites_create(*, actor, members: Iterable[Member]) -> list[tuple[Invite, str]]:
    """A new one-time sign-in link for each member (all or none), with its token, which is shown once and kept
    only as its hash. A member's older unused links stop working. The members come with their `user` loaded;
    the queries do not grow with their number (a page of the member list at once)."""
    members = list(members)
    refusals = invite_refusals(members)
    if refusals:
        raise ValidationError(list(refusals.values()), code="not_invitable")
    expires_at = invite_expiry()
    made = [(Invite(member=member, created_by=actor, expires_at=expires_at), new_token()) for member in members]
    for invite, token in made:
        invite.token_hash = token_hash(token)
    # Nothing here is typed by a user (full_clean would ask the database about each member and each hash).
    Invite.objects.bulk_create([invite for invite, _token in made])
    return made


def invite_create(*, actor, member: Member) -> tuple[Invite, str]:
    return invites_create(actor=actor, members=[member])[0]


@transaction.atomic
def invite_accept(*, token: str, username: str, password: str):
    """The member opened their link and chose a password (the form has checked it against the password policy):
    a new login, with no role and no staff rights, linked to the member, or a new password for the member's
    login; the link is used up. Returns the login."""
    invite = invite_for_token(token, for_update=True)
    if invite is None:
        raise ValidationError(INVITE_GONE, code="invite_gone")
    member = invite.member
    user = member.user
    if user is None:
        username = username.strip()
        User = get_user_model()
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": login_taken(username)}, code="login_taken")
        user = User(username=username)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=False)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same name chosen at the same moment by someone else
            raise ValidationError({"username": login_taken(username)}, code="login_taken") from None
        member.user = user
        stamp_history_user(member, user)
        member.save(update_fields=["user", "updated_at"])
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    invite.used_at = timezone.now()
    invite.save(update_fields=["used_at", "updated_at"])
    return user

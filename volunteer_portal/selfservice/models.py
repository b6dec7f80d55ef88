"""The members' own side (DESIGN.md, "member"): sign-in invitations, and the work a member records themselves —
hours at an activity (by its check-in code) and visits to a paired household — kept as claims until a secretary
of the branch confirms them. Only a confirmed claim becomes a participation or a visit, so every figure, report,
evaluation and star level counts confirmed work only without a filter of its own; what waits is counted in the
figure store's pending rows (`confirmed=False`)."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from activities.models import Activity, Participation
from beneficiaries.models import Pairing, Visit
from volunteer_portal.branches.models import Branch, Member
from volunteer_portal.models import TimeStampedModel
from volunteer_portal.validators import validate_not_future


class Invite(TimeStampedModel):
    """A one-time sign-in link for a member: only its SHA-256 is stored, so the database cannot replay it."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in invitation")
        verbose_name_plural = _("sign-in invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.member)


class Claim(TimeStampedModel):
    """Work a member recorded, waiting for (or decided by) a secretary of `branch`."""

    class Kind(models.TextChoices):
        HOURS = "hours", _("hours at an activity")
        VISIT = "visit", _("visit to a paired household")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="claims")
    # Whose secretaries decide: the activity's branch for hours, the member's branch for a visit. Stored, so the
    # queue of a subtree is one indexed prefix search.
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    # The phone's idempotency key: a visit sent twice (a retry after a lost answer) is recorded once.
    client_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    date = models.DateField(_("date"), validators=[validate_not_future])
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.5), MaxValueValidator(24)],
    )
    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("what was done"), blank=True)
    # Items handed over on a visit, as the visit form's item rows: [{"kind", "description", "quantity", "value"}].
    items = models.JSONField(_("items handed over"), default=list, blank=True)
    nothing_handed_over = models.BooleanField(_("visited, nothing handed over"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=200, blank=True)
    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("member's record")
        verbose_name_plural = _("members' records")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(
                fields=["branch", "date"], condition=models.Q(status="pending"), name="claim_pending_by_branch"
            ),
            models.Index(fields=["member", "date"], name="claim_by_member"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="hours", activity__isnull=False, hours__isnull=False, pairing__isnull=True)
                    | models.Q(kind="visit", pairing__isnull=False, activity__isnull=True)
                ),
                name="claim_kind_fields",
            ),
            # One check-in per member and activity, however often the code is scanned.
            models.UniqueConstraint(
                fields=["member", "activity"],
                condition=models.Q(kind="hours") & ~models.Q(status="rejected"),
                name="claim_one_check_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_kind_display()} · {self.date}"


def _claim_photo_path(photo: "ClaimPhoto", filename: str) -> str:
    return f"claims/{photo.claim.date:%Y/%m}/{uuid.uuid4().hex}.jpg"


class ClaimPhoto(TimeStampedModel):
    """A photo sent with a member's visit; it moves to the visit when the visit is confirmed."""

    claim = models.ForeignKey(Claim, verbose_name=_("record"), on_delete=models.PROTECT, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=_claim_photo_path)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

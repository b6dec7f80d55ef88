"""What is done for them: pairings, visits and what was handed over, and which activity served whom."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from activities.models import Activity
from volunteer_portal.branches.models import Branch, Member
from volunteer_portal.models import ArchivableModel, TimeStampedModel
from volunteer_portal.validators import (
    validate_money,
    validate_not_future,
)

from .people import Beneficiary


class ActivityBeneficiary(TimeStampedModel):
    """Which activity served whom. It lives here, not in activities, so that activities never points at us."""

    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="served")
    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="served_in"
    )

    class Meta:
        verbose_name = _("beneficiary served")
        verbose_name_plural = _("beneficiaries served")
        constraints = [
            models.UniqueConstraint(fields=["activity", "beneficiary"], name="activitybeneficiary_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.activity} · {self.beneficiary}"


class Pairing(ArchivableModel):
    """A member paired with a beneficiary household (结对帮扶), expected to meet every `interval_days`."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="pairings")
    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="pairings"
    )
    start_date = models.DateField(_("start date"), validators=[validate_not_future])
    end_date = models.DateField(_("end date"), null=True, blank=True, validators=[validate_not_future])
    interval_days = models.PositiveSmallIntegerField(
        _("contact every (days)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Default 60: meet every two months."),
    )
    note = models.TextField(_("note"), blank=True)
    # The latest live visit to the household in which the member took part, on or after the start: stored so
    # that the list reads its status (last contact, next due, overdue) from the row, not from every visit. Kept
    # by `beneficiaries.upkeep`, called by the visit and pairing services and the admin.
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["last_contact_on"])

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="pairing_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(interval_days__gte=1) & Q(interval_days__lte=366), name="pairing_interval_range"
            ),
            models.UniqueConstraint(
                fields=["member", "beneficiary"],
                condition=Q(end_date__isnull=True, archived_at__isnull=True),
                name="pairing_unique_open",
                violation_error_message=_("This member is already paired with this household."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} ↔ {self.beneficiary}"

    def get_absolute_url(self) -> str:
        return reverse("beneficiaries:pairing-detail", args=[self.pk])

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})


class Visit(ArchivableModel):
    """One contact with one beneficiary household (走访慰问)."""

    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="visits"
    )
    # The visiting branch, stored rather than derived: a street may visit a household a community is
    # responsible for, and the visit counts for the branch that made it.
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="visits")
    date = models.DateField(_("date"), validators=[validate_not_future], db_index=True)
    visitors: "models.ManyToManyField[Member, VisitVisitor]" = models.ManyToManyField(
        Member, verbose_name=_("visitors"), related_name="visits", blank=True, through="VisitVisitor"
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    notes = models.TextField(_("notes"), blank=True)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    follow_up_closed_at = models.DateTimeField(_("follow-up closed at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["branch", "date"], name="visit_branch_date"),
            # A household's latest visit (up to a day): a pairing's last contact, a household's last visit. With
            # only the date index PostgreSQL scanned every visit since the start for each pairing (114 s for a
            # summary of 11,000 pairings; 0.2 s with this one). The key and the archive mark ride along in it on
            # PostgreSQL, so that a pairing's contact as of a past day is read from the index alone (a summary's
            # 110,003 pairings: 1.21 s → 0.84 s); SQLite keeps the plain index (settings.py silences W040).
            models.Index(
                fields=["beneficiary", "date"], name="visit_beneficiary_date_cover", include=["id", "archived_at"]
            ),
            # The follow-ups still open, oldest first (the home page's card): a few rows among millions. With the
            # date index alone PostgreSQL walked 557,581 closed visits to find the first five (0.85 s at
            # 1,830,337 visits).
            models.Index(
                fields=["date"],
                name="visit_open_follow_up",
                condition=Q(follow_up_needed=True, follow_up_closed_at__isnull=True, archived_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.beneficiary}"

    def get_absolute_url(self) -> str:
        return reverse("beneficiaries:visit-detail", args=[self.pk])

    @property
    def follow_up_open(self) -> bool:
        return self.follow_up_needed and self.follow_up_closed_at is None


class AssistanceItem(TimeStampedModel):
    """Cash, goods, an assistive device or a service handed over; value in yuan, or unknown (null).

    Handed over on a visit to one household, or, with no named household (presents to the children in
    training, free prostheses), on an activity with the number of people it reached. It lives here, not in
    activities, so that activities never points at us.
    """

    class Kind(models.TextChoices):
        CASH = "cash", _("cash")
        GOODS = "goods", _("goods")
        DEVICE = "device", _("assistive device")
        SERVICE = "service", _("service")

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="items", null=True, blank=True
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="group_items",
        null=True,
        blank=True,
        help_text=_("Handed over at an activity to people not recorded by name."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100000)]
    )
    recipients = models.PositiveIntegerField(
        _("number of recipients"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
        help_text=_("How many people received it; leave blank if not known."),
    )
    value = models.DecimalField(
        _("value (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validate_money],
        help_text=_("Leave blank if the value is not known."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assistance item")
        verbose_name_plural = _("assistance items")
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="assistanceitem_value_not_negative"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="assistanceitem_quantity_positive"),
            models.CheckConstraint(
                condition=Q(visit__isnull=False, activity__isnull=True) | Q(visit__isnull=True, activity__isnull=False),
                name="assistanceitem_visit_or_activity",
                violation_error_message=_("An item is handed over either on a visit or at an activity."),
            ),
            # The household of a visit is its one recipient; a group item may say how many people it reached
            # (often not known: the documents give no count of the children in training), at least 1 if given.
            models.CheckConstraint(
                condition=Q(activity__isnull=True, recipients__isnull=True)
                | (Q(activity__isnull=False) & (Q(recipients__isnull=True) | Q(recipients__gte=1))),
                name="assistanceitem_recipients_of_group_items",
                violation_error_message=_(
                    "Only an item handed over at an activity has a number of recipients, and it is at least 1."
                ),
            ),
        ]

    def __str__(self) -> str:
        value = _("value not given") if self.value is None else f"¥{self.value}"
        return f"{self.get_kind_display()} · {self.description} · {value}"


class VisitVisitor(models.Model):
    """Explicit link: a member who made a visit cannot be deleted out from under the visit's record."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        constraints = [models.UniqueConstraint(fields=["visit", "member"], name="visitvisitor_unique")]

    def __str__(self) -> str:
        return f"{self.visit_id} · {self.member_id}"


def _visit_photo_path(instance: "VisitPhoto", filename: str) -> str:
    # The stored name carries no user-supplied text: only the visit and a random part.
    return f"visit-photos/{instance.visit_id}/{uuid.uuid4().hex}.jpg"


class VisitPhoto(ArchivableModel):
    """A photo of a visit (so far those a member sent with a visit they recorded). Like an activity's photos,
    stored through Django's storage API and served only through a view that checks the viewer's scope."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=_visit_photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_visit_photo_path, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.visit} #{self.pk}"

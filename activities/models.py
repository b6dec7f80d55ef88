"""Activity types, campaigns and their targets, activities and who took part."""

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from volunteer_portal.branches.models import Branch, Member
from volunteer_portal.models import ArchivableModel, TimeStampedModel
from volunteer_portal.validators import validate_hours, validate_not_future


class ActivityType(TimeStampedModel):
    """Admin-managed list; seeded by migration 0002 with the types in DESIGN.md."""

    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subtypes",
        help_text=_("Sub-types, such as home repairs under home volunteer services."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="activitytype_unique_name"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="activitytype_unique_top_level_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent_id and self.parent else self.name


class Campaign(ArchivableModel):
    """An activity plan (活动方案 / 实施方案) with a theme, a period, an organising branch and targets."""

    name = models.CharField(_("name"), max_length=100)
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    branch = models.ForeignKey(
        Branch, verbose_name=_("organising branch"), on_delete=models.PROTECT, related_name="campaigns"
    )
    start = models.DateField(_("start date"))
    end = models.DateField(_("end date"))
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start", "name"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=F("start")), name="campaign_end_after_start")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The end date cannot be before the start date.")})

    def get_absolute_url(self) -> str:
        return reverse("campaigns:campaign-detail", args=[self.pk])

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def has_ended(self) -> bool:
        return self.end < timezone.localdate()

    @property
    def has_started(self) -> bool:
        return self.start <= timezone.localdate()


class CampaignTarget(TimeStampedModel):
    """A measurable target, e.g. "every community visits one household" or "every leadership member visits one"."""

    class Metric(models.TextChoices):
        ACTIVITIES = "activities", _("activities held")
        VISITS = "visits", _("visits made")
        HOUSEHOLDS = "households", _("households reached")
        VOLUNTEER_HOURS = "hours", _("volunteer hours")

    class Subject(models.TextChoices):
        BRANCH = "branch", _("each branch")
        MEMBER = "member", _("each member")

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="targets")
    name = models.CharField(_("name"), max_length=100, help_text=_("As the plan words it, e.g. 每个社区慰问1户."))
    metric = models.CharField(_("what is counted"), max_length=20, choices=Metric.choices)
    subject = models.CharField(_("counted for"), max_length=20, choices=Subject.choices)
    branch_kind = models.CharField(
        _("kind of branch"),
        max_length=20,
        choices=Branch.Kind.choices,
        blank=True,
        help_text=_("Only branches of this kind count (blank: every branch in the organising subtree)."),
    )
    leadership_only = models.BooleanField(
        _("leadership members only"), default=False, help_text=_("For member targets: count only 班子成员.")
    )
    activity_type = models.ForeignKey(
        ActivityType,
        verbose_name=_("activity type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Only activities of this type count (blank: any type)."),
    )
    hardship_only = models.BooleanField(
        _("households in hardship only"),
        default=False,
        help_text=_("For visits and households: count only households with a hardship category (低保, 特困 ...)."),
    )
    quantity = models.PositiveIntegerField(_("how many each"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["campaign", "pk"]

    def __str__(self) -> str:
        return self.name


class Activity(ArchivableModel):
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="activities")
    type = models.ForeignKey(
        ActivityType, verbose_name=_("activity type"), on_delete=models.PROTECT, related_name="activities"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"), validators=[validate_not_future], db_index=True)
    # Optional: the window in which members may check in by the activity's code (without them, its whole day).
    starts_at = models.TimeField(_("starts at"), null=True, blank=True)
    ends_at = models.TimeField(_("ends at"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    participants: "models.ManyToManyField[Member, Participation]" = models.ManyToManyField(
        Member, verbose_name=_("participants"), through="Participation", related_name="activities"
    )
    # Stored so that the list can show and sort by them without counting every activity's participations
    # (DESIGN.md: list pages never aggregate rows they do not show); `activity_totals_refresh` keeps them.
    participant_count = models.PositiveIntegerField(_("participants"), default=0, editable=False)
    total_hours = models.DecimalField(_("hours"), max_digits=9, decimal_places=1, default=Decimal(0), editable=False)

    # The stored totals stay out of the history: it says who changed what, not what followed from it.
    history = HistoricalRecords(excluded_fields=["participant_count", "total_hours"])

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["branch", "date"], name="activity_branch_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("activities:activity-detail", args=[self.pk])

    def clean(self) -> None:
        # Here, not in a form or a service, so that every writer obeys it: the portal's form, the services and
        # the admin all validate the model.
        campaign = self.campaign if self.campaign_id else None
        if campaign is not None and self.date and not campaign.covers(self.date):
            raise ValidationError(
                {
                    "campaign": _(
                        "The activity is dated %(date)s, outside the campaign “%(name)s” (%(start)s to %(end)s): "
                        "choose another campaign, none, or correct the date."
                    )
                    % {
                        "date": f"{self.date:%Y-%m-%d}",
                        "name": campaign.name,
                        "start": f"{campaign.start:%Y-%m-%d}",
                        "end": f"{campaign.end:%Y-%m-%d}",
                    }
                }
            )
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The activity cannot end before it starts.")})


class Participation(TimeStampedModel):
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="participations"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="participations"
    )
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=1, default=Decimal("2.0"), validators=[validate_hours]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="participation_unique_member"),
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24), name="participation_hours_range"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.hours}"


def _photo_path(instance: "ActivityPhoto", filename: str) -> str:
    # The stored name carries no user-supplied text: only the activity and a random part.
    return f"activity-photos/{instance.activity_id}/{uuid.uuid4().hex}.jpg"


class ActivityPhoto(ArchivableModel):
    """A photo of an activity. Stored through Django's storage API (a file system here, object storage in
    production) and served only through a view that checks the viewer's scope, never as a public URL."""

    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=_photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_photo_path, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.activity} #{self.pk}"


class StarLevel(TimeStampedModel):
    """星级志愿者: the cumulative hours a volunteer needs for each star (national default 100/300/600/1000/1500)."""

    stars = models.PositiveSmallIntegerField(
        _("stars"), unique=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    min_hours = models.DecimalField(
        _("hours needed"), max_digits=7, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )

    # Moved from the dashboards app: the tables keep their names, so no data moved.
    history = HistoricalRecords(table_name="dashboards_historicalstarlevel")

    class Meta:
        verbose_name = _("star level")
        verbose_name_plural = _("star levels")
        ordering = ["stars"]
        db_table = "dashboards_starlevel"

    def __str__(self) -> str:
        return "★" * self.stars + f" ≥ {self.min_hours}"

    def clean(self) -> None:
        """More stars need more hours: each threshold lies between its neighbours'."""
        others = StarLevel.objects.exclude(pk=self.pk)
        below = others.filter(stars__lt=self.stars, min_hours__gte=self.min_hours).exists()
        above = others.filter(stars__gt=self.stars, min_hours__lte=self.min_hours).exists()
        if self.min_hours is not None and (below or above):
            raise ValidationError({"min_hours": _("More stars need more hours than fewer stars.")})

"""Reporting's own records: branch reports (with their frozen figures and every transition), which reports are
required, and the thresholds of the year-end evaluation.

These models were made in the `dashboards` app and moved here with SeparateDatabaseAndState: their tables keep
the names they had there (`db_table`), so moving the code moved no data."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from activities.models import Activity
from volunteer_portal.branches.models import Branch
from volunteer_portal.dashboards.periods import Frequency, period_label
from volunteer_portal.models import TimeStampedModel


def previous_quarter_start() -> dt.date:
    """A new requirement's first owed period by default: the quarter before today's, so that setting one up does
    not make a year of reports overdue at once (and 2012 history is owed only once an administrator says so)."""
    today = timezone.localdate()
    quarter_start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    before = quarter_start - dt.timedelta(days=1)
    return dt.date(before.year, (before.month - 1) // 3 * 3 + 1, 1)


class ReportRequirement(TimeStampedModel):
    """Which branches must report how often, set by an administrator: e.g. every community each quarter, from
    the first quarter of 2012. Which reports that makes owed is `reports.selectors.owed_reports`."""

    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    branch_kind = models.CharField(_("kind of branch"), max_length=20, choices=Branch.Kind.choices)
    due_days = models.PositiveSmallIntegerField(
        _("days to submit"),
        default=10,
        validators=[MaxValueValidator(90)],
        help_text=_("Days after the end of the period by which the report is due."),
    )
    starts_on = models.DateField(
        _("reports owed from"),
        default=previous_quarter_start,
        help_text=_(
            "Reports are owed for every period that ends on or after this day. When entering past years, set it "
            "to the first day of the first year entered (e.g. 2012-01-01). A report submitted for an earlier "
            "period still counts."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(table_name="dashboards_historicalreportrequirement")

    class Meta:
        db_table = "dashboards_reportrequirement"
        verbose_name = _("report requirement")
        verbose_name_plural = _("report requirements")
        ordering = ["branch_kind", "frequency"]
        constraints = [
            models.UniqueConstraint(fields=["frequency", "branch_kind"], name="reportrequirement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_branch_kind_display()} · {self.get_frequency_display()}"


class BranchReport(TimeStampedModel):
    """A branch's 情况汇报 for a period. Its figures are frozen when it is submitted."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("awaiting review")
        RETURNED = "returned", _("returned")
        APPROVED = "approved", _("approved")

    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="reports")
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The four sections of the documents branches write today.
    basic_situation = models.TextField(_("基本情况 (the situation)"), blank=True)
    practices = models.TextField(_("主要做法和成效 (what was done and what it achieved)"), blank=True)
    problems = models.TextField(_("存在问题 (problems)"), blank=True)
    next_steps = models.TextField(_("下一步打算 (next steps)"), blank=True)
    typical_activities: "models.ManyToManyField[Activity, TypicalActivity]" = models.ManyToManyField(
        Activity, verbose_name=_("typical cases"), through="TypicalActivity", blank=True, related_name="+"
    )
    figures = models.JSONField(_("frozen figures"), null=True, blank=True, editable=False)
    # The sections as the system wrote them into the draft: a section still unchanged at submission is written
    # again from the frozen figures, so the text never states older figures than the report.
    prefilled = models.JSONField(default=dict, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)

    history = HistoricalRecords(table_name="dashboards_historicalbranchreport")

    class Meta:
        db_table = "dashboards_branchreport"
        verbose_name = _("branch report")
        verbose_name_plural = _("branch reports")
        ordering = ["-period_start", "branch__path"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "period_start", "period_end"], name="branchreport_unique"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="branchreport_period"),
        ]

    def __str__(self) -> str:
        return f"{self.branch} · {self.period_label}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report-detail", args=[self.pk])

    @property
    def period_label(self) -> str:
        return period_label(self.frequency, self.period_start)

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class TypicalActivity(models.Model):
    """An activity the secretary marked as a typical case of the report (explicit link: nothing cascades)."""

    report = models.ForeignKey(BranchReport, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "dashboards_typicalactivity"
        verbose_name = _("typical case")
        verbose_name_plural = _("typical cases")
        constraints = [models.UniqueConstraint(fields=["report", "activity"], name="typicalactivity_unique")]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.activity_id}"


class ReportEvent(models.Model):
    """One transition of a report: who did what, when, and the leader's comment when returning it."""

    class Action(models.TextChoices):
        CREATED = "created", _("drafted")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned")
        APPROVED = "approved", _("approved")

    report = models.ForeignKey(BranchReport, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        db_table = "dashboards_reportevent"
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.get_action_display()} · {self.at:%Y-%m-%d %H:%M}"


class EvaluationCriteria(TimeStampedModel):
    """The thresholds of the year-end evaluation (评先评优). One row; the admin edits it."""

    min_months_active = models.PositiveSmallIntegerField(
        _("months active at least"), default=6, validators=[MaxValueValidator(12)]
    )
    min_participation_rate = models.PositiveSmallIntegerField(
        _("participation rate at least (%)"), default=90, validators=[MaxValueValidator(100)]
    )
    require_reports = models.BooleanField(_("every required report submitted and approved"), default=True)
    max_overdue_share = models.PositiveSmallIntegerField(
        _("overdue pairings at most (percent of open pairings)"), default=10, validators=[MaxValueValidator(100)]
    )
    max_march_share_percent = models.PositiveSmallIntegerField(
        _("March share at most (%)"),
        default=50,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Year-round work (常态化): activities in March (Lei Feng month) as a percentage of the year's "
            'activities may be at most this. A branch above it is flagged "三月来，四月走".'
        ),
    )

    history = HistoricalRecords(table_name="dashboards_historicalevaluationcriteria")

    class Meta:
        db_table = "dashboards_evaluationcriteria"
        verbose_name = _("evaluation criteria")
        verbose_name_plural = _("evaluation criteria")

    def __str__(self) -> str:
        return str(_("Year-end evaluation criteria"))

    @classmethod
    def current(cls) -> "EvaluationCriteria":
        return cls.objects.order_by("pk").first() or cls()

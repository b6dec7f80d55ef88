"""Reminders (督促): every message sent, on every channel, recorded once, and the 企业微信 group robots.

A reminder is keyed by (channel, recipient, kind, subject, period): running the job again finds the key and sends
nothing new. The robots' webhook URLs hold a secret key, so `GroupRobot` has no change history (no
simple_history) and is shown masked everywhere."""

from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from volunteer_portal.branches.models import Branch
from volunteer_portal.models import TimeStampedModel


class Channel(models.TextChoices):
    PORTAL = "portal", _("in the portal")
    EMAIL = "email", _("email")
    WECOM = "wecom", _("WeCom group robot")


class Kind(models.TextChoices):
    PAIRING_DUE = "pairing_due", _("pairing due soon")
    PAIRING_OVERDUE = "pairing_overdue", _("pairing overdue")
    PAIRINGS_WEEKLY = "pairings_weekly", _("pairings still overdue (weekly)")
    REPORT_DUE = "report_due", _("report due soon")
    REPORT_OVERDUE = "report_overdue", _("report overdue")
    REPORT_RETURNED = "report_returned", _("report returned")
    SECRETARY_WEEKLY = "secretary_weekly", _("weekly digest for secretaries")
    BRANCH_WEEKLY = "branch_weekly", _("weekly digest for a branch's group")
    LEADER_WEEKLY = "leader_weekly", _("weekly digest for leaders")


def validate_webhook_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValidationError(_("Enter the robot's whole webhook address, beginning with https://."))
    if not dict(parse_qsl(parts.query)).get("key"):
        raise ValidationError(_("The address must end with the robot's key: …/webhook/send?key=…"))


def mask_webhook_url(value: str) -> str:
    """The address with its key hidden but for the first four characters: …/send?key=693a…"""
    parts = urlsplit(value)
    key = dict(parse_qsl(parts.query)).get("key", "")
    return f"{parts.scheme}://{parts.netloc}{parts.path}?key={key[:4]}…" if key else f"{parts.scheme}://{parts.netloc}…"


class GroupRobot(TimeStampedModel):
    """A branch's 企业微信 group robot. Its URL's key lets anyone post to the group: no history, masked, never
    logged."""

    branch = models.OneToOneField(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="group_robot"
    )
    webhook_url = models.CharField(
        _("webhook address"),
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("From the group's robot settings in WeCom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("WeCom group robot")
        verbose_name_plural = _("WeCom group robots")
        ordering = ["branch__path"]

    def __str__(self) -> str:
        return str(_("%(branch)s's group robot") % {"branch": self.branch})

    @property
    def masked_url(self) -> str:
        return mask_webhook_url(self.webhook_url)


class Reminder(models.Model):
    """One message to one recipient (a user, or a branch's group robot) over one channel."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will be tried again")
        GAVE_UP = "gave_up", _("failed, given up")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What the reminder is about ("pairing:12", "report:5:quarterly:2026-07-01", "weekly") and for which due date,
    # state or week ("2026-12-08", "returned:41", "2026-W49"): with the recipient and channel, the key of "once".
    subject = models.CharField(_("about"), max_length=100)
    period = models.CharField(_("period or state"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="reminders",
    )  # fmt: skip
    robot = models.ForeignKey(
        GroupRobot, verbose_name=_("group robot"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "user", "kind", "subject", "period"], condition=Q(user__isnull=False),
                name="reminder_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["channel", "robot", "kind", "subject", "period"], condition=Q(robot__isnull=False),
                name="reminder_once_per_robot",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, robot__isnull=True) | Q(user__isnull=True, robot__isnull=False),
                name="reminder_one_recipient",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["user", "channel", "read_at"], name="reminder_unread")]

    def __str__(self) -> str:
        return self.title


class ReminderPreference(models.Model):
    """The channels a person receives reminders on; without a row, every channel."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="reminder_preference"
    )
    portal = models.BooleanField(_("in the portal (the bell)"), default=True)
    email = models.BooleanField(_("by email"), default=True)

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self) -> str:
        return str(self.user)

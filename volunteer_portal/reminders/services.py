"""Sending reminders: the rules' messages recorded once per (channel, recipient, kind, subject, period), then
delivered; a failing channel is tried again with back-off and never holds up the others.

`send_reminders` is what `manage.py send_reminders` and `seed_demo` call; the views' writes (marking read, the
channel settings) are here too.
"""

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import channels, rules
from .models import Channel, GroupRobot, Reminder, ReminderPreference

logger = logging.getLogger(__name__)
Status = Reminder.Status
_NOT_TRIED = "not tried: the same channel had just failed"
KEEP_TRYING_DAYS = 7  # a reminder not delivered within a week is out of date: given up


@dataclass
class Outcome:
    planned: list[Reminder] = field(default_factory=list)  # new reminders (recorded unless a dry run)
    already: list[Reminder] = field(default_factory=list)  # a dry run's: called for today, recorded before
    sent: int = 0
    failed: int = 0


def _key(reminder: Reminder) -> tuple:
    return (reminder.channel, reminder.user_id, reminder.robot_id, reminder.kind, reminder.subject, reminder.period)


def plan(today: dt.date, *, now: dt.datetime) -> tuple[list[Reminder], list[Reminder]]:
    """The reminders the rules call for today (unsaved): those not recorded before, and those that were."""
    messages = rules.all_messages(today)
    robots = {robot.branch_id: robot for robot in GroupRobot.objects.filter(active=True, branch__active=True)}
    preferences = {p.user_id: p for p in ReminderPreference.objects.all()}
    candidates: dict[tuple, Reminder] = {}

    def add(**fields) -> None:
        reminder = Reminder(**fields)
        candidates.setdefault(_key(reminder), reminder)

    for message in messages:
        common = {"kind": message.kind, "subject": message.subject, "period": message.period,
                  "title": message.title[:200], "body": "\n".join(message.lines), "link": message.link}  # fmt: skip
        for user in message.users:
            preference = preferences.get(user.pk)
            if preference is None or preference.portal:
                add(channel=Channel.PORTAL, user=user, status=Status.SENT, sent_at=now, **common)
            if user.email and (preference is None or preference.email):
                add(channel=Channel.EMAIL, user=user, **common)
        if message.robot_branch is not None and (robot := robots.get(message.robot_branch.pk)):
            add(channel=Channel.WECOM, robot=robot, **common)
    subjects = {reminder.subject for reminder in candidates.values()}
    recorded = set(
        Reminder.objects.filter(subject__in=subjects).values_list(
            "channel", "user_id", "robot_id", "kind", "subject", "period"
        )
    )
    new = [reminder for key, reminder in candidates.items() if key not in recorded]
    return new, [reminder for key, reminder in candidates.items() if key in recorded]


def send_reminders(
    *, today: dt.date | None = None, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep
) -> Outcome:
    """Record today's new reminders and deliver every one waiting (new, or failed before and due again).
    Messages are written in the portal's language (settings.LANGUAGE_CODE)."""
    now = timezone.now()
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        new, already = plan(today, now=now)
    outcome = Outcome(planned=new)
    if dry_run:
        outcome.already = already
        return outcome
    with transaction.atomic():
        # A second run at the same time records nothing twice: the unique keys refuse it.
        Reminder.objects.bulk_create(outcome.planned, ignore_conflicts=True)
    deliver(now=now, sleep=sleep, outcome=outcome)
    return outcome


def _tries_per_run() -> int:
    return 1 + len(settings.REMINDER_RETRY_DELAYS)


def _next_attempt(reminder: Reminder, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    runs = math.ceil(reminder.attempts / _tries_per_run())
    too_old = now - reminder.created_at > dt.timedelta(days=KEEP_TRYING_DAYS)
    if runs >= settings.REMINDER_MAX_RUNS or too_old:
        return Status.GAVE_UP, None
    return Status.FAILED, now + dt.timedelta(minutes=settings.REMINDER_RETRY_MINUTES * 2 ** (runs - 1))


def _send(reminder: Reminder) -> None:
    if reminder.channel == Channel.EMAIL:
        channels.send_email(address=reminder.user.email, title=reminder.title, body=reminder.body,  # type: ignore[union-attr]
                            link=reminder.link)  # fmt: skip
    else:
        with translation.override(settings.LANGUAGE_CODE):
            label = _("Open in the portal")
        content = channels.markdown(title=reminder.title, body=reminder.body, link=reminder.link, open_label=label)
        channels.send_wecom(url=reminder.robot.webhook_url, content=content)  # type: ignore[union-attr]


def deliver(
    *, now: dt.datetime, sleep: Callable[[float], None] = time.sleep, outcome: Outcome | None = None
) -> Outcome:
    """Send every email and robot reminder waiting. Each is tried `1 + len(REMINDER_RETRY_DELAYS)` times with
    those pauses; one that still fails waits REMINDER_RETRY_MINUTES, doubling each run, for the next run. Once
    a target (the mail server, one robot) has failed, its other reminders wait for the next run instead of
    timing out one by one, so a dead robot cannot hold up anything else."""
    outcome = outcome or Outcome()
    waiting = (
        Reminder.objects.filter(status__in=[Status.PENDING, Status.FAILED])
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exclude(channel=Channel.PORTAL)
        .select_related("user", "robot__branch")
        .order_by("channel", "pk")  # email before wecom
    )
    broken: set[tuple] = set()
    for reminder in waiting:
        target = (reminder.channel, reminder.robot_id)
        # Claimed before it is sent: a run started at the same time no longer finds it waiting.
        later = now + dt.timedelta(minutes=settings.REMINDER_RETRY_MINUTES)
        claim = Reminder.objects.filter(pk=reminder.pk, attempts=reminder.attempts, status=reminder.status)
        if not claim.update(next_attempt_at=later):
            continue
        claimed = Reminder.objects.filter(pk=reminder.pk)
        if target in broken:  # not tried: waits for the next run, without using up an attempt
            claimed.update(status=Status.FAILED, last_error=_NOT_TRIED)
            outcome.failed += 1
            continue
        error = ""
        for attempt, pause in enumerate([0, *settings.REMINDER_RETRY_DELAYS]):
            if attempt:
                sleep(pause)
            reminder.attempts += 1
            try:
                _send(reminder)
            except channels.ChannelError as failure:
                error = str(failure)
                continue
            error = ""
            break
        if not error:
            claimed.update(status=Status.SENT, sent_at=timezone.now(), attempts=reminder.attempts, last_error="")
            outcome.sent += 1
            continue
        status, retry_at = _next_attempt(reminder, now)
        claimed.update(status=status, next_attempt_at=retry_at, attempts=reminder.attempts, last_error=error)
        broken.add(target)
        outcome.failed += 1
        where = f"robot of branch {reminder.robot.branch_id}" if reminder.robot else "email"  # never the URL
        logger.warning("Reminder %s by %s failed after %d attempts: %s", reminder.pk, where, reminder.attempts, error)
    return outcome


# --- the recipient's side ------------------------------------------------------------------------------------

BELL_SESSION_KEY = "reminders_unread"


def notification_open(*, user, reminder: Reminder) -> None:
    """Opening a notification marks it read."""
    if reminder.read_at is None:
        Reminder.objects.filter(pk=reminder.pk, read_at__isnull=True).update(read_at=timezone.now())


def notifications_read_all(*, user) -> int:
    return Reminder.objects.filter(user=user, channel=Channel.PORTAL, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_save(*, user, portal: bool, email: bool) -> ReminderPreference:
    preference, _created = ReminderPreference.objects.update_or_create(
        user=user, defaults={"portal": portal, "email": email}
    )
    return preference


def forget_unread_count(request) -> None:
    """After the user's own change, the bell counts again on the next page."""
    request.session.pop(BELL_SESSION_KEY, None)

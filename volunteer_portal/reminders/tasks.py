"""The reminders as background tasks (volunteer_portal/jobs): the daily run, and the delivery of what failed.

A failing email or robot message is given its next attempt by `services.deliver` (after REMINDER_RETRY_MINUTES,
doubling, at most REMINDER_MAX_RUNS runs). With a backend that can wait (the database one), the worker does not
leave it for tomorrow's run: after each run, `deliver_reminders` is enqueued for the earliest next attempt, once.
A run that fails as a whole (the database gone) is retried by `with_retries`."""

from django.db.models import Min
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from volunteer_portal.jobs.retry import with_retries

from .models import Reminder
from .services import Outcome, deliver, send_reminders


def _summary(outcome: Outcome) -> dict:
    return {"planned": len(outcome.planned), "sent": outcome.sent, "failed": outcome.failed}


def schedule_delivery() -> bool:
    """Enqueue `deliver_reminders` for the earliest reminder waiting to be tried again, unless one is queued
    already or the backend cannot wait (then the next daily run tries them). True when one was enqueued."""
    backend = deliver_reminders.get_backend()
    if not backend.supports_defer:
        return False
    due = Reminder.objects.filter(status=Reminder.Status.FAILED).aggregate(at=Min("next_attempt_at"))["at"]
    if due is None:
        return False
    waiting = DBTaskResult.objects.filter(task_path=deliver_reminders.module_path, status="READY")
    if waiting.exists():
        return False
    deliver_reminders.using(run_after=max(due, timezone.now())).enqueue()
    return True


@task()
@with_retries
def send_reminders_task() -> dict:
    """What `manage.py send_reminders` does, in the worker."""
    outcome = send_reminders()
    schedule_delivery()
    return _summary(outcome)


@task()
@with_retries
def deliver_reminders() -> dict:
    """The emails and robot messages due to be tried again."""
    outcome = deliver(now=timezone.now())
    schedule_delivery()
    return _summary(outcome)

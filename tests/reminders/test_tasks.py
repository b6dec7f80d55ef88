"""The reminders as background tasks: the daily run in the real worker, and a failing robot tried again at its
back-off time by a delivery task the run enqueues (once), until it is sent."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from volunteer_portal.dashboards.periods import Frequency
from volunteer_portal.reminders.models import Channel, GroupRobot, Reminder
from volunteer_portal.reminders.tasks import deliver_reminders, schedule_delivery, send_reminders_task
from volunteer_portal.reports.models import ReportRequirement

from ..test_tasks import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
DELIVER = "volunteer_portal.reminders.tasks.deliver_reminders"


@pytest.fixture
def owed(tree, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.REMINDER_RETRY_DELAYS = [0, 0]  # the worker really sleeps between tries
    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY, due_days=10,
                                     starts_on=timezone.localdate() - dt.timedelta(days=200))  # fmt: skip
    return tree


def test_a_failing_robot_is_tried_again_by_the_worker_at_its_back_off(owed, fake_robot):
    fake_robot.mode = "500"
    GroupRobot.objects.create(branch=owed.branch_a, webhook_url=fake_robot.url())
    send_reminders_task.enqueue()
    run_worker()
    robot = Reminder.objects.filter(channel=Channel.WECOM)
    assert set(robot.values_list("status", flat=True)) == {Reminder.Status.FAILED}
    assert Reminder.objects.filter(channel=Channel.PORTAL, user=owed.secretary_a).exists()  # the bell was not held up
    retry = DBTaskResult.objects.get(task_path=DELIVER, status="READY")
    earliest = min(robot.values_list("next_attempt_at", flat=True))
    assert retry.run_after == earliest and earliest > timezone.now()
    assert not schedule_delivery()  # one delivery waiting is enough

    run_worker()  # not due yet
    assert DBTaskResult.objects.filter(task_path=DELIVER, status="READY").count() == 1
    fake_robot.mode = "ok"
    past = timezone.now() - dt.timedelta(seconds=1)
    robot.update(next_attempt_at=past)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=past)
    run_worker()
    assert set(robot.values_list("status", flat=True)) == {Reminder.Status.SENT}
    assert len(fake_robot.received) == robot.count()
    assert DBTaskResult.objects.get(pk=retry.pk).status == "SUCCESSFUL"
    assert not DBTaskResult.objects.filter(status="READY").exists()  # nothing left to try: no more deliveries


def test_a_robot_that_keeps_failing_is_given_up_and_no_delivery_is_left(owed, fake_robot, settings):
    settings.REMINDER_MAX_RUNS = 2
    fake_robot.mode = "500"
    GroupRobot.objects.create(branch=owed.branch_a, webhook_url=fake_robot.url())
    send_reminders_task.enqueue()
    run_worker()
    failing = Reminder.objects.filter(channel=Channel.WECOM, status=Reminder.Status.FAILED)
    for _ in range(10):  # each run tries one message of a dead robot; the others wait for the next
        if not failing.exists():
            break
        failing.update(next_attempt_at=timezone.now())
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker()
    assert Reminder.objects.filter(channel=Channel.WECOM, status=Reminder.Status.GAVE_UP).exists()
    assert not failing.exists()
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_the_immediate_backend_leaves_retries_to_the_next_run(owed, fake_robot, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    fake_robot.mode = "500"
    GroupRobot.objects.create(branch=owed.branch_a, webhook_url=fake_robot.url())
    result = send_reminders_task.enqueue()
    assert result.status == "SUCCESSFUL" and result.return_value["failed"] >= 1
    assert not DBTaskResult.objects.exists() and deliver_reminders.get_backend().supports_defer is False

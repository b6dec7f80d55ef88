"""The channels: the bell, email (locmem in tests), a branch's 企业微信 robot against a fake on 127.0.0.1; a
failing channel is retried with back-off, recorded, and holds up nothing else; the key never leaks."""

import datetime as dt
import logging

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from volunteer_portal.dashboards.periods import Frequency
from volunteer_portal.reminders.models import Channel, GroupRobot, Kind, Reminder, ReminderPreference
from volunteer_portal.reminders.services import deliver, send_reminders
from volunteer_portal.reports.models import ReportRequirement

pytestmark = pytest.mark.django_db
OVERDUE_DAY = dt.date(2026, 10, 12)  # Q3's report, due 10-10, is overdue


@pytest.fixture
def owed(tree, settings):
    settings.REMINDER_RETRY_DELAYS = [1, 4]
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    tree.secretary_a.email = "secretary_a@example.org"
    tree.secretary_a.save()
    ReportRequirement.objects.create(branch_kind="community", frequency=Frequency.QUARTERLY, due_days=10,
                                     starts_on=dt.date(2026, 7, 1))  # fmt: skip
    return tree


def run(pauses=None, today=OVERDUE_DAY):
    return send_reminders(today=today, sleep=(pauses.append if pauses is not None else lambda seconds: None))


def test_email_is_sent_once_with_a_link_back(owed):
    run()
    sent = [m for m in mail.outbox if m.to == ["secretary_a@example.org"]]
    assert len(sent) == 2 and all(m.subject.startswith("【学雷锋志愿助残】") for m in sent)
    assert any("丽景社区" in m.subject for m in sent)
    assert any("https://portal.example.org/reports/" in m.body for m in sent)
    assert Reminder.objects.filter(channel=Channel.EMAIL, status=Reminder.Status.SENT).count() == 2
    run(today=OVERDUE_DAY + dt.timedelta(days=1))
    assert len(mail.outbox) == 2


def test_a_person_can_turn_channels_off(owed):
    ReminderPreference.objects.create(user=owed.secretary_a, portal=False, email=False)
    run()
    assert mail.outbox == []
    assert not Reminder.objects.filter(user=owed.secretary_a).exists()
    assert Reminder.objects.filter(user=owed.secretary_b, channel=Channel.PORTAL).exists()


def test_the_robot_gets_a_markdown_message_with_a_link(owed, fake_robot):
    GroupRobot.objects.create(branch=owed.branch_a, webhook_url=fake_robot.url())
    run()
    assert len(fake_robot.received) == 2  # the overdue report and the branch's weekly digest
    message = fake_robot.received[0]
    assert message["msgtype"] == "markdown"
    content = message["markdown"]["content"]
    assert content.startswith("**") and "丽景社区" in content and "(https://portal.example.org/reports/)" in content
    assert fake_robot.paths[0] == "/cgi-bin/webhook/send?key=s3cr3t-robot-key-0001"
    run(today=OVERDUE_DAY + dt.timedelta(days=1))
    assert len(fake_robot.received) == 2


@pytest.mark.parametrize("mode", ["500", "errcode", "slow"])
def test_a_failing_robot_is_retried_with_back_off_recorded_and_blocks_nothing(owed, fake_robot, caplog, mode):
    fake_robot.mode = mode
    GroupRobot.objects.create(branch=owed.branch_a, webhook_url=fake_robot.url())
    pauses: list[float] = []
    with caplog.at_level(logging.WARNING):
        outcome = run(pauses)
    robot_reminders = Reminder.objects.filter(channel=Channel.WECOM).order_by("pk")
    first, second = robot_reminders
    assert first.status == Reminder.Status.FAILED and first.attempts == 3 and pauses == [1, 4]
    assert first.last_error and first.next_attempt_at > timezone.now()
    # the second message to the same dead robot waits for the next run instead of timing out too
    assert second.status == Reminder.Status.FAILED and second.attempts == 0
    assert outcome.failed == 2
    # the bell and email were not held up
    assert len(mail.outbox) == 2
    assert Reminder.objects.filter(channel=Channel.PORTAL, user=owed.secretary_a).count() == 2
    # the key is never recorded nor logged
    texts = [caplog.text, *Reminder.objects.values_list("last_error", flat=True)]
    assert all("s3cr3t" not in text and "127.0.0.1" not in text for text in texts)
    assert "failed after 3 attempts" in caplog.text


def test_a_failed_robot_message_is_sent_on_a_later_run_and_given_up_in_the_end(owed, fake_robot, settings):
    fake_robot.mode = "500"
    GroupRobot.objects.create(branch=owed.branch_a, webhook_url=fake_robot.url())
    run()
    first = Reminder.objects.filter(channel=Channel.WECOM).order_by("pk").first()
    deliver(now=timezone.now(), sleep=lambda s: None)  # too early: waits for its back-off
    first.refresh_from_db()
    assert first.attempts == 3
    fake_robot.mode = "ok"
    deliver(now=timezone.now() + dt.timedelta(hours=1), sleep=lambda s: None)
    assert set(Reminder.objects.filter(channel=Channel.WECOM).values_list("status", flat=True)) == {"sent"}
    assert len(fake_robot.received) == 2
    # a robot that keeps failing is given up after REMINDER_MAX_RUNS runs
    fake_robot.mode = "500"
    settings.REMINDER_MAX_RUNS = 2
    later = Reminder.objects.create(channel=Channel.WECOM, robot=first.robot, kind=Kind.BRANCH_WEEKLY,
                                    subject="branch:x", period="2026-W43", title="t", link="/")  # fmt: skip
    deliver(now=timezone.now(), sleep=lambda s: None)
    deliver(now=timezone.now() + dt.timedelta(days=1), sleep=lambda s: None)
    later.refresh_from_db()
    assert later.status == Reminder.Status.GAVE_UP and later.attempts == 6


def test_a_failing_mail_server_blocks_neither_the_bell_nor_the_robot(owed, fake_robot, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    GroupRobot.objects.create(branch=owed.branch_a, webhook_url=fake_robot.url())
    run()
    assert set(Reminder.objects.filter(channel=Channel.EMAIL).values_list("status", flat=True)) == {"failed"}
    assert len(fake_robot.received) == 2
    assert Reminder.objects.filter(channel=Channel.PORTAL, user=owed.secretary_a).count() == 2


def test_an_inactive_robot_is_not_used(owed, fake_robot):
    GroupRobot.objects.create(branch=owed.branch_a, webhook_url=fake_robot.url(), active=False)
    run()
    assert fake_robot.received == [] and not Reminder.objects.filter(channel=Channel.WECOM).exists()


def test_a_webhook_address_must_be_http_with_a_key(tree):
    for bad in ["file:///etc/passwd?key=x", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "qyapi?key=1"]:
        with pytest.raises(ValidationError):
            GroupRobot(branch=tree.branch_a, webhook_url=bad).full_clean()
    robot = GroupRobot(branch=tree.branch_a, webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693axxx")
    robot.full_clean()
    assert robot.masked_url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…"


def test_the_robot_has_no_change_history():
    assert not hasattr(GroupRobot, "history")

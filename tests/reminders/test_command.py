"""`manage.py send_reminders`: the dry run prints and records nothing; on a small demo it lists a pairing and a
report reminder; seed_demo leaves notifications for secretary1 and leader."""

import io

import pytest
from django.core.management import CommandError, call_command

from volunteer_portal.reminders.models import Kind, Reminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", "--activities", "60", "--beneficiaries", "28", verbosity=0, stdout=io.StringIO())


def test_seed_demo_leaves_notifications_for_secretary1_and_leader(demo):
    assert Reminder.objects.filter(user__username="secretary1", kind=Kind.REPORT_OVERDUE).exists()
    assert Reminder.objects.filter(user__username="secretary1", kind=Kind.PAIRING_DUE).exists()
    assert Reminder.objects.filter(user__username="leader", kind=Kind.LEADER_WEEKLY).exists()


def test_the_dry_run_on_the_demo_lists_a_pairing_and_a_report_reminder_and_records_nothing(demo):
    Reminder.objects.all().delete()
    out = io.StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "secretary1" in text and "leader" in text
    assert "逾期未报" in text  # a report
    assert "结对走访即将到期" in text and "某某" in text  # a pairing, its household named by surname
    assert "成员记录待确认" in text  # volunteer1's check-in, waiting for secretary1
    assert "Dry run" in text
    assert not Reminder.objects.exists()
    call_command("send_reminders", stdout=io.StringIO())
    assert Reminder.objects.exists()
    out = io.StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)  # everything was recorded: nothing new
    assert "0 reminders would be sent" in out.getvalue()


def test_the_dry_run_after_make_runs_demo_lists_what_was_already_sent(demo):
    # seed_demo (make run) sends the day's reminders once; a dry run then says what they were.
    out = io.StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "0 reminders would be sent" in text and "Already sent before, so not sent again" in text
    already = text.split("Already sent before", 1)[1]
    assert "逾期未报" in already and "结对走访即将到期" in already and "secretary1" in already


def test_today_must_be_a_date(tree):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--today", "2026-13-01")
    call_command("send_reminders", "--today", "2026-10-12", stdout=io.StringIO())

"""The bell, the notifications page, opening one, and the channel settings; nobody sees another's."""

import pytest
from django.urls import reverse
from django.utils import timezone

from volunteer_portal.reminders.models import Channel, GroupRobot, Kind, Reminder, ReminderPreference

pytestmark = pytest.mark.django_db
LIST = reverse("reminders:notification-list")


def notify(user, n=1, start=0, **fields):
    return [
        Reminder.objects.create(channel=Channel.PORTAL, user=user, kind=Kind.REPORT_OVERDUE, subject=f"report:{i}",
                                period="overdue", title=f"汇报逾期 {i}", body="请尽快提交。", link="/reports/",
                                status=Reminder.Status.SENT, **fields)
        for i in range(start, start + n)
    ]  # fmt: skip


def test_the_bell_shows_the_unread_count_on_every_page(as_user, tree):
    notify(tree.secretary_a, 3)
    notify(tree.secretary_a, 1, start=3, read_at=timezone.now())
    client = as_user(tree.secretary_a)
    page = client.get(reverse("home")).content.decode()
    assert "通知：3 条未读" in page and LIST in page


def test_an_empty_list_says_what_to_expect(as_user, tree):
    page = as_user(tree.secretary_a).get(LIST).content.decode()
    assert "还没有通知" in page


def test_the_list_is_paginated_and_shows_only_ones_own(as_user, tree):
    notify(tree.secretary_a, 25)
    notify(tree.secretary_b, 1)
    client = as_user(tree.secretary_a)
    first = client.get(LIST)
    assert first.context["page"].paginator.count == 25 and len(first.context["page"].object_list) == 20
    assert len(client.get(LIST, {"page": 2}).context["page"].object_list) == 5
    assert client.get(LIST, {"page": "x"}).status_code == 200


def test_opening_a_notification_marks_it_read_and_goes_where_the_work_is(as_user, tree):
    (reminder,) = notify(tree.secretary_a)
    client = as_user(tree.secretary_a)
    assert "通知：1 条未读" in client.get(LIST).content.decode()
    response = client.get(reverse("reminders:notification-open", args=[reminder.pk]))
    assert response.status_code == 302 and response.url == "/reports/"
    reminder.refresh_from_db()
    assert reminder.read_at is not None
    assert "条未读" not in client.get(LIST).content.decode()  # counted again at once after one's own change


def test_outsiders_cannot_open_or_see_anothers_notification(as_user, tree, client):
    (reminder,) = notify(tree.secretary_a)
    url = reverse("reminders:notification-open", args=[reminder.pk])
    assert as_user(tree.secretary_b).get(url).status_code == 404
    assert reminder.title not in as_user(tree.secretary_b).get(LIST).content.decode()
    reminder.refresh_from_db()
    assert reminder.read_at is None
    client.logout()
    for target in [LIST, url, reverse("reminders:preferences")]:
        response = client.get(target)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    for target in [reverse("reminders:notification-read-all"), reverse("reminders:preferences")]:
        response = client.post(target, {"portal": "on"})
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    reminder.refresh_from_db()
    assert reminder.read_at is None and not ReminderPreference.objects.exists()


def test_a_robots_reminder_is_no_ones_notification(as_user, tree, superuser):
    robot = GroupRobot.objects.create(branch=tree.branch_a, webhook_url="https://example.org/send?key=k")
    reminder = Reminder.objects.create(channel=Channel.WECOM, robot=robot, kind=Kind.BRANCH_WEEKLY, subject="b",
                                       period="w", title="t", link="/")  # fmt: skip
    assert as_user(superuser).get(reverse("reminders:notification-open", args=[reminder.pk])).status_code == 404


def test_mark_all_read(as_user, tree):
    notify(tree.secretary_a, 3)
    (other,) = notify(tree.secretary_b)
    client = as_user(tree.secretary_a)
    assert client.get(reverse("reminders:notification-read-all")).status_code == 405
    client.post(reverse("reminders:notification-read-all"))
    assert not Reminder.objects.filter(user=tree.secretary_a, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_the_settings_page_turns_channels_off(as_user, tree):
    client = as_user(tree.secretary_a)
    page = client.get(reverse("reminders:preferences")).content.decode()
    assert "没有电子邮箱" in page
    response = client.post(reverse("reminders:preferences"), {"portal": "on"})
    assert response.status_code == 302
    preference = ReminderPreference.objects.get(user=tree.secretary_a)
    assert (preference.portal, preference.email) == (True, False)
    client.post(reverse("reminders:preferences"), {})
    preference.refresh_from_db()
    assert (preference.portal, preference.email) == (False, False)


def test_the_bell_costs_no_query_on_most_pages(as_user, tree, django_assert_num_queries):
    notify(tree.secretary_a, 2)
    client = as_user(tree.secretary_a)
    url = reverse("reminders:preferences")
    client.get(url)
    with django_assert_num_queries(3):  # session, user, the preference: the count is kept in the session
        assert "通知：2 条未读" in client.get(url).content.decode()
    notify(tree.secretary_a, 5, start=2)
    with django_assert_num_queries(3):
        client.get(url)


def test_the_admin_masks_the_webhook_key_and_keeps_it_when_left_empty(as_user, tree, superuser):
    client = as_user(superuser)
    key_url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    response = client.post(reverse("admin:reminders_grouprobot_add"),
                           {"branch": tree.branch_a.pk, "webhook_url": key_url, "active": "on"})  # fmt: skip
    assert response.status_code == 302
    robot = GroupRobot.objects.get()
    assert robot.webhook_url == key_url
    for page in [reverse("admin:reminders_grouprobot_changelist"),
                 reverse("admin:reminders_grouprobot_change", args=[robot.pk])]:  # fmt: skip
        text = client.get(page).content.decode()
        assert "693a…" in text and "91f6" not in text
    client.post(reverse("admin:reminders_grouprobot_change", args=[robot.pk]),
                {"branch": tree.branch_a.pk, "webhook_url": "", "active": "on"})  # fmt: skip
    robot.refresh_from_db()
    assert robot.webhook_url == key_url
    from django.contrib.admin.models import LogEntry

    assert all("91f6" not in entry.change_message for entry in LogEntry.objects.all())


def test_the_admin_refuses_a_bad_webhook_address(as_user, tree, superuser):
    response = as_user(superuser).post(reverse("admin:reminders_grouprobot_add"),
                                       {"branch": tree.branch_a.pk, "webhook_url": "", "active": "on"})  # fmt: skip
    assert response.status_code == 200 and not GroupRobot.objects.exists()
    assert "请填写机器人的 Webhook 地址" in response.content.decode()

"""QR check-in at an activity: the code of the minute, the activity's window, the secretary's code page, the
member's scan (GET shows, POST records a pending claim once), the refusals and the outsiders."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, ActivityType, Participation
from tests.factories import ActivityFactory, MemberFactory, ParticipationFactory, UserFactory
from volunteer_portal.selfservice import checkin
from volunteer_portal.selfservice.models import Claim

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 3, 5)  # the factories' activity date
LOGIN = reverse("accounts:login")


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now


@pytest.fixture
def clock(monkeypatch):
    """The portal's clock stopped on the activity's day at 10:00 in Shanghai; tests move it."""
    stopped = Clock(at(10))
    monkeypatch.setattr(timezone, "now", lambda: stopped.now)
    return stopped


@pytest.fixture
def activity(tree):
    return ActivityFactory(branch=tree.branch_a, title="学雷锋志愿服务", date=DAY)


@pytest.fixture
def volunteer(tree):
    """A member login of another branch: volunteers come from elsewhere too."""
    return MemberFactory(branch=tree.branch_b, name="王志愿", user=UserFactory(username="volunteer"))


def code_now(activity, now: dt.datetime) -> str:
    return checkin.code_for(activity, checkin.minute_of(now))


def scan_url(activity, code: str) -> str:
    return reverse("selfservice:check-in", args=[activity.pk, code])


def code_page(activity) -> str:
    return reverse("selfservice:check-in-code", args=[activity.pk])


def qr_url(activity) -> str:
    return reverse("selfservice:check-in-qr", args=[activity.pk])


# --- the code ---------------------------------------------------------------------------------------------------


def test_the_code_of_this_minute_and_the_last_is_accepted_not_older(activity):
    now = at(10, 0)
    assert checkin.accepts(activity, code_now(activity, now), now)
    assert checkin.accepts(activity, code_now(activity, now - dt.timedelta(minutes=1)), now)
    assert not checkin.accepts(activity, code_now(activity, now - dt.timedelta(minutes=2)), now)
    assert not checkin.accepts(activity, code_now(activity, now + dt.timedelta(minutes=1)), now)
    assert not checkin.accepts(activity, "", now)


def test_another_activitys_code_is_refused(tree, activity):
    other = ActivityFactory(branch=tree.branch_a)
    now = at(10)
    assert code_now(other, now) != code_now(activity, now)
    assert not checkin.accepts(activity, code_now(other, now), now)


def test_the_code_is_short_changes_every_minute_and_depends_on_the_secret(activity, settings):
    first = code_now(activity, at(10, 0))
    assert len(first) == checkin.CODE_LENGTH and int(first, 16) >= 0
    assert code_now(activity, at(10, 0) + dt.timedelta(seconds=59)) == first
    assert code_now(activity, at(10, 1)) != first
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert code_now(activity, at(10, 0)) != first


# --- the window -------------------------------------------------------------------------------------------------


def test_without_times_the_window_is_the_activitys_whole_day_in_the_portals_time_zone(activity):
    window = checkin.window(activity)
    assert (window.opens, window.closes, window.timed) == (at(0), at(0, day=DAY + dt.timedelta(days=1)), False)
    assert window.contains(at(0)) and window.contains(at(23, 59))
    # 01:00 in Shanghai is still the evening before in UTC: the portal's day counts, not the server's.
    assert window.contains(dt.datetime(2026, 3, 4, 17, 0, tzinfo=dt.UTC))
    assert not window.contains(at(23, 59, day=DAY - dt.timedelta(days=1)))
    assert not window.contains(at(0, day=DAY + dt.timedelta(days=1)))
    assert checkin.window_text(window) == "只有活动当天（2026-03-05）才能签到。"


def test_with_times_the_window_opens_early_and_closes_late(activity):
    activity.starts_at, activity.ends_at = dt.time(9, 0), dt.time(11, 30)
    window = checkin.window(activity)
    assert (window.opens, window.closes, window.timed) == (at(8, 30), at(12, 30), True)
    assert not window.contains(at(8, 29)) and window.contains(at(8, 30)) and window.contains(at(12, 29))
    assert not window.contains(at(12, 30))
    assert checkin.window_text(window) == "签到时间为 2026-03-05 08:30 至 12:30。"


def test_a_start_or_an_end_alone_narrows_one_side(activity):
    next_day = DAY + dt.timedelta(days=1)
    activity.starts_at = dt.time(14, 0)
    assert (checkin.window(activity).opens, checkin.window(activity).closes) == (at(13, 30), at(0, day=next_day))
    activity.starts_at, activity.ends_at = None, dt.time(23, 30)
    window = checkin.window(activity)
    assert (window.opens, window.closes) == (at(0), at(0, 30, day=next_day))
    assert checkin.window_text(window) == "签到时间为 2026-03-05 00:00 至 2026-03-06 00:30。"


# --- the secretary's code page ----------------------------------------------------------------------------------


def test_the_secretary_sees_a_qr_of_this_minutes_address_refreshed_by_script(as_user, tree, activity, clock):
    clock.now = at(10, 0) + dt.timedelta(seconds=45)
    page = as_user(tree.secretary_a).get(code_page(activity))
    assert page.status_code == 200
    expected = f"http://testserver{scan_url(activity, code_now(activity, clock.now))}"
    assert page.context["qr"] == checkin.qr_svg(expected)
    html = page.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "<path" in html and "style=" not in page.context["qr"]
    assert f'data-check-in-qr="{qr_url(activity)}"' in html and 'data-refresh-in="15"' in html
    assert "js/checkin.js" in html and "只有活动当天（2026-03-05）才能签到" in html
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]

    clock.now = at(10, 1) + dt.timedelta(seconds=2)
    qr = as_user(tree.secretary_a).get(qr_url(activity))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and qr["X-Refresh-In"] == "58"
    now_url = f"http://testserver{scan_url(activity, code_now(activity, clock.now))}"
    assert qr.content.decode() == checkin.qr_svg(now_url)


def test_the_page_says_when_the_window_is_and_shows_no_code_outside_it(as_user, tree, activity, clock):
    activity.starts_at, activity.ends_at = dt.time(14, 0), dt.time(16, 0)
    activity.save()
    client = as_user(tree.secretary_a)
    page = client.get(code_page(activity))
    html = page.content.decode()
    assert page.status_code == 200 and page.context["qr"] == ""
    assert "data-check-in-qr" not in html and "checkin.js" not in html
    assert "签到尚未开始" in html and "签到时间为 2026-03-05 13:30 至 17:00" in html
    assert "开始时间前 30 分钟至结束时间后 60 分钟" in html
    assert client.get(qr_url(activity)).status_code == 410

    clock.now = at(17, 0)
    assert "签到已结束" in client.get(code_page(activity)).content.decode()
    clock.now = at(9, day=DAY + dt.timedelta(days=1))
    activity.starts_at = activity.ends_at = None
    activity.save()
    html = as_user(tree.secretary_a).get(code_page(activity)).content.decode()  # a new day, a new session
    assert "签到已结束" in html and "只有活动当天（2026-03-05）才能签到" in html and "data-check-in-qr" not in html


def test_an_archived_activity_shows_no_code(as_user, tree, activity, clock):
    activity.archived_at = timezone.now()
    activity.save()
    page = as_user(tree.secretary_a).get(code_page(activity))
    html = page.content.decode()
    assert page.status_code == 200 and "data-check-in-qr" not in html and "已归档" in html
    assert as_user(tree.secretary_a).get(qr_url(activity)).status_code == 410


def test_the_activity_page_offers_the_code_to_its_secretaries_only(as_user, tree, activity):
    assert code_page(activity) in as_user(tree.secretary_a).get(activity.get_absolute_url()).content.decode()
    assert code_page(activity) not in as_user(tree.district_leader).get(activity.get_absolute_url()).content.decode()


# --- the member's scan ------------------------------------------------------------------------------------------


def test_a_member_scans_sees_the_activity_and_checks_in_once(as_user, tree, activity, volunteer, clock):
    client = as_user(volunteer.user)
    url = scan_url(activity, code_now(activity, clock.now))
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "学雷锋志愿服务" in html and "2026-03-05" in html and tree.branch_a.name in html
    assert "2.0 小时" in html and '<form method="post">' in html
    assert not Claim.objects.exists()  # a GET never records

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    claim = Claim.objects.get()
    assert (claim.kind, claim.status, claim.member, claim.activity, claim.branch, claim.hours, claim.date) == (
        Claim.Kind.HOURS, Claim.Status.PENDING, volunteer, activity, tree.branch_a, Decimal("2.0"), DAY
    )  # fmt: skip
    assert claim.history.get().history_user == volunteer.user
    assert not Participation.objects.exists()
    done = client.get(url).content.decode()
    assert "签到成功，待支部书记确认后计入志愿时长" in done and f'href="{reverse("selfservice:me")}"' in done

    # Scanned again, even a minute later with a new code: nothing new, the same answer.
    clock.now += dt.timedelta(minutes=1)
    again = client.post(scan_url(activity, code_now(activity, clock.now)), follow=True)
    assert "签到成功，待支部书记确认后计入志愿时长" in again.content.decode()
    assert Claim.objects.count() == 1


def test_where_the_branch_counts_members_work_at_once_the_hours_count(as_user, tree, activity, volunteer, clock):
    tree.branch_a.confirm_members_work = False
    tree.branch_a.save()
    url = scan_url(activity, code_now(activity, clock.now))
    page = as_user(volunteer.user).post(url, follow=True)
    assert "签到成功，已计入志愿时长" in page.content.decode()
    assert Claim.objects.get().status == Claim.Status.CONFIRMED
    assert Participation.objects.get().member == volunteer


def test_a_code_scanned_at_the_end_of_a_minute_still_works_the_next(as_user, activity, volunteer, clock):
    clock.now = at(10, 0) + dt.timedelta(seconds=59)
    url = scan_url(activity, code_now(activity, clock.now))
    clock.now += dt.timedelta(seconds=30)
    assert as_user(volunteer.user).post(url).status_code == 302
    assert Claim.objects.count() == 1


EXPIRED = "签到码已过期，请重新扫描现场的二维码"


def test_a_member_who_signs_in_first_may_finish_within_the_grace(client, activity, volunteer, clock):
    url = scan_url(activity, code_now(activity, clock.now))
    assert client.get(url)["Location"] == f"{LOGIN}?next={url}"  # scanned signed out: the code was good then
    clock.now += dt.timedelta(minutes=5)  # typing the password on a phone
    client.force_login(volunteer.user)  # keeps the session's data, as signing in does
    assert '<form method="post">' in client.get(url).content.decode()
    clock.now += dt.timedelta(minutes=4)  # reading the page before tapping
    assert client.post(url).status_code == 302
    assert Claim.objects.get().member == volunteer


def test_the_grace_ends_and_is_only_for_a_code_seen_good(client, tree, activity, volunteer, clock):
    url = scan_url(activity, code_now(activity, clock.now))
    client.get(url)
    clock.now += dt.timedelta(minutes=checkin.SCAN_GRACE.total_seconds() // 60 + 1)
    client.force_login(volunteer.user)
    assert EXPIRED in client.post(url).content.decode()
    # Another browser opening the address after the code has expired gets no grace.
    latecomer = UserFactory(username="latecomer")
    MemberFactory(branch=tree.branch_a, user=latecomer)
    clock.now = at(10)
    url = scan_url(activity, code_now(activity, clock.now - dt.timedelta(minutes=3)))
    client.force_login(latecomer)
    assert client.get(url).status_code == 410
    assert not Claim.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_wrong_or_old_code_is_refused(as_user, activity, volunteer, clock, method):
    client = as_user(volunteer.user)
    old = code_now(activity, clock.now - dt.timedelta(minutes=2))
    for code in (old, "0123456789", "x"):
        page = getattr(client, method)(scan_url(activity, code))
        assert page.status_code == 410 and EXPIRED in page.content.decode()
        assert "学雷锋志愿服务" not in page.content.decode()  # a guessed address tells nothing of the activity
    assert not Claim.objects.exists()


def test_a_code_outside_the_window_is_refused(as_user, activity, volunteer, clock):
    activity.starts_at, activity.ends_at = dt.time(8, 0), dt.time(8, 30)
    activity.save()
    clock.now = at(9, 30)
    page = as_user(volunteer.user).post(scan_url(activity, code_now(activity, clock.now)))
    assert page.status_code == 410
    assert "签到已结束。签到时间为 2026-03-05 07:30 至 09:30。" in page.content.decode()
    assert not Claim.objects.exists()


def test_an_archived_activity_is_refused(as_user, activity, volunteer, clock):
    activity.archived_at = timezone.now()
    activity.save()
    page = as_user(volunteer.user).post(scan_url(activity, code_now(activity, clock.now)))
    assert page.status_code == 410 and "已归档" in page.content.decode()
    assert not Claim.objects.exists()


def test_a_member_already_recorded_is_told_so(as_user, activity, volunteer, clock):
    ParticipationFactory(activity=activity, member=volunteer)
    page = as_user(volunteer.user).post(scan_url(activity, code_now(activity, clock.now)))
    assert page.status_code == 400 and "您已登记为本次活动的参加人员" in page.content.decode()
    assert not Claim.objects.exists()


@pytest.mark.parametrize(("joined", "left"), [(dt.date(2026, 3, 6), None), (dt.date(2020, 1, 1), dt.date(2026, 3, 4))])
def test_a_member_off_the_roll_that_day_is_refused(as_user, activity, volunteer, clock, joined, left):
    volunteer.joined_on, volunteer.left_on = joined, left
    volunteer.save()
    page = as_user(volunteer.user).post(scan_url(activity, code_now(activity, clock.now)))
    assert page.status_code == 400
    assert "您在 2026-03-05 不在名册上" in page.content.decode()
    assert not Claim.objects.exists()


def test_a_rejected_check_in_may_be_made_again(as_user, tree, activity, volunteer, clock):
    from volunteer_portal.selfservice.services import claim_check_in, claim_reject

    claim_reject(actor=tree.secretary_a, claim=claim_check_in(actor=None, member=volunteer, activity=activity),
                 reason="没有到场")  # fmt: skip
    url = scan_url(activity, code_now(activity, clock.now))
    assert '<form method="post">' in as_user(volunteer.user).get(url).content.decode()
    as_user(volunteer.user).post(url)
    assert Claim.objects.filter(status=Claim.Status.PENDING).count() == 1


# --- outsiders --------------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in_and_back(client, activity, clock):
    scan = scan_url(activity, code_now(activity, clock.now))
    for url in (scan, code_page(activity), qr_url(activity)):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next={url}", url
    assert not Claim.objects.exists()


def test_another_branchs_secretary_gets_404_and_a_leader_403(as_user, tree, activity, clock):
    for url in (code_page(activity), qr_url(activity)):
        assert as_user(tree.secretary_b).get(url).status_code == 404
        assert as_user(tree.district_leader).get(url).status_code == 403
        assert as_user(tree.secretary_a).post(url).status_code == 405
    missing = reverse("selfservice:check-in-code", args=[999999])
    assert as_user(tree.secretary_a).get(missing).status_code == 404


def test_a_login_without_a_member_gets_404_on_the_scan(as_user, tree, activity, clock):
    url = scan_url(activity, code_now(activity, clock.now))
    for user in (tree.secretary_a, tree.district_leader):
        assert as_user(user).get(url).status_code == 404
        assert as_user(user).post(url).status_code == 404
    assert not Claim.objects.exists()


def test_a_member_scanning_a_missing_activity_gets_404(as_user, volunteer, clock):
    assert as_user(volunteer.user).get(reverse("selfservice:check-in", args=[999999, "0123456789"])).status_code == 404


# --- the activity form's time fields ----------------------------------------------------------------------------


def form_data(tree, **overrides):
    data = {
        "type": ActivityType.objects.get(name="走访慰问", parent=None).pk,
        "date": "2026-03-05",
        "starts_at": "09:00",
        "ends_at": "11:30",
        "branch": tree.branch_a.pk,
        "title": "三月学雷锋",
        "default_hours": "2",
        "new-TOTAL_FORMS": "0",
        "new-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_the_activity_form_saves_and_shows_the_time(as_user, tree):
    client = as_user(tree.secretary_a)
    form = client.get(reverse("activities:activity-create")).content.decode()
    assert 'type="time" name="starts_at"' in form and 'type="time" name="ends_at"' in form
    assert "开始时间" in form and "结束时间" in form
    assert "填写后，成员只能在这段时间内扫码签到；不填则当天均可签到" in form
    response = client.post(reverse("activities:activity-create"), form_data(tree))
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert (activity.starts_at, activity.ends_at) == (dt.time(9, 0), dt.time(11, 30))
    assert "09:00–11:30" in client.get(activity.get_absolute_url()).content.decode()
    edit = reverse("activities:activity-edit", args=[activity.pk])
    assert 'value="09:00"' in client.get(edit).content.decode()
    version = client.get(edit).context["form"]["version"].value()
    client.post(edit, form_data(tree, starts_at="", ends_at="", version=version))
    activity.refresh_from_db()
    assert (activity.starts_at, activity.ends_at) == (None, None)


def test_an_end_before_the_start_is_refused_in_chinese(as_user, tree):
    page = as_user(tree.secretary_a).post(reverse("activities:activity-create"), form_data(tree, ends_at="08:00"))
    assert page.status_code == 200 and "活动的结束时间不能早于开始时间" in page.content.decode()
    assert 'value="08:00"' in page.content.decode()  # nothing typed is lost
    assert not Activity.objects.exists()
    bad = as_user(tree.secretary_a).post(reverse("activities:activity-create"), form_data(tree, starts_at="25:00"))
    assert bad.status_code == 200 and "输入一个有效的时间" in bad.content.decode()


# --- query budgets ----------------------------------------------------------------------------------------------


def test_the_code_pages_query_counts_do_not_grow(as_user, tree, activity, clock, assert_flat_queries):
    client = as_user(tree.secretary_a)

    def grow():
        for n in range(10):
            ParticipationFactory(activity=activity, member=MemberFactory(branch=tree.branch_a))
            ActivityFactory(branch=tree.branch_a, title=f"另一个活动{n}")

    assert_flat_queries(
        lambda: client.get(code_page(activity)), grow, queries=5, also=[(lambda: client.get(qr_url(activity)), 5)]
    )


def test_the_scan_pages_query_counts_do_not_grow(as_user, tree, activity, volunteer, clock, assert_flat_queries):
    client = as_user(volunteer.user)
    url = scan_url(activity, code_now(activity, clock.now))
    done = ActivityFactory(branch=tree.branch_a, title="已签到的活动")
    client.post(scan_url(done, code_now(done, clock.now)))
    done_url = scan_url(done, code_now(done, clock.now))

    def grow():
        for _ in range(10):
            ParticipationFactory(activity=activity, member=MemberFactory(branch=tree.branch_a))
            other = ActivityFactory(branch=tree.branch_a)
            client.post(scan_url(other, code_now(other, clock.now)))

    assert_flat_queries(lambda: client.get(url), grow, queries=7, also=[(lambda: client.get(done_url), 5)])

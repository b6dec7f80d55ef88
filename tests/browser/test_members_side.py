"""The members' side end to end (issue 16), a member on a 390 px phone and their branch's secretary beside them:
the member's page (pairings overdue first, hours, what waits), checking in to today's activity by the code the
secretary shows, the secretary confirming that and an earlier record from the queue, the dashboard counting them,
and an invitation link used to set a login. Recording a visit offline is tests/browser/test_offline_visit.py.

The data is made with factories and services (seed_demo is too slow for a test), under the logins the issue and
the demo use: `volunteer1`, a member of 康复中心支部, and `secretary1`, its secretary."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from volunteer_portal.branches.models import Branch
from volunteer_portal.selfservice import checkin
from volunteer_portal.selfservice.models import Claim
from volunteer_portal.selfservice.services import claim_check_in

from ..factories import (
    ActivityFactory,
    ActivityTypeFactory,
    BeneficiaryFactory,
    BranchFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    RoleGrantFactory,
    UserFactory,
    VisitFactory,
)
from .test_accessibility import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Xuelf#2026ab"  # the welcome form's policy: 8 characters, 3 kinds, not common, unlike the login


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


@pytest.fixture
def branch(tree):
    kangfu = BranchFactory(name="康复中心支部", code="kangfu", kind=Branch.Kind.PARTY_BRANCH, parent=tree.district)
    RoleGrantFactory(user=UserFactory(username="secretary1"), branch=kangfu)
    return kangfu


@pytest.fixture
def volunteer(branch):
    """volunteer1 as the demo has them: two pairings (one overdue), hours counted, and hours waiting."""
    ActivityTypeFactory(name="助残服务")
    member = MemberFactory(user=UserFactory(username="volunteer1"), branch=branch, name="王志愿")
    overdue = BeneficiaryFactory(branch=branch, name="赵大山")
    PairingFactory(member=member, beneficiary=overdue, start_date=days_ago(100))  # due 40 days ago
    due = PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=branch, name="钱小红"),
                         start_date=days_ago(80))  # fmt: skip
    VisitFactory(beneficiary=due.beneficiary, branch=branch, date=days_ago(12), visitors=[member])
    year_start = dt.date(timezone.localdate().year, 1, 1)
    earlier = max(days_ago(20), year_start)
    counted = ActivityFactory(branch=branch, title="助残日志愿服务", date=earlier)
    ParticipationFactory(activity=counted, member=member, hours=Decimal("4.0"))
    waiting = ActivityFactory(branch=branch, title="康复站义务劳动", date=earlier)
    claim_check_in(actor=member.user, member=member, activity=waiting, hours=Decimal("3.0"))
    MemberFactory(branch=branch, name="李明")  # a participant for the secretary's activity; invited below
    return member


@pytest.fixture
def contexts(chromium_browser):
    made = []

    def new(*, phone: bool):
        size = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "has_touch": True}
        context = chromium_browser.new_context(
            locale="zh-CN", **(size if phone else {"viewport": {"width": 1280, "height": 900}})
        )
        made.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield new
    for context in made:
        context.close()


def headline_hours(page) -> Decimal:
    card = page.locator("#headline ~ .row .card").filter(has_text="志愿服务时长").first
    return Decimal(card.locator(".fs-4").inner_text())


def shown_check_in_address(page, base: str, activity: Activity) -> str:
    """The address the QR code on the page holds. The page does not print it (the code changes every minute),
    so the QR's drawing is matched with the code of this minute or of the one before, drawn as the view draws
    it (checkin.code_for, checkin.qr_svg): a QR the page did not draw from that address matches neither."""
    drawn = page.locator("#check-in-qr svg path[stroke]").get_attribute("d")
    minute = checkin.minute_of(timezone.now())
    for candidate in (minute, minute - 1):
        url = base + reverse("selfservice:check-in", args=[activity.pk, checkin.code_for(activity, candidate)])
        if f'd="{drawn}"' in checkin.qr_svg(url):
            return url
    raise AssertionError("the QR code on the page holds no address of this activity's current code")


def test_a_member_checks_in_and_the_secretary_confirms_what_waits(live_server, contexts, volunteer, screenshot):
    base = live_server.url
    today = timezone.localdate()
    phone = contexts(phone=True)
    sign_in(phone, base, "volunteer1")
    phone.wait_for_url(f"{base}/me/")
    main = phone.locator("main")
    cards = phone.locator("[data-pairing] h3")
    assert cards.all_inner_texts() == ["赵大山", "钱小红"]  # overdue first
    assert "已逾期 40 天" in phone.locator("[data-pairing]").first.inner_text()
    assert "已逾期" not in phone.locator("[data-pairing]").last.inner_text()
    assert f"{days_ago(12):%Y-%m-%d}" in phone.locator("[data-pairing]").last.inner_text()
    assert phone.get_by_role("link", name="记录走访").count() == 2
    assert phone.locator("[data-figure=year-hours]").inner_text() == "4.0"
    assert phone.locator("[data-figure=cumulative]").inner_text() == "4.0"
    pending = phone.locator("section[aria-labelledby=my-pending]")
    assert "康复站义务劳动" in pending.inner_text() and "3.0" in pending.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "members-side-01-me")

    # The secretary logs today's activity on the page, then opens its check-in code.
    desk = contexts(phone=False)
    sign_in(desk, base, "secretary1")
    desk.goto(f"{base}/dashboard/")
    assert "另有待确认：3.0 小时（1 人次）、0 次走访" in desk.locator("main").inner_text()
    assert headline_hours(desk) == Decimal("4.0")  # volunteer1's counted hours
    desk.goto(f"{base}/activities/new/")
    desk.get_by_label("活动类型").select_option(label="助残服务")
    desk.locator("#id_date").fill(f"{today:%Y-%m-%d}")
    desk.get_by_label("标题").fill("康复中心助残志愿服务")
    desk.get_by_label("地点").fill("康复中心")
    desk.get_by_role("checkbox", name="李明").check()
    with desk.expect_navigation():
        desk.get_by_role("button", name="保存").click()
    activity = Activity.objects.get(title="康复中心助残志愿服务")
    assert desk.url == f"{base}{activity.get_absolute_url()}"
    desk.get_by_role("link", name="签到码").click()
    desk.wait_for_url(f"**/members-work/check-in/{activity.pk}/")
    address = shown_check_in_address(desk, base, activity)

    # The member's phone opens that address (the camera would), taps 签到 and is told it waits.
    phone.goto(address)
    assert "康复中心助残志愿服务" in main.inner_text() and "2.0 小时" in main.inner_text()
    screenshot(phone, "members-side-02-check-in")
    with phone.expect_navigation():
        phone.get_by_role("button", name="签到").click()
    assert "签到成功，待支部书记确认后计入志愿时长。" in phone.get_by_role("status").inner_text()
    claim = Claim.objects.get(activity=activity)
    assert (claim.member, claim.status, claim.hours) == (volunteer, Claim.Status.PENDING, Decimal("2.0"))
    desk.goto(f"{base}/dashboard/")
    assert "另有待确认：5.0 小时（2 人次）、0 次走访" in desk.locator("main").inner_text()
    before = headline_hours(desk)
    assert before == Decimal("6.0")  # 李明's 2.0 hours today count; the check-in does not yet

    # The queue: the check-in, then the record that was already waiting.
    desk.goto(f"{base}/members-work/")
    rows = desk.locator("table tbody tr")
    assert rows.count() == 2
    for title, hours in (("康复中心助残志愿服务", "2.0"), ("康复站义务劳动", "3.0")):
        with desk.expect_navigation():
            rows.filter(has_text=title).get_by_role("button", name=re.compile("^确认 王志愿")).click()
        done = desk.locator(".alert[role=status]").inner_text()
        assert done == f"已确认：王志愿 参加“{title}” {hours} 小时，从现在起计入统计。"
    assert "没有待确认的记录。" in desk.locator("main").inner_text()
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.CONFIRMED}

    desk.goto(f"{base}/dashboard/")
    assert headline_hours(desk) == before + Decimal("5.0")
    assert "另有待确认" not in desk.locator("main").inner_text()
    screenshot(desk, "members-side-03-dashboard")

    phone.goto(f"{base}/me/")
    assert phone.locator("[data-figure=year-hours]").inner_text() == "9.0"
    assert phone.locator("[data-figure=cumulative]").inner_text() == "9.0"
    assert phone.locator("section[aria-labelledby=my-pending]").count() == 0
    assert "康复中心助残志愿服务" in main.inner_text() and "康复站义务劳动" in main.inner_text()


def test_a_member_sets_a_login_from_the_link_the_secretary_made(live_server, contexts, volunteer, screenshot):
    base = live_server.url
    li = volunteer.branch.members.get(name="李明")
    desk = contexts(phone=False)
    sign_in(desk, base, "secretary1")
    desk.goto(f"{base}{reverse('members:member-edit', args=[li.pk])}")
    desk.get_by_role("link", name="邀请登录").click()
    with desk.expect_navigation():
        desk.get_by_role("button", name="生成登录链接").click()
    link = desk.locator("input[id^=invite-url-]").input_value()
    assert link.startswith(f"{base}/me/welcome/")
    desk.goto(link)  # opened where someone is signed in, the page says who would be signed in instead
    warning = "此浏览器已登录为“secretary1”。继续操作将改为以李明的身份登录。"
    assert desk.get_by_role("status").inner_text() == warning

    phone = contexts(phone=True)  # a fresh browser: nobody signed in
    phone.goto(link)
    assert "欢迎，李明" in phone.get_by_role("heading", level=1).inner_text()
    phone.locator("#id_username").fill("liming")
    phone.locator("#id_new_password1").fill(PASSWORD)
    phone.locator("#id_new_password2").fill(PASSWORD)
    screenshot(phone, "members-side-04-welcome", full_page=False)
    with phone.expect_navigation():
        phone.get_by_role("button", name="保存并登录").click()
    assert phone.url == f"{base}/me/"
    assert "李明" in phone.get_by_role("heading", level=1).inner_text()
    li.refresh_from_db()
    assert li.user is not None and li.user.username == "liming" and li.user.check_password(PASSWORD)
    phone.goto(link)  # once only
    assert "此链接已失效" in phone.locator("main").inner_text()

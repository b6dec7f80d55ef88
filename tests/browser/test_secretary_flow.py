"""A branch secretary on a phone logs an activity with two participants and a visit with two assistance
items, and finds it in the list and on the home page."""

import re

import pytest

from activities.models import Activity
from beneficiaries.models import AssistanceItem, Visit

from ..factories import TEST_PASSWORD, ActivityTypeFactory, BeneficiaryFactory, MemberFactory

ACTIVITY_PAGE = re.compile(r".*/activities/\d+/$")
# A transactional test empties every table when it ends, the rows that data migrations seed included, so each
# test here creates the reference rows it uses (ActivityTypeFactory) instead of relying on the seed.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_secretary_logs_an_activity_and_a_visit_on_a_phone(live_server, phone, tree, screenshot):
    ActivityTypeFactory(name="走访慰问")
    wang = MemberFactory(branch=tree.branch_a, name="王芳")
    liu = MemberFactory(branch=tree.branch_a, name="刘洋")
    MemberFactory(branch=tree.branch_a, name="陈静")
    household = BeneficiaryFactory(branch=tree.branch_a, name="李秀英")
    page = phone

    # Sign in (the form puts the cursor in the user name), then the keyboard's first stop is the skip link.
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.evaluate("document.activeElement.name") == "username"
    page.get_by_label("用户名").fill("secretary_a")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "跳到正文"
    assert no_sideways_scroll(page)
    screenshot(page, "01-home-empty")

    # Log an activity with two participants, one with other hours.
    page.get_by_role("link", name="记录活动").first.click()
    page.wait_for_url("**/activities/new/")
    page.get_by_label("活动类型").select_option(label="走访慰问")
    page.locator("#id_date").fill("2026-03-05")
    page.get_by_label("标题").fill("三月走访慰问困难家庭")
    page.get_by_label("地点").fill("丽景社区")
    page.get_by_role("checkbox", name="王芳").check()
    page.get_by_role("checkbox", name="刘洋").check()
    page.get_by_label("刘洋 的时长").fill("3.5")
    assert no_sideways_scroll(page)
    screenshot(page, "02-activity-form", full_page=False)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(ACTIVITY_PAGE)
    assert page.get_by_role("heading", name="三月走访慰问困难家庭").is_visible()

    # From the activity: the household it reached, with two assistance items.
    page.get_by_role("link", name="记录服务的家庭").click()
    page.get_by_role("checkbox", name="李秀英").check()
    page.locator("#id_items-0-kind").select_option(label="慰问金")
    page.locator("#id_items-0-description").fill("慰问金")
    page.locator("#id_items-0-value").fill("500")
    page.locator("#id_items-1-kind").select_option(label="慰问品")
    page.locator("#id_items-1-description").fill("米面油")
    page.locator("#id_items-1-quantity").fill("2")
    page.locator("#id_items-1-value").fill("180")
    assert no_sideways_scroll(page)
    screenshot(page, "03-households-form", full_page=False)
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(ACTIVITY_PAGE)
    assert page.get_by_text("已为此活动记录 1 次走访").is_visible()
    screenshot(page, "04-activity-detail")

    # In the list and on the home page.
    page.goto(f"{live_server.url}/activities/")
    assert page.get_by_role("link", name="三月走访慰问困难家庭").is_visible()
    assert no_sideways_scroll(page)
    page.goto(f"{live_server.url}/")
    assert page.get_by_role("link", name="三月走访慰问困难家庭").is_visible()
    screenshot(page, "05-home")

    activity = Activity.objects.get()
    assert {p.member_id: str(p.hours) for p in activity.participations.all()} == {wang.pk: "2.0", liu.pk: "3.5"}
    visit = Visit.objects.get()
    assert visit.beneficiary == household and visit.activity == activity
    assert sorted((i.description, str(i.value)) for i in AssistanceItem.objects.all()) == [
        ("慰问金", "500.00"),
        ("米面油", "180.00"),
    ]


def test_errors_are_announced_and_tied_to_their_fields(live_server, phone, tree):
    MemberFactory(branch=tree.branch_a, name="王芳")
    page = phone
    page.goto(f"{live_server.url}/accounts/login/?next=/activities/new/")
    page.get_by_label("用户名").fill("secretary_a")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/activities/new/")
    page.locator("#id_date").fill("2099-01-01")
    page.get_by_role("button", name="保存").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "日期晚于今天" in summary.inner_text()
    # Each error in the summary links to its field.
    page.locator("#error-summary a", has_text="标题").click()
    assert page.evaluate("document.activeElement.id") == "id_title"
    assert Activity.objects.count() == 0


def test_no_page_scrolls_sideways_on_a_phone_in_either_language(live_server, chromium_browser, tree, records):
    """Every list and form a secretary uses fits 360 px, in Chinese and in English (longer words)."""
    import datetime as dt

    from volunteer_portal.reports import services
    from volunteer_portal.reports.models import ReportRequirement

    ReportRequirement.objects.create(branch_kind="community", frequency="quarterly")
    report = services.report_create(actor=tree.secretary_a, branch=tree.branch_a, frequency="quarterly",
                                   start=dt.date(2026, 7, 1))  # fmt: skip
    paths = [
        "/",
        "/activities/",
        "/activities/new/",
        f"/activities/{records['activity'].pk}/",
        "/beneficiaries/",
        f"/beneficiaries/{records['beneficiary'].pk}/",
        "/beneficiaries/pairings/",
        "/members/",
        "/dashboard/",
        "/beneficiaries/import/",
        "/reports/",
        f"/reports/{report.pk}/",
        f"/reports/{report.pk}/edit/",
        f"/reports/summary/{tree.branch_a.pk}/",
        f"/reports/evaluation/{tree.branch_a.pk}/",
        f"/members/{records['member'].pk}/",
    ]
    for locale in ("zh-CN", "en-US"):
        context = chromium_browser.new_context(viewport={"width": 360, "height": 740}, locale=locale)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "secretary_a")
        page.fill("#id_password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert no_sideways_scroll(page), (locale, path)
        context.close()

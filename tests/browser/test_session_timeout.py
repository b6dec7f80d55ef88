"""The idle timeout in the browser (WCAG 2.2.1, issue 15): a warning that takes the focus and keeps the session
alive on request; and what was typed survives the timeout, is cleared when saved or on sign-out, and never holds
a personal number."""

import json
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from activities.models import Activity
from volunteer_portal.security import LAST_SEEN

from ..factories import TEST_PASSWORD, ActivityTypeFactory
from .test_accessibility import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DRAFTS = "Object.keys(sessionStorage).filter((key) => key.startsWith('vp-draft'))"


def session_of(context) -> SessionStore:
    key = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "sessionid")
    return SessionStore(session_key=key)


@pytest.fixture
def context(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context
    context.close()


def test_what_was_typed_survives_the_timeout_and_goes_when_saved(live_server, context, tree, records):
    ActivityTypeFactory(name="助残服务")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "secretary_a")
    page.goto(f"{live_server.url}/activities/new/")
    page.locator("#id_title").fill("超时之后仍在的标题")
    page.locator("#id_location").fill("丽景社区活动室")
    assert page.evaluate(DRAFTS) == ["vp-draft:/activities/new/"]

    session = session_of(context)  # 31 minutes without a request, as far as the server knows
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    page.locator("main form button[type=submit]:not([name])").click()
    page.wait_for_url("**/accounts/login/**")
    assert "30 分钟" in page.locator("main").inner_text()
    assert Activity.objects.filter(title="超时之后仍在的标题").count() == 0

    page.locator("#id_username").fill("secretary_a")  # signing in again brings them back to the form
    page.locator("#id_password").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")
    page.wait_for_url("**/activities/new/")
    assert page.locator("#id_title").input_value() == "超时之后仍在的标题"
    assert page.locator("#id_location").input_value() == "丽景社区活动室"
    assert page.get_by_role("status").filter(has_text="已恢复").count() == 1

    page.locator("#id_type").select_option(label="助残服务")
    page.locator("input[name=participants]").first.check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]:not([name])").click()
    assert Activity.objects.filter(title="超时之后仍在的标题").count() == 1
    assert page.evaluate(DRAFTS) == []  # saved: the server's redirect cleared it
    page.goto(f"{live_server.url}/activities/new/")
    assert page.locator("#id_title").input_value() == ""


def test_a_failed_submit_keeps_the_draft_and_sign_out_clears_it(live_server, context, tree):
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "secretary_a")
    page.goto(f"{live_server.url}/activities/new/")
    page.locator("#id_title").fill("未保存的标题")
    with page.expect_navigation():
        page.locator("main form button[type=submit]:not([name])").click()  # no type chosen: errors
    assert page.locator("#error-summary").count() == 1
    assert page.evaluate(DRAFTS) == ["vp-draft:/activities/new/"]
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    assert page.evaluate(DRAFTS) == []


def test_a_personal_number_is_never_kept(live_server, context, tree):
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "secretary_a")
    page.goto(f"{live_server.url}/beneficiaries/new/")
    page.locator("#id_name").fill("王秀兰")
    page.locator("#id_id_number").fill("110101195001011234")
    page.locator("#id_certificate_number").fill("11010119500101123411")
    page.locator("#id_birth_date").fill("1950-01-01")
    page.locator("#id_address").fill("丽景街 1 号")
    stored = page.evaluate("JSON.stringify(sessionStorage)")
    assert "王秀兰" in stored and "丽景街 1 号" in stored  # the form is kept
    values = json.loads(json.loads(stored)["vp-draft:/beneficiaries/new/"])["values"]
    assert not {"id_number", "certificate_number", "birth_date"} & set(values)
    assert "1101011950" not in stored and "1950-01-01" not in stored


def test_the_warning_takes_the_focus_and_keeps_the_session(live_server, context, tree):
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "secretary_a")
    page.clock.install()
    page.goto(f"{live_server.url}/activities/")
    dialog = page.get_by_role("alertdialog", name="即将自动退出登录")
    assert not dialog.is_visible()
    page.clock.run_for("26:00")
    assert not dialog.is_visible()
    page.clock.run_for("01:30")  # 27½ minutes: under three minutes are left
    assert dialog.is_visible()
    assert page.evaluate("document.activeElement.id") == "session-stay"
    assert "自动退出登录" in dialog.inner_text()
    session = session_of(context)
    session[LAST_SEEN] = int(time.time()) - 27 * 60  # the server's clock agrees
    session.save()
    page.keyboard.press("Enter")  # 保持登录
    dialog.wait_for(state="hidden")
    assert session_of(context)[LAST_SEEN] >= int(time.time()) - 5
    page.clock.run_for("26:00")  # the clock starts again from now
    assert not dialog.is_visible()


def test_when_the_time_is_up_the_dialog_says_so_and_offers_to_sign_in(live_server, context, tree):
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "secretary_a")
    page.clock.install()
    page.goto(f"{live_server.url}/activities/new/")
    page.clock.run_for("30:05")
    dialog = page.get_by_role("alertdialog")
    assert dialog.is_visible() and "您已退出登录" in dialog.inner_text()
    assert page.evaluate("document.activeElement.id") == "session-sign-in"
    assert page.locator("#session-sign-in").get_attribute("href").endswith("?next=/activities/new/")

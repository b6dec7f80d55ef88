"""WCAG 2.1 AA, checked by axe-core in Chromium (issue 15): the key pages, signed in as each role, at 1280 px and
360 px, in Chinese and English, with no serious or critical violation. axe is the pinned copy in vendor/."""

import contextlib
import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from beneficiaries.models import Beneficiary
from volunteer_portal.reminders.models import Channel, Kind, Reminder
from volunteer_portal.reports import services as report_services
from volunteer_portal.reports.models import ReportRequirement

from ..factories import (
    TEST_PASSWORD,
    ActivityFactory,
    ActivityTypeFactory,
    CampaignFactory,
    MemberFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
FAILED = "#error-summary, [data-queue-errors]"  # a form's errors: the server's summary, or the upload queue's
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}"""


def violations(page) -> list[str]:
    page.add_script_tag(content=AXE)  # the context bypasses the CSP for this script only (bypass_csp)
    return page.evaluate(RUN, TAGS)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def pages(tree, records, superuser):
    ActivityTypeFactory(name="走访慰问")
    beneficiary: Beneficiary = records["beneficiary"]
    VisitFactory(beneficiary=beneficiary, branch=tree.branch_a, follow_up_needed=True)
    # Reports owed since January (the home page's yellow card) and one of them drafted; a campaign the secretary's
    # branch organises; an unread notification (its row is yellow too).
    ReportRequirement.objects.create(branch_kind="community", frequency="quarterly", starts_on=dt.date(2026, 1, 1))
    report = report_services.report_create(actor=tree.secretary_a, branch=tree.branch_a, frequency="quarterly",
                                           start=dt.date(2026, 1, 1))  # fmt: skip
    campaign = CampaignFactory(branch=tree.branch_a, name="学雷锋志愿服务月")
    Reminder.objects.create(channel=Channel.PORTAL, user=tree.secretary_a, kind=Kind.REPORT_OVERDUE,
                            subject="report:1", period="overdue", title="汇报逾期", body="请尽快提交。",
                            link="/reports/", status=Reminder.Status.SENT)  # fmt: skip
    client = Client()
    client.force_login(tree.secretary_a)
    assert 'id="todo-reports"' in client.get("/").content.decode()  # the yellow card is drawn, its link checked
    activity, member = records["activity"], records["member"]
    from volunteer_portal.selfservice.services import claim_visit_submit

    # A member's visit waiting for the secretary: the queue and the record's page (its forms) are checked too.
    item = {"kind": "goods", "description": "米面油", "value": "120"}
    waiting = claim_visit_submit(actor=None, member=member, pairing=records["pairing"], date=dt.date(2026, 3, 6),
                                 notes="送米面油", items=[item])  # fmt: skip
    secretary = [
        "/", "/beneficiaries/", beneficiary.get_absolute_url(), "/beneficiaries/new/", "submit:/beneficiaries/new/",
        f"/beneficiaries/{beneficiary.pk}/visits/new/", f"submit:/beneficiaries/{beneficiary.pk}/visits/new/",
        records["visit"].get_absolute_url(), "/activities/", activity.get_absolute_url(), "/activities/new/",
        "submit:/activities/new/", f"/beneficiaries/from-activity/{activity.pk}/",
        f"/beneficiaries/from-activity/{activity.pk}/group-items/", "/members/", f"/members/{member.pk}/",
        "/members/new/", "submit:/members/new/", "/beneficiaries/pairings/", records["pairing"].get_absolute_url(),
        "/beneficiaries/pairings/new/", "submit:/beneficiaries/pairings/new/", "/reports/",
        report.get_absolute_url(), f"/reports/{report.pk}/edit/", "/campaigns/", campaign.get_absolute_url(),
        "/campaigns/new/", f"/campaigns/{campaign.pk}/targets/new/", "/notifications/", "/notifications/settings/",
        "/beneficiaries/import/", "/dashboard/", "/members-work/", f"/members-work/records/{waiting.pk}/",
        f"submit:/members-work/records/{waiting.pk}/",
    ]  # fmt: skip
    leader = ["/dashboard/", f"/dashboard/{tree.district.pk}/", f"/reports/summary/{tree.root.pk}/",
              f"/reports/evaluation/{tree.root.pk}/", f"/dashboard/{tree.district.pk}/non-participants/"]  # fmt: skip
    # The members' side (issue 16), as a member sees it: their page with pairings, a record waiting and one
    # turned down; the visit form; the check-in page of today's activity (this minute's code); a welcome link.
    # The secretary: the check-in code and an invitation's links (the page a POST answers).
    from django.utils import timezone

    from volunteer_portal.selfservice import checkin
    from volunteer_portal.selfservice.services import claim_check_in, claim_reject, invite_create

    member.user = UserFactory(username="member_a")
    member.save()
    absent = claim_check_in(actor=member.user, member=member, activity=ActivityFactory(branch=tree.branch_a))
    claim_reject(actor=tree.secretary_a, claim=absent, reason="那天未到场")
    today = ActivityFactory(branch=tree.branch_a, title="今日助残服务", date=timezone.localdate())
    code = checkin.code_for(today, checkin.minute_of(timezone.now()))
    _invite, token = invite_create(actor=tree.secretary_a, member=MemberFactory(branch=tree.branch_a, name="刘洋"))
    pairing = records["pairing"]
    mine = ["/me/", f"/me/pairings/{pairing.pk}/visit/", f"submit:/me/pairings/{pairing.pk}/visit/",
            f"/me/check-in/{today.pk}/{code}/", f"/me/welcome/{token}/"]  # fmt: skip
    secretary += [f"/members-work/check-in/{today.pk}/", f"/members-work/invites/member/{member.pk}/",
                  f"post:/members-work/invites/member/{member.pk}/"]  # fmt: skip
    admin = [
        "/admin/",
        "/admin/beneficiaries/beneficiary/",
        f"/admin/beneficiaries/beneficiary/{beneficiary.pk}/change/",
        f"/admin/branches/branch/{tree.branch_a.pk}/change/",  # autocomplete (select2) boxes, the role inline
        f"/admin/beneficiaries/visit/{records['visit'].pk}/change/",  # split date and time boxes
    ]
    # The member first: the check-in code is good for a minute or two (this one and the one before).
    return {"member_a": mine, "secretary_a": secretary, "root_leader": leader, superuser.username: admin}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("width", [1280, 360])
def test_no_serious_or_critical_violation_on_the_key_pages(live_server, chromium_browser, pages, locale, width):
    found: dict[str, list[str]] = {}
    for username, urls in pages.items():
        context = chromium_browser.new_context(viewport={"width": width, "height": 800}, locale=locale,
                                               bypass_csp=True)  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        if username == "secretary_a":  # the sign-in page itself, before anyone signs in
            found["/accounts/login/"] = violations(page)
        sign_in(page, live_server.url, username)
        for url in urls:
            submit, post = url.startswith("submit:"), url.startswith("post:")
            page.goto(live_server.url + url.removeprefix("submit:").removeprefix("post:"))
            if submit or post:  # the form after a failed submit (the error summary, the invalid fields), or the
                page.locator("main form button[type=submit]").last.click()  # page a form sent answers
                page.wait_for_load_state()
            if submit:  # the member's visit form says what is wrong without leaving the page (static/js/offline.js)
                with contextlib.suppress(PlaywrightTimeout):
                    page.locator(FAILED).first.wait_for(timeout=5_000)
            found[f"{username} {url}"] = violations(page)
            if submit and page.locator(FAILED).count() == 0:
                found[f"{username} {url}"].append("the empty form was accepted: no failed submit was checked")
        context.close()
    assert {url: v for url, v in found.items() if v} == {}


def test_no_key_page_scrolls_sideways_at_320_px(live_server, chromium_browser, pages):
    """WCAG 1.4.10 (reflow): at 320 px, the width of 400% zoom, nothing but a table's own scroll box may be wider
    than the screen; sums of money stay on one line."""
    wide = {}
    for username, urls in pages.items():
        if username not in ("member_a", "secretary_a", "root_leader"):
            continue  # Django's admin is not built to reflow; the portal's pages are
        context = chromium_browser.new_context(viewport={"width": 320, "height": 700}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server.url, username)
        for url in urls:
            page.goto(live_server.url + url.removeprefix("submit:").removeprefix("post:"))
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 321:
                wide[f"{username} {url}"] = width
            money = page.locator(".money")
            for index in range(money.count()):
                box = money.nth(index).bounding_box()
                assert box is None or box["height"] < 2.5 * 16, f"{url}: a sum of money wraps"
        context.close()
    assert wide == {}


def test_the_admin_autocomplete_boxes_are_named_by_their_label(live_server, chromium_browser, tree, records,
                                                              superuser):  # fmt: skip
    """axe passes a select2 box named by the value it shows; a screen reader must also hear which field it is."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, superuser.username)
    checked = 0
    for url in (f"/admin/branches/branch/{tree.branch_a.pk}/change/",
                f"/admin/beneficiaries/visit/{records['visit'].pk}/change/"):  # fmt: skip
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        for select_id in page.locator("select.admin-autocomplete").evaluate_all("(all) => all.map((s) => s.id)"):
            label = page.locator(f"label[for='{select_id}']")
            if label.count() == 0:
                continue  # a tabular inline's box, named by its column
            box = page.locator(f"#{select_id} + .select2 .select2-selection[role=combobox]")
            name = label.inner_text().strip().rstrip(":：")
            expect(box).to_have_accessible_name(re.compile("^" + re.escape(name)))
            checked += 1
    context.close()
    assert checked >= 2

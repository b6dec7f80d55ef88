"""The issue's story in a browser: a secretary drafts and submits the quarter's report by checking the figures
the system wrote; a leader returns it once, approves it the second time, downloads the summary as Word and opens
the year-end evaluation."""

import datetime as dt

import pytest
from docx import Document

from volunteer_portal.reports.models import EvaluationCriteria, ReportRequirement

from ..factories import TEST_PASSWORD, ActivityFactory, ActivityTypeFactory, MemberFactory, ParticipationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser, live_server, username, **context):
    page = browser.new_context(locale="zh-CN", accept_downloads=True, **context).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def test_a_quarter_report_is_returned_once_then_approved(live_server, chromium_browser, tree, screenshot):
    # A transactional test empties the tables the migrations seeded: set the criteria up again.
    EvaluationCriteria.objects.get_or_create()
    ReportRequirement.objects.create(branch_kind="community", frequency="quarterly")
    member = MemberFactory(branch=tree.branch_a, name="王芳")
    visit = ActivityTypeFactory(name="走访慰问")
    ParticipationFactory(member=member, activity=ActivityFactory(branch=tree.branch_a, type=visit,
                         date=dt.date(2026, 8, 9), title="八月走访困难家庭"))  # fmt: skip

    phone = sign_in(chromium_browser, live_server, "secretary_a", viewport={"width": 360, "height": 740})
    assert phone.get_by_role("heading", name="要写的报告").is_visible()
    phone.get_by_role("link", name="到“报告”页填写").click()
    phone.get_by_role("button", name="现在起草").first.click()
    phone.wait_for_url("**/reports/*/edit/")
    situation = phone.get_by_label("基本情况").input_value()
    assert "丽景社区共开展 1 次学雷锋活动" in situation
    phone.get_by_label("下一步打算").fill("继续每两月走访一次结对户。")
    screenshot(phone, "reports-01-draft", full_page=False)
    phone.get_by_role("button", name="保存并提交").click()
    phone.get_by_text("报告已提交").wait_for()

    desk = sign_in(chromium_browser, live_server, "district_leader", viewport={"width": 1280, "height": 900})
    desk.goto(f"{live_server.url}/reports/?status=submitted")
    desk.get_by_role("link", name="丽景社区").click()
    desk.get_by_label("意见").fill("请补充典型案例。")
    desk.get_by_role("button", name="退回修改").click()
    desk.get_by_text("报告已退回").wait_for()

    phone.goto(f"{live_server.url}/")
    phone.get_by_role("link", name="丽景社区 · 2026年第3季度").click()
    phone.get_by_role("checkbox", name="八月走访困难家庭").check()
    phone.get_by_role("button", name="保存并提交").click()
    phone.get_by_text("报告已提交").wait_for()

    desk.reload()
    desk.get_by_role("button", name="审核通过").click()
    desk.get_by_text("报告已审核通过").wait_for()
    screenshot(desk, "reports-02-approved")

    desk.goto(f"{live_server.url}/reports/summary/{tree.district.pk}/?frequency=quarterly&year=2026&number=3")
    with desk.expect_download() as download:
        desk.get_by_role("link", name="下载 Word").click()
    document = Document(str(download.value.path()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "兴庆区残联2026年第3季度" in text and "1 份报告已审核通过" in text

    desk.goto(f"{live_server.url}/reports/evaluation/{tree.district.pk}/?year=2026")
    assert desk.get_by_role("heading", name="年终评先评优").is_visible()
    row = desk.locator("#evaluation tbody tr", has_text="北塔社区")
    assert "否" in row.inner_text() and "个月开展活动" in row.inner_text()
    screenshot(desk, "reports-03-evaluation")

"""A leader opens the organisation's year, drills down to a community and back, and ranks the branches."""

import datetime as dt

import pytest
from django.utils import timezone

from ..factories import TEST_PASSWORD, ActivityFactory, MemberFactory, ParticipationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_drills_down_and_back(live_server, chromium_browser, tree, screenshot):
    year = timezone.localdate().year
    for branch, count in ((tree.branch_a, 1), (tree.branch_b, 3)):
        member = MemberFactory(branch=branch)
        for day in range(count):
            ParticipationFactory(activity=ActivityFactory(branch=branch, date=dt.date(year, 3, day + 1)), member=member)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("root_leader")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("自治区残联")
    # The chart library drew the trend (it is vendored, not fetched from a CDN).
    assert page.evaluate("typeof Chart") == "function"
    assert page.evaluate("document.getElementById('trend-chart').width") > 0

    page.get_by_role("link", name="兴庆区残联").first.click()
    page.wait_for_url(f"**/dashboard/{tree.district.pk}/**")
    page.get_by_role("link", name="活动", exact=True).last.click()  # rank by activities
    first_row = page.locator("table tbody tr").first
    assert "北塔社区" in first_row.inner_text()
    screenshot(page, "10-leader-district")

    page.get_by_role("link", name="北塔社区").first.click()
    page.wait_for_url(f"**/dashboard/{tree.branch_b.pk}/**")
    assert page.get_by_text("此单位没有下级单位").is_visible()
    page.get_by_role("navigation", name="导航路径").get_by_role("link", name="自治区残联").click()
    page.wait_for_url(f"**/dashboard/{tree.root.pk}/**")
    context.close()

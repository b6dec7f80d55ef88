"""Issue 12, phones: at 390 px (a common phone) the list and visit tables become stacked cards that stay
readable. A branch secretary with long Chinese names and long titles opens every page with such a table; none
may scroll sideways, squeeze a column to one character, or push a button off the screen; and the cards are
still a table to a screen reader."""

import datetime as dt
from decimal import Decimal

import pytest

from beneficiaries.models import AssistanceItem
from volunteer_portal.branches.models import Branch
from volunteer_portal.reports.models import BranchReport

from ..factories import (
    TEST_PASSWORD,
    ActivityFactory,
    ActivityTypeFactory,
    BeneficiaryFactory,
    BranchFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390

# Everything that can go wrong with a table on a narrow screen, checked in the page itself; each problem is
# described, so a failure says where to look.
CHECK = """(width) => {
  const problems = [];
  const shown = (el) => {
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      const style = getComputedStyle(node);
      const box = node.getBoundingClientRect();
      if (style.display === 'none' || style.visibility === 'hidden' || box.width <= 1 || box.height <= 1) return false;
    }
    return true;
  };
  const short = (el) => el.innerText.trim().replace(/\\s+/g, ' ').slice(0, 20);
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px`);
  }
  for (const cell of document.querySelectorAll('main table th, main table td')) {
    if (!shown(cell) || [...cell.innerText.trim()].length < 2) continue;
    const style = getComputedStyle(cell);
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (inner < 28) problems.push(`"${short(cell)}" is ${Math.round(inner)} px wide`);
  }
  for (const control of document.querySelectorAll('main a, main button, main input[type=submit]')) {
    if (!shown(control)) continue;
    const box = control.getBoundingClientRect();
    if (box.left < 0 || box.right > width) {
      problems.push(`"${short(control)}" lies at ${Math.round(box.left)}–${Math.round(box.right)} px`);
    }
    if (control.closest('table') && control.matches('.btn') && (box.height < 44 || box.width < 44)) {
      problems.push(`"${short(control)}" is ${Math.round(box.width)}×${Math.round(box.height)} px to tap`);
    }
    const style = getComputedStyle(control);
    const inner = control.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (control.matches('.btn') && [...control.innerText.trim()].length >= 2 && inner < 28) {
      problems.push(`the button "${short(control)}" is ${Math.round(inner)} px wide inside`);
    }
  }
  return problems;
}"""


@pytest.fixture
def crowded(tree):
    """A branch secretary's part of the tree as it looks after a busy year: long names everywhere."""
    visiting = ActivityTypeFactory(name="走访慰问")
    grid = BranchFactory(
        name="丽景街道丽景社区第三网格残疾人志愿服务队", code="a-grid", kind=Branch.Kind.OTHER, parent=tree.branch_a
    )
    joined = dt.date(2020, 1, 1)
    members = [
        MemberFactory(
            branch=grid, name="阿依古丽·买买提艾力", is_leadership=True, is_party_member=True, joined_on=joined
        ),
        MemberFactory(branch=grid, name="欧阳明月", is_party_member=True, joined_on=joined),
        MemberFactory(branch=tree.branch_a, name="司马长风", joined_on=joined, phone="13900001111"),
        MemberFactory(branch=grid, name="诸葛晓光", joined_on=joined),  # takes part in nothing
    ]
    households = [
        BeneficiaryFactory(branch=grid, name="热依拉·阿不都热合曼"),
        BeneficiaryFactory(branch=tree.branch_a, name="上官秀英"),
    ]
    activities = []
    for day, title in [
        (dt.date(2026, 3, 5), "学雷锋志愿服务月暨“三月春风暖万家”走访慰问困难残疾人家庭主题活动"),
        (dt.date(2026, 5, 17), "全国助残日志愿助残进家庭清洁卫生与家政维修服务"),
    ]:
        activity = ActivityFactory(branch=grid, type=visiting, title=title, date=day, location="丽景社区活动中心")
        for member in members[:3]:
            ParticipationFactory(activity=activity, member=member, hours=Decimal("2.5"))
        activities.append(activity)
    for household in households:
        for activity in activities:
            visit = VisitFactory(beneficiary=household, branch=grid, activity=activity, date=activity.date)
            visit.visitors.add(*members[:3])
            AssistanceItem.objects.create(
                visit=visit,
                kind=AssistanceItem.Kind.GOODS,
                description="米面油等生活物资一批及轮椅、助行器、坐便椅等康复辅助器具",
                value=Decimal("380.00"),
            )
            AssistanceItem.objects.create(
                visit=visit, kind=AssistanceItem.Kind.CASH, description="慰问金", value=Decimal("1000.00")
            )
    VisitFactory(beneficiary=households[0], branch=grid, date=dt.date(2026, 6, 1), follow_up_needed=True)
    AssistanceItem.objects.create(  # handed to a group, no household named, value unknown
        activity=activities[0], kind=AssistanceItem.Kind.DEVICE, description="为培训班学员免费适配假肢",
        quantity=3, recipients=3,
    )  # fmt: skip
    pairings = [
        PairingFactory(member=members[0], beneficiary=households[0], start_date=dt.date(2025, 1, 1)),
        PairingFactory(member=members[1], beneficiary=households[1], start_date=dt.date(2026, 1, 1)),
    ]
    for branch, status in [(grid, BranchReport.Status.SUBMITTED), (tree.branch_a, BranchReport.Status.DRAFT)]:
        BranchReport.objects.create(
            branch=branch, frequency="quarterly", period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31),
            status=status,
        )  # fmt: skip
    from volunteer_portal.selfservice.services import claim_check_in, claim_visit_submit

    claim_check_in(actor=None, member=members[3], activity=activities[1])  # members' records waiting: the queue
    waiting = claim_visit_submit(
        actor=None, member=members[1], pairing=pairings[1], date=dt.date(2026, 6, 2),
        notes="走访了解家庭生活和康复情况，帮助打扫卫生，讲解残疾人两项补贴申领办法",
        items=[{"kind": "goods", "description": "米面油等生活物资一批及轮椅、助行器", "quantity": 2, "value": "380"}],
    )  # fmt: skip
    visit = households[0].visits.order_by("date").first()
    return {
        # Pages with tables: the lists, then the visits (of a household, of an activity), then the rest.
        "tables": {
            "members": "/members/", "activities": "/activities/", "pairings": "/beneficiaries/pairings/",
            "roster": "/beneficiaries/", "reports": "/reports/",
            "household-visits": households[0].get_absolute_url(), "activity": activities[0].get_absolute_url(),
            "visit": f"/beneficiaries/visits/{visit.pk}/", "member-record": f"/members/{members[0].pk}/",
            "activity-form": f"/activities/{activities[0].pk}/edit/",
            "non-participants": f"/dashboard/{tree.branch_a.pk}/non-participants/?period=chosen_year&year=2026",
            "evaluation": f"/reports/evaluation/{tree.branch_a.pk}/?year=2026",
            "members-records": "/members-work/",
        },
        # and pages that list their facts without a table
        "others": {"pairing": pairings[0].get_absolute_url(),
                   "member-record-claim": f"/members-work/records/{waiting.pk}/"},
    }  # fmt: skip


@pytest.fixture
def secretary_on_a_phone(chromium_browser, live_server, crowded):
    context = chromium_browser.new_context(
        viewport={"width": WIDTH, "height": 844}, locale="zh-CN", device_scale_factor=2, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("secretary_a")
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()
    yield page
    context.close()


def test_tables_become_readable_cards_on_a_390_px_phone(live_server, secretary_on_a_phone, crowded, screenshot):
    page = secretary_on_a_phone
    found = {}
    for name, url in {**crowded["tables"], **crowded["others"]}.items():
        page.goto(live_server.url + url)
        assert page.locator("main table").count() or name in crowded["others"], f"{url}: no table to check"
        screenshot(page, f"phone-{name}")  # in test-artifacts/, to judge by eye
        found[url] = page.evaluate(CHECK, WIDTH)
    assert {url: problems for url, problems in found.items() if problems} == {}


def test_the_cards_are_still_a_table_to_a_screen_reader(live_server, secretary_on_a_phone, crowded):
    """The cards are drawn by CSS alone: the accessibility tree Chromium hands to screen readers still has the
    table, its rows and its column headers (read from the browser, not the markup). WebKit (WeChat on an iPhone)
    has dropped the semantics of tables displayed as blocks, so the roles are also stated, by portal.js."""
    page = secretary_on_a_phone
    page.goto(f"{live_server.url}/members/")
    assert page.locator("table.table-cards[role=table] tbody td[role=cell]").count() == 4 * 7  # the tick to invite, too
    session = page.context.new_cdp_session(page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    roles = [node["role"]["value"] for node in nodes if not node.get("ignored")]
    headers = {node["name"]["value"] for node in nodes if node["role"]["value"] == "columnheader"}
    assert "table" in roles
    assert roles.count("row") == 1 + 4  # the header row and one per member
    assert {"姓名", "单位"} <= headers
    assert roles.count("cell") == 4 * 7
    cells = {node.get("name", {}).get("value") for node in nodes if node["role"]["value"] == "cell"}
    assert "丽景社区" in cells  # the label drawn beside it ("单位") is not read a second time

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.models import CampaignTarget
from volunteer_portal.branches.models import Branch, RoleGrant

from ..factories import (
    ActivityFactory,
    BeneficiaryFactory,
    BranchFactory,
    CampaignFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    RoleGrantFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


def dashboard(branch):
    return reverse("dashboards:dashboard-node", args=[branch.pk])


def test_a_leader_lands_on_the_dashboard_and_a_secretary_on_the_home_page(as_user, tree):
    response = as_user(tree.district_leader).get(reverse("home"))
    assert response["Location"] == reverse("dashboards:dashboard")
    page = as_user(tree.district_leader).get(reverse("dashboards:dashboard"))
    assert page.context["node"] == tree.district
    assert as_user(tree.secretary_a).get(reverse("home")).status_code == 200


def test_drill_down_and_back_up(as_user, tree):
    client = as_user(tree.root_leader)
    root_page = client.get(dashboard(tree.root))
    assert [child for child, _f, _v in root_page.context["rows"]] == [tree.district]
    assert dashboard(tree.district) in root_page.content.decode()
    district_page = client.get(dashboard(tree.district))
    assert {child for child, _f, _v in district_page.context["rows"]} == {tree.branch_a, tree.branch_b}
    community_page = client.get(dashboard(tree.branch_a))
    assert community_page.context["ancestors"] == [tree.root, tree.district]
    assert dashboard(tree.district) in community_page.content.decode()


def test_the_breadcrumb_stops_at_the_top_of_the_scope(as_user, tree):
    page = as_user(tree.district_leader).get(dashboard(tree.branch_a))
    assert page.context["ancestors"] == [tree.district]
    assert dashboard(tree.root) not in page.content.decode()


def test_a_district_leader_cannot_open_a_sibling_district_or_the_root(as_user, tree):
    sibling = BranchFactory(name="金凤区残联", code="jf", kind=Branch.Kind.DISTRICT, parent=tree.root)
    client = as_user(tree.district_leader)
    for branch in (sibling, tree.root):
        for url in (
            dashboard(branch),
            reverse("dashboards:dashboard-export", args=[branch.pk]),
            reverse("dashboards:non-participants", args=[branch.pk]),
        ):
            assert client.get(url).status_code == 404, url
    assert client.get(reverse("dashboards:dashboard-node", args=[987654])).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, tree):
    for url in (
        reverse("dashboards:dashboard"),
        dashboard(tree.root),
        reverse("dashboards:dashboard-export", args=[tree.root.pk]),
        reverse("dashboards:non-participants", args=[tree.root.pk]),
    ):
        assert client.get(url)["Location"].startswith(reverse("accounts:login"))


def test_a_user_without_a_role_is_told_what_to_do(as_user):
    page = as_user(UserFactory()).get(reverse("dashboards:dashboard")).content.decode()
    assert "尚未分配到单位" in page


def test_children_sort_by_any_column(as_user, tree):
    ActivityFactory(branch=tree.branch_b, date=dt.date(THIS_YEAR, 1, 5))
    ActivityFactory(branch=tree.branch_b, date=dt.date(THIS_YEAR, 1, 6))
    ActivityFactory(branch=tree.branch_a, date=dt.date(THIS_YEAR, 1, 7))
    client = as_user(tree.district_leader)

    def order(sort):
        return [child.name for child, _f, _v in client.get(dashboard(tree.district), {"sort": sort}).context["rows"]]

    assert order("activities") == ["北塔社区", "丽景社区"]
    assert order("activities:asc") == ["丽景社区", "北塔社区"]
    assert len(order("rate")) == 2 and len(order("nonsense")) == 2


@pytest.mark.parametrize(
    ("params", "start", "end"),
    [
        ({}, dt.date(THIS_YEAR, 1, 1), dt.date(THIS_YEAR, 12, 31)),
        ({"period": "chosen_year", "year": "2024"}, dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        ({"period": "custom", "start": "2026-02-03", "end": "2026-02-05"}, dt.date(2026, 2, 3), dt.date(2026, 2, 5)),
    ],
)
def test_the_period_picker(as_user, tree, params, start, end):
    period = as_user(tree.district_leader).get(dashboard(tree.district), params).context["period"]
    assert (period.start, period.end) == (start, end)


def test_this_month_and_this_quarter(as_user, tree):
    today = timezone.localdate()
    client = as_user(tree.district_leader)
    month = client.get(dashboard(tree.district), {"period": "month"}).context["period"]
    assert month.start == today.replace(day=1) and month.end.month == today.month and month.end >= today
    quarter = client.get(dashboard(tree.district), {"period": "quarter"}).context["period"]
    assert quarter.start.month in (1, 4, 7, 10) and quarter.start <= today <= quarter.end
    assert (quarter.end.month - quarter.start.month) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"period": "custom", "start": "2026-05-01", "end": "2026-01-01"},
        {"period": "custom", "start": "garbage"},
        {"period": "chosen_year", "year": "3000"},
        {"period": "chosen_year", "year": "abc"},
        {"period": "whenever"},
    ],
)
def test_a_bad_period_is_explained_and_this_year_is_shown(as_user, tree, params):
    response = as_user(tree.district_leader).get(dashboard(tree.district), params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["period"].start == dt.date(THIS_YEAR, 1, 1)
    assert "时段无效" in response.content.decode()


def test_non_participants_one_click_away(as_user, tree):
    took_part = MemberFactory(branch=tree.branch_a, name="参加过的人")
    MemberFactory(branch=tree.branch_a, name="没参加的人")
    MemberFactory(branch=tree.branch_b, name="调走的人", active=False, left_on=dt.date(THIS_YEAR, 1, 2))
    ParticipationFactory(
        activity=ActivityFactory(branch=tree.branch_a, date=dt.date(THIS_YEAR, 1, 5)), member=took_part
    )
    client = as_user(tree.district_leader)
    page = client.get(dashboard(tree.district)).content.decode()
    url = reverse("dashboards:non-participants", args=[tree.district.pk])
    assert url in page
    names = [m.name for m in client.get(url).context["page"]]
    assert names == ["没参加的人"]


def test_campaign_progress_lists_who_is_missing(as_user, tree):
    campaign = CampaignFactory(branch=tree.root, start=dt.date(THIS_YEAR, 1, 1), end=dt.date(THIS_YEAR, 12, 31))
    CampaignTarget.objects.create(campaign=campaign, name="每个社区慰问1户", metric="households", subject="branch",
                                  branch_kind="community", quantity=1)  # fmt: skip
    CampaignTarget.objects.create(campaign=campaign, name="班子成员每人慰问1户", metric="visits", subject="member",
                                  leadership_only=True, quantity=1)  # fmt: skip
    leader = MemberFactory(branch=tree.branch_a, name="班子甲", is_leadership=True)
    MemberFactory(branch=tree.branch_b, name="班子乙", is_leadership=True)
    MemberFactory(branch=tree.branch_b, name="普通成员")
    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a), date=dt.date(THIS_YEAR, 3, 5))
    visit.visitors.add(leader)
    progress = as_user(tree.district_leader).get(dashboard(tree.district)).context["progress"]
    by_name = {p.target.name: p for p in progress}
    community = by_name["每个社区慰问1户"]
    assert (community.met, community.total, community.missing) == (1, 2, ["北塔社区"])
    members = by_name["班子成员每人慰问1户"]
    assert (members.met, members.total) == (1, 2) and members.missing == ["班子乙（北塔社区）"]


def test_the_excel_file_holds_the_numbers_of_the_page(as_user, tree):
    member = MemberFactory(branch=tree.branch_a)
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(THIS_YEAR, 3, 5))
    ParticipationFactory(activity=activity, member=member, hours=Decimal("2.5"))
    ActivityFactory(branch=tree.branch_b, date=dt.date(THIS_YEAR, 4, 5))
    client = as_user(tree.district_leader)
    params = {"sort": "hours"}
    page = client.get(dashboard(tree.district), params)
    response = client.get(reverse("dashboards:dashboard-export", args=[tree.district.pk]), params)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[1] == ("单位", "兴庆区残联") + (None,) * (len(cells[1]) - 2)
    assert str(THIS_YEAR) in cells[2][1]
    header_row = next(i for i, row in enumerate(cells) if row[0] == "单位" and row[1] == "活动")
    table = cells[header_row + 1 :]
    rows = page.context["rows"]
    assert [row[0] for row in table[: len(rows)]] == [child.name for child, _f, _v in rows]
    for (child, _figures, values), excel in zip(rows, table, strict=False):
        for value, cell in zip(values, excel[1 : len(values) + 1], strict=True):  # then the kinds of assistance
            assert (None if value is None else float(value)) == (None if cell is None else float(cell)), child
    assert table[-1][0].startswith("合计") and table[-1][1] == page.context["figures"].activities


def test_the_dashboard_query_count_is_the_same_for_3_and_30_branches(as_user, tree, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = CampaignFactory(branch=tree.root, start=dt.date(THIS_YEAR, 1, 1), end=dt.date(THIS_YEAR, 12, 31))
    CampaignTarget.objects.create(campaign=campaign, name="t1", metric="visits", subject="branch", quantity=1)
    CampaignTarget.objects.create(campaign=campaign, name="t2", metric="hours", subject="member", quantity=1)

    def fill(branch):
        member = MemberFactory(branch=branch, is_leadership=True)
        activity = ActivityFactory(branch=branch, date=dt.date(THIS_YEAR, 3, 1))
        ParticipationFactory(activity=activity, member=member)
        VisitFactory(beneficiary=BeneficiaryFactory(branch=branch), date=dt.date(THIS_YEAR, 3, 2))

    third = BranchFactory(parent=tree.district, code="third")
    for branch in (tree.branch_a, tree.branch_b, third):
        fill(branch)
    user = UserFactory()
    RoleGrantFactory(user=user, branch=tree.district, role=RoleGrant.Role.LEADER)
    client = as_user(user)
    client.get(dashboard(tree.district))  # the first request after signing in also moves the session's idle clock
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(dashboard(tree.district)).context["rows"]) == 3
    # Session, user, scope, subtree, the figures' 9 (the store's months and sums, items handed over at activities,
    # members, never visited, overdue, participants, households, households by category), the members' records
    # waiting for confirmation (1) and the targets' 3.
    assert len(small) == 17, [q["sql"][:80] for q in small]
    for number in range(27):
        fill(BranchFactory(parent=tree.district, code=f"more{number}"))
    with django_assert_num_queries(len(small)):
        assert len(client.get(dashboard(tree.district)).context["rows"]) == 30


# --- found in review -------------------------------------------------------------------------------------------


def test_branches_without_a_value_rank_last_both_ways(as_user, tree):
    member = MemberFactory(branch=tree.branch_a)
    ParticipationFactory(activity=ActivityFactory(branch=tree.branch_a, date=dt.date(THIS_YEAR, 1, 5)), member=member)
    client = as_user(tree.district_leader)  # branch_b has no members: no rate
    for sort in ("rate", "rate:asc", "march", "march:asc"):
        rows = client.get(dashboard(tree.district), {"sort": sort}).context["rows"]
        assert rows[-1][0] == tree.branch_b, sort


def test_the_picker_starts_on_this_year(as_user, tree):
    form = as_user(tree.district_leader).get(dashboard(tree.district)).context["form"]
    assert form["period"].value() == "year"


def test_march_share_is_for_whole_years_only(as_user, tree):
    ActivityFactory(branch=tree.branch_a, date=dt.date(THIS_YEAR, 3, 5))
    client = as_user(tree.district_leader)
    assert client.get(dashboard(tree.district)).context["figures"].march_share == 1.0
    quarter = {"period": "custom", "start": f"{THIS_YEAR}-01-01", "end": f"{THIS_YEAR}-03-31"}
    response = client.get(dashboard(tree.district), quarter)
    assert response.context["figures"].march_share is None
    assert "尚未常态化" not in response.content.decode()


def test_a_custom_range_before_2000_is_refused(as_user, tree):
    response = as_user(tree.district_leader).get(
        dashboard(tree.district), {"period": "custom", "start": "0001-01-01", "end": "0005-12-31"}
    )
    assert response.context["form"].errors and response.context["period"].start.year == THIS_YEAR


def test_archived_households_no_longer_count(as_user, tree):
    from beneficiaries.services import beneficiary_archive
    from volunteer_portal.dashboards.figures import rollup

    household = BeneficiaryFactory(branch=tree.branch_a)
    VisitFactory(beneficiary=household, date=dt.date(THIS_YEAR, 1, 5))
    PairingFactory(member=MemberFactory(branch=tree.branch_a), beneficiary=household,
                   start_date=dt.date(THIS_YEAR - 1, 1, 1))  # fmt: skip
    before = rollup(tree.district, dt.date(THIS_YEAR, 1, 1), dt.date(THIS_YEAR, 12, 31)).figures
    assert (before.households, before.overdue_pairings) == (1, 1)
    beneficiary_archive(actor=tree.secretary_a, beneficiary=household)
    after = rollup(tree.district, dt.date(THIS_YEAR, 1, 1), dt.date(THIS_YEAR, 12, 31)).figures
    assert (after.households, after.visits, after.overdue_pairings) == (0, 0, 0)


def test_targets_honour_the_activity_type_and_hardship(as_user, tree):
    from activities.models import ActivityType

    home = ActivityType.objects.get(name="志愿助残进家庭", parent=None)
    repairs = ActivityType.objects.get(name="家政维修")
    other = ActivityType.objects.get(name="其他")
    campaign = CampaignFactory(branch=tree.root, start=dt.date(THIS_YEAR, 1, 1), end=dt.date(THIS_YEAR, 12, 31))
    common = {"campaign": campaign, "subject": "branch", "branch_kind": "community"}
    hours = CampaignTarget.objects.create(
        name="进家庭服务3小时", metric="hours", activity_type=home, quantity=3, **common
    )
    poor = CampaignTarget.objects.create(name="慰问1户困难家庭", metric="households", hardship_only=True, **common)
    member_a, member_b = MemberFactory(branch=tree.branch_a), MemberFactory(branch=tree.branch_b)
    ParticipationFactory(activity=ActivityFactory(branch=tree.branch_a, type=repairs, date=dt.date(THIS_YEAR, 2, 1)),
                         member=member_a, hours=Decimal("3"))  # fmt: skip
    ParticipationFactory(activity=ActivityFactory(branch=tree.branch_b, type=other, date=dt.date(THIS_YEAR, 2, 1)),
                         member=member_b, hours=Decimal("5"))  # fmt: skip
    VisitFactory(
        beneficiary=BeneficiaryFactory(branch=tree.branch_a, household_status="dibao"), date=dt.date(THIS_YEAR, 2, 2)
    )
    VisitFactory(
        beneficiary=BeneficiaryFactory(branch=tree.branch_b, household_status="none"), date=dt.date(THIS_YEAR, 2, 2)
    )
    progress = {p.target.pk: p for p in as_user(tree.district_leader).get(dashboard(tree.district)).context["progress"]}
    assert (progress[hours.pk].met, progress[hours.pk].missing) == (1, ["北塔社区"])
    assert (progress[poor.pk].met, progress[poor.pk].missing) == (1, ["北塔社区"])


def test_the_missing_list_says_how_many_more_and_excel_says_the_direction(as_user, tree, monkeypatch):
    from volunteer_portal.dashboards import campaigns

    monkeypatch.setattr(campaigns, "SHOW_MISSING", 1)
    campaign = CampaignFactory(branch=tree.root, start=dt.date(THIS_YEAR, 1, 1), end=dt.date(THIS_YEAR, 12, 31))
    CampaignTarget.objects.create(campaign=campaign, name="每个社区开展1次活动", metric="activities", subject="branch",
                                  branch_kind="community", quantity=1)  # fmt: skip
    client = as_user(tree.district_leader)
    page = client.get(dashboard(tree.district)).content.decode()
    assert "丽景社区" in page and "另有 1 个" in page
    response = client.get(reverse("dashboards:dashboard-export", args=[tree.district.pk]), {"sort": "hours:asc"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[3][1] == "志愿服务时长（从小到大）"

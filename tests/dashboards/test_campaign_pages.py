"""Campaigns and their targets in the portal: the pages, who may use them, and the progress they show."""

import datetime as dt

import pytest
from django.urls import reverse

from activities.models import Campaign, CampaignTarget
from beneficiaries import services as beneficiary_services
from volunteer_portal.branches import services as branch_services
from volunteer_portal.branches.models import Branch, BranchLine, RoleGrant

from ..factories import (
    ActivityFactory,
    BeneficiaryFactory,
    BranchFactory,
    CampaignFactory,
    MemberFactory,
    RoleGrantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Kind = Branch.Kind
Role = RoleGrant.Role
CREATE = reverse("campaigns:campaign-create")


def campaign_data(branch, **changes) -> dict:
    data = {"name": "2014年区残联学雷锋活动方案", "theme": "学雷锋 关爱残疾人", "branch": branch.pk,
            "start": "2014-03-01", "end": "2014-12-31", "description": ""}  # fmt: skip
    return {**data, **changes}


def target_data(**changes) -> dict:
    data = {"name": "各街道残联须对每个社区慰问1户贫困残疾人家庭", "who": "branch", "branch_kind": "community",
            "metric": "households", "quantity": "1", "activity_type": "", "hardship_only": "on"}  # fmt: skip
    return {**data, **changes}


# --- seed event #10: the 2014 plan of 区残联 --------------------------------------------------------------------


@pytest.fixture
def district_2014(db):
    """区残联 › 2 街道残联 › 2–3 社区残协 each, with three leadership members of 区残联 and a secretary."""
    district = BranchFactory(name="区残联", code="qcl", kind=Kind.DISTRICT)
    streets, communities = {}, {}
    for street_name, names in [
        ("东街道残联", ["东一社区", "东二社区", "东三社区"]),
        ("西街道残联", ["西一社区", "西二社区"]),
    ]:
        street = streets[street_name] = BranchFactory(name=street_name, kind=Kind.STREET, parent=district)
        for name in names:
            communities[name] = BranchFactory(name=name, kind=Kind.COMMUNITY, parent=street)
    joined = dt.date(2010, 1, 1)
    leaders = {name: MemberFactory(branch=district, name=name, is_leadership=True, joined_on=joined)
               for name in ("王主席", "李副主席", "张副主席")}  # fmt: skip
    MemberFactory(branch=district, name="干事小刘", joined_on=joined)  # not in the leadership: never counted
    secretary = UserFactory(username="qcl_secretary")
    RoleGrantFactory(user=secretary, branch=district, role=Role.SECRETARY)
    leader = UserFactory(username="qcl_leader")
    RoleGrantFactory(user=leader, branch=district, role=Role.LEADER)
    return {"district": district, "streets": streets, "communities": communities, "leaders": leaders,
            "secretary": secretary, "leader": leader}  # fmt: skip


def visit(branch, household_of, on, *visitors, poor=True):
    household = BeneficiaryFactory(branch=household_of, household_status="dibao" if poor else "none")
    return beneficiary_services.visit_record(actor=None, beneficiary=household, branch=branch, date=on,
                                             visitors=visitors)  # fmt: skip


def test_the_2014_plan_is_entered_and_counted_per_community_and_per_leadership_member(as_user, district_2014):
    org = district_2014
    communities, streets, leaders = org["communities"], org["streets"], org["leaders"]
    client = as_user(org["secretary"])

    response = client.post(CREATE, campaign_data(org["district"]))
    campaign = Campaign.objects.get()
    assert response["Location"] == campaign.get_absolute_url()
    add_target = reverse("campaigns:target-create", args=[campaign.pk])

    preview = client.post(add_target, {**target_data(), "preview": "1"})
    assert preview.status_code == 200 and not CampaignTarget.objects.exists()
    text = preview.content.decode()
    assert "将统计：区残联下每个社区，2014-03-01 至 2014-12-31 期间走访的户数 ≥ 1（共 5 个社区）" in text
    assert "上级单位" in text  # says that a street's visit counts for its community

    assert client.post(add_target, target_data())["Location"] == campaign.get_absolute_url()
    client.post(
        add_target, target_data(name="区残联领导班子每人慰问1户贫困残疾人家庭", who="leadership", branch_kind="")
    )
    assert CampaignTarget.objects.filter(subject="member", leadership_only=True, branch_kind="").count() == 1

    march = dt.date(2014, 3, 5)
    visit(streets["东街道残联"], communities["东一社区"], march, leaders["王主席"])  # the street, for 东一
    visit(communities["东二社区"], communities["东二社区"], march)  # the community itself
    visit(streets["东街道残联"], communities["东三社区"], march, poor=False)  # not a poor household
    visit(streets["东街道残联"], communities["东三社区"], dt.date(2015, 1, 5))  # after the campaign
    visit(streets["西街道残联"], communities["西一社区"], march, leaders["李副主席"])
    visit(org["district"], communities["西二社区"], dt.date(2014, 6, 1))  # 区残联 itself, for 西二
    visit(streets["东街道残联"], communities["西二社区"], march, leaders["张副主席"], poor=False)  # not poor

    for user in (org["secretary"], org["leader"]):
        page = as_user(user).get(campaign.get_absolute_url())
        by_name = {item.target.name: item for item, _lines in page.context["progress"]}
        per_community = by_name["各街道残联须对每个社区慰问1户贫困残疾人家庭"]
        assert (per_community.met, per_community.total, per_community.missing) == (4, 5, ["东三社区"])
        per_leader = by_name["区残联领导班子每人慰问1户贫困残疾人家庭"]
        assert (per_leader.met, per_leader.total, per_leader.missing) == (2, 3, ["张副主席（区残联）"])
        text = page.content.decode()
        assert "4 / 5" in text and "2 / 3" in text and "东三社区" in text and "张副主席（区残联）" in text

    dashboard = as_user(org["leader"]).get(
        reverse("dashboards:dashboard-node", args=[org["district"].pk]), {"period": "chosen_year", "year": 2014}
    )
    assert {p.target.name: (p.met, p.total) for p in dashboard.context["progress"]} == {
        "各街道残联须对每个社区慰问1户贫困残疾人家庭": (4, 5),
        "区残联领导班子每人慰问1户贫困残疾人家庭": (2, 3),
    }


def test_a_visit_counts_for_the_community_once_and_never_for_a_cousin(district_2014):
    from volunteer_portal.dashboards.campaigns import campaign_target_progress

    org = district_2014
    east, west = org["streets"]["东街道残联"], org["streets"]["西街道残联"]
    one, two = org["communities"]["东一社区"], org["communities"]["东二社区"]
    campaign = CampaignFactory(branch=org["district"], start=dt.date(2014, 3, 1), end=dt.date(2014, 12, 31))
    common = {"campaign": campaign, "subject": "branch", "branch_kind": "community", "quantity": 2}
    households = CampaignTarget.objects.create(name="每个社区慰问2户", metric="households", **common)
    visits = CampaignTarget.objects.create(name="每个社区走访2次", metric="visits", **common)
    household = BeneficiaryFactory(branch=one)
    for branch in (one, east):  # the same household, by the community and by its street
        beneficiary_services.visit_record(actor=None, beneficiary=household, branch=branch, date=dt.date(2014, 3, 5))
    visit(west, two, dt.date(2014, 3, 5))  # another street: not above 东二社区, so it counts for neither
    visit(west, two, dt.date(2014, 3, 6))
    progress = {p.target.pk: p for p in campaign_target_progress(campaign)}
    assert progress[visits.pk].met == 1 and "东一社区" not in progress[visits.pk].missing  # 2 visits
    assert "东一社区" in progress[households.pk].missing  # 1 household, counted once
    assert "东二社区" in progress[visits.pk].missing


def test_a_community_moved_to_another_street_counts_that_streets_visits(district_2014):
    from volunteer_portal.dashboards.campaigns import campaign_target_progress

    org = district_2014
    east, west = org["streets"]["东街道残联"], org["streets"]["西街道残联"]
    two = org["communities"]["东二社区"]
    campaign = CampaignFactory(branch=org["district"], start=dt.date(2014, 3, 1), end=dt.date(2014, 12, 31))
    target = CampaignTarget.objects.create(campaign=campaign, name="每个社区走访1次", metric="visits",
                                           subject="branch", branch_kind="community", quantity=1)  # fmt: skip
    visit(west, two, dt.date(2014, 3, 5))  # west is not above 东二社区 yet
    assert "东二社区" in campaign_target_progress(campaign)[0].missing

    branch_services.branch_move(branch=two, new_parent=west)
    assert set(BranchLine.objects.filter(branch=two).values_list("ancestor_id", flat=True)) == {
        org["district"].pk,
        west.pk,
        two.pk,
    }
    (progress,) = campaign_target_progress(campaign)
    assert progress.target == target and "东二社区" not in progress.missing and progress.total == 5
    visit(east, org["communities"]["东一社区"], dt.date(2014, 3, 5))
    assert campaign_target_progress(campaign)[0].met == 2


def test_a_leadership_target_without_leadership_members_says_why(as_user, district_2014):
    org = district_2014
    for member in org["leaders"].values():
        member.is_leadership = False
        member.save()
    campaign = CampaignFactory(branch=org["district"], start=dt.date(2014, 3, 1), end=dt.date(2014, 12, 31))
    client = as_user(org["secretary"])
    add_target = reverse("campaigns:target-create", args=[campaign.pk])
    data = target_data(name="区残联领导班子每人慰问1户", who="leadership", branch_kind="")
    preview = client.post(add_target, {**data, "preview": "1"}).content.decode()
    assert "共 0 人" in preview and "区残联没有标记为领导班子成员的成员" in preview
    client.post(add_target, data)
    page = client.get(campaign.get_absolute_url())
    [(item, _lines)] = page.context["progress"]
    assert (item.met, item.total) == (0, 0)
    text = page.content.decode()
    assert "0 / 0" in text and "请在成员页面勾选“班子成员”" in text
    assert f'href="{reverse("members:member-list")}"' in text
    period = {"period": "chosen_year", "year": 2014}
    dashboard = client.get(reverse("dashboards:dashboard-node", args=[org["district"].pk]), period)
    assert "区残联没有标记为领导班子成员的成员" in dashboard.content.decode()


def test_leadership_members_not_on_the_roll_are_named_as_the_reason(as_user, district_2014):
    org = district_2014
    for member in org["leaders"].values():
        member.joined_on = dt.date(2019, 1, 1)
        member.save()
    campaign = CampaignFactory(branch=org["district"], start=dt.date(2014, 3, 1), end=dt.date(2014, 12, 31))
    CampaignTarget.objects.create(campaign=campaign, name="班子成员每人慰问1户", metric="visits", subject="member",
                                  leadership_only=True)  # fmt: skip
    text = as_user(org["leader"]).get(campaign.get_absolute_url()).content.decode()
    assert "3 名应统计的人员在 2014-12-31 都不在册" in text


# --- validation ------------------------------------------------------------------------------------------------


def test_a_campaign_cannot_end_before_it_starts(as_user, tree):
    response = as_user(tree.secretary_a).post(CREATE, campaign_data(tree.branch_a, end="2014-02-01"))
    assert response.status_code == 200 and not Campaign.objects.exists()
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_a_target_needs_at_least_one_and_a_kind_that_exists(as_user, tree):
    campaign = CampaignFactory(branch=tree.district)
    client = as_user(RoleGrantFactory(branch=tree.district, role=Role.SECRETARY).user)
    add_target = reverse("campaigns:target-create", args=[campaign.pk])
    zero = client.post(add_target, target_data(quantity="0"))
    assert "每个至少要达到 1" in zero.content.decode()
    streets = client.post(add_target, target_data(branch_kind="street"))
    assert "兴庆区残联下没有“街道”类型的单位" in streets.content.decode()
    preview = client.post(add_target, {**target_data(branch_kind="street"), "preview": "1"}).content.decode()
    assert "兴庆区残联下没有“街道”类型的单位" in preview and "将统计" not in preview
    no_kind = client.post(add_target, target_data(branch_kind=""))
    assert "请选择单位类型" in no_kind.content.decode()
    assert not CampaignTarget.objects.exists()


def test_ending_a_campaign_keeps_it_and_refuses_a_day_outside_it(as_user, tree):
    campaign = CampaignFactory(branch=tree.branch_a, start=dt.date(2026, 3, 1), end=dt.date(2026, 12, 31))
    ActivityFactory(branch=tree.branch_a, campaign=campaign, date=dt.date(2026, 3, 20))
    client = as_user(tree.secretary_a)
    end = reverse("campaigns:campaign-end", args=[campaign.pk])
    assert "不能早于开始日期" in client.post(end, {"on": "2026-02-01"}).content.decode()
    assert "如需延长" in client.post(end, {"on": "2027-01-31"}).content.decode()
    assert "已关联此方案的活动日期不在" in client.post(end, {"on": "2026-03-10"}).content.decode()
    assert client.post(end, {"on": "2026-03-31"})["Location"] == campaign.get_absolute_url()
    campaign.refresh_from_db()
    assert campaign.end == dt.date(2026, 3, 31) and not campaign.is_archived


def test_editing_a_campaign_cannot_leave_its_activities_outside(as_user, tree):
    campaign = CampaignFactory(branch=tree.branch_a, start=dt.date(2026, 3, 1), end=dt.date(2026, 12, 31))
    ActivityFactory(branch=tree.branch_a, campaign=campaign, date=dt.date(2026, 3, 5))
    response = as_user(tree.secretary_a).post(
        reverse("campaigns:campaign-edit", args=[campaign.pk]),
        campaign_data(tree.branch_a, start="2026-04-01", end="2026-12-31"),
    )
    assert "1 项已关联此方案的活动日期不在 2026-04-01 至 2026-12-31 内" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.start == dt.date(2026, 3, 1)


# --- who may use the pages -------------------------------------------------------------------------------------


@pytest.fixture
def campaign_a(tree):
    campaign = CampaignFactory(branch=tree.branch_a, name="丽景社区方案")
    target = CampaignTarget.objects.create(campaign=campaign, name="每人慰问1户", metric="visits", subject="member")
    return campaign, target


def write_urls(campaign, target):
    return [
        reverse("campaigns:campaign-edit", args=[campaign.pk]),
        reverse("campaigns:campaign-end", args=[campaign.pk]),
        reverse("campaigns:target-create", args=[campaign.pk]),
        reverse("campaigns:target-edit", args=[target.pk]),
        reverse("campaigns:target-delete", args=[target.pk]),
    ]


def test_anonymous_users_are_sent_to_sign_in(client, campaign_a):
    campaign, target = campaign_a
    login = reverse("accounts:login")
    urls = [reverse("campaigns:campaign-list"), CREATE, campaign.get_absolute_url(), *write_urls(campaign, target)]
    for url in urls:
        for method in (client.get, client.post):
            assert method(url)["Location"].startswith(f"{login}?next="), url


def test_another_branch_gets_404_and_sees_no_campaign_in_the_list(as_user, tree, campaign_a):
    campaign, target = campaign_a
    client = as_user(tree.secretary_b)
    assert client.get(campaign.get_absolute_url()).status_code == 404
    for url in write_urls(campaign, target):
        assert client.post(url).status_code == 404, url
    listing = client.get(reverse("campaigns:campaign-list"))
    assert list(listing.context["page"]) == [] and "还没有活动方案" in listing.content.decode()
    other_district = BranchFactory(name="金凤区残联", kind=Kind.DISTRICT)
    outsider = UserFactory()
    RoleGrantFactory(user=outsider, branch=other_district, role=Role.LEADER)
    assert as_user(outsider).get(campaign.get_absolute_url()).status_code == 404


def test_leaders_read_but_cannot_write(as_user, tree, campaign_a):
    campaign, target = campaign_a
    client = as_user(tree.district_leader)
    page = client.get(campaign.get_absolute_url())
    assert page.status_code == 200 and not page.context["can_write"]
    assert reverse("campaigns:campaign-edit", args=[campaign.pk]) not in page.content.decode()
    assert list(client.get(reverse("campaigns:campaign-list")).context["page"]) == [campaign]
    for url in [CREATE, *write_urls(campaign, target)]:
        assert client.post(url).status_code == 403, url
    assert CampaignTarget.objects.filter(pk=target.pk).exists()


def test_a_secretary_above_the_organiser_may_write_one_below_may_not_choose_it(as_user, tree, campaign_a):
    campaign, target = campaign_a
    above = UserFactory()
    RoleGrantFactory(user=above, branch=tree.district, role=Role.SECRETARY)
    client = as_user(above)
    response = client.post(reverse("campaigns:target-edit", args=[target.pk]),
                           {**target_data(name="每人走访2次", who="member", branch_kind="", metric="visits",
                                          quantity="2")})  # fmt: skip
    assert response["Location"] == campaign.get_absolute_url()
    target.refresh_from_db()
    assert (target.name, target.quantity, target.subject, target.hardship_only) == ("每人走访2次", 2, "member", True)
    form = client.get(CREATE).context["form"]
    assert tree.root not in form.fields["branch"].queryset
    client.post(reverse("campaigns:target-delete", args=[target.pk]))
    assert not CampaignTarget.objects.exists() and Campaign.objects.filter(pk=campaign.pk).exists()


def test_the_list_pages_and_says_the_status(as_user, tree):
    for number in range(25):
        start = dt.date(2020, 1, 1) + dt.timedelta(number)
        CampaignFactory(branch=tree.branch_a, name=f"方案{number:02d}", start=start, end=dt.date(2020, 12, 31))
    client = as_user(tree.secretary_a)
    first = client.get(reverse("campaigns:campaign-list"))
    assert len(first.context["page"]) == 20 and "已结束" in first.content.decode()
    assert len(client.get(reverse("campaigns:campaign-list"), {"page": 2}).context["page"]) == 5

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from volunteer_portal.branches.models import Member

from ..factories import ActivityFactory, MemberFactory, ParticipationFactory

pytestmark = pytest.mark.django_db

LIST = reverse("members:member-list")


def test_the_list_shows_each_members_activities_and_hours_this_year(as_user, tree):
    this_year = timezone.localdate().year
    member = MemberFactory(branch=tree.branch_a, name="王芳")
    for day, hours in ((1, "2.5"), (2, "3")):
        activity = ActivityFactory(branch=tree.branch_a, date=dt.date(this_year, 1, day))
        ParticipationFactory(activity=activity, member=member, hours=Decimal(hours))
    last_year = ActivityFactory(branch=tree.branch_a, date=dt.date(this_year - 1, 12, 31))
    ParticipationFactory(activity=last_year, member=member, hours=Decimal("8"))
    archived = ActivityFactory(branch=tree.branch_a, date=dt.date(this_year, 1, 3), archived_at=timezone.now())
    ParticipationFactory(activity=archived, member=member, hours=Decimal("9"))
    MemberFactory(branch=tree.branch_a, name="刘洋")
    rows = {m.name: m for m in as_user(tree.secretary_a).get(LIST).context["page"]}
    assert (rows["王芳"].activities_this_year, rows["王芳"].hours_this_year) == (2, Decimal("5.5"))
    assert (rows["刘洋"].activities_this_year, rows["刘洋"].hours_this_year) == (0, None)


def test_add_edit_and_mark_inactive_without_losing_history(as_user, tree):
    client = as_user(tree.secretary_a)
    data = {
        "name": "陈静", "gender": "F", "branch": tree.branch_a.pk, "is_leadership": "on", "phone": "139",
        "joined_on": "2019-05-01",
    }  # fmt: skip
    assert client.post(reverse("members:member-create"), data).status_code == 302
    member = Member.objects.get(name="陈静")
    assert member.is_leadership and not member.is_party_member
    client.post(reverse("members:member-edit", args=[member.pk]), {**data, "is_party_member": "on"})
    member.refresh_from_db()
    assert member.is_party_member
    ParticipationFactory(activity=ActivityFactory(branch=tree.branch_a), member=member)
    client.post(reverse("members:member-set-active", args=[member.pk]), {"active": "0"})
    member.refresh_from_db()
    assert not member.active and member.left_on == timezone.localdate()
    assert member.participations.count() == 1
    assert "陈静" not in [m.name for m in client.get(LIST).context["page"]]
    assert "陈静" in [m.name for m in client.get(LIST, {"inactive": "1"}).context["page"]]
    client.post(reverse("members:member-set-active", args=[member.pk]), {"active": "1"})
    member.refresh_from_db()
    assert member.active and member.left_on is None


def test_a_member_cannot_be_put_in_another_branch(as_user, tree):
    data = {"name": "外调", "gender": "M", "branch": tree.branch_b.pk}
    page = as_user(tree.secretary_a).post(reverse("members:member-create"), data).content.decode()
    assert "选择一个有效的选项" in page
    assert not Member.objects.filter(name="外调").exists()


def test_search(as_user, tree):
    MemberFactory(branch=tree.branch_a, name="王芳", phone="13912345678")
    MemberFactory(branch=tree.branch_a, name="刘洋")
    client = as_user(tree.secretary_a)
    assert [m.name for m in client.get(LIST, {"q": "王"}).context["page"]] == ["王芳"]
    assert [m.name for m in client.get(LIST, {"q": "5678"}).context["page"]] == ["王芳"]


def test_member_list_query_count_does_not_grow(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    MemberFactory(branch=tree.branch_a)

    def grow():
        for _ in range(19):
            member = MemberFactory(branch=tree.branch_a)
            ParticipationFactory(activity=ActivityFactory(branch=tree.branch_a), member=member)

    assert_flat_queries(lambda: client.get(LIST), grow, queries=7)


# --- the roll: join and leave dates (DESIGN.md, "the roll") ---------------------------------------------------


def test_the_member_pages_set_join_and_leave_dates(as_user, tree):
    client = as_user(tree.secretary_a)
    data = {"name": "马兰", "gender": "F", "branch": tree.branch_a.pk, "joined_on": "2011-09-01"}
    assert client.post(reverse("members:member-create"), data).status_code == 302
    member = Member.objects.get(name="马兰")
    assert member.joined_on == dt.date(2011, 9, 1) and member.active
    client.post(reverse("members:member-edit", args=[member.pk]), {**data, "left_on": "2015-06-30"})
    member.refresh_from_db()
    # A leave date takes the person off the roll from that day, and out of the list of active members.
    assert member.left_on == dt.date(2015, 6, 30) and not member.active
    assert "2015-06-30" in client.get(LIST, {"inactive": "1"}).content.decode()
    client.post(reverse("members:member-edit", args=[member.pk]), {**data, "left_on": ""})
    member.refresh_from_db()
    assert member.left_on is None and member.active


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        ({"joined_on": ""}, "joined_on", "请填写此人加入的日期"),
        ({"joined_on": "2099-01-01"}, "joined_on", "加入日期不能晚于今天"),
        ({"joined_on": "2015-01-01", "left_on": "2014-12-31"}, "left_on", "离开日期不能早于加入日期"),
        ({"joined_on": "2015-01-01", "left_on": "2099-01-01"}, "left_on", "离开日期不能晚于今天"),
    ],
)
def test_bad_dates_are_refused_in_chinese_and_nothing_is_saved(as_user, tree, dates, field, message):
    data = {"name": "错日期", "gender": "M", "branch": tree.branch_a.pk, **dates}
    page = as_user(tree.secretary_a).post(reverse("members:member-create"), data)
    assert page.status_code == 200
    assert message in str(page.context["form"].errors[field])
    assert not Member.objects.filter(name="错日期").exists()


def test_members_without_a_join_date_are_pointed_out(as_user, tree):
    MemberFactory(branch=tree.branch_a, name="未填", joined_on=None)
    MemberFactory(branch=tree.branch_a, name="已填")
    client = as_user(tree.secretary_a)
    page = client.get(LIST)
    assert page.context["undated_count"] == 1 and "1 名成员未填写加入日期" in page.content.decode()
    assert [m.name for m in client.get(LIST, {"undated": "1"}).context["page"]] == ["未填"]


def test_the_roll_on_a_day(tree):
    from volunteer_portal.branches.models import on_roll_q

    day = dt.date(2012, 3, 5)
    MemberFactory(branch=tree.branch_a, name="在册", joined_on=dt.date(2010, 1, 1))
    MemberFactory(branch=tree.branch_a, name="当天加入", joined_on=day)
    MemberFactory(branch=tree.branch_a, name="后来加入", joined_on=dt.date(2019, 1, 1))
    MemberFactory(branch=tree.branch_a, name="早已离开", joined_on=dt.date(2005, 1, 1), left_on=dt.date(2011, 1, 1),
                  active=False)  # fmt: skip
    MemberFactory(branch=tree.branch_a, name="之后离开", joined_on=dt.date(2005, 1, 1), left_on=dt.date(2020, 1, 1),
                  active=False)  # fmt: skip
    MemberFactory(branch=tree.branch_a, name="当天离开", joined_on=dt.date(2005, 1, 1), left_on=day, active=False)
    # Recorded today with no join date: on today's roll, on no past one.
    MemberFactory(branch=tree.branch_a, name="未填日期", joined_on=None)
    on_day = set(Member.objects.filter(on_roll_q(day)).values_list("name", flat=True))
    assert on_day == {"在册", "当天加入", "之后离开"}
    today = set(Member.objects.filter(on_roll_q(timezone.localdate())).values_list("name", flat=True))
    assert today == {"在册", "当天加入", "后来加入", "未填日期"}

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
    data = {"name": "陈静", "gender": "F", "branch": tree.branch_a.pk, "is_leadership": "on", "phone": "139"}
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

    assert_flat_queries(lambda: client.get(LIST), grow, queries=6)

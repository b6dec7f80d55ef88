import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.utils import timezone

from activities.models import Activity, Campaign, Participation
from beneficiaries.models import AssistanceItem, Beneficiary, Pairing, Visit
from volunteer_portal.branches.models import Branch, Member, RoleGrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", "--activities", "200", "--beneficiaries", "40", verbosity=0)


def test_the_demo_tree(seeded):
    names = set(Branch.objects.values_list("name", flat=True))
    assert {"康复中心支部", "办公室党支部", "康复处党支部", "宣文处党支部", "机关党委"} <= names
    assert Branch.objects.filter(kind=Branch.Kind.COMMUNITY).count() >= 6
    for branch in Branch.objects.select_related("parent"):
        expected = f"{branch.parent.path if branch.parent else ''}{branch.pk}/"
        assert branch.path == expected


def demo_user(username):
    user = get_user_model().objects.get(username=username)
    assert user.check_password("leifeng-demo") and user.is_active
    return user


def test_the_demo_logins(seeded):
    assert demo_user("admin").is_superuser
    leader = demo_user("leader")
    assert RoleGrant.objects.get(user=leader).branch.parent is None
    for username, branch in [("secretary1", "康复中心支部"), ("secretary2", "办公室党支部")]:
        user = demo_user(username)
        grant = RoleGrant.objects.get(user=user)
        assert (grant.role, grant.branch.name) == (RoleGrant.Role.SECRETARY, branch)


def test_demo_records_are_valid_and_cover_every_category_and_grade(seeded):
    combos = set(Beneficiary.objects.values_list("disability_category", "disability_grade"))
    assert len(combos) == 28
    for model in (
        Branch,
        Member,
        Beneficiary,
        Activity,
        Participation,
        Visit,
        AssistanceItem,
        Pairing,
        Campaign,
    ):
        for record in model.objects.all()[:40]:
            record.full_clean()


def test_a_year_of_activities_heavier_in_march(seeded):
    months = {d.month for d in Activity.objects.values_list("date", flat=True)}
    assert len(months) == 12
    march = Activity.objects.filter(date__month=3).count()
    assert march > Activity.objects.count() / 12 * 2


def test_visits_items_pairings_and_the_campaign(seeded):
    assert Visit.objects.exists() and AssistanceItem.objects.exists()
    assert Pairing.objects.exists()
    campaign = Campaign.objects.get(name="学雷锋 关爱残疾人")
    assert campaign.targets.count() >= 2
    assert Member.objects.filter(is_leadership=True).exists()


def test_demo_pairings_stay_inside_the_members_subtree(seeded):
    for pairing in Pairing.objects.select_related("member__branch", "beneficiary__branch"):
        assert pairing.beneficiary.branch.path.startswith(pairing.member.branch.path)


def test_seed_demo_refuses_a_database_with_data(seeded):
    with pytest.raises(CommandError):
        call_command("seed_demo", verbosity=0)
    call_command("seed_demo", "--if-empty", verbosity=0)
    assert Branch.objects.filter(name="康复中心支部").count() == 1


def test_size_flags_build_more_with_progress(capsys):
    call_command("seed_demo", "--branches", "45", "--activities", "300", "--beneficiaries", "30")
    out = capsys.readouterr().out
    assert "activities: 300/300" in out
    assert Branch.objects.count() == 18 + 45
    assert Activity.objects.count() == 300
    for branch in Branch.objects.filter(code__startswith="demo-").select_related("parent")[:20]:
        assert branch.path == f"{branch.parent.path}{branch.pk}/"


def test_bad_sizes_are_refused():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--beneficiaries", "3", verbosity=0)
    with pytest.raises(CommandError):
        call_command("seed_demo", "--activities", "-1", verbosity=0)


def test_a_regions_shape_members_pairings_and_their_visits(monkeypatch):
    """From REGION_FROM activities the defaults give a region's shape: 11 members and 11 pairings per 100
    activities (at least members-per-branch in each branch), a household for each, every pairing visited about
    every two months by its member, a share overdue."""
    from beneficiaries.selectors import pairings_with_status
    from volunteer_portal.reports.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "REGION_FROM", 300)
    call_command("seed_demo", "--branches", "3", "--activities", "2000", verbosity=0)
    branches = Branch.objects.exclude(parent=None).count()
    assert Member.objects.count() == max(2000 * 11 // 100, 6 * branches)
    pairings = Pairing.objects.count()
    assert pairings >= Member.objects.filter(active=True).count()  # one each, and secretary1's due one
    assert Beneficiary.objects.count() == Member.objects.count()
    for pairing in Pairing.objects.select_related("member__branch", "beneficiary__branch"):
        assert pairing.beneficiary.branch.path.startswith(pairing.member.branch.path)
    # Annotated names go through Q: the type checker only knows model fields.
    statuses = pairings_with_status(Pairing.objects.all())
    assert statuses.filter(Q(last_contact__isnull=False)).count() > pairings * 0.9
    overdue = statuses.filter(Q(is_overdue=True)).count()
    assert 0.05 * pairings < overdue < 0.4 * pairings
    # The pairings' own visits, with the member as the visitor: about six a year for a pairing that ran all year.
    year_ago = timezone.localdate() - dt.timedelta(days=365)
    visits = [
        Visit.objects.filter(beneficiary=p.beneficiary_id, visitors=p.member_id, date__gt=year_ago).count()
        for p in Pairing.objects.filter(start_date__lt=year_ago - dt.timedelta(days=30))
    ]
    assert len(visits) > pairings / 3
    assert 4 < sum(visits) / len(visits) < 8


def test_members_must_cover_every_branch():
    with pytest.raises(CommandError, match="--members must be at least"):
        call_command("seed_demo", "--members", "5", verbosity=0)


def test_volunteer1_a_members_login_with_two_pairings_one_overdue_and_hours_waiting(seeded):
    from beneficiaries.selectors import pairings_with_status
    from volunteer_portal.dashboards import tallies as store
    from volunteer_portal.selfservice.models import Claim
    from volunteer_portal.selfservice.selectors import is_member_login

    user = demo_user("volunteer1")
    member = Member.objects.select_related("branch").get(user=user)
    assert member.branch.code == "kfzx-zb" and member.active
    assert not user.is_staff and not RoleGrant.objects.filter(user=user).exists() and is_member_login(user)
    pairings = pairings_with_status(Pairing.objects.filter(member=member, end_date__isnull=True))
    assert pairings.count() == 2
    assert {p.beneficiary.branch.code for p in pairings} == {"kfzx-zb"}
    # Annotated names go through Q: the type checker only knows model fields.
    assert pairings.filter(Q(is_overdue=True)).count() == 1
    later = pairings.get(Q(is_overdue=False))
    assert later.last_contact is not None and later.next_due > timezone.localdate()
    [claim] = Claim.objects.filter(member=member)
    assert claim.status == Claim.Status.PENDING and claim.kind == Claim.Kind.HOURS
    assert claim.activity.branch == member.branch and claim.activity.date <= timezone.localdate()
    assert store.differences() == []  # the figure store agrees with the base tables, pending rows included

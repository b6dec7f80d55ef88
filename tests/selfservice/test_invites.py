"""Sign-in invitations: a secretary invites one member or many, gets a one-time link and its QR code; the member
chooses a login name and a password (the policy applies) and lands on their own page; a link works once, within
its days, and only the newest; the member's login sees nothing of the secretaries' pages."""

import datetime as dt
import hashlib
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from volunteer_portal.branches.models import AccessLog, Member, RoleGrant
from volunteer_portal.selfservice.models import Invite
from volunteer_portal.selfservice.services import invite_create

from ..factories import (
    ActivityFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    RoleGrantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BULK = reverse("selfservice:invite-bulk")
GONE = "此链接已失效，请向支部书记索取新的邀请"
PASSWORD = "Lei-Feng-2026"


def invite_url(member) -> str:
    return reverse("selfservice:invite-create", args=[member.pk])


def welcome_url(token: str) -> str:
    return reverse("selfservice:welcome", args=[token])


def tokens_on(page: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"/me/welcome/([A-Za-z0-9_-]+)/", page)))


@pytest.fixture
def member(tree):
    return MemberFactory(branch=tree.branch_a, name="王志愿", phone="13900001234")


@pytest.fixture
def token(tree, member):
    return invite_create(actor=tree.secretary_a, member=member)[1]


# --- the secretary: one member, many members ------------------------------------------------------------------


def test_a_secretary_invites_one_member_and_gets_the_link_and_its_qr(as_user, tree, member):
    client = as_user(tree.secretary_a)
    page = client.get(invite_url(member)).content.decode()
    assert "王志愿" in page and "7 天" in page
    response = client.post(invite_url(member))
    assert response.status_code == 200
    page = response.content.decode()
    [token] = tokens_on(page)
    assert f"http://testserver/me/welcome/{token}/" in page
    assert len(re.findall(r"<svg[^>]*><title>", page)) == 1 and "<title>王志愿的登录链接</title>" in page
    invite = Invite.objects.get()
    # Only the token's hash is kept, and it is the token's.
    assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in invite.token_hash
    assert invite.member == member and invite.created_by == tree.secretary_a and invite.used_at is None
    assert abs(invite.expires_at - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")


def test_the_invitation_days_come_from_the_settings(as_user, tree, member, settings):
    settings.MEMBER_INVITE_DAYS = 3
    as_user(tree.secretary_a).post(invite_url(member))
    invite = Invite.objects.get()
    assert abs(invite.expires_at - (timezone.now() + dt.timedelta(days=3))) < dt.timedelta(minutes=1)


def test_the_member_edit_page_offers_the_invitation(as_user, tree, member):
    page = as_user(tree.secretary_a).get(reverse("members:member-edit", args=[member.pk])).content.decode()
    assert invite_url(member) in page and "邀请登录" in page


def test_the_member_list_ticks_members_for_the_bulk_invitation(as_user, tree, member):
    page = as_user(tree.secretary_a).get(reverse("members:member-list")).content.decode()
    assert f'action="{BULK}"' in page and "邀请所选成员登录" in page
    assert f'name="member" value="{member.pk}" form="invite-form"' in page
    leader_page = as_user(tree.district_leader).get(reverse("members:member-list")).content.decode()
    assert BULK not in leader_page and 'name="member"' not in leader_page


def test_a_secretary_invites_many_at_once_on_one_printable_page(as_user, tree, member):
    others = [MemberFactory(branch=tree.branch_a, name=f"队员{n}") for n in range(3)]
    response = as_user(tree.secretary_a).post(BULK, {"member": [member.pk] + [m.pk for m in others]})
    assert response.status_code == 200
    page = response.content.decode()
    assert len(tokens_on(page)) == 4 and len(re.findall(r"<svg[^>]*><title>", page)) == 4
    assert "4 名成员的登录链接" in page and "data-print" in page and "js/invites.js" in page
    for name in ["王志愿", "队员0", "队员1", "队员2"]:
        assert name in page
    assert Invite.objects.count() == 4
    hashes = {hashlib.sha256(t.encode()).hexdigest() for t in tokens_on(page)}
    assert hashes == set(Invite.objects.values_list("token_hash", flat=True))


def test_the_bulk_invitation_without_ticks_says_so(as_user, tree):
    response = as_user(tree.secretary_a).post(BULK, follow=True)
    assert "请先勾选要邀请的成员" in response.content.decode()
    assert not Invite.objects.exists()


def test_a_new_invitation_makes_the_older_unused_one_stop_working(client, tree, member):
    old = invite_create(actor=tree.secretary_a, member=member)[1]
    new = invite_create(actor=tree.secretary_a, member=member)[1]
    response = client.get(welcome_url(old))
    assert response.status_code == 404 and GONE in response.content.decode()
    assert client.get(welcome_url(new)).status_code == 200
    assert Invite.objects.filter(member=member).count() == 2  # the older one stays, as the record


# --- who may not be invited -----------------------------------------------------------------------------------


def test_a_login_with_a_role_is_never_given_a_password_through_a_link(as_user, tree, member):
    member.user = tree.secretary_b
    member.save()
    client = as_user(tree.secretary_a)
    page = client.get(invite_url(member)).content.decode()
    assert "secretary_b" in page and "不能通过邀请设置它的密码" in page and "生成登录链接" not in page
    page = client.post(invite_url(member)).content.decode()
    assert "不能通过邀请设置它的密码" in page
    page = client.post(BULK, {"member": [member.pk]}, follow=True).content.decode()
    assert "没有邀请任何人" in page and "不能通过邀请设置它的密码" in page
    assert not Invite.objects.exists()


def test_a_link_stops_working_when_the_login_gains_a_role(client, tree, member):
    member.user = UserFactory(username="later_secretary")
    member.save()
    token = invite_create(actor=tree.secretary_a, member=member)[1]
    RoleGrantFactory(user=member.user, branch=tree.branch_a, role=RoleGrant.Role.SECRETARY)
    response = client.post(welcome_url(token), {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 404 and GONE in response.content.decode()
    member.user.refresh_from_db()
    assert not member.user.check_password(PASSWORD)


def test_an_inactive_member_is_not_invited_and_a_bulk_invitation_is_all_or_nothing(as_user, tree, member):
    gone = MemberFactory(branch=tree.branch_a, name="已离开", active=False, left_on=dt.date(2025, 1, 1))
    client = as_user(tree.secretary_a)
    page = client.post(invite_url(gone)).content.decode()
    assert "已离开" in page and "已标记为不活跃" in page
    page = client.post(BULK, {"member": [member.pk, gone.pk]}, follow=True).content.decode()
    assert "没有邀请任何人" in page and "已标记为不活跃" in page
    assert not Invite.objects.exists()


def test_a_link_stops_working_when_the_member_is_marked_inactive(client, tree, member, token):
    member.active, member.left_on = False, timezone.localdate()
    member.save()
    assert client.get(welcome_url(token)).status_code == 404


# --- the member: the link ----------------------------------------------------------------------------------


def test_the_link_offers_a_login_name_and_two_password_boxes(client, member, token):
    response = client.get(welcome_url(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "欢迎，王志愿" in page and 'value="13900001234"' in page
    assert page.count('type="password"') == 2 and 'autocomplete="new-password"' in page
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")


def test_the_suggested_login_is_the_members_number_when_the_phone_is_taken(client, member, token):
    UserFactory(username="13900001234")
    page = client.get(welcome_url(token)).content.decode()
    assert f'value="m{member.pk}"' in page


def test_the_link_works_once_and_the_member_lands_on_their_page(client, tree, member, token):
    data = {"username": "wangzhiyuan", "new_password1": PASSWORD, "new_password2": PASSWORD}
    response = client.post(welcome_url(token), data)
    assert response.status_code == 302 and response["Location"] == "/me/"
    member.refresh_from_db()
    user = member.user
    assert user.username == "wangzhiyuan" and user.check_password(PASSWORD)
    assert not user.is_staff and not user.is_superuser and not RoleGrant.objects.filter(user=user).exists()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Invite.objects.get().used_at is not None
    assert member.history.first().history_user == user
    assert AccessLog.objects.filter(event=AccessLog.Event.SIGN_IN, user=user).exists()  # a sign-in like any other
    assert "王志愿" in client.get("/me/").content.decode()
    # Used: refused politely, signed in or not.
    client.logout()
    for method in (client.get, client.post):
        response = method(welcome_url(token), data)
        assert response.status_code == 404 and GONE in response.content.decode()
    assert get_user_model().objects.filter(username="wangzhiyuan").count() == 1
    # The chosen name and password sign in from now on.
    response = client.post(reverse("accounts:login"), {"username": "wangzhiyuan", "password": PASSWORD})
    assert response.status_code == 302


def test_an_expired_link_is_refused_politely(client, member, token):
    Invite.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(welcome_url(token))
    assert response.status_code == 404 and GONE in response.content.decode()
    response = client.post(welcome_url(token), {"username": "x1", "new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 404 and not get_user_model().objects.filter(username="x1").exists()


@pytest.mark.parametrize("token", ["nonsense", "a" * 43, "x" * 500])
def test_an_unknown_link_is_refused_politely(client, tree, token):
    response = client.get(welcome_url(token))
    assert response.status_code == 404 and GONE in response.content.decode()


@pytest.mark.parametrize(
    "password",
    ["12345678", "password", "abcdefgh", "Sh0rt!", "wangzhiyuan1A"],
    ids=["numeric", "common", "one-kind", "short", "like-the-login"],
)
def test_the_password_policy_applies_and_says_why_in_chinese(client, member, token, password):
    data = {"username": "wangzhiyuan", "new_password1": password, "new_password2": password}
    response = client.post(welcome_url(token), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert errors
    page = html.unescape(response.content.decode())
    for error in errors:
        assert error in page and re.search(r"[\u4e00-\u9fff]", error), error
    assert 'value="wangzhiyuan"' in page  # what was typed stays
    member.refresh_from_db()
    assert member.user is None and Invite.objects.get().used_at is None


def test_two_different_passwords_are_refused(client, member, token):
    data = {"username": "wangzhiyuan", "new_password1": PASSWORD, "new_password2": PASSWORD + "x"}
    response = client.post(welcome_url(token), data)
    assert response.status_code == 200 and "输入的两个密码不一致" in html.unescape(response.content.decode())


@pytest.mark.parametrize("name", ["taken_name", "TAKEN_NAME"])
def test_a_login_name_taken_says_so_and_keeps_the_link(client, member, token, name):
    UserFactory(username="taken_name")
    data = {"username": name, "new_password1": PASSWORD, "new_password2": PASSWORD}
    response = client.post(welcome_url(token), data)
    assert response.status_code == 200
    assert f"登录名“{name}”已被占用，请另选一个。" in html.unescape(response.content.decode())
    data["username"] = "wangzhiyuan"
    assert client.post(welcome_url(token), data)["Location"] == "/me/"


def test_a_login_name_with_spaces_or_symbols_is_refused(client, member, token):
    data = {"username": "王 志愿!", "new_password1": PASSWORD, "new_password2": PASSWORD}
    response = client.post(welcome_url(token), data)
    assert response.status_code == 200 and response.context["form"].errors["username"]


def test_a_member_with_a_login_sets_a_new_password_on_it(client, tree, member):
    member.user = UserFactory(username="wzy")
    member.save()
    token = invite_create(actor=tree.secretary_a, member=member)[1]
    page = client.get(welcome_url(token)).content.decode()
    assert "“wzy”" in page and 'name="username"' not in page
    response = client.post(welcome_url(token), {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response["Location"] == "/me/"
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD) and get_user_model().objects.filter(username="wzy").count() == 1


def test_opening_a_link_while_signed_in_as_someone_else_signs_in_as_the_member(as_user, tree, member, token):
    client = as_user(tree.secretary_a)
    assert "此浏览器已登录为“secretary_a”" in client.get(welcome_url(token)).content.decode()
    data = {"username": "wangzhiyuan", "new_password1": PASSWORD, "new_password2": PASSWORD}
    client.post(welcome_url(token), data)
    member.refresh_from_db()
    assert int(client.session["_auth_user_id"]) == member.user.pk


# --- the member's login: a role of its own ----------------------------------------------------------------


@pytest.fixture
def member_client(client, member, token):
    data = {"username": "wangzhiyuan", "new_password1": PASSWORD, "new_password2": PASSWORD}
    assert client.post(welcome_url(token), data).status_code == 302
    return client


def test_the_home_page_sends_a_members_login_to_their_page(member_client, as_user, tree):
    assert member_client.get("/")["Location"] == "/me/"
    assert as_user(tree.secretary_a).get("/").status_code == 200


def test_the_menu_shows_a_member_their_page_only(member_client, as_user, tree):
    page = member_client.get("/me/").content.decode()
    assert 'href="/me/"' in page and "我的" in page
    assert 'href="/activities/"' not in page and 'href="/beneficiaries/"' not in page
    secretary_page = as_user(tree.secretary_a).get("/").content.decode()
    assert 'href="/activities/"' in secretary_page


def test_the_menu_knows_a_member_who_signs_in_on_the_sign_in_page(client, member, token):
    data = {"username": "wangzhiyuan", "new_password1": PASSWORD, "new_password2": PASSWORD}
    client.post(welcome_url(token), data)
    client.logout()
    response = client.post(reverse("accounts:login"), {"username": "wangzhiyuan", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/me/").content.decode()
    assert 'href="/activities/"' not in page


def test_a_members_login_sees_no_secretary_data(member_client, records, tree):
    """Their own branch's records, and another branch's, are not theirs: lists are empty, records 404, writes
    refused."""
    household = BeneficiaryFactory(branch=tree.branch_b, name="赵大妈")
    PairingFactory(member=MemberFactory(branch=tree.branch_b), beneficiary=household)
    ParticipationFactory(activity=ActivityFactory(branch=tree.branch_b, title="北塔社区助残日"),
                         member=MemberFactory(branch=tree.branch_b, name="钱多多"))  # fmt: skip
    secrets = ["走访慰问困难家庭", "李秀英", "张伟", "赵大妈", "北塔社区助残日", "钱多多"]
    for url in [
        reverse("activities:activity-list"),
        reverse("beneficiaries:beneficiary-list"),
        reverse("beneficiaries:pairing-list"),
        reverse("members:member-list"),
        reverse("dashboards:dashboard"),
        reverse("reports:report-list"),
        reverse("campaigns:campaign-list"),
    ]:
        response = member_client.get(url)
        assert response.status_code in (200, 403, 404), url
        page = response.content.decode()
        for secret in secrets:
            assert secret not in page, (url, secret)
    for name, key in [
        ("activities:activity-detail", "activity"),
        ("beneficiaries:beneficiary-detail", "beneficiary"),
        ("beneficiaries:visit-detail", "visit"),
        ("beneficiaries:pairing-detail", "pairing"),
        ("members:member-record", "member"),
    ]:
        assert member_client.get(reverse(name, args=[records[key].pk])).status_code == 404, name
    for name in ["activities:activity-create", "beneficiaries:beneficiary-create", "members:member-create"]:
        assert member_client.get(reverse(name)).status_code == 403, name
    assert member_client.post(invite_url(records["member"])).status_code == 403
    assert member_client.post(BULK, {"member": [records["member"].pk]}).status_code == 403
    assert Invite.objects.count() == 1  # their own, used


# --- outsiders --------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, member):
    login = reverse("accounts:login")
    for url in (invite_url(member), BULK):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302 and response["Location"].startswith(f"{login}?next="), url


def test_another_branchs_secretary_gets_404(as_user, tree, member):
    client = as_user(tree.secretary_b)
    assert client.get(invite_url(member)).status_code == 404
    assert client.post(invite_url(member)).status_code == 404
    own = MemberFactory(branch=tree.branch_b)
    assert client.post(BULK, {"member": [own.pk, member.pk]}).status_code == 404
    assert client.post(BULK, {"member": ["not-a-number"]}).status_code == 404
    assert not Invite.objects.exists()


def test_a_leader_gets_403(as_user, tree, member):
    client = as_user(tree.district_leader)
    assert client.get(invite_url(member)).status_code == 403
    assert client.post(invite_url(member)).status_code == 403
    assert client.post(BULK, {"member": [member.pk]}).status_code == 403
    assert not Invite.objects.exists()


def test_a_secretary_who_only_reads_a_branch_gets_403_there(as_user, tree, member):
    RoleGrantFactory(user=tree.secretary_b, branch=tree.branch_a, role=RoleGrant.Role.LEADER)
    client = as_user(tree.secretary_b)
    assert client.post(invite_url(member)).status_code == 403
    own = MemberFactory(branch=tree.branch_b)
    assert client.post(BULK, {"member": [own.pk, member.pk]}).status_code == 403
    assert not Invite.objects.exists()


def test_the_bulk_page_takes_posts_only(as_user, tree):
    assert as_user(tree.secretary_a).get(BULK).status_code == 405


# --- query budgets ------------------------------------------------------------------------------------------


def test_the_invitation_pages_query_counts_do_not_grow(as_user, tree, member, assert_flat_queries):
    client = as_user(tree.secretary_a)

    def grow():
        for _n in range(9):
            other = MemberFactory(branch=tree.branch_a)
            invite_create(actor=tree.secretary_a, member=other)
            invite_create(actor=tree.secretary_a, member=member)

    assert_flat_queries(
        lambda: client.get(invite_url(member)), grow, queries=5, also=[(lambda: client.post(invite_url(member)), 8)]
    )


def test_the_bulk_page_query_count_is_the_same_for_1_and_10_members(as_user, tree, member, assert_flat_queries):
    client = as_user(tree.secretary_a)
    member.user = UserFactory()  # a login of their own already: its grants are looked up, once for all
    member.save()
    ids = [member.pk]

    def grow():
        for n in range(9):
            other = MemberFactory(branch=tree.branch_a, user=UserFactory() if n % 2 else None)
            ids.append(other.pk)

    def fetch():
        response = client.post(BULK, {"member": ids})
        assert len(tokens_on(response.content.decode())) == len(ids)
        return response

    assert_flat_queries(fetch, grow, queries=9)


def test_the_welcome_page_query_count_does_not_grow(client, tree, member, assert_flat_queries):
    token = invite_create(actor=tree.secretary_a, member=member)[1]

    def grow():
        for _n in range(9):
            invite_create(actor=tree.secretary_a, member=MemberFactory(branch=tree.branch_a))
            Member.objects.filter(pk=member.pk).update(phone="13900001234")

    assert_flat_queries(lambda: client.get(welcome_url(token)), grow, queries=3)

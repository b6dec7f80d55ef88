"""Every URL with an outsider: an anonymous user goes to the sign-in page, another branch's secretary gets 404,
a leader reads but any write is refused with 403 — on GET and on POST."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# (url name, which record's pk, is it a write?)
OBJECT_URLS = [
    ("activities:activity-detail", "activity", False),
    ("activities:activity-edit", "activity", True),
    ("activities:activity-archive", "activity", True),
    ("beneficiaries:beneficiary-detail", "beneficiary", False),
    ("beneficiaries:beneficiary-edit", "beneficiary", True),
    ("beneficiaries:beneficiary-archive", "beneficiary", True),
    ("beneficiaries:visit-create", "beneficiary", True),
    ("beneficiaries:visit-detail", "visit", False),
    ("beneficiaries:visit-edit", "visit", True),
    ("beneficiaries:visit-archive", "visit", True),
    ("beneficiaries:visit-close-follow-up", "visit", True),
    ("beneficiaries:activity-visits", "activity", True),
    ("beneficiaries:activity-group-items", "activity", True),
    ("beneficiaries:pairing-detail", "pairing", False),
    ("beneficiaries:pairing-end", "pairing", True),
    ("members:member-edit", "member", True),
    ("members:member-set-active", "member", True),
]
LIST_URLS = [
    "home",
    "activities:activity-list",
    "beneficiaries:beneficiary-list",
    "beneficiaries:pairing-list",
    "members:member-list",
]
CREATE_URLS = [
    "activities:activity-create",
    "beneficiaries:beneficiary-create",
    "beneficiaries:pairing-create",
    "members:member-create",
]
POST_ONLY = {
    "activities:activity-archive",
    "beneficiaries:beneficiary-archive",
    "beneficiaries:visit-archive",
    "beneficiaries:visit-close-follow-up",
    "members:member-set-active",
}


def object_url(name, key, records):
    return reverse(name, args=[records[key].pk])


def all_urls(records):
    return (
        [object_url(name, key, records) for name, key, _ in OBJECT_URLS]
        + [reverse(name) for name in LIST_URLS + CREATE_URLS]
        + [reverse("accounts:password_change")]
    )


def test_anonymous_users_are_sent_to_sign_in(client, records):
    login = reverse("accounts:login")
    for url in all_urls(records):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(f"{login}?next="), url


@pytest.mark.parametrize(("name", "key", "write"), OBJECT_URLS, ids=[u[0] for u in OBJECT_URLS])
def test_another_branch_secretary_gets_404(as_user, tree, records, name, key, write):
    client = as_user(tree.secretary_b)
    url = object_url(name, key, records)
    if write:
        assert client.post(url).status_code == 404
    if name not in POST_ONLY:
        assert client.get(url).status_code == 404


@pytest.mark.parametrize(("name", "key", "write"), OBJECT_URLS, ids=[u[0] for u in OBJECT_URLS])
def test_a_leader_reads_but_cannot_write(as_user, tree, records, name, key, write):
    client = as_user(tree.district_leader)
    url = object_url(name, key, records)
    if write:
        assert client.post(url).status_code == 403
        if name not in POST_ONLY:
            assert client.get(url).status_code == 403
    else:
        page = client.get(url)
        assert page.status_code == 200
        assert "/edit/" not in page.content.decode()
        assert "/archive/" not in page.content.decode()


def test_a_superuser_opens_every_page(as_user, superuser, records):
    """Superusers see everything (a scope check OR-ing "everything" onto "nothing" once hid every object)."""
    client = as_user(superuser)
    for name, key, _write in OBJECT_URLS:
        if name not in POST_ONLY:
            assert client.get(object_url(name, key, records)).status_code == 200, name
    for name in LIST_URLS + CREATE_URLS:
        assert client.get(reverse(name)).status_code in (200, 302), name


@pytest.mark.parametrize("name", CREATE_URLS)
def test_a_leader_cannot_create(as_user, tree, name):
    client = as_user(tree.district_leader)
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), {"name": "x"}).status_code == 403


@pytest.mark.parametrize("name", LIST_URLS)
def test_lists_show_nothing_from_another_branch(as_user, tree, records, name):
    page = as_user(tree.secretary_b).get(reverse(name)).content.decode()
    for text in ("张伟", "李秀英", "走访慰问困难家庭"):
        assert text not in page, (name, text)
    own = as_user(tree.secretary_a).get(reverse(name))
    assert own.status_code == 200


@pytest.mark.parametrize("name", LIST_URLS)
def test_leader_lists_have_no_write_actions(as_user, tree, records, name):
    page = as_user(tree.district_leader).get(reverse(name)).content.decode()
    for create in CREATE_URLS:
        assert f'href="{reverse(create)}"' not in page


def test_post_only_urls_refuse_get(as_user, tree, records):
    client = as_user(tree.secretary_a)
    for name, key, _ in OBJECT_URLS:
        if name in POST_ONLY:
            assert client.get(object_url(name, key, records)).status_code == 405, name


def test_photos_are_scoped(as_user, tree, records, photo_factory):
    photo = photo_factory(records["activity"])
    for name in ("activities:photo", "activities:photo-thumbnail"):
        url = reverse(name, args=[photo.pk])
        assert as_user(tree.secretary_b).get(url).status_code == 404
        response = as_user(tree.secretary_a).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
    assert as_user(tree.district_leader).get(reverse("activities:photo", args=[photo.pk])).status_code == 200


def test_error_pages_are_in_the_portals_layout_in_chinese(as_user, tree, records, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    not_found = as_user(tree.secretary_b).get(reverse("activities:activity-detail", args=[records["activity"].pk]))
    assert not_found.status_code == 404 and "未找到" in not_found.content.decode()
    assert reverse("home") in not_found.content.decode()
    forbidden = as_user(tree.district_leader).get(reverse("activities:activity-create"))
    assert forbidden.status_code == 403 and "只能查看" in forbidden.content.decode()


# --- the members' side (issue 16) ---------------------------------------------------------------------------------
# A member's own pages under /me/ (url name, which record gives the arguments): signed in and linked to a member,
# else 404; the scan's address is the activity's with this minute's code.
MEMBER_URLS = [
    ("selfservice:me", None),
    ("selfservice:me-service-record-docx", None),
    ("selfservice:visit-new", "pairing"),
    ("selfservice:check-in", "check_in"),
]
# The secretaries' side under /members-work/ (url name, which record's pk, POST only?).
SECRETARY_URLS = [
    ("selfservice:queue", None, False),
    ("selfservice:claims-confirm", None, True),
    ("selfservice:claim-detail", "claim", False),
    ("selfservice:claim-confirm", "claim", True),
    ("selfservice:claim-reject", "claim", True),
    ("selfservice:claim-photo", "claim_photo", False),
    ("selfservice:invite-bulk", None, True),
    ("selfservice:invite-create", "member", False),
    ("selfservice:check-in-code", "activity", False),
    ("selfservice:check-in-qr", "activity", False),
]
# What a member's login gets there: the queue is not there for them (404); the invitations and the check-in
# code are writes, refused like every secretary's form (403, as tests/selfservice/test_invites.py pins).
MEMBER_LOGIN_GETS = {"selfservice:invite-bulk": 403, "selfservice:invite-create": 403,
                     "selfservice:check-in-code": 403, "selfservice:check-in-qr": 403}  # fmt: skip
# Public by design: the service worker and the manifest hold nothing personal; the welcome page is the link's.
PUBLIC_URLS = ["selfservice:service-worker", "selfservice:manifest"]


@pytest.fixture
def selfservice(records, settings, tmp_path):
    """branch_a's member with a login, a visit of theirs waiting with a photo, and this minute's check-in code."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from volunteer_portal.selfservice import checkin
    from volunteer_portal.selfservice.services import claim_visit_submit

    from .conftest import image_bytes
    from .factories import UserFactory

    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}}  # fmt: skip
    member = records["member"]
    member.user = UserFactory(username="member_a")
    member.save()
    photo = SimpleUploadedFile("p.png", image_bytes((64, 48)), content_type="image/png")
    claim = claim_visit_submit(actor=member.user, member=member, pairing=records["pairing"],
                               date=timezone.localdate(), notes="看望", photos=[photo])  # fmt: skip
    activity = records["activity"]
    code = checkin.code_for(activity, checkin.minute_of(timezone.now()))
    return {**records, "claim": claim, "claim_photo": claim.photos.get(), "check_in": (activity.pk, code)}


def selfservice_url(name, key, records):
    if key is None:
        return reverse(name)
    if key == "check_in":
        return reverse(name, args=records[key])
    return reverse(name, args=[records[key].pk])


def test_anonymous_users_are_sent_to_sign_in_on_the_members_side(client, selfservice):
    login = reverse("accounts:login")
    urls = [selfservice_url(name, key, selfservice) for name, key in MEMBER_URLS]
    urls += [selfservice_url(name, key, selfservice) for name, key, _ in SECRETARY_URLS]
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(f"{login}?next="), url


def test_the_public_files_and_the_welcome_link_need_no_sign_in(client, selfservice, tree):
    from volunteer_portal.selfservice.services import invite_create

    from .factories import MemberFactory

    for name in PUBLIC_URLS:
        assert client.get(reverse(name)).status_code == 200, name
    _invite, token = invite_create(actor=tree.secretary_a, member=MemberFactory(branch=tree.branch_a))
    assert client.get(reverse("selfservice:welcome", args=[token])).status_code == 200
    assert client.get(reverse("selfservice:welcome", args=["not-a-token"])).status_code == 404


@pytest.mark.parametrize(("name", "key"), MEMBER_URLS, ids=[u[0] for u in MEMBER_URLS])
def test_a_login_with_no_member_gets_404_on_a_members_page(as_user, tree, selfservice, name, key):
    url = selfservice_url(name, key, selfservice)
    for user in (tree.secretary_b, tree.district_leader):
        assert as_user(user).get(url).status_code == 404, user


def test_another_member_gets_404_for_what_is_not_theirs(as_user, tree, selfservice):
    from .factories import MemberFactory, UserFactory

    other = MemberFactory(user=UserFactory(username="member_b"), branch=tree.branch_b)
    client = as_user(other.user)
    for url in (selfservice_url("selfservice:visit-new", "pairing", selfservice),
                selfservice_url("selfservice:claim-photo", "claim_photo", selfservice)):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(selfservice_url("selfservice:visit-new", "pairing", selfservice)).status_code == 404
    assert "李秀英" not in client.get(reverse("selfservice:me")).content.decode()


@pytest.mark.parametrize(("name", "key", "post_only"), SECRETARY_URLS, ids=[u[0] for u in SECRETARY_URLS])
def test_outsiders_on_the_secretaries_side(as_user, tree, selfservice, name, key, post_only):
    url = selfservice_url(name, key, selfservice)
    data = {"claim": [selfservice["claim"].pk], "on_page": [selfservice["claim"].pk], "scope": "page",
            "member": [selfservice["member"].pk], "reason": "不对"}  # fmt: skip
    fetch = "post" if post_only else "get"
    other_secretary = getattr(as_user(tree.secretary_b), fetch)(url, data)
    if name == "selfservice:queue":
        assert other_secretary.status_code == 200 and "李秀英" not in other_secretary.content.decode()
    elif name == "selfservice:claims-confirm":
        assert other_secretary.status_code == 302  # back to their queue; what is not in their scope is left alone
    else:
        assert other_secretary.status_code == 404
    from .factories import MemberFactory, UserFactory

    member = MemberFactory(user=UserFactory(username="member_a2"), branch=tree.branch_a)  # not the sender
    member_login = getattr(as_user(member.user), fetch)(url, data)
    assert member_login.status_code == MEMBER_LOGIN_GETS.get(name, 404)
    leader = getattr(as_user(tree.district_leader), fetch)(url, data)
    assert leader.status_code == (404 if name == "selfservice:claim-photo" else 403)
    selfservice["claim"].refresh_from_db()
    assert selfservice["claim"].status == selfservice["claim"].Status.PENDING  # nobody decided it

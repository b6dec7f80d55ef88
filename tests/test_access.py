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

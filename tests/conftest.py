"""A small tree shared by the tests:

    root (organisation)
    └── district
        ├── branch_a   (secretary_a)
        └── branch_b   (secretary_b)

root_leader leads the whole tree, district_leader the district; superuser is Django staff.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from volunteer_portal.branches.models import Branch, RoleGrant

from .factories import BranchFactory, RoleGrantFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Tree:
    root: Branch
    district: Branch
    branch_a: Branch
    branch_b: Branch
    root_leader: object
    district_leader: object
    secretary_a: object
    secretary_b: object


@pytest.fixture
def tree(db) -> Tree:
    root = BranchFactory(name="自治区残联", code="root", kind=Branch.Kind.ORGANISATION)
    district = BranchFactory(name="兴庆区残联", code="district", kind=Branch.Kind.DISTRICT, parent=root)
    branch_a = BranchFactory(name="丽景社区", code="a", kind=Branch.Kind.COMMUNITY, parent=district)
    branch_b = BranchFactory(name="北塔社区", code="b", kind=Branch.Kind.COMMUNITY, parent=district)
    users = {}
    for username, branch, role in [
        ("root_leader", root, RoleGrant.Role.LEADER),
        ("district_leader", district, RoleGrant.Role.LEADER),
        ("secretary_a", branch_a, RoleGrant.Role.SECRETARY),
        ("secretary_b", branch_b, RoleGrant.Role.SECRETARY),
    ]:
        users[username] = UserFactory(username=username)
        RoleGrantFactory(user=users[username], branch=branch, role=role)
    return Tree(root, district, branch_a, branch_b, **users)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "correct-horse-42")


@pytest.fixture
def records(tree):
    """One of everything in branch_a, for the access and page tests."""
    from .factories import (
        ActivityFactory,
        AssistanceItemFactory,
        BeneficiaryFactory,
        MemberFactory,
        PairingFactory,
        ParticipationFactory,
        VisitFactory,
    )

    member = MemberFactory(branch=tree.branch_a, name="张伟")
    beneficiary = BeneficiaryFactory(branch=tree.branch_a, name="李秀英")
    activity = ActivityFactory(branch=tree.branch_a, title="走访慰问困难家庭")
    ParticipationFactory(activity=activity, member=member)
    visit = VisitFactory(beneficiary=beneficiary, branch=tree.branch_a, activity=activity)
    visit.visitors.add(member)
    AssistanceItemFactory(visit=visit)
    pairing = PairingFactory(member=member, beneficiary=beneficiary)
    return {
        "member": member,
        "beneficiary": beneficiary,
        "activity": activity,
        "visit": visit,
        "pairing": pairing,
    }


@pytest.fixture
def as_user(client):
    """Sign the test client in as a user and return it."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def image_bytes(size=(800, 600), image_format="PNG") -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def add_photo(activity):
    """A photo added to an activity as the activity form adds it, in whatever storage is the default."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from activities.services import _add_photos

    _add_photos(activity, [SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")], None)
    return activity.photos.get()


@pytest.fixture
def photo_factory(settings, tmp_path):
    """Store photos in a temporary folder; returns a function that adds a photo to an activity."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return add_photo


@pytest.fixture
def assert_flat_queries(django_assert_num_queries):
    """A page's query count is part of its contract: exactly `queries` at the first size, and exactly as many
    again once `grow()` has added rows the page shows (the `with` form, so it really checks). `also` takes more
    (fetch, queries) pairs measured at the same two sizes. Each page is fetched once before it is counted."""

    def check(fetch, grow, *, queries: int, also=()):
        pages = [(fetch, queries), *also]
        for page, _count in pages:  # once first, so what is read once per process (caches) is not counted
            page()
        for page, count in pages:
            with django_assert_num_queries(count):
                assert page().status_code == 200
        grow()
        for page, count in pages:
            with django_assert_num_queries(count):
                assert page().status_code == 200

    return check

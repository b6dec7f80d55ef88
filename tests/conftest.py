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

"""People are named by who they are, not by their login: member name, full name, role and branch, login."""

import pytest
from django.template import Context, Template

from volunteer_portal.branches.selectors import display_name

from ..factories import MemberFactory, RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_linked_member_is_named_by_the_members_name(tree):
    MemberFactory(branch=tree.branch_a, name="杨兵兵", user=tree.secretary_a)
    tree.secretary_a.first_name = "Someone"
    assert display_name(tree.secretary_a) == "杨兵兵"


def test_without_a_member_the_full_name(tree):
    tree.secretary_a.last_name, tree.secretary_a.first_name = "王", "芳"
    assert display_name(tree.secretary_a) in {"芳 王", "王芳", "王 芳"}
    assert "secretary_a" not in display_name(tree.secretary_a)


def test_without_a_name_the_role_and_branch(tree):
    assert display_name(tree.secretary_a) == "丽景社区 支部书记/专干"
    assert display_name(tree.district_leader) == "兴庆区残联 领导"


def test_a_secretary_grant_names_before_a_leader_grant_on_the_same_branch(tree):
    RoleGrantFactory(user=tree.district_leader, branch=tree.district, role="secretary")
    assert display_name(tree.district_leader) == "兴庆区残联 支部书记/专干"


def test_the_login_name_only_when_nothing_else_is_known():
    assert display_name(UserFactory(username="lonely")) == "lonely"
    assert display_name(None) == ""


def test_the_template_filter_says_the_same(tree):
    rendered = Template("{% load portal %}{{ user|display_name }}").render(Context({"user": tree.secretary_a}))
    assert rendered == "丽景社区 支部书记/专干"

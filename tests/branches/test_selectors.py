import pytest
from django.contrib.auth.models import AnonymousUser

from beneficiaries.models import Beneficiary
from volunteer_portal.branches.models import Branch, RoleGrant
from volunteer_portal.branches.selectors import branch_list, grant_paths, scope_q, user_can_write

from ..factories import BeneficiaryFactory, BranchFactory, RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_grant_covers_the_branch_and_its_descendants(tree):
    assert set(branch_list(user=tree.district_leader)) == {tree.district, tree.branch_a, tree.branch_b}
    assert set(branch_list(user=tree.root_leader)) == set(Branch.objects.all())


def test_a_grant_does_not_cover_a_sibling_whose_key_starts_with_the_same_digits(tree):
    short = Branch.objects.create(pk=8000001, name="短", code="short", parent=tree.district,
                                  path=f"{tree.district.path}8000001/", depth=2)  # fmt: skip
    long = Branch.objects.create(pk=80000013, name="长", code="long", parent=tree.district,
                                 path=f"{tree.district.path}80000013/", depth=2)  # fmt: skip
    user = UserFactory()
    RoleGrantFactory(user=user, branch=short, role=RoleGrant.Role.SECRETARY)
    assert set(branch_list(user=user)) == {short}
    assert long not in branch_list(user=user, role=RoleGrant.Role.SECRETARY)


def test_the_role_constraint_matches_the_role_choices():
    constraint = next(c for c in RoleGrant._meta.constraints if c.name == "rolegrant_role_valid")
    assert sorted(constraint.condition.children[0][1]) == sorted(RoleGrant.Role.values)


def test_a_grant_does_not_cover_siblings_or_ancestors(tree):
    assert set(branch_list(user=tree.secretary_a)) == {tree.branch_a}
    assert tree.branch_b not in branch_list(user=tree.secretary_a)
    assert tree.district not in branch_list(user=tree.secretary_a)


def test_scope_is_the_union_of_grants(tree):
    RoleGrantFactory(user=tree.secretary_a, branch=tree.branch_b, role=RoleGrant.Role.SECRETARY)
    user = type(tree.secretary_a).objects.get(pk=tree.secretary_a.pk)
    assert set(branch_list(user=user)) == {tree.branch_a, tree.branch_b}


def test_nested_grants_do_not_double_rows(tree):
    RoleGrantFactory(user=tree.district_leader, branch=tree.branch_a, role=RoleGrant.Role.LEADER)
    user = type(tree.district_leader).objects.get(pk=tree.district_leader.pk)
    assert branch_list(user=user).count() == 3


def test_write_scope_is_secretary_grants_only(tree):
    assert user_can_write(tree.secretary_a, tree.branch_a)
    assert not user_can_write(tree.secretary_a, tree.branch_b)
    assert not user_can_write(tree.district_leader, tree.branch_a)
    assert branch_list(user=tree.root_leader, role=RoleGrant.Role.SECRETARY).count() == 0


def test_scope_follows_a_relation(tree):
    in_a = BeneficiaryFactory(branch=tree.branch_a)
    in_b = BeneficiaryFactory(branch=tree.branch_b)
    visible = Beneficiary.objects.filter(scope_q(tree.secretary_a, via="branch"))
    assert list(visible) == [in_a]
    assert set(Beneficiary.objects.filter(scope_q(tree.district_leader, via="branch"))) == {in_a, in_b}


def test_anonymous_inactive_and_ungranted_users_see_nothing(tree):
    assert branch_list(user=AnonymousUser()).count() == 0
    assert branch_list(user=UserFactory()).count() == 0
    tree.secretary_a.is_active = False
    assert branch_list(user=tree.secretary_a).count() == 0


def test_superuser_sees_everything(tree, superuser):
    assert branch_list(user=superuser).count() == Branch.objects.count()


def test_a_grant_on_an_inactive_branch_gives_nothing(tree):
    orphan_user = UserFactory()
    closed = BranchFactory(parent=tree.root, code="closed", active=False)
    RoleGrantFactory(user=orphan_user, branch=closed, role=RoleGrant.Role.SECRETARY)
    assert branch_list(user=orphan_user).count() == 0


def test_the_grants_are_read_once_per_user_whatever_the_roles_asked(tree, django_assert_num_queries):
    RoleGrantFactory(user=tree.secretary_a, branch=tree.district, role=RoleGrant.Role.LEADER, may_reveal=True)
    user = type(tree.secretary_a).objects.get(pk=tree.secretary_a.pk)
    with django_assert_num_queries(1):
        assert grant_paths(user) == [tree.district.path]
        assert grant_paths(user, RoleGrant.Role.SECRETARY) == [tree.branch_a.path]
        assert grant_paths(user, RoleGrant.Role.LEADER) == grant_paths(user, "may_reveal") == [tree.district.path]
        assert grant_paths(user, "may_export") == []
        # the write check compares paths with the grants already read
        branches = (tree.root, tree.district, tree.branch_a, tree.branch_b)
        assert [user_can_write(user, branch) for branch in branches] == [False, False, True, False]


def test_a_new_grant_is_seen_by_the_same_user_object(tree):
    from volunteer_portal.branches.services import role_grant

    user = tree.secretary_a
    assert grant_paths(user, RoleGrant.Role.LEADER) == []
    role_grant(user=user, branch=tree.district, role=RoleGrant.Role.LEADER)
    assert grant_paths(user, RoleGrant.Role.LEADER) == [tree.district.path] == grant_paths(user)


def test_the_write_check_agrees_with_the_write_scope(tree, superuser):
    users = [tree.root_leader, tree.district_leader, tree.secretary_a, tree.secretary_b, superuser, AnonymousUser()]
    for user in users:
        for branch in Branch.objects.all():
            in_scope = branch_list(user=user, role=RoleGrant.Role.SECRETARY).filter(pk=branch.pk).exists()
            assert user_can_write(user, branch) == in_scope, (user, branch)


def test_the_grants_are_read_once_per_user_and_role(tree, django_assert_num_queries):
    user = type(tree.district_leader).objects.get(pk=tree.district_leader.pk)
    # the grants once, then one query per list
    with django_assert_num_queries(3):
        list(branch_list(user=user))
        list(branch_list(user=user))

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from volunteer_portal.branches import services
from volunteer_portal.branches.models import Branch

from ..factories import BranchFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_create_sets_path_and_depth_from_the_parent():
    root = services.branch_create(name="残联", code="root", kind=Branch.Kind.ORGANISATION)
    child = services.branch_create(name="机关党委", code="jgdw", parent=root)
    grandchild = services.branch_create(name="康复中心支部", code="kfzx", parent=child)
    assert root.path == f"{root.pk}/" and root.depth == 0
    assert child.path == f"{root.pk}/{child.pk}/" and child.depth == 1
    assert grandchild.path == f"{root.pk}/{child.pk}/{grandchild.pk}/" and grandchild.depth == 2
    assert grandchild.ancestor_ids() == [root.pk, child.pk]


def test_create_validates():
    BranchFactory(code="taken")
    with pytest.raises(ValidationError) as caught:
        services.branch_create(name="x", code="taken")
    assert "code" in caught.value.message_dict


def test_subtree_is_the_subtree_and_nothing_else(tree):
    # a sibling whose key starts with the same digits must not leak into a prefix search
    tree_ids = {b.pk for b in Branch.objects.subtree_of(tree.district)}
    assert tree_ids == {tree.district.pk, tree.branch_a.pk, tree.branch_b.pk}
    assert set(Branch.objects.subtree_of(tree.district, include_self=False)) == {tree.branch_a, tree.branch_b}
    assert list(Branch.objects.subtree_of(tree.branch_a)) == [tree.branch_a]


def sibling(parent, pk):
    """A branch with a chosen key, so that one key can be a textual prefix of another (7000001, 70000012)."""
    return Branch.objects.create(
        pk=pk, name=f"b{pk}", code=f"b{pk}", parent=parent, path=f"{parent.path}{pk}/", depth=parent.depth + 1
    )


def test_a_key_that_is_a_prefix_of_another_is_not_its_parent():
    root = BranchFactory(code="r")
    short, long = sibling(root, 7000001), sibling(root, 70000012)
    child = BranchFactory(parent=short, code="child")
    assert str(long.pk).startswith(str(short.pk))  # the case this test exists for
    assert set(Branch.objects.subtree_of(short)) == {short, child}
    assert set(Branch.objects.subtree_of(long)) == {long}


def test_move_rewrites_the_whole_subtree(tree):
    street = BranchFactory(name="街道", code="street", parent=tree.branch_a)
    community = BranchFactory(name="社区", code="community", parent=street)
    services.branch_move(branch=street, new_parent=tree.branch_b)
    street.refresh_from_db()
    community.refresh_from_db()
    assert street.parent == tree.branch_b
    assert street.path == f"{tree.branch_b.path}{street.pk}/" and street.depth == tree.branch_b.depth + 1
    assert community.path == f"{street.path}{community.pk}/" and community.depth == street.depth + 1
    assert set(Branch.objects.subtree_of(tree.branch_a)) == {tree.branch_a}
    assert set(Branch.objects.subtree_of(tree.branch_b)) == {tree.branch_b, street, community}


def test_move_to_the_top_level(tree):
    services.branch_move(branch=tree.district, new_parent=None)
    tree.branch_a.refresh_from_db()
    assert tree.branch_a.path == f"{tree.district.pk}/{tree.branch_a.pk}/"
    assert tree.branch_a.depth == 1


def test_move_under_own_subtree_is_refused(tree):
    with pytest.raises(ValidationError):
        services.branch_move(branch=tree.district, new_parent=tree.branch_a)
    with pytest.raises(ValidationError):
        services.branch_move(branch=tree.district, new_parent=tree.district)
    tree.district.refresh_from_db()
    assert tree.district.parent == tree.root


def test_top_level_names_are_unique_too():
    BranchFactory(name="自治区残联", code="one")
    with pytest.raises(ValidationError):
        services.branch_create(name="自治区残联", code="two")


def test_branches_with_people_cannot_be_deleted(tree):
    MemberFactory(branch=tree.branch_a)
    with pytest.raises(ProtectedError):
        tree.branch_a.delete()
    with pytest.raises(ProtectedError):
        tree.root.delete()

"""Writes to the branch tree. The materialized path is kept in step with the parent link here, and only here."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteer_portal.models import save_checked

from . import tallies
from .models import PATH_SEPARATOR, Branch, BranchLine, Member, RoleGrant, in_subtree, is_under, path_ids
from .selectors import forget_grants

LINE_BATCH = 1000


def _path_for(branch: Branch, parent: Branch | None) -> str:
    return f"{parent.path if parent else ''}{branch.pk}{PATH_SEPARATOR}"


def lines_from_paths(branches: QuerySet[Branch]) -> set[tuple[int, int]]:
    """(branch, ancestor) for these branches and each of their ancestors, themselves included, read from the
    stored paths: what `BranchLine` must hold (a pass over branches, never over records)."""
    return {(pk, ancestor) for pk, path in branches.values_list("pk", "path") for ancestor in path_ids(path)}


def lines_write(branches: QuerySet[Branch]) -> None:
    """Write the lines of these branches afresh from their paths: after a create, a move, a bulk insert."""
    BranchLine.objects.filter(branch__in=branches.values("pk")).delete()
    BranchLine.objects.bulk_create(
        [BranchLine(branch_id=pk, ancestor_id=ancestor) for pk, ancestor in sorted(lines_from_paths(branches))],
        batch_size=LINE_BATCH,
    )


@transaction.atomic
def branch_create(
    *,
    name: str,
    code: str,
    kind: str = Branch.Kind.OTHER,
    parent: Branch | None = None,
    active: bool = True,
    confirm_members_work: bool = True,
) -> Branch:
    branch = Branch(
        name=name, code=code, kind=kind, parent=parent, active=active, confirm_members_work=confirm_members_work
    )
    # The path needs the primary key; a unique placeholder satisfies the constraint until it is known.
    branch.path = f"new-{code}"
    branch.depth = parent.depth + 1 if parent else 0
    branch.full_clean()
    branch.save()
    branch.path = _path_for(branch, parent)
    branch.save(update_fields=["path"])
    lines_write(Branch.objects.filter(pk=branch.pk))
    return branch


@transaction.atomic
def branch_move(*, branch: Branch, new_parent: Branch | None) -> Branch:
    """Re-hang a branch (and its subtree) under another parent, rewriting every path below it in one UPDATE."""
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    if new_parent is not None:
        new_parent = Branch.objects.get(pk=new_parent.pk)
        if is_under(new_parent, branch):
            raise ValidationError(
                {"parent": _("A branch cannot be moved under itself or one of its own sub-branches.")}
            )
    old_path, old_ancestors = branch.path, branch.ancestor_ids()
    new_path = _path_for(branch, new_parent)
    depth_change = (new_parent.depth + 1 if new_parent else 0) - branch.depth
    Branch.objects.filter(pk=branch.pk).update(parent=new_parent)
    if new_path != old_path:
        Branch.objects.filter(in_subtree(old_path)).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_change,
        )
    branch.refresh_from_db()
    lines_write(Branch.objects.filter(in_subtree(branch)))
    tallies.branch_moved(branch, old_ancestors)
    return branch


@transaction.atomic
def branch_update(
    *, branch: Branch, name: str, code: str, kind: str, active: bool, confirm_members_work: bool | None = None
) -> Branch:
    """Change everything but the place in the tree (that is `branch_move`); `confirm_members_work` stays as it
    is unless given."""
    branch.name, branch.code, branch.kind, branch.active = name, code, kind, active
    if confirm_members_work is not None:
        branch.confirm_members_work = confirm_members_work
    branch.full_clean()
    branch.save(update_fields=["name", "code", "kind", "active", "confirm_members_work", "updated_at"])
    return branch


@transaction.atomic
def role_grant(*, user, branch: Branch, role: str) -> RoleGrant:
    grant, _created = RoleGrant.objects.get_or_create(user=user, branch=branch, role=role)
    forget_grants(user)  # this user object's scope is read afresh
    return grant


MEMBER_FIELDS = [
    "name", "gender", "branch", "is_party_member", "is_leadership", "phone", "joined_on", "left_on",
]  # fmt: skip


@transaction.atomic
def member_create(*, actor, **fields) -> Member:
    member = Member(**fields)
    member.active = member.left_on is None
    save_checked(member, actor)
    return member


@transaction.atomic
def member_update(*, actor, member: Member, **fields) -> Member:
    """Change a member's details. A leave date takes them off the roll from that day (and marks them
    inactive); clearing it puts them back."""
    for name, value in fields.items():
        setattr(member, name, value)
    if "left_on" in fields:
        member.active = member.left_on is None
    save_checked(member, actor)
    return member


@transaction.atomic
def member_set_active(*, actor, member: Member, active: bool, left_on: dt.date | None = None) -> Member:
    """Mark someone as left (moved, retired) on a day (today unless given), or back: their history stays
    either way, and past periods still count them while they were on the roll."""
    member.active = active
    member.left_on = None if active else (left_on or timezone.localdate())
    save_checked(member, actor)
    return member

"""The one scoping function, and reads of the branch tree.

A user's scope is the union of the subtrees of the branches they hold a grant on. Every selector in the
project that reads rows belonging to a branch filters them through `scope_q`; a row outside the scope is
treated exactly like a row that does not exist.
"""

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db.models import Q, QuerySet

from .models import Branch, RoleGrant

Role = RoleGrant.Role


def _grant_paths(user, role: str | None) -> list[str]:
    """The paths of the granted branches, minus those already covered by another grant. Cached per user object."""
    cache = user.__dict__.setdefault("_scope_paths_cache", {})
    if role not in cache:
        grants = RoleGrant.objects.filter(user=user, branch__active=True)
        if role is not None:
            grants = grants.filter(role=role)
        paths = sorted(set(grants.values_list("branch__path", flat=True)))
        kept: list[str] = []
        for path in paths:  # sorted, so an ancestor comes before its descendants
            if not any(path.startswith(ancestor) for ancestor in kept):
                kept.append(path)
        cache[role] = kept
    return cache[role]


def scope_q(user: AbstractUser | AnonymousUser, *, via: str = "", role: str | None = None) -> Q:
    """A filter for rows whose branch lies in the user's scope.

    `via` is the lookup from the filtered model to its Branch ("" for Branch itself, "branch" for a model with
    a branch foreign key, "beneficiary__branch" and so on). `role=None` is the read scope (any grant);
    `role=Role.SECRETARY` is the write scope. Superusers see everything; anonymous users nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    prefix = f"{via}__" if via else ""
    paths = _grant_paths(user, role)
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{prefix}path__startswith": path})
    return condition


def branch_list(*, user, role: str | None = None) -> QuerySet[Branch]:
    """Branches in the user's scope, in tree order."""
    return Branch.objects.filter(scope_q(user, role=role))


def user_can_write(user, branch: Branch) -> bool:
    return branch_list(user=user, role=Role.SECRETARY).filter(pk=branch.pk).exists()

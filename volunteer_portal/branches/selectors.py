"""The one scoping function, and reads of the branch tree.

A user's scope is the union of the subtrees of the branches they hold a grant on. Every selector in the
project that reads rows belonging to a branch filters them through `scope_q`; a row outside the scope is
treated exactly like a row that does not exist.
"""

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Branch, Member, RoleGrant, in_subtree, is_under, path_ids

Role = RoleGrant.Role
CAPABILITIES = ("may_reveal", "may_export")


def forget_grants(user) -> None:
    """Drop what `_grant_paths` keeps on the user object, after a grant of theirs changed."""
    user.__dict__.pop("_scope_paths_cache", None)
    user.__dict__.pop("_scope_grants", None)


def _grant_paths(user, role: str | None) -> list[str]:
    """The paths of the granted branches, minus those already covered by another grant. Cached per user object:
    the user's grants are read in one query, the first time any role's paths are asked for.

    `role` is a role ("secretary", "leader"), None for any grant, or a capability ("may_reveal", "may_export").
    """
    cache = user.__dict__.setdefault("_scope_paths_cache", {})
    if role not in cache:
        if "_scope_grants" not in user.__dict__:  # the same dict as the cache's (a request's user is a lazy object)
            user.__dict__["_scope_grants"] = list(
                RoleGrant.objects.filter(user=user, branch__active=True).values_list(
                    "branch__path", "role", *CAPABILITIES
                )
            )
        paths = sorted(
            {
                path
                for path, granted, *capabilities in user.__dict__["_scope_grants"]
                if role is None or (capabilities[CAPABILITIES.index(role)] if role in CAPABILITIES else granted == role)
            }
        )
        kept: list[str] = []
        for path in paths:  # sorted, so an ancestor comes before its descendants
            if not any(is_under(path, ancestor) for ancestor in kept):
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
    paths = _grant_paths(user, role)
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= in_subtree(path, via=via)
    return condition


def branch_list(*, user, role: str | None = None) -> QuerySet[Branch]:
    """Branches in the user's scope, in tree order."""
    return Branch.objects.filter(scope_q(user, role=role))


def user_can_write(user, branch: Branch) -> bool:
    """Whether the branch (already read) lies in the user's write scope: `branch_list`'s rule, without a query."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(is_under(branch, path) for path in _grant_paths(user, Role.SECRETARY))


def has_write_scope(user) -> bool:
    """Whether the user may write anywhere at all (a secretary grant, or a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or _grant_paths(user, Role.SECRETARY))


def scope_q_any(user, *, via: tuple[str, ...], role: str | None = None) -> Q:
    """In scope through any of several relations (a visit: the visiting branch or the household's branch)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return Q()  # an empty Q OR-ed onto "nothing" would leave "nothing": superusers see everything
    condition = Q(pk__in=[])
    for lookup in via:
        condition |= scope_q(user, via=lookup, role=role)
    return condition


def get_in_scope(queryset: QuerySet, user, pk, *, via: str | tuple[str, ...] = "branch", for_write: bool = False):
    """The one door to a single object: 404 outside the read scope, 403 inside it when the user may only read.

    Missing and forbidden look the same (404), so an outsider learns nothing about what exists.
    """
    lookups = (via,) if isinstance(via, str) else via
    obj = get_object_or_404(queryset.filter(scope_q_any(user, via=lookups)), pk=pk)
    if for_write and not queryset.filter(scope_q_any(user, via=lookups, role=Role.SECRETARY), pk=obj.pk).exists():
        raise PermissionDenied
    return obj


def member_list(*, user, role: str | None = None) -> QuerySet[Member]:
    return Member.objects.filter(scope_q(user, via="branch", role=role)).select_related("branch")


def scope_ancestor_ids(user) -> set[int]:
    """The branches above (and at) the user's grants: where plans that apply to the user's branches come from."""
    ids: set[int] = set()
    for path in _grant_paths(user, None):
        ids.update(path_ids(path))
    return ids


def grant_paths(user, role: str | None = None) -> list[str]:
    """The paths at the top of the user's scope, in tree order (nested grants folded into their ancestor)."""
    return list(_grant_paths(user, role))


def may_reveal(user, branch: Branch) -> bool:
    """Whether the user may see full ID and certificate numbers of people this branch is responsible for."""
    if user.is_superuser:
        return True
    return any(is_under(branch, path) for path in _grant_paths(user, "may_reveal"))


def may_export(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _grant_paths(user, "may_export")))


def own_branch_id(user) -> int | None:
    """The branch a secretary's forms start on: the top of their first secretary grant (no query: cached)."""
    paths = _grant_paths(user, Role.SECRETARY) if user.is_authenticated else []
    return path_ids(paths[0])[-1] if paths else None


def writable_members(user) -> QuerySet[Member]:
    """Members a secretary may record as taking part or visiting: active, in the write scope, in tree order."""
    return member_list(user=user, role=Role.SECRETARY).filter(active=True).order_by("branch__path", "name")


# --- people's names --------------------------------------------------------------------------------------------


def with_display_names(queryset: QuerySet, field: str) -> QuerySet:
    """`queryset` with what `display_name` reads for the user in `field`, so that a list of events or changes
    names its people in two more queries whatever its length."""
    grants = RoleGrant.objects.select_related("branch")
    return queryset.select_related(f"{field}__member").prefetch_related(
        Prefetch(f"{field}__role_grants", queryset=grants)
    )


def display_name(user) -> str:
    """How a person is named on the portal's pages: the linked member's name, else the account's full name, else
    their role and branch ("康复中心支部 支部书记/专干"); the login name only when nothing else is known."""
    if user is None:
        return ""
    member = getattr(user, "member", None)  # a missing reverse one-to-one raises an AttributeError subclass
    if member is not None and member.name:
        return member.name
    if full_name := user.get_full_name().strip():
        return full_name
    grants = sorted(user.role_grants.all(), key=lambda grant: (grant.branch.path, grant.role != Role.SECRETARY))
    if grants:
        return f"{grants[0].branch.name} {grants[0].get_role_display()}"
    return user.get_username()

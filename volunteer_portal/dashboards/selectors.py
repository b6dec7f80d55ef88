"""Reads for the dashboards, through the user's scope."""

from django.db.models import F, Q, Subquery
from django.http import Http404

from volunteer_portal.branches.models import Branch, in_subtree, is_under, path_ids
from volunteer_portal.branches.selectors import grant_paths


def dashboard_root_id(user) -> int | None:
    """Where a user's dashboard opens: the top of their scope (the first of several unconnected grants). Read
    from the cached grant paths, so it costs no query but for a superuser."""
    if user.is_superuser:
        return (
            Branch.objects.filter(parent__isnull=True, active=True)
            .order_by("path")
            .values_list("pk", flat=True)
            .first()
        )
    paths = grant_paths(user)
    return path_ids(paths[0])[-1] if paths else None


def dashboard_node(user, pk: int) -> tuple[Branch, list[Branch], list[Branch]]:
    """The branch to show, the ancestors the user may open (the breadcrumb) and its subtree, in one query;
    404 outside the user's scope, exactly as for a branch that does not exist.

    One query: each row carries the node's path, and a row is kept when it lies under the node or the node
    lies under it. The scope check then compares paths with the user's (cached) grants.
    """
    node_path = Subquery(Branch.objects.filter(pk=pk).values("path")[:1])
    rows: list[Branch] = list(
        Branch.objects.annotate(node_path=node_path)
        .filter(in_subtree(F("node_path")) | Q(node_path__startswith=F("path")))  # below the node, or above it
        .order_by("path")
    )
    node = next((row for row in rows if row.pk == pk), None)
    tops = None if user.is_superuser else grant_paths(user)

    def visible(branch: Branch) -> bool:
        return tops is None or any(is_under(branch, top) for top in tops)

    if node is None or not user.is_authenticated or not visible(node):
        raise Http404
    ancestors = [row for row in rows if is_under(node, row) and row.pk != node.pk and visible(row)]
    subtree = [row for row in rows if is_under(row, node)]
    return node, ancestors, subtree

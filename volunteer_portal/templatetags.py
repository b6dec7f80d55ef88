"""Template helpers used across the apps' pages."""

import math

from django import template
from django.utils.http import urlencode

from volunteer_portal.branches.selectors import display_name as _display_name

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination and sort links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    if "sort" in changes:
        params.pop("page", None)
    return urlencode(sorted(params.lists()), doseq=True)


@register.filter
def percent(value, up: bool = False) -> str:
    """A share as a percentage with one decimal: 0.8333 → "83.3%"; no value (nothing to divide by) → "—".

    The one way the portal writes a rate. It is cut towards the side a threshold judges it on, never rounded
    across it: a rate that must reach 90% is rounded down (89.66% reads "89.6%", not "90%" beside a fail), a
    share that must stay under 10% is rounded up (`up=True`)."""
    if value is None or value == "":
        return "—"
    tenths = float(value) * 1000
    tenths = math.ceil(tenths - 1e-9) if up else math.floor(tenths + 1e-9)
    return f"{tenths / 10:.1f}%"


@register.filter
def index(sequence, position: int):
    return sequence[position]


@register.filter
def minutes(value) -> int:
    """A timedelta as whole minutes (for the sign-in lockout page)."""
    return int(value.total_seconds() // 60) if value else 0


@register.filter
def display_name(user) -> str:
    """A person's name as pages show it (`branches.selectors.display_name`), never a bare login name if avoidable."""
    return _display_name(user)

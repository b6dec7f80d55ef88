"""Template helpers used across the apps' pages."""

from django import template
from django.utils.http import urlencode

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
def percent(value) -> str:
    """0.8333 → "83.3%"; no value (nothing to divide by) → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def index(sequence, position: int):
    return sequence[position]


@register.filter
def minutes(value) -> int:
    """A timedelta as whole minutes (for the sign-in lockout page)."""
    return int(value.total_seconds() // 60) if value else 0

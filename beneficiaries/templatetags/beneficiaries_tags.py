"""Lets the activity page show the households it served without `activities` importing this app."""

from django import template
from django.utils.translation import gettext as _

from ..selectors import group_items_for_activity, visits_for_activity

register = template.Library()


@register.simple_tag
def activity_visits(activity):
    return visits_for_activity(activity)


@register.simple_tag
def activity_group_items(activity):
    return list(group_items_for_activity(activity))


@register.filter
def item_value(value) -> str:
    """An item's value as the pages write it: "¥500.00", or that it is not known (the documents often give none)."""
    return _("value not given") if value is None else f"¥{value}"

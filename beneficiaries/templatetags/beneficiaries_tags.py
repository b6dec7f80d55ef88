"""Lets the activity page show the households it served without `activities` importing this app."""

from django import template

from ..selectors import visits_for_activity

register = template.Library()


@register.simple_tag
def activity_visits(activity):
    return visits_for_activity(activity)

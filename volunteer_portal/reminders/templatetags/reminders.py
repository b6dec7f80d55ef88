"""The bell in the menu: the unread count, read at most once a minute per session (`selectors.unread_count`)."""

from django import template

from ..selectors import unread_count

register = template.Library()


@register.inclusion_tag("reminders/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    request = context.get("request")
    count = unread_count(request) if request is not None else 0
    return {"unread": count}

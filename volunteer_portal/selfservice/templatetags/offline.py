"""`{% offline_head %}` in base.html's <head>, for signed-in users: static/js/offline.js with its words, on every
page (signing out anywhere asks before discarding visits not yet sent); the web manifest and the service worker
only on the members' pages, the worker's scope. No query: what the page is follows from its path."""

import json

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..views.offline import THEME_COLOUR, kept_pages, scope

register = template.Library()


def offline_words() -> dict[str, str]:
    """What offline.js says, translated here so the catalogue has it ({count} is filled in by the script)."""
    return {
        "waiting": _("Visits waiting to upload: {count}"),
        "sending": _("Uploading…"),
        "sent": _("Uploaded: {count}"),
        "saved": _("Saved on this phone. It is uploaded by itself once there is a connection."),
        "signIn": _("Your session has expired: sign in again, and the visits are uploaded by themselves."),
        "signInLink": _("Sign in again"),
        "invalid": _("This visit could not be uploaded:"),
        "discard": _("Discard this one"),
        "discardAsk": _("Discard this visit? It has not been uploaded."),
        "notPaired": _("This household is not paired with you."),
        "refused": _("The server did not accept it (error {status})."),
        "notSaved": _("The visit was not recorded. Check these fields:"),
        "home": _("Back to my page"),
        "signOut": _("{count} visits have not been uploaded yet; signing out discards them. Sign out anyway?"),
    }


@register.inclusion_tag("selfservice/_offline_head.html", takes_context=True)
def offline_head(context) -> dict:
    request = context.get("request")
    where = scope()
    in_scope = request is not None and request.path.startswith(where)
    return {
        "in_scope": in_scope,
        "theme_colour": THEME_COLOUR,
        "words": offline_words(),
        "scope": where,
        "login": f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': where})}",
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "time_zone": settings.TIME_ZONE,
        "kept": json.dumps(kept_pages()) if in_scope else "",
        # In the page's language: the worker's own words (its offline page) follow the member's choice, and a
        # change of language is a new worker.
        "worker": f"{reverse('selfservice:service-worker')}?{urlencode({'lang': get_language()})}",
    }

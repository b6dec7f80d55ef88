"""Views of the members' side: offline. The web manifest that makes the members' pages installable, and the
service worker that keeps the app shell and the member's own pages in Cache Storage, so they open without a
connection (the visits recorded meanwhile wait in static/js/offline.js's queue).

Both are public: they hold no personal data (static URLs, the portal's name), a browser fetches a manifest
without cookies, and a worker script must load whatever the session's state. Their `Cache-Control: no-cache`
(with an ETag) makes browsers ask again at each use, so a release's new static names reach the phones."""

import hashlib
import json
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

# What the members' pages load (templates/base.html): kept by the worker at install, so a page opens offline
# with its styles and scripts. Named through {% static %}, so production's hashed names are the ones kept.
SHELL = (
    "vendor/bootstrap/bootstrap.min.css",
    "css/portal.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "js/portal.js",
    "js/session.js",
    "js/offline.js",
    "favicon.svg",
    "icons/icon-192.png",
)
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)
# The navbar's red (static/css/portal.css, `.navbar.bg-danger`): the phone's status bar matches it.
THEME_COLOUR = "#a71d2a"


def scope() -> str:
    """Where the worker works: the folder it is served from, the members' pages (/me/)."""
    return reverse("selfservice:service-worker").rsplit("/", 1)[0] + "/"


def kept_pages() -> list[str]:
    """The pages the worker keeps a copy of, as patterns of their paths: the member's page and each visit form.
    Other pages of the scope (a check-in, the Word record) are only ever fetched: a copy of them is no use."""
    sample = 987654321  # stands for any pairing's number
    visit = re.escape(reverse("selfservice:visit-new", args=[sample])).replace(str(sample), "[0-9]+")
    return [f"^{re.escape(reverse('selfservice:me'))}$", f"^{visit}$"]


def _answer(request: HttpRequest, body: str, content_type: str) -> HttpResponse:
    etag = f'"{hashlib.sha256(body.encode()).hexdigest()[:16]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """/me/sw.js: served from the members' folder, so its scope is /me/ without a Service-Worker-Allowed header.
    `?lang=` (the page's language, offline.js registers it so) chooses the language of its words."""
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = get_language()
    with translation.override(language):
        return _answer(request, _worker_code(), "application/javascript; charset=utf-8")


def _worker_code() -> str:
    config = {
        "scope": scope(),
        "shell": [static(name) for name in SHELL],
        "pages": kept_pages(),
        "offline": _("No connection, and this page is not kept on this phone: back to my page."),
        "language": get_language(),
    }
    # The shell cache is named after everything above and the worker's code: a release with new static names
    # (or new code) is a new worker that fills a new cache and drops the old one.
    code = render_to_string("selfservice/offline_worker.js", {"config": json.dumps(config, ensure_ascii=False)})
    config["version"] = hashlib.sha256(code.encode()).hexdigest()[:12]
    return render_to_string("selfservice/offline_worker.js", {"config": json.dumps(config, ensure_ascii=False)})


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    """/me/manifest.webmanifest: installs the members' pages as an app that opens on /me/."""
    start = scope()
    data = {
        "id": start,
        "name": _("Lei Feng volunteer aid for people with disabilities"),
        "short_name": _("Lei Feng aid"),
        "description": _("My pairings, visits and hours, also without a connection."),
        "lang": get_language() or settings.LANGUAGE_CODE,
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [
            {"src": static(name), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for name, sizes, purpose in ICONS
        ],
    }
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return _answer(request, body, "application/manifest+json; charset=utf-8")

"""Account protection required of systems holding sensitive personal data (等保 level 2/3): password policy,
session timeouts, and no copies of signed-in pages in caches. Login-failure lockout is django-axes
(settings.AXES_*); the security headers are Django's SecurityMiddleware and django-csp."""

import contextlib
import ipaddress
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import MiddlewareNotUsed, ValidationError
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy

LAST_SEEN = "last_seen"
SIGNED_IN = "signed_in"
# Writing the session on every request would cost a query each time; the idle clock moves in steps of this.
TOUCH_EVERY_SECONDS = 60
# The warning that the idle timeout is near comes this long before it (WCAG 2.2.1), or halfway for short ones.
WARN_SECONDS_BEFORE = 180


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        return sum(
            [
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )

    def validate(self, password: str, user=None) -> None:
        if self.classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_character_classes")

    def get_help_text(self) -> str:
        return ngettext(
            "Use at least %(count)d kind of character: lower-case, upper-case, digits, symbols.",
            "Use at least %(count)d kinds of characters out of four: lower-case, upper-case, digits, symbols.",
            self.min_classes,
        ) % {"count": self.min_classes}


# Django 5.2's message for a short password, which its Chinese catalogue does not carry yet (it still has the
# older "%(min_length)d" wording). Marked here so that `make messages` keeps it in the project's catalogue, which
# Django reads first.
DJANGO_PASSWORD_STRINGS = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        8,
    ),
]


@receiver(user_logged_in)
def start_session_clocks(sender, request, user, **kwargs) -> None:
    now = int(time.time())
    request.session[SIGNED_IN] = now
    request.session[LAST_SEEN] = now


class SessionTimeoutMiddleware:
    """Sign a user out after SESSION_IDLE_MINUTES without a request, and SESSION_ABSOLUTE_HOURS after signing in
    whatever they do; they land on the sign-in page with a message saying why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            last_seen = session.get(LAST_SEEN, now)
            signed_in = session.get(SIGNED_IN, now)
            if now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
                return self._sign_out(request, _("You were signed out after %(minutes)d minutes without activity.")
                                      % {"minutes": settings.SESSION_IDLE_MINUTES})  # fmt: skip
            if now - signed_in > settings.SESSION_ABSOLUTE_HOURS * 3600:
                return self._sign_out(request, _("You were signed out: a session lasts at most %(hours)d hours.")
                                      % {"hours": settings.SESSION_ABSOLUTE_HOURS})  # fmt: skip
            if now - last_seen >= TOUCH_EVERY_SECONDS or SIGNED_IN not in session:
                session[LAST_SEEN] = now
                session.setdefault(SIGNED_IN, now)
        return self.get_response(request)

    @staticmethod
    def _sign_out(request, reason: str):
        logout(request)
        messages.info(request, reason)
        return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")


def session_left_seconds(request) -> int:
    """How long the signed-in user's session lasts without another request: the idle clock or the cap."""
    now = int(time.time())
    session = request.session
    idle_left = settings.SESSION_IDLE_MINUTES * 60 - (now - session.get(LAST_SEEN, now))
    cap_left = settings.SESSION_ABSOLUTE_HOURS * 3600 - (now - session.get(SIGNED_IN, now))
    return max(0, min(idle_left, cap_left))


def session_timeout(request) -> dict:
    """Context processor: the seconds left and when to warn, for static/js/session.js (base.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    warn = min(WARN_SECONDS_BEFORE, settings.SESSION_IDLE_MINUTES * 30)
    return {"session_left_seconds": session_left_seconds(request), "session_warn_seconds": warn}


class NeverCacheSignedInMiddleware:
    """Whatever a signed-in user is shown (pages, Excel and Word files, photos) may hold personal data: no
    browser or proxy keeps a copy (`Cache-Control: no-store`), unless the view chose its own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class ProxiedClientAddressMiddleware:
    """Behind the HTTPS proxy (BEHIND_HTTPS_PROXY) REMOTE_ADDR is the proxy's; the browser's is in X-Real-IP.

    nginx sets the header itself, replacing any the browser sent (deploy/nginx/volunteer-portal.conf), so the access
    log and django-axes' lockout, which read REMOTE_ADDR, see the client. It is trusted as X-Forwarded-Proto is:
    only the proxy reaches gunicorn. Without the setting the header is ignored.
    """

    def __init__(self, get_response):
        if not settings.BEHIND_HTTPS_PROXY:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        address = request.META.get("HTTP_X_REAL_IP", "").strip()
        with contextlib.suppress(ValueError):  # absent or not one address: keep the connection's
            request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(address))
        return self.get_response(request)

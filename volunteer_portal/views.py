"""Project-level views: the health check, the favicon, keeping a session alive."""

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import RedirectView

from .resilience import RETRY_AFTER_SECONDS
from .security import LAST_SEEN, session_left_seconds


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 when it does not. No session, no auth, no template."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


class FaviconRedirect(RedirectView):
    """/favicon.ico, which pages without our <link rel="icon"> (the admin's) make browsers ask for.

    To the unhashed name, which WhiteNoise serves beside the hashed one: a permanent redirect to a hashed name would
    outlive the next release, and resolving one when the URLs load would need the manifest before collectstatic.
    """

    permanent = True

    def get_redirect_url(self, *args: Any, **kwargs: Any) -> str:
        return f"{settings.STATIC_URL}favicon.svg"


@never_cache
@require_POST
@login_required
def session_extend(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in" in the warning before the idle timeout (static/js/session.js): restart the idle clock
    (the absolute cap stays) and say how long the session now lasts. An expired session never gets here: the
    timeout middleware has signed it out and redirects to the sign-in page."""
    request.session[LAST_SEEN] = int(time.time())
    return JsonResponse({"left_seconds": session_left_seconds(request)})

"""Project-level views: the health check, the favicon."""

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 when it does not. No session, no auth, no template."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class FaviconRedirect(RedirectView):
    """/favicon.ico, which pages without our <link rel="icon"> (the admin's) make browsers ask for.

    To the unhashed name, which WhiteNoise serves beside the hashed one: a permanent redirect to a hashed name would
    outlive the next release, and resolving one when the URLs load would need the manifest before collectstatic.
    """

    permanent = True

    def get_redirect_url(self, *args: Any, **kwargs: Any) -> str:
        return f"{settings.STATIC_URL}favicon.svg"

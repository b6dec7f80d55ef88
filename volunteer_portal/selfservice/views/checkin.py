"""Views of the members' side: checkin — the secretary's check-in code for an activity (a QR that changes every
minute, /members-work/check-in/<pk>/) and the page a member's phone opens by scanning it
(/me/check-in/<pk>/<code>/), which records their hours as a claim (pending until a secretary confirms it)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from activities.models import Activity
from activities.selectors import activity_get_for_user
from volunteer_portal.web import secretary_required

from .. import checkin, services
from ..models import Claim
from ..selectors import check_in_activity_get, member_required, my_check_in

# The page loads the next code by itself every minute (static/js/checkin.js) and reloads whole every this many
# minutes, so that the idle-timeout warning (static/js/session.js) restarts from the session the fetches keep.
RELOAD_EVERY_MINUTES = 10


def _code_url(request: HttpRequest, activity: Activity, now: dt.datetime) -> str:
    code = checkin.code_for(activity, checkin.minute_of(now))
    return request.build_absolute_uri(reverse("selfservice:check-in", args=[activity.pk, code]))


def _seconds_to_next_minute(now: dt.datetime) -> int:
    return 60 - int(now.timestamp()) % 60


@never_cache
@secretary_required
@require_GET
def check_in_code(request: HttpRequest, activity_pk: int) -> HttpResponse:
    """The activity's code, drawn on the server, for the secretary's phone or a projector: only in the window."""
    activity = activity_get_for_user(request.user, activity_pk, for_write=True)
    now = timezone.now()
    window = checkin.window(activity)
    is_open = not activity.is_archived and window.contains(now)
    return render(
        request,
        "selfservice/checkin_code.html",
        {
            "activity": activity,
            "window": window,
            "window_text": checkin.window_text(window),
            "is_open": is_open,
            "not_yet": now < window.opens,
            "qr": checkin.qr_svg(_code_url(request, activity, now)) if is_open else "",
            "refresh_in": _seconds_to_next_minute(now),
            "reload_every": RELOAD_EVERY_MINUTES,
            "early_minutes": int(checkin.EARLY.total_seconds()) // 60,
            "late_minutes": int(checkin.LATE.total_seconds()) // 60,
        },
    )


@never_cache
@secretary_required
@require_GET
def check_in_qr(request: HttpRequest, activity_pk: int) -> HttpResponse:
    """This minute's QR alone, for the page's script; 410 once the window has closed (the script then reloads
    the page, which says so)."""
    activity = activity_get_for_user(request.user, activity_pk, for_write=True)
    now = timezone.now()
    if activity.is_archived or not checkin.window(activity).contains(now):
        return HttpResponse(status=410)
    response = HttpResponse(checkin.qr_svg(_code_url(request, activity, now)), content_type="image/svg+xml")
    response["X-Refresh-In"] = str(_seconds_to_next_minute(now))
    return response


def _refused(request: HttpRequest, refusal: checkin.Refusal) -> HttpResponse:
    return render(request, "selfservice/checkin_refused.html", {"refusal": refusal}, status=refusal.status)


# never_cache outermost, as every members' page (views/me.py): the HTTP cache keeps no personal page.
@never_cache
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, activity_pk: int, code: str) -> HttpResponse:
    """The address the QR code holds. Seen with a good code, it is remembered in the browser's session before
    anything else (signing in first takes longer than a code lives), then the member's page answers."""
    checkin.remember_scan(request.session, activity_pk, code, timezone.now())
    return _check_in(request, activity_pk, code)


@member_required
def _check_in(request: HttpRequest, activity_pk: int, code: str) -> HttpResponse:
    """GET shows the activity and one button; only the POST records (a link preview or a prefetch never checks
    anyone in). Both check the code, the window and the roll; a member already checked in sees where their
    hours stand, whatever the code."""
    member = request.member  # type: ignore[attr-defined]
    activity = check_in_activity_get(activity_pk)
    claim = my_check_in(member, activity)
    if claim is not None:
        counted = claim.status == Claim.Status.CONFIRMED
        return render(
            request, "selfservice/checkin_done.html", {"activity": activity, "claim": claim, "counted": counted}
        )
    now = timezone.now()
    refusal = checkin.refusal(activity, member, code, now, seen=checkin.scanned(request.session, activity, code, now))
    if refusal is not None:
        return _refused(request, refusal)
    if request.method == "POST":
        try:
            services.claim_check_in(actor=request.user, member=member, activity=activity)
        except ValidationError as error:  # recorded by the secretary in the meantime, or off the roll
            return _refused(request, checkin.Refusal(" ".join(error.messages), status=400))
        return redirect("selfservice:check-in", activity.pk, code)
    return render(
        request,
        "selfservice/checkin_confirm.html",
        {"activity": activity, "hours": services.DEFAULT_HOURS},
    )

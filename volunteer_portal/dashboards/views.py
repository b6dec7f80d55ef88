from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from activities.selectors import activity_list
from beneficiaries.selectors import beneficiary_list, never_visited_q, open_follow_ups, pairing_list
from volunteer_portal.branches.selectors import has_write_scope

TODO_ROWS = 5


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A secretary's desk: what needs doing in their branches, and their latest activities."""
    user = request.user
    # Annotated names go through Q and F: the type checker only knows model fields.
    overdue = (
        pairing_list(user=user)
        .filter(Q(is_overdue=True))
        .order_by(F("last_contact").asc(nulls_first=True), "start_date")
    )
    never_visited = beneficiary_list(user=user).filter(never_visited_q()).order_by("name")
    follow_ups = open_follow_ups(user=user)
    return render(
        request,
        "dashboards/home.html",
        {
            "overdue": overdue[:TODO_ROWS],
            "overdue_count": overdue.count(),
            "never_visited": never_visited[:TODO_ROWS],
            "never_visited_count": never_visited.count(),
            "follow_ups": follow_ups[:TODO_ROWS],
            "follow_ups_count": follow_ups.count(),
            "latest_activities": activity_list(user=user).order_by("-date", "-pk")[:TODO_ROWS],
            "can_write": has_write_scope(user),
        },
    )

"""A person's notifications (the bell's page) and their reminder channels. Everyone signed in has both; nobody
sees anyone else's notifications (404)."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from volunteer_portal.web import paginate

from . import selectors, services
from .forms import PreferenceForm
from .models import ReminderPreference


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.notification_list(user=request.user))
    return render(request, "reminders/notification_list.html", {"page": page})


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go where the work is done."""
    reminder = selectors.notification_get_for_user(request.user, pk)
    services.notification_open(user=request.user, reminder=reminder)
    services.forget_unread_count(request)
    if url_has_allowed_host_and_scheme(reminder.link, allowed_hosts=None) and reminder.link.startswith("/"):
        return redirect(reminder.link)
    return redirect("reminders:notification-list")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_read_all(user=request.user)
    services.forget_unread_count(request)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("reminders:notification-list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    current = ReminderPreference.objects.filter(user=user).first() or ReminderPreference(user=user)
    form = PreferenceForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.preference_save(user=user, **form.cleaned_data)
        messages.success(request, _("Your reminder settings are saved."))
        return redirect("reminders:preferences")
    return render(request, "reminders/preference_form.html", {"form": form, "has_email": bool(user.email)})

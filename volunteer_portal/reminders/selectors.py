"""Reads of a user's notifications: only their own, anyone else's answers 404."""

import time

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Channel, Reminder
from .services import BELL_SESSION_KEY

BELL_REFRESH_SECONDS = 60  # the bell counts again at most this often (and at once after the user's own change)


def notification_list(*, user) -> QuerySet[Reminder]:
    return Reminder.objects.filter(user=user, channel=Channel.PORTAL).order_by("-created_at", "-pk")


def notification_get_for_user(user, pk) -> Reminder:
    return get_object_or_404(notification_list(user=user), pk=pk)


def remember_unread_count(request, user) -> int:
    count = notification_list(user=user).filter(read_at__isnull=True).count()
    request.session[BELL_SESSION_KEY] = [count, int(time.time())]
    return count


def count_on_sign_in(sender, request, user, **kwargs) -> None:
    """Signing in writes the session anyway: the bell's count goes with it, so the first page costs nothing."""
    if request is not None and hasattr(request, "session"):
        remember_unread_count(request, user)


def unread_count(request) -> int:
    """The bell's number. Kept in the session (read on every page anyway) for BELL_REFRESH_SECONDS, so that
    most pages run no query for it and none runs more than one, whatever the number."""
    user = request.user
    if not user.is_authenticated:
        return 0
    now = int(time.time())
    kept = request.session.get(BELL_SESSION_KEY)
    if isinstance(kept, list) and len(kept) == 2 and now - kept[1] < BELL_REFRESH_SECONDS:
        return int(kept[0])
    return remember_unread_count(request, user)

"""Writes to the access log: sign-ins from Django's auth signals, reveals and exports from the views."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import AccessLog


def client_address(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def log_access(request: HttpRequest | None, event: str, *, user=None, username: str = "", subject: str = "",
               detail: str = "") -> AccessLog:  # fmt: skip
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    return AccessLog.objects.create(
        event=event,
        user=user,
        username=username or (user.get_username() if user else ""),
        address=client_address(request),
        subject=subject[:200],
        detail=detail[:500],
    )


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs) -> None:
    log_access(request, AccessLog.Event.SIGN_IN, user=user)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        log_access(request, AccessLog.Event.SIGN_OUT, user=user)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    log_access(request, AccessLog.Event.SIGN_IN_FAILED, username=str(credentials.get("username", ""))[:150])

"""Helpers every app's views share: one copy, not one per app."""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _

from volunteer_portal.branches.selectors import has_write_scope

PAGE_SIZE = 20
T = TypeVar("T")


def paginate(request: HttpRequest, queryset, *, per_page: int = PAGE_SIZE) -> Page:
    """A page of results; a page number out of range or not a number gives the nearest real page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def secretary_required(view: Callable) -> Callable:
    """Signed in, and holding a secretary grant somewhere: leaders read but never write (403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not has_write_scope(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def history_rows(record, *, limit: int = 20) -> list:
    """The latest changes to a record, with who made them (django-simple-history)."""
    return list(record.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit])


def apply_service(request: HttpRequest, form, call: Callable[[], T]) -> T | None:
    """Run a service with a valid form; put the service's validation errors back onto the form."""
    try:
        return call()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
        return None


def sort_param(request: HttpRequest, allowed: dict[str, str], default: str) -> tuple[str, str]:
    """The ?sort= value if it is one of `allowed` (name → ordering), else the default; never raw user input."""
    key = request.GET.get("sort", default)
    if key not in allowed:
        key = default
    return key, allowed[key]

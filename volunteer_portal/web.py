"""Helpers every app's views share: one copy, not one per app."""

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from volunteer_portal.branches.selectors import has_write_scope, with_display_names
from volunteer_portal.versions import EditConflict, refresh_version

PAGE_SIZE = 20


class HasAbsoluteUrl(Protocol):
    def get_absolute_url(self) -> str: ...


T = TypeVar("T")


def paginate(request: HttpRequest, queryset, *, per_page: int = PAGE_SIZE) -> Page:
    """A page of results; a page number out of range or not a number gives the nearest real page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


MAX_ID = 2**63 - 1  # the largest primary key a bigint column holds


def posted_ids(values: list[str]) -> list[int] | None:
    """Primary keys ticked on a form, each once, in order; None if any is not a plain number a key can be (a
    tampered form: "²" passes str.isdigit, 10**23 overflows the column)."""
    ids = set()
    for value in values:
        if not (value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID):
            return None
        ids.add(int(value))
    return sorted(ids)


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
    rows = with_display_names(record.history.all(), "history_user")
    return list(rows.order_by("-history_date", "-history_id")[:limit])


def apply_service(request: HttpRequest, form, call: Callable[[], T]) -> T | None:
    """Run a service with a valid form; put the service's validation errors back onto the form."""
    try:
        return call()
    except ValidationError as error:
        if isinstance(error, EditConflict):
            refresh_version(form, error)
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return None


def save_on_post(
    request: HttpRequest,
    *forms,
    call: Callable[[], T],
    success: str | Callable[[T], str],
    done: Callable[[T], Any] | str | HasAbsoluteUrl,
) -> HttpResponse | None:
    """The write half of every form view: on a POST whose forms are all valid, run the service, say so, and
    redirect; otherwise leave the errors on the forms (with a summary message) and return None to re-render."""
    if request.method != "POST":
        return None
    valid = [form.is_valid() for form in forms]  # every form validated, so that each shows its errors
    if all(valid):
        result = apply_service(request, forms[0], call)
        if result is not None:
            messages.success(request, success(result) if callable(success) else success)
            target = done(result) if callable(done) else done
            return redirect(target)
    # The form's own error summary says what went wrong; no second message box.
    return None


ARCHIVED = gettext_lazy("This record is archived and can no longer be changed.")


def act_on_live_record(request: HttpRequest, record, action: Callable[[], object], success: str) -> HttpResponse:
    """The POST-only actions on a record (archive, follow-up done): refused with a message once it is archived."""
    if record.is_archived:
        messages.error(request, ARCHIVED)
    else:
        action()
        messages.success(request, success)
    return redirect(record)


def search_term(value: str | None, *, limit: int = 100) -> str:
    """A search box's text, safe for any database: trimmed, without NUL characters (PostgreSQL refuses them)."""
    return (value or "").replace("\x00", "").strip()[:limit]


def keep_without_errors(*forms) -> None:
    """Show what the user typed again without judging it yet (e.g. after "find" inside a half-filled form):
    the forms stay bound to the posted data, but carry no errors."""
    for form in forms:
        if hasattr(form, "forms"):  # a formset
            keep_without_errors(*form.forms)
            form._errors, form._non_form_errors = [], form.error_class()
        else:
            form._errors = ErrorDict()
            form.cleaned_data = {}


def sort_param(request: HttpRequest, allowed: dict[str, str], default: str) -> tuple[str, str]:
    """The ?sort= value if it is one of `allowed` (name → ordering), else the default; never raw user input."""
    key = request.GET.get("sort", default)
    if key not in allowed:
        key = default
    return key, allowed[key]


DOWNLOAD_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def download(content: bytes, filename: str) -> HttpResponse:
    """A file to save (Excel or Word, told by the name's ending), not to show in the browser."""
    response = HttpResponse(content, content_type=DOWNLOAD_TYPES[filename.rsplit(".", 1)[-1]])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

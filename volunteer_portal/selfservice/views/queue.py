"""Views of the members' side: the queue, where a branch's secretaries confirm, correct or reject what members
recorded (their hours at an activity, their visits), one at a time or all at once. Only secretaries: a leader
gets 403 as on every write, a member's own login 404 (the page is not there for them)."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beneficiaries.models import AssistanceItem
from volunteer_portal.branches.selectors import has_write_scope
from volunteer_portal.photos import photo_response
from volunteer_portal.web import history_rows, paginate, posted_ids

from .. import services
from ..forms import ClaimItemFormSet, HoursCorrectionForm, RejectForm, VisitCorrectionForm, corrected_items
from ..models import Claim
from ..selectors import claim_get_for_user, claim_photo_get_for_user, claim_queue, member_of

DECIDED = "decided"  # the services' error code for a claim someone decided meanwhile
KIND_LABELS = dict(AssistanceItem.Kind.choices)


def secretaries_only(view: Callable) -> Callable:
    """Signed in and holding a secretary grant (or a superuser). A leader, who reads but never writes, gets 403;
    a member's login, for whom the secretaries' side does not exist, 404."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not has_write_scope(request.user):
            if member_of(request.user) is not None:
                raise Http404
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def item_lines(claim: Claim) -> list[str]:
    """The items a visit's claim says were handed over, one line each: "goods: 米面油 ×2, ¥120"."""
    lines = []
    for item in claim.items:
        line = _("%(kind)s: %(description)s ×%(quantity)s") % {
            "kind": KIND_LABELS.get(item.get("kind"), item.get("kind", "")),
            "description": item.get("description", ""),
            "quantity": item.get("quantity", 1),
        }
        if item.get("value") not in (None, ""):
            line += _(", ¥%(value)s") % {"value": item["value"]}
        lines.append(line)
    return lines


def _queue_url(request: HttpRequest) -> str:
    """Back to the queue as it was shown: its kind filter and page, posted along by the queue's forms."""
    query = {}
    if request.POST.get("kind") in Claim.Kind.values:
        query["kind"] = request.POST["kind"]
    if request.POST.get("page", "").isdigit():
        query["page"] = request.POST["page"]
    url = reverse("selfservice:queue")
    return f"{url}?{urlencode(query)}" if query else url


def _done(claim: Claim) -> str:
    if claim.kind == Claim.Kind.HOURS:
        title = claim.activity.title if claim.activity else ""
        return _("Confirmed: %(member)s, %(hours)s hours at “%(activity)s”. It counts from now on.") % {
            "member": claim.member.name, "hours": claim.hours, "activity": title
        }  # fmt: skip
    return _("Confirmed: %(member)s's visit on %(date)s. It counts from now on.") % {
        "member": claim.member.name, "date": claim.date.isoformat()
    }  # fmt: skip


def _already_decided(request: HttpRequest) -> HttpResponse:
    messages.warning(request, _("This record has already been decided."))
    return redirect(_queue_url(request))


@secretaries_only
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Waiting records of the secretary's branches, oldest first, a page at a time."""
    kind = request.GET.get("kind", "")
    claims = claim_queue(request.user)
    if kind in Claim.Kind.values:
        claims = claims.filter(kind=kind)
    else:
        kind = ""
    page = paginate(request, claims.prefetch_related("photos"))
    for claim in page:
        claim.item_lines = item_lines(claim)
    return render(
        request,
        "selfservice/queue_list.html",
        {"page": page, "kind": kind, "kinds": Claim.Kind.choices, "reject_form": RejectForm()},
    )


def _correction_forms(request: HttpRequest, claim: Claim) -> tuple[list, object | None]:
    """The form that corrects a claim, with the item rows for a visit; bound to what was posted, if anything."""
    data = request.POST if request.method == "POST" and "correct" in request.POST else None
    if claim.kind == Claim.Kind.HOURS:
        return [HoursCorrectionForm(data, initial={"hours": claim.hours}, prefix="c")], None
    form = VisitCorrectionForm(data, initial={"date": claim.date, "notes": claim.notes}, prefix="c")
    items = ClaimItemFormSet(data, initial=claim.items, prefix="items")
    return [form, items], items


def _claim_page(request: HttpRequest, claim: Claim, *, forms=None, reject_form=None, status: int = 200):
    if claim.status == Claim.Status.PENDING:
        forms = forms or _correction_forms(request, claim)[0]
        reject_form = reject_form or RejectForm()
    return render(
        request,
        "selfservice/claim_detail.html",
        {
            "claim": claim,
            "item_lines": item_lines(claim),
            "photos": claim.photos.order_by("pk"),
            "correction_form": forms[0] if forms else None,
            "items_formset": forms[1] if forms and len(forms) > 1 else None,
            "reject_form": reject_form,
            "decisions": history_rows(claim),
        },
        status=status,
    )


@secretaries_only
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One record: what the member sent, the forms to correct or reject it while it waits, and its decisions."""
    return _claim_page(request, claim_get_for_user(request.user, pk))


@secretaries_only
@require_POST
def claim_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm as sent (the queue's 确认) or as corrected (the claim page's form, posted with "correct")."""
    claim = claim_get_for_user(request.user, pk)
    if claim.status != Claim.Status.PENDING:
        return _already_decided(request)
    corrections: dict = {}
    forms: list = []
    if "correct" in request.POST:
        forms, items = _correction_forms(request, claim)
        valid = [form.is_valid() for form in forms]  # every form validated, so that each shows its errors
        if not all(valid):
            messages.error(request, _("Please correct the errors below."))
            return _claim_page(request, claim, forms=forms)
        corrections = dict(forms[0].cleaned_data)
        if items is not None:
            corrections["items"] = corrected_items(items)
    try:
        confirmed = services.claim_confirm(actor=request.user, claim=claim, **corrections)
    except ValidationError as error:
        if getattr(error, "code", None) == DECIDED:
            return _already_decided(request)
        if forms:
            _put_on(forms[0], error)
            return _claim_page(request, claim, forms=forms)
        messages.error(request, " ".join(error.messages))
        return redirect(claim_detail_url(claim))
    messages.success(request, _done(confirmed))
    return redirect(_queue_url(request))


def _put_on(form, error: ValidationError) -> None:
    """A service's refusal shown on the form it answers, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def claim_detail_url(claim: Claim) -> str:
    return reverse("selfservice:claim-detail", args=[claim.pk])


@secretaries_only
@require_http_methods(["POST"])
def claim_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a record to its member with a reason (required); without one, the claim's page says so."""
    claim = claim_get_for_user(request.user, pk)
    if claim.status != Claim.Status.PENDING:
        return _already_decided(request)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why, so that the member knows what to correct."))
        return _claim_page(request, claim, reject_form=form)
    try:
        services.claim_reject(actor=request.user, claim=claim, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        if getattr(error, "code", None) == DECIDED:
            return _already_decided(request)
        _put_on(form, error)
        return _claim_page(request, claim, reject_form=form)
    messages.success(request, _("Returned to %(member)s with the reason given.") % {"member": claim.member.name})
    return redirect(_queue_url(request))


@secretaries_only
@require_POST
def claims_confirm(request: HttpRequest) -> HttpResponse:
    """全部确认: the ticked rows, or every row the page showed (their ids are posted with it, so a record that
    arrived since is not confirmed unseen). Rows decided meanwhile by someone else are left out and counted."""
    ids = posted_ids(request.POST.getlist("on_page" if request.POST.get("scope") == "page" else "claim"))
    if ids is None:
        raise Http404
    if not ids:
        messages.error(request, _("Tick the records to confirm first."))
        return redirect(_queue_url(request))
    claims = list(claim_queue(request.user).filter(pk__in=ids))
    try:
        confirmed = services.claims_confirm(actor=request.user, claims=claims)
    except ValidationError as error:
        # All or none: one decided in the last moment, or a member already recorded at the activity.
        if getattr(error, "code", None) == DECIDED:
            return _already_decided(request)
        messages.error(request, _("Nothing was confirmed: %(reason)s") % {"reason": " ".join(error.messages)})
        return redirect(_queue_url(request))
    if confirmed:
        count = len(confirmed)
        messages.success(
            request,
            ngettext("%(count)d record confirmed. It counts from now on.",
                     "%(count)d records confirmed. They count from now on.", count) % {"count": count},
        )  # fmt: skip
    if skipped := len(ids) - len(claims):
        messages.warning(
            request,
            ngettext("%(count)d record had already been decided.", "%(count)d records had already been decided.",
                     skipped) % {"count": skipped},
        )  # fmt: skip
    return redirect(_queue_url(request))


@login_required
@require_GET
def claim_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A photo sent with a record: to the secretaries who decide it and to the member who sent it, never from a
    public URL."""
    return photo_response(claim_photo_get_for_user(request.user, pk).image)

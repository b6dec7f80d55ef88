"""Views of the members' side: me — the member's own page (/me/), their service record as Word, and the form
that records a visit to a paired household.

The visit form is also sent by the phone's upload queue (helper JS, `X-Queued-Upload: 1`): it then answers JSON
— 201 with the record, 400 with the errors by field name, 401 once the session is gone — instead of pages, so
that a queued visit is kept until it is in and never sent twice (the form's `client_key`)."""

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from activities import hours
from beneficiaries.forms import AssistanceItemFormSet
from volunteer_portal.web import apply_service, download

from .. import services
from ..forms import VisitClaimForm
from ..models import Claim
from ..selectors import member_required, my_claim_by_key, my_claims, my_pairing_get, my_pairings

QUEUED_HEADER = "X-Queued-Upload"


def _queued(request: HttpRequest) -> bool:
    return request.headers.get(QUEUED_HEADER) == "1"


def queued_upload(view: Callable) -> Callable:
    """Outside `member_required`: a queued upload whose session has ended is told so (401, and where to sign in)
    instead of being redirected to the sign-in page, which the queue would take for an answer."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if _queued(request) and not request.user.is_authenticated:
            login = f"{settings.LOGIN_URL_PATH}?next={reverse('selfservice:me')}"
            return JsonResponse({"login": login}, status=401)
        return view(request, *args, **kwargs)

    return wrapper


def _year_start(today: dt.date) -> dt.date:
    return dt.date(today.year, 1, 1)


# never_cache outermost, whoever answers: the service worker's rule (issue 16) is that the HTTP cache keeps no
# personal page, so every answer here says no-store, the sign-in redirect and the 401 included.
@never_cache
@member_required
@require_GET
def me_home(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    today = timezone.localdate()
    pairings = list(my_pairings(member))
    for pairing in pairings:
        annotated: Any = pairing  # next_due and is_overdue are pairings_with_status's annotations
        annotated.overdue_days = (today - annotated.next_due).days if annotated.is_overdue else 0
    year_rows = hours.service_rows(member, _year_start(today), today)
    levels = hours.thresholds()
    cumulative = hours.hours_of(hours.service_rows(member))
    # Confirmed work is a participation or a visit already (above); what waits or was turned down is listed
    # apart and counts in nothing.
    claims = list(my_claims(member).exclude(status=Claim.Status.CONFIRMED).order_by("-date", "-pk")[:50])
    return render(
        request,
        "selfservice/me_home.html",
        {
            "member": member,
            "pairings": pairings,
            "year": today.year,
            "year_rows": list(year_rows),
            "year_hours": hours.hours_of(year_rows),
            "cumulative": cumulative,
            "stars": hours.star_level(cumulative, levels),
            "next": hours.next_level(cumulative, levels),
            "levels": levels,
            "pending": [claim for claim in claims if claim.status == Claim.Status.PENDING],
            "rejected": [claim for claim in claims if claim.status == Claim.Status.REJECTED],
        },
    )


@never_cache
@member_required
@require_GET
def me_service_record_docx(request: HttpRequest) -> HttpResponse:
    """The member's own 志愿服务记录证明 for this year, as the secretaries download it (activities/hours.py)."""
    member = request.member  # type: ignore[attr-defined]
    today = timezone.localdate()
    start = _year_start(today)
    rows = hours.service_rows(member, start, today)
    levels = hours.thresholds()
    cumulative = hours.hours_of(hours.service_rows(member))
    content = hours.service_record_docx(
        member,
        list(rows),
        hours.hours_of(rows),
        cumulative,
        hours.star_level(cumulative, levels),
        member.branch.name,
        start,
        today,
    )
    return download(content, f"service-record-{member.pk}.docx")


def _items(formset) -> list[dict]:
    """The item rows filled in (an untouched extra row is not an item)."""
    return [item.cleaned_data for item in formset.forms if item.cleaned_data and item.has_changed()]


def _errors(form, formset) -> dict[str, list[str]]:
    """The form's errors by field name as the form posts them (items by their row's names: items-0-value)."""
    errors = {name: list(messages) for name, messages in form.errors.items()}
    for item in formset.forms:
        errors.update({item.add_prefix(name): list(messages) for name, messages in item.errors.items()})
    if formset.non_form_errors():
        errors[formset.prefix] = list(formset.non_form_errors())
    return errors


def _recorded(request: HttpRequest, claim: Claim) -> HttpResponse:
    if _queued(request):
        return JsonResponse({"claim": claim.pk, "status": claim.status}, status=201)
    if claim.status == Claim.Status.CONFIRMED:
        messages.success(request, _("Recorded: it counts at once."))
    else:
        messages.success(request, _("Sent: it counts once the branch secretary confirms it."))
    return redirect("selfservice:me")


@never_cache
@queued_upload
@member_required
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    if request.method == "POST":
        # Already in (the answer to the first send was lost): the same answer, whatever has changed since.
        try:
            already = my_claim_by_key(
                member, VisitClaimForm.base_fields["client_key"].clean(request.POST.get("client_key"))
            )
        except ValidationError:
            already = None
        if already is not None and already.kind == Claim.Kind.VISIT and already.pairing_id == int(pk):
            return _recorded(request, already)
    pairing = my_pairing_get(member, pk)
    data = request.POST if request.method == "POST" else None
    form = VisitClaimForm(data, request.FILES or None, pairing=pairing)
    formset = AssistanceItemFormSet(data, prefix="items")
    if request.method == "POST":
        valid = [form.is_valid(), formset.is_valid()]  # both, so that each shows its errors
        if all(valid):
            claim = apply_service(
                request,
                form,
                lambda: services.claim_visit_submit(
                    actor=request.user,
                    member=member,
                    pairing=pairing,
                    date=form.cleaned_data["date"],
                    notes=form.cleaned_data["notes"],
                    items=_items(formset),
                    nothing_handed_over=form.cleaned_data["nothing_handed_over"],
                    client_key=form.cleaned_data["client_key"],
                    photos=form.cleaned_data["photos"],
                ),
            )
            if claim is not None:
                return _recorded(request, claim)
        if _queued(request):
            return JsonResponse({"errors": _errors(form, formset)}, status=400)
    return render(request, "selfservice/visit_form.html", {"form": form, "formset": formset, "pairing": pairing})

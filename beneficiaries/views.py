from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.selectors import activity_get_for_user
from volunteer_portal.branches.access_log import log_access
from volunteer_portal.branches.models import AccessLog, in_subtree
from volunteer_portal.branches.selectors import (
    branch_list,
    get_in_scope,
    has_write_scope,
    may_export,
    user_can_write,
)
from volunteer_portal.jobs.services import export_respond
from volunteer_portal.photos import photo_response
from volunteer_portal.web import (
    ARCHIVED,
    act_on_live_record,
    history_rows,
    keep_without_errors,
    paginate,
    save_on_post,
    search_term,
    secretary_required,
    sort_param,
)

from . import services
from .exports import RosterExport
from .filters import BeneficiaryFilter
from .forms import (
    ActivityVisitsForm,
    AssistanceItemFormSet,
    AssistanceItemInlineFormSet,
    BeneficiaryForm,
    ConsentForm,
    GroupItemFormSet,
    PairingEndForm,
    PairingForm,
    VisitForm,
)
from .models import AssistanceItem, Consent
from .privacy import personal_view
from .selectors import (
    assistance_totals,
    beneficiary_get_for_user,
    beneficiary_list,
    group_items_for_activity,
    pairing_can_write,
    pairing_get_for_user,
    pairing_list,
    pairings_with_status,
    visit_get_for_user,
    visit_list_for_beneficiary,
    visit_photo_get_for_user,
)
from .services import BENEFICIARY_FIELDS

BENEFICIARY_SORTS = {"name": "name", "branch": "branch__path", "-last_visit": "-last_visit", "last_visit": "last_visit"}
BENEFICIARY_SORT_LABELS = [
    ("name", gettext_lazy("name")),
    ("branch", gettext_lazy("branch")),
    ("last_visit", gettext_lazy("longest since a visit")),
    ("-last_visit", gettext_lazy("latest visit")),
]


# --- beneficiaries -----------------------------------------------------------------------------------------


@login_required
@require_GET
def beneficiary_list_view(request: HttpRequest) -> HttpResponse:
    base = beneficiary_list(user=request.user)
    filterset = BeneficiaryFilter(request.GET, queryset=base, request=request)
    queryset = filterset.qs if filterset.is_valid() else base
    sort, ordering = sort_param(request, BENEFICIARY_SORTS, "name")
    page = paginate(request, queryset.order_by(ordering, "pk"))
    return render(
        request,
        "beneficiaries/beneficiary_list.html",
        {
            "filter": filterset,
            "page": page,
            "sort": sort,
            "sort_choices": BENEFICIARY_SORT_LABELS,
            "can_write": has_write_scope(request.user),
            "filtered": any(request.GET.get(name) for name in filterset.form.fields),
            "can_export": may_export(request.user),
            "query": request.GET.urlencode(),
            "search_note": filterset.search_note,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def beneficiary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The record; a POST (the "show full number" button) reveals the full numbers once, and is logged."""
    beneficiary = beneficiary_get_for_user(request.user, pk)
    shown = personal_view(request.user, beneficiary)
    if request.method == "POST":
        if not shown.revealable:
            raise PermissionDenied
        log_access(request, AccessLog.Event.REVEAL, subject=f"{beneficiary.name} (#{beneficiary.pk})")
        shown = personal_view(request.user, beneficiary, revealed=True)
    visits = visit_list_for_beneficiary(beneficiary)
    totals = assistance_totals(beneficiary.visits.all())
    return render(
        request,
        "beneficiaries/beneficiary_detail.html",
        {
            "beneficiary": beneficiary,
            "visits": visits,
            "totals": [(label, *totals.get(kind, (0, 0))) for kind, label in AssistanceItem.Kind.choices],
            "pairings": pairings_with_status(beneficiary.pairings.live().select_related("member", "member__branch")),
            "needs": beneficiary.needs.all(),
            "history": history_rows(beneficiary),
            "can_write": not beneficiary.is_archived and user_can_write(request.user, beneficiary.branch),
            "shown": shown,
            "consents": beneficiary.consents.all(),
            "has_basis": services.has_basis(
                consent=any(consent.active for consent in beneficiary.consents.all()),
                statutory_basis=beneficiary.statutory_basis_id,
            ),
        },
    )


@login_required
@require_GET
def beneficiary_export(request: HttpRequest) -> HttpResponse:
    """The roster as filtered, as Excel (exports.RosterExport): at once when small, else built in the background."""
    return export_respond(request, RosterExport)


def _beneficiary_fields(form) -> dict:
    return {
        name: form.cleaned_data[name] for name in (*BENEFICIARY_FIELDS, "registered_on") if name in form.cleaned_data
    }


@secretary_required
@require_http_methods(["GET", "POST"])
def beneficiary_create(request: HttpRequest) -> HttpResponse:
    form = BeneficiaryForm(request.POST or None, user=request.user)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.beneficiary_create(
            actor=request.user, needs=form.cleaned_data["needs"], consent=form.consent(), **_beneficiary_fields(form)
        ),
        success=_("The beneficiary was added."),
        done=lambda beneficiary: beneficiary,
    )
    return saved or render(request, "beneficiaries/beneficiary_form.html", {"form": form})


@secretary_required
@require_http_methods(["GET", "POST"])
def beneficiary_edit(request: HttpRequest, pk: int) -> HttpResponse:
    beneficiary = beneficiary_get_for_user(request.user, pk, for_write=True)
    if beneficiary.is_archived:
        messages.error(request, ARCHIVED)
        return redirect(beneficiary)
    form = BeneficiaryForm(request.POST or None, instance=beneficiary, user=request.user)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.beneficiary_update(
            actor=request.user,
            beneficiary=form.instance,
            needs=form.cleaned_data["needs"],
            version=form.cleaned_data.get("version"),
            **_beneficiary_fields(form),
        ),
        success=_("The changes were saved."),
        done=beneficiary,
    )
    return saved or render(request, "beneficiaries/beneficiary_form.html", {"form": form, "beneficiary": beneficiary})


@secretary_required
@require_POST
def beneficiary_archive(request: HttpRequest, pk: int) -> HttpResponse:
    beneficiary = beneficiary_get_for_user(request.user, pk, for_write=True)
    return act_on_live_record(
        request,
        beneficiary,
        lambda: services.beneficiary_archive(actor=request.user, beneficiary=beneficiary),
        _("The beneficiary was archived. Their history is kept."),
    )


@secretary_required
@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    beneficiary = beneficiary_get_for_user(request.user, pk, for_write=True)
    if not personal_view(request.user, beneficiary).revealable:
        # Whether a consent may be the person's own depends on their age on the day, so the form's answer for a
        # chosen date would tell the birth date, which is hidden from this user.
        raise PermissionDenied(_("Recording a consent needs the right to see this person's full numbers."))
    form = ConsentForm(request.POST or None, initial={"given_on": timezone.localdate()})
    saved = save_on_post(
        request,
        form,
        call=lambda: services.consent_record(actor=request.user, beneficiary=beneficiary, **form.cleaned_data),
        success=_("The consent was recorded."),
        done=beneficiary,
    )
    return saved or render(request, "beneficiaries/consent_form.html", {"form": form, "beneficiary": beneficiary})


@secretary_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_in_scope(Consent.objects.select_related("beneficiary"), request.user, pk,
                           via="beneficiary__branch", for_write=True)  # fmt: skip
    try:
        services.consent_withdraw(actor=request.user, consent=consent, on=timezone.localdate())
        messages.success(request, _("The consent is recorded as withdrawn."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(consent.beneficiary)


# --- visits ------------------------------------------------------------------------------------------------


def _items(formset) -> list[dict]:
    """The filled-in item forms (blank extra rows are skipped; deleted ones are handled separately)."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.has_changed()
    ]


def _visit_fields(form: VisitForm) -> dict:
    return {name: form.cleaned_data[name] for name in ("date", "branch", "visitors", "notes", "follow_up_needed")}


@secretary_required
@require_http_methods(["GET", "POST"])
def visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    beneficiary = beneficiary_get_for_user(request.user, pk, for_write=True)
    if beneficiary.is_archived:
        messages.error(request, ARCHIVED)
        return redirect(beneficiary)
    formset = AssistanceItemFormSet(request.POST or None, prefix="items")
    form = VisitForm(request.POST or None, user=request.user, beneficiary=beneficiary, items=formset)
    saved = save_on_post(
        request,
        form,
        formset,
        call=lambda: services.visit_record(
            actor=request.user, beneficiary=beneficiary, items=_items(formset), **_visit_fields(form)
        ),
        success=_("The visit was recorded."),
        done=beneficiary,
    )
    return saved or render(
        request, "beneficiaries/visit_form.html", {"form": form, "formset": formset, "beneficiary": beneficiary}
    )


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_get_for_user(request.user, pk)
    return render(
        request,
        "beneficiaries/visit_detail.html",
        {
            "visit": visit,
            "items": visit.items.all(),
            "visitors": visit.visitors.select_related("branch"),
            "photos": visit.photos.live(),
            "history": history_rows(visit),
            "can_write": not visit.is_archived and user_can_write(request.user, visit.branch),
        },
    )


@login_required
@require_GET
def visit_photo(request: HttpRequest, pk: int, thumbnail: bool = False) -> HttpResponseBase:
    """A visit's photos are served only to users whose scope covers the visit, as an activity's are."""
    photo = visit_photo_get_for_user(request.user, pk)
    return photo_response(photo.thumbnail if thumbnail and photo.thumbnail else photo.image)


@secretary_required
@require_http_methods(["GET", "POST"])
def visit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_get_for_user(request.user, pk, for_write=True)
    if visit.is_archived:
        messages.error(request, ARCHIVED)
        return redirect(visit)
    form = VisitForm(request.POST or None, instance=visit, user=request.user, beneficiary=visit.beneficiary)
    formset = AssistanceItemInlineFormSet(request.POST or None, instance=visit, prefix="items")
    saved = save_on_post(
        request,
        form,
        formset,
        call=lambda: services.visit_update(
            actor=request.user,
            visit=form.instance,
            items=_items(formset),
            removed_items=[f.instance for f in formset.deleted_forms if f.instance.pk],
            version=form.cleaned_data.get("version"),
            **_visit_fields(form),
        ),
        success=_("The changes were saved."),
        done=visit,
    )
    return saved or render(request, "beneficiaries/visit_form.html", {"form": form, "formset": formset, "visit": visit})


@secretary_required
@require_POST
def visit_archive(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_get_for_user(request.user, pk, for_write=True)
    return act_on_live_record(
        request, visit, lambda: services.visit_archive(actor=request.user, visit=visit), _("The visit was archived.")
    )


@secretary_required
@require_POST
def visit_close_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_get_for_user(request.user, pk, for_write=True)
    return act_on_live_record(
        request,
        visit,
        lambda: services.visit_close_follow_up(actor=request.user, visit=visit),
        _("The follow-up is marked as done."),
    )


@secretary_required
@require_http_methods(["GET", "POST"])
def activity_visits(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the households one activity reached: one visit each, the shared details typed once."""
    activity = activity_get_for_user(request.user, pk, for_write=True)
    if activity.is_archived:
        messages.error(request, ARCHIVED)
        return redirect(activity)
    # "Find" is a button inside the form: a search keeps what was already ticked and typed.
    finding = request.method == "POST" and "find" in request.POST
    search = search_term(request.POST.get("q") if request.method == "POST" else request.GET.get("q"))
    form = ActivityVisitsForm(request.POST or None, user=request.user, activity=activity, search=search,
                              request=request)  # fmt: skip
    formset = AssistanceItemFormSet(request.POST or None, prefix="items")
    if finding:
        keep_without_errors(form, formset)
        saved = None
    else:
        saved = save_on_post(
            request,
            form,
            formset,
            call=lambda: services.visits_record_for_activity(
                actor=request.user,
                activity=activity,
                items=_items(formset),
                **{name: form.cleaned_data[name] for name in ActivityVisitsForm.base_fields},
            ),
            success=lambda visits: _("%(count)d visits were recorded for this activity.") % {"count": len(visits)},
            done=activity,
        )
    return saved or render(
        request,
        "beneficiaries/activity_visits_form.html",
        {"form": form, "formset": formset, "activity": activity, "search": search, "finding": finding},
    )


@secretary_required
@require_http_methods(["GET", "POST"])
def activity_group_items(request: HttpRequest, pk: int) -> HttpResponse:
    """What an activity handed over to people not recorded by name, with how many received it."""
    activity = activity_get_for_user(request.user, pk, for_write=True)
    if activity.is_archived:
        messages.error(request, ARCHIVED)
        return redirect(activity)
    formset = GroupItemFormSet(request.POST or None, instance=activity, prefix="items",
                               queryset=group_items_for_activity(activity))  # fmt: skip
    if request.method == "POST" and formset.is_valid():
        try:
            services.group_items_save(
                actor=request.user,
                activity=activity,
                items=_items(formset),
                removed_items=[f.instance for f in formset.deleted_forms if f.instance.pk],
            )
        except ValidationError as error:  # a formset has no add_error: the service's refusal heads the form
            formset.non_form_errors().extend(error.messages)
        else:
            messages.success(request, _("The group assistance was saved."))
            return redirect(activity)
    return render(request, "beneficiaries/activity_group_items_form.html", {"formset": formset, "activity": activity})


# --- pairings ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def pairing_list_view(request: HttpRequest) -> HttpResponse:
    show_ended = request.GET.get("ended") == "1"
    queryset = pairing_list(user=request.user, include_ended=show_ended)
    if request.GET.get("overdue") == "1":
        queryset = queryset.filter(Q(is_overdue=True))
    branch_pk = _int(request.GET.get("branch"))
    branch = branch_list(user=request.user).filter(pk=branch_pk).first() if branch_pk else None
    if branch is not None:  # from a dashboard: the pairings of the members of one subtree
        queryset = queryset.filter(in_subtree(branch, via="member__branch"))
    page = paginate(request, queryset.order_by(F("is_overdue").desc(), F("last_contact").asc(nulls_first=True), "pk"))
    return render(
        request,
        "beneficiaries/pairing_list.html",
        {"page": page, "show_ended": show_ended, "branch": branch, "can_write": has_write_scope(request.user)},
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@secretary_required
@require_http_methods(["GET", "POST"])
def pairing_create(request: HttpRequest) -> HttpResponse:
    form = PairingForm(request.POST or None, user=request.user, initial_from=request.GET)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.pairing_create(actor=request.user, **form.cleaned_data),
        success=_("The pairing was created."),
        done=lambda pairing: pairing,
    )
    return saved or render(request, "beneficiaries/pairing_form.html", {"form": form})


@login_required
@require_GET
def pairing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = pairing_get_for_user(request.user, pk)
    with_status = pairings_with_status(type(pairing).objects.filter(pk=pairing.pk)).get()
    return render(
        request,
        "beneficiaries/pairing_detail.html",
        {
            "pairing": with_status,
            "history": history_rows(pairing),
            "can_write": not pairing.is_archived
            and pairing.end_date is None
            and has_write_scope(request.user)
            and pairing_can_write(request.user, pairing),
        },
    )


@secretary_required
@require_http_methods(["GET", "POST"])
def pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = pairing_get_for_user(request.user, pk, for_write=True)
    if pairing.end_date is not None or pairing.is_archived:
        messages.info(request, _("This pairing has already ended."))
        return redirect(pairing)
    form = PairingEndForm(request.POST or None, pairing=pairing)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.pairing_end(
            actor=request.user,
            pairing=pairing,
            end_date=form.cleaned_data["end_date"],
            version=form.cleaned_data.get("version"),
        ),
        success=_("The pairing was ended. Its history is kept."),
        done=pairing,
    )
    return saved or render(request, "beneficiaries/pairing_end.html", {"form": form, "pairing": pairing})

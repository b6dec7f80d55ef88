"""The branch's people. These pages live here, not in branches, because they show each member's activities
and hours, and `branches` knows nothing of activities."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from volunteer_portal.branches import services
from volunteer_portal.branches.forms import MemberForm
from volunteer_portal.branches.models import Member
from volunteer_portal.branches.selectors import get_in_scope, has_write_scope, member_list
from volunteer_portal.branches.services import MEMBER_FIELDS
from volunteer_portal.web import download, paginate, save_on_post, search_term, secretary_required

from . import hours
from .forms import RangeForm
from .selectors import member_year_figures


@login_required
@require_GET
def member_list_view(request: HttpRequest) -> HttpResponse:
    year = timezone.localdate().year
    show_inactive = request.GET.get("inactive") == "1"
    queryset = member_list(user=request.user).filter(active=not show_inactive)
    undated_count = queryset.filter(joined_on__isnull=True).count()
    show_undated = request.GET.get("undated") == "1"
    if show_undated:
        queryset = queryset.filter(joined_on__isnull=True)
    search = search_term(request.GET.get("q"))
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(phone__endswith=search))
    page = paginate(request, queryset.order_by("branch__path", "name"), per_page=50)
    page.object_list = member_year_figures(page.object_list, year=year)
    return render(
        request,
        "activities/member_list.html",
        {
            "page": page,
            "year": year,
            "search": search,
            "show_inactive": show_inactive,
            "show_undated": show_undated,
            "undated_count": undated_count,
            "can_write": has_write_scope(request.user),
        },
    )


def _member_fields(form: MemberForm) -> dict:
    return {name: form.cleaned_data[name] for name in MEMBER_FIELDS}


@secretary_required
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest) -> HttpResponse:
    form = MemberForm(request.POST or None, user=request.user)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.member_create(actor=request.user, **_member_fields(form)),
        success=lambda member: _("%(name)s was added.") % {"name": member.name},
        done="members:member-list",
    )
    return saved or render(request, "activities/member_form.html", {"form": form})


@secretary_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_in_scope(Member.objects.select_related("branch"), request.user, pk, for_write=True)
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.member_update(actor=request.user, member=form.instance, **_member_fields(form)),
        success=_("The changes were saved."),
        done="members:member-list",
    )
    return saved or render(request, "activities/member_form.html", {"form": form, "member": member})


@secretary_required
@require_POST
def member_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_in_scope(Member.objects.all(), request.user, pk, for_write=True)
    active = request.POST.get("active") == "1"
    try:
        services.member_set_active(actor=request.user, member=member, active=active)
    except ValidationError as error:
        # The record itself needs fixing first (a join date after today, say): say what, change nothing.
        messages.error(request, " ".join(error.messages))
        return redirect("members:member-edit", pk=member.pk)
    if active:
        messages.success(request, _("%(name)s is active again.") % {"name": member.name})
    else:
        messages.success(request, _("%(name)s is marked inactive; their history is kept.") % {"name": member.name})
    return redirect("members:member-list")


# --- a member's volunteer service record ---------------------------------------------------------------------


def _member_record(request: HttpRequest, pk: int):
    member = get_in_scope(Member.objects.select_related("branch"), request.user, pk)
    form = RangeForm(request.GET or None)
    start, end = form.chosen()
    if start is None and end is None and not request.GET:
        start, end = dt.date(timezone.localdate().year, 1, 1), timezone.localdate()
    rows = hours.service_rows(member, start, end)
    levels = hours.thresholds()
    cumulative = hours.hours_of(hours.service_rows(member))
    return member, form, start, end, rows, levels, cumulative


@login_required
@require_GET
def member_record(request: HttpRequest, pk: int) -> HttpResponse:
    member, form, start, end, rows, levels, cumulative = _member_record(request, pk)
    stars = hours.star_level(cumulative, levels)
    return render(
        request,
        "activities/member_record.html",
        {
            "member": member,
            "form": form,
            "start": start,
            "end": end,
            "page": paginate(request, rows),
            "range_hours": hours.hours_of(rows),
            "range_count": rows.count(),
            "cumulative": cumulative,
            "stars": stars,
            "next": hours.next_level(cumulative, levels),
            "levels": levels,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def member_record_docx(request: HttpRequest, pk: int) -> HttpResponse:
    member, _form, start, end, rows, levels, cumulative = _member_record(request, pk)
    issuer = member.branch.name
    content = hours.service_record_docx(
        member, list(rows), hours.hours_of(rows), cumulative, hours.star_level(cumulative, levels), issuer, start, end
    )
    return download(content, f"service-record-{member.pk}.docx")

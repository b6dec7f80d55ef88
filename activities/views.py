from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from volunteer_portal.branches.selectors import has_write_scope, user_can_write
from volunteer_portal.photos import photo_response
from volunteer_portal.web import (
    ARCHIVED,
    act_on_live_record,
    history_rows,
    keep_without_errors,
    paginate,
    save_on_post,
    secretary_required,
    sort_param,
)

from . import services
from .filters import ActivityFilter
from .forms import REFRESH_ROLL, ActivityForm, NewParticipantFormSet, new_participants
from .selectors import activity_get_for_user, activity_list, photo_get_for_user

SORTS = {
    "-date": "-date",
    "date": "date",
    "title": "title",
    "branch": "branch__path",
    "-participants": "-participant_count",
}
SORT_LABELS = [
    ("-date", gettext_lazy("newest first")),
    ("date", gettext_lazy("oldest first")),
    ("title", gettext_lazy("title")),
    ("branch", gettext_lazy("branch")),
    ("-participants", gettext_lazy("most participants")),
]


@login_required
@require_GET
def activity_list_view(request: HttpRequest) -> HttpResponse:
    show_archived = request.GET.get("archived") == "1"
    base = activity_list(user=request.user, include_archived=show_archived)
    if show_archived:
        base = base.filter(archived_at__isnull=False)
    filterset = ActivityFilter(request.GET, queryset=base, request=request)
    queryset = filterset.qs if filterset.is_valid() else base
    sort, ordering = sort_param(request, SORTS, "-date")
    page = paginate(request, queryset.order_by(ordering, "-pk"))
    return render(
        request,
        "activities/activity_list.html",
        {
            "filter": filterset,
            "page": page,
            "sort": sort,
            "sort_choices": SORT_LABELS,
            "show_archived": show_archived,
            "can_write": has_write_scope(request.user),
        },
    )


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = activity_get_for_user(request.user, pk)
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "participations": activity.participations.select_related("member", "member__branch").order_by(
                "member__name"
            ),
            "photos": activity.photos.live(),
            "history": history_rows(activity),
            "can_write": not activity.is_archived and user_can_write(request.user, activity.branch),
        },
    )


def _activity_fields(form: ActivityForm, newcomers) -> dict:
    data = form.cleaned_data
    return {
        **{name: data[name] for name in ActivityForm.Meta.fields},
        "participants": form.participant_hours(),
        "new_members": new_participants(newcomers),
        "default_hours": data["default_hours"],
        "photos": data["photos"],
    }


def _with_no_newcomers_by_default(request: HttpRequest):
    """The posted data, reading "no new participants" when the form posted none (a script, an older page)."""
    if request.method != "POST":
        return None
    data = request.POST.copy()
    data.setdefault("new-TOTAL_FORMS", "0")
    data.setdefault("new-INITIAL_FORMS", "0")
    return data


def _activity_form_page(request: HttpRequest, call, *, activity=None, success: str, done) -> HttpResponse:
    """The activity form and its rows for people not yet on the list. "Show who was on the roll" posts the form
    back to offer the roll of the date typed in, keeping everything typed and judging nothing yet."""
    form = ActivityForm(request.POST or None, request.FILES or None, instance=activity, user=request.user)
    newcomers = NewParticipantFormSet(_with_no_newcomers_by_default(request), prefix="new")
    if request.method == "POST" and REFRESH_ROLL in request.POST:
        keep_without_errors(form, newcomers)
        saved = None
    else:
        saved = save_on_post(request, form, newcomers, call=lambda: call(form, newcomers), success=success, done=done)
    return saved or render(
        request, "activities/activity_form.html", {"form": form, "newcomers": newcomers, "activity": activity}
    )


@secretary_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    return _activity_form_page(
        request,
        lambda form, newcomers: services.activity_create(actor=request.user, **_activity_fields(form, newcomers)),
        success=_("The activity was saved. Record the households it reached, if any."),
        done=lambda activity: activity,
    )


@secretary_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = activity_get_for_user(request.user, pk, for_write=True)
    if activity.is_archived:
        messages.error(request, ARCHIVED)
        return redirect(activity)
    return _activity_form_page(
        request,
        lambda form, newcomers: services.activity_update(
            actor=request.user,
            activity=form.instance,
            version=form.cleaned_data.get("version"),
            **_activity_fields(form, newcomers),
        ),
        activity=activity,
        success=_("The changes were saved."),
        done=activity,
    )


@secretary_required
@require_POST
def activity_archive(request: HttpRequest, pk: int) -> HttpResponse:
    activity = activity_get_for_user(request.user, pk, for_write=True)
    return act_on_live_record(
        request,
        activity,
        lambda: services.activity_archive(actor=request.user, activity=activity),
        _("The activity was archived. It no longer counts in any figure."),
    )


@login_required
@require_GET
def photo_view(request: HttpRequest, pk: int, thumbnail: bool = False) -> HttpResponseBase:
    """Photos are served only to users whose scope covers the activity; never from a public URL."""
    photo = photo_get_for_user(request.user, pk)
    return photo_response(photo.thumbnail if thumbnail and photo.thumbnail else photo.image)

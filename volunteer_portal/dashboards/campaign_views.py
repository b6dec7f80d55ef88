"""Campaigns (活动方案) and their targets in the portal. The pages live here, above beneficiaries, because a
campaign's page counts visits; the forms and the writes are the activities app's."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities import services
from activities.campaign_forms import CampaignEndForm, CampaignForm, TargetForm
from activities.models import Campaign, CampaignTarget
from activities.selectors import campaign_get_for_user, campaign_list, target_get_for_user
from volunteer_portal.branches.selectors import has_write_scope, user_can_write
from volunteer_portal.web import ARCHIVED, apply_service, paginate, save_on_post, secretary_required

from .campaigns import TargetProgress, campaign_target_progress, candidate_count, describe, explain_empty


@login_required
@require_GET
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboards/campaign_list.html",
        {"page": paginate(request, campaign_list(user=request.user)), "can_write": has_write_scope(request.user)},
    )


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for_user(request.user, pk)
    progress = campaign_target_progress(campaign)
    return render(
        request,
        "dashboards/campaign_detail.html",
        {
            "campaign": campaign,
            "progress": [(item, describe(item.target, item.total)) for item in progress],
            "activity_count": campaign.activities.live().count(),
            "can_write": user_can_write(request.user, campaign.branch),
        },
    )


def _campaign_fields(form: CampaignForm) -> dict:
    return {name: form.cleaned_data[name] for name in services.CAMPAIGN_FIELDS}


@secretary_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, user=request.user)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.campaign_create(actor=request.user, **_campaign_fields(form)),
        success=_("The campaign was saved. Now add its targets as the plan states them."),
        done=lambda campaign: campaign,
    )
    return saved or render(request, "dashboards/campaign_form.html", {"form": form})


@secretary_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for_user(request.user, pk, for_write=True)
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.campaign_update(actor=request.user, campaign=form.instance, **_campaign_fields(form)),
        success=_("The changes were saved."),
        done=campaign,
    )
    return saved or render(request, "dashboards/campaign_form.html", {"form": form, "campaign": campaign})


@secretary_required
@require_http_methods(["GET", "POST"])
def campaign_end(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for_user(request.user, pk, for_write=True)
    form = CampaignEndForm(request.POST or None, campaign=campaign)
    saved = save_on_post(
        request,
        form,
        call=lambda: services.campaign_end(actor=request.user, campaign=campaign, on=form.cleaned_data["on"]),
        success=lambda ended: (
            _("The campaign now ends on %(day)s. Nothing was deleted.") % {"day": f"{ended.end:%Y-%m-%d}"}
        ),
        done=campaign,
    )
    return saved or render(request, "dashboards/campaign_end.html", {"form": form, "campaign": campaign})


def _target_form_page(request: HttpRequest, campaign: Campaign, target: CampaignTarget | None) -> HttpResponse:
    """Create or edit a target. "Preview" validates and shows how the target will be counted without saving."""
    form = TargetForm(request.POST or None, instance=target)
    preview: list[str] = []
    warning = ""
    if request.method == "POST" and "preview" in request.POST:
        if form.is_valid():
            draft = CampaignTarget(campaign=campaign, **form.target_fields())
            if apply_service(request, form, lambda: services.target_check(draft)) is not None:
                count = candidate_count(draft)
                preview = describe(draft, count)
                if not count:
                    empty = TargetProgress(draft)
                    explain_empty([empty])
                    warning = empty.reason
    else:
        if target is None:
            call = lambda: services.target_create(actor=request.user, campaign=campaign, **form.target_fields())  # noqa: E731
        else:
            call = lambda: services.target_update(actor=request.user, target=form.instance, **form.target_fields())  # noqa: E731
        saved = save_on_post(request, form, call=call, success=_("The target was saved."), done=campaign)
        if saved:
            return saved
    return render(
        request,
        "dashboards/target_form.html",
        {"form": form, "campaign": campaign, "target": target, "preview": preview, "warning": warning},
    )


@secretary_required
@require_http_methods(["GET", "POST"])
def target_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for_user(request.user, pk, for_write=True)
    return _target_form_page(request, campaign, None)


@secretary_required
@require_http_methods(["GET", "POST"])
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = target_get_for_user(request.user, pk, for_write=True)
    return _target_form_page(request, target.campaign, target)


@secretary_required
@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    target = target_get_for_user(request.user, pk, for_write=True)
    campaign = target.campaign
    try:
        services.target_delete(actor=request.user, target=target)
    except ValidationError:
        messages.error(request, ARCHIVED)
    else:
        messages.success(request, _("The target “%(name)s” was removed from the campaign.") % {"name": target.name})
    return redirect(campaign)

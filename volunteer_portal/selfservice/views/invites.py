"""Views of the members' side: invites. A secretary invites one member (from the member's page) or several (ticked
on the member list); the page that creates the links shows each as a link and a QR code, once: only the tokens'
hashes are kept, so the page is the POST's own answer, not a redirect to a page that could show it again. The
member opens the link, chooses a login name and a password, and is signed in."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from volunteer_portal.branches.models import Member, RoleGrant
from volunteer_portal.branches.selectors import get_in_scope, member_list
from volunteer_portal.web import apply_service, posted_ids, secretary_required

from .. import services
from ..forms import WelcomeForm
from ..invites import INVITE_GONE, invite_for_token, invite_refusals, qr_svg, suggested_login

# The most members invited at once: a page of the member list is 50.
BULK_MAX = 200


def _links(request: HttpRequest, made) -> list[dict]:
    rows = []
    for invite, token in made:
        url = request.build_absolute_uri(reverse("selfservice:welcome", args=[token]))
        title = _("Sign-in link for %(name)s") % {"name": invite.member.name}
        rows.append({"invite": invite, "member": invite.member, "url": url, "qr": qr_svg(url, title=title)})
    return rows


def _links_page(request: HttpRequest, made) -> HttpResponse:
    return render(request, "selfservice/invite_links.html", {"links": _links(request, made), "many": len(made) > 1})


@secretary_required
@require_http_methods(["GET", "POST"])
def invite_create(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_in_scope(Member.objects.select_related("branch", "user"), request.user, pk, for_write=True)
    if request.method == "POST":
        try:
            made = [services.invite_create(actor=request.user, member=member)]
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            return _links_page(request, made)
    context = {
        "member": member,
        "refusal": invite_refusals([member]).get(pk),
        "invite_days": settings.MEMBER_INVITE_DAYS,
    }
    return render(request, "selfservice/invite_confirm.html", context)


@secretary_required
@require_POST
def invite_bulk(request: HttpRequest) -> HttpResponse:
    """The members ticked on the member list: every one in the user's write scope (404 for one outside the read
    scope, 403 for one the user may only read, as for a single member), all invited or none."""
    ids = posted_ids(request.POST.getlist("member"))
    if ids is None:
        raise Http404
    if not ids:
        messages.error(request, _("Tick the members to invite first."))
        return redirect("members:member-list")
    if len(ids) > BULK_MAX:
        messages.error(request, _("Invite at most %(count)d members at once.") % {"count": BULK_MAX})
        return redirect("members:member-list")
    readable = member_list(user=request.user).filter(pk__in=ids)
    if readable.count() != len(ids):
        raise Http404
    members = list(
        member_list(user=request.user, role=RoleGrant.Role.SECRETARY)
        .filter(pk__in=ids)
        .select_related("user")
        .order_by("branch__path", "name")
    )
    if len(members) != len(ids):
        raise PermissionDenied
    try:
        made = services.invites_create(actor=request.user, members=members)
    except ValidationError as error:
        messages.error(request, " ".join([_("Nobody was invited."), *error.messages]))
        return redirect("members:member-list")
    return _links_page(request, made)


# --- the member's side: the link --------------------------------------------------------------------------


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "selfservice/welcome_gone.html", {"message": INVITE_GONE}, status=404)


@never_cache  # the page is the link's: no browser or proxy keeps it, signed in or not
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, token: str) -> HttpResponse:
    invite = invite_for_token(token)
    if invite is None:
        return _gone(request)
    member = invite.member
    user = member.user or get_user_model()(username="")
    new_login = member.user is None
    initial = {"username": suggested_login(member)} if new_login and request.method == "GET" else None
    form = WelcomeForm(user, request.POST or None, new_login=new_login, initial=initial)
    if request.method == "POST" and form.is_valid():
        signed_in = apply_service(
            request,
            form,
            lambda: services.invite_accept(
                token=token,
                username=form.cleaned_data.get("username", ""),
                password=form.cleaned_data["new_password1"],
            ),
        )
        if signed_in is not None:
            login(request, signed_in, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome, %(name)s. From now on sign in as “%(login)s” with the password you chose.")
                % {"name": member.name, "login": signed_in.get_username()},
            )
            return redirect(reverse("selfservice:me"))
        if invite_for_token(token) is None:  # used up meanwhile (the same link opened twice)
            return _gone(request)
    return render(request, "selfservice/welcome_form.html", {"form": form, "member": member, "invite": invite})

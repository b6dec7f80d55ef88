"""Reads of the members' side. A member (a login linked to a `Member`) sees their own records and the households
they are paired with, nothing else; secretaries see the claims of their write scope. Anything else answers 404,
as everywhere (branches/selectors.py)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from activities.models import Activity
from beneficiaries.models import Pairing
from beneficiaries.selectors import open_pairing_q, pairings_with_status
from volunteer_portal.branches.models import Member, RoleGrant
from volunteer_portal.branches.selectors import grant_paths, scope_q

from .models import Claim, ClaimPhoto


def member_of(user) -> Member | None:
    """The member a login belongs to, if any (cached on the user object for the request)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if "_member_of" not in user.__dict__:
        user.__dict__["_member_of"] = Member.objects.select_related("branch").filter(user=user, active=True).first()
    return user.__dict__["_member_of"]


def member_required(view: Callable) -> Callable:
    """Signed in, and linked to a member: the members' pages. Anyone else gets 404, like a page that is not
    there for them."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        member = member_of(request.user)
        if member is None:
            raise Http404
        request.member = member  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def my_pairings(member: Member) -> QuerySet[Pairing]:
    """The member's running pairings, with last contact and next due (overdue first)."""
    running = Pairing.objects.filter(open_pairing_q(), member=member).select_related("beneficiary__branch")
    return pairings_with_status(running).order_by("next_due", "pk")


def my_pairing_get(member: Member, pk) -> Pairing:
    pairing = my_pairings(member).filter(pk=pk).first()
    if pairing is None:
        raise Http404
    return pairing


def my_claims(member: Member) -> QuerySet[Claim]:
    return Claim.objects.filter(member=member).select_related("activity", "pairing__beneficiary")


def my_claim_by_key(member: Member, client_key) -> Claim | None:
    """The member's record sent with this idempotency key, if it is already in (a retry of a visit sent)."""
    if client_key is None:
        return None
    return Claim.objects.filter(member=member, client_key=client_key).first()


def check_in_activity_get(pk) -> Activity:
    """An activity a member checks in to by its code: of any branch (volunteers come from other branches; the
    code shown on site, not a scope, is the key), archived ones too, so that the page can say so. 404 if none."""
    activity = Activity.objects.select_related("branch").filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


def my_check_in(member: Member, activity: Activity) -> Claim | None:
    """The member's check-in to the activity that stands (waiting or confirmed), if any; a rejected one does
    not stand, so the member may check in again."""
    return (
        Claim.objects.filter(kind=Claim.Kind.HOURS, member=member, activity=activity)
        .exclude(status=Claim.Status.REJECTED)
        .first()
    )


def claim_queue(user) -> QuerySet[Claim]:
    """Claims waiting for a decision in the user's write scope (secretaries; superusers everywhere)."""
    return (
        Claim.objects.filter(scope_q(user, via="branch", role=RoleGrant.Role.SECRETARY), status=Claim.Status.PENDING)
        .select_related("member", "branch", "activity", "pairing__beneficiary")
        .order_by("date", "pk")
    )


def claim_get_for_decision(user, pk) -> Claim:
    claim = claim_queue(user).filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


def claim_list(user) -> QuerySet[Claim]:
    """Every claim, waiting or decided, in the user's write scope: a claim's own page and its decisions."""
    return Claim.objects.filter(scope_q(user, via="branch", role=RoleGrant.Role.SECRETARY)).select_related(
        "member__branch", "branch", "activity", "pairing__beneficiary", "decided_by", "visit"
    )


def claim_get_for_user(user, pk) -> Claim:
    claim = claim_list(user).filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


def claim_photo_get_for_user(user, pk) -> ClaimPhoto:
    """A photo sent with a claim: for the secretaries who decide it and for the member who sent it (404 else)."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    allowed = scope_q(user, via="claim__branch", role=RoleGrant.Role.SECRETARY)
    if not user.is_superuser:  # an empty Q (a superuser's) OR-ed with another would narrow it to that one
        allowed |= Q(claim__member__user=user)
    photo = ClaimPhoto.objects.filter(allowed, pk=pk).select_related("claim").first()
    if photo is None:
        raise Http404
    return photo


def is_member_login(user) -> bool:
    """A member's own login (DESIGN.md, "member"): linked to a member, with no role grant and no staff rights. The
    home page sends it to the member's page, and the menu shows it only that (invites.py remembers it at sign-in)."""
    if not user.is_authenticated or user.is_staff or user.is_superuser:
        return False
    return member_of(user) is not None and not grant_paths(user)

"""Sign-in invitations: the one-time token of a member's welcome link, and what makes a link still work.

The token (`secrets.token_urlsafe(32)`, 256 random bits) is shown once, on the page that creates it, as a link
and its QR code; only its SHA-256 is stored (`Invite.token_hash`), so nothing read from the database opens a
link. A link works while it is unused, within MEMBER_INVITE_DAYS, the member's latest (a new invitation makes the
older ones stop working: it is checked on use, so the older rows keep what they were) and the member may still
be invited (`invite_refusal`)."""

import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from volunteer_portal.branches.models import Member, RoleGrant

from .models import Invite
from .selectors import is_member_login

TOKEN_BYTES = 32
# A token is 43 characters; anything much longer is not one of ours and is not hashed.
TOKEN_MAX_LENGTH = 100
# The session remembers from sign-in whether the user is a member's login (no role grant), so that every page's
# menu (base.html) knows it without a query of its own.
MEMBER_LOGIN_SESSION_KEY = "member_login"

INVITE_GONE = gettext_lazy("This link no longer works: ask your branch secretary for a new invitation.")


def login_taken(username: str) -> str:
    return _("The login name “%(login)s” is already taken: choose another one.") % {"login": username}


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_expiry(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(days=settings.MEMBER_INVITE_DAYS)


def invite_refusals(members: Iterable[Member]) -> dict[int, str]:
    """Why a member may not be invited, by member pk (absent: they may). A login that holds a role (a secretary's,
    a leader's) or is staff is never given a new password through a link: the link would hand over the role. The
    members come with their `user` loaded; one query for all of them."""
    members = list(members)
    user_ids = [member.user_id for member in members if member.user_id is not None]
    with_roles = set(RoleGrant.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    refusals = {}
    for member in members:
        user = member.user
        if not member.active:
            refusals[member.pk] = _("%(name)s is marked inactive: mark them active again before inviting them.") % {
                "name": member.name
            }
        elif user is not None and (user.is_staff or user.is_superuser or user.pk in with_roles):
            refusals[member.pk] = _(
                "%(name)s already signs in as “%(login)s”, an account with a secretary's, leader's or "
                "administrator's rights: an invitation cannot set its password. They change it themselves."
            ) % {"name": member.name, "login": user.get_username()}
        elif user is not None and not user.is_active:
            refusals[member.pk] = _(
                "%(name)s's login “%(login)s” has been switched off by an administrator: ask them first."
            ) % {"name": member.name, "login": user.get_username()}
    return refusals


def invite_for_token(token: str, *, for_update: bool = False) -> Invite | None:
    """The invitation a welcome link stands for, if the link still works; None for an unknown, used, expired or
    superseded one, or a member who may no longer be invited."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    invites = Invite.objects.select_related("member__user", "member__branch")
    if for_update:
        invites = invites.select_for_update(of=("self",))
    invite = invites.filter(token_hash=token_hash(token)).first()
    if invite is None or invite.used_at is not None or invite.expires_at <= timezone.now():
        return None
    if Invite.objects.filter(member_id=invite.member_id, pk__gt=invite.pk).exists():
        return None  # superseded by a newer invitation
    if invite_refusals([invite.member]):
        return None
    return invite


def suggested_login(member: Member) -> str:
    """A login name to offer: the member's phone number if it is one and free, else "m" and the member's number."""
    phone = "".join(member.phone.split())
    if phone.isdigit() and len(phone) >= 5 and not get_user_model().objects.filter(username__iexact=phone).exists():
        return phone
    return f"m{member.pk}"


def qr_svg(url: str, *, title: str) -> str:
    """The link as a QR code, an inline SVG drawn here (no outside service), scaled by its container."""
    out = io.BytesIO()
    # fmt: off
    segno.make(url, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True, scale=1, border=4, dark="#000",
        light="#fff", title=title, svgclass="d-block w-100 h-auto", lineclass=None,
    )
    # fmt: on
    return out.getvalue().decode()


@receiver(user_logged_in)
def remember_member_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[MEMBER_LOGIN_SESSION_KEY] = is_member_login(user)

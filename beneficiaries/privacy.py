"""What a user may see of a beneficiary: the one rule that pages, lists, search, exports, Word files and the
admin all ask (DESIGN.md, "Roles and scope"; issue 10).

Without a logged reveal, nobody sees more of a person than this:

- the ID number's area code and its last `SHOWN_SUFFIX` (2) characters: `110105**********2X`;
- the certificate number the same way, plus its category and grade digits (shown in words anyway);
- the birth date only as the decade of birth ("1970年代"), a fixed fact that does not change with the day
  the page is read (an age band would: watching it flip gives the birthday).

What stays unknown is the birth date within a decade (3,652 days) and the two sequence digits before the
shown ones (100 values); the check character, which is shown, keeps one in eleven of them: 3,652 × 100 ÷ 11 ≈
33,000 possible numbers. Even if the birth year leaked from elsewhere, 365 × 100 ÷ 11 ≈ 3,300 would remain.
The README's personal-data section sets the arithmetic out.

Anything that would answer differently for a right and a wrong guess of a hidden number is either closed
(searching by more characters than are shown needs the reveal right and is logged) or, where a secretary needs
the answer ("this ID number is already registered"), logged and limited per user: `hidden_check`.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from volunteer_portal.branches.access_log import log_access
from volunteer_portal.branches.models import AccessLog, Branch
from volunteer_portal.branches.selectors import grant_paths, may_reveal, scope_q
from volunteer_portal.validators import normalize_id_number

SHOWN_PREFIX = 6  # the area code, which the address gives away anyway
SHOWN_SUFFIX = 2
ID_FRAGMENT = re.compile(r"^[0-9]{1,17}[0-9X]?$")
ID_LIKE = re.compile(r"\d{3,17}[\dXx]")  # a run of digits that may be (part of) an ID number
# Fields whose values no message outside the masked views shows (an edit conflict names them only).
SECRET_FIELDS = ("id_number", "certificate_number", "birth_date")

CHECKS_EXHAUSTED = gettext_lazy(
    "You have been told about %(limit)d ID numbers already registered in the last 24 hours, the most allowed: "
    "new ID numbers cannot be checked until then. Ask someone who may see full numbers, or an administrator."
)
SEARCH_NEEDS_REVEAL = gettext_lazy(
    "Searching by more than the last %(count)d characters of an ID number needs the right to see full numbers: "
    "search by name, or by the last %(count)d characters."
)


def mask_id_number(value: str) -> str:
    """The area code and the last two characters: 110105**********2X."""
    if not value:
        return ""
    if len(value) <= SHOWN_PREFIX + SHOWN_SUFFIX:
        return "*" * len(value)
    return f"{value[:SHOWN_PREFIX]}{'*' * (len(value) - SHOWN_PREFIX - SHOWN_SUFFIX)}{value[-SHOWN_SUFFIX:]}"


def mask_certificate_number(value: str) -> str:
    """The ID part masked as above; the category and grade digits after it are shown (they are on the page in
    words): 110105**********2X41."""
    if not value:
        return ""
    return mask_id_number(value[:18]) + value[18:]


def mask_numbers_in(text: str) -> str:
    """Text that may hold ID numbers or parts of them (a search typed into a filter, a quoted cell): every run of
    more digits than the display shows is masked the same way."""

    def hide(match: re.Match) -> str:
        digits = match.group().upper()
        return mask_id_number(digits) if len(digits) > SHOWN_PREFIX + SHOWN_SUFFIX else "*" * len(digits)

    return ID_LIKE.sub(hide, text)


# Two-character surnames common enough to be worth telling apart from a one-character surname and a given name.
COMPOUND_SURNAMES = frozenset(
    ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕",
     "令狐", "端木", "南宫", "独孤", "西门", "百里", "呼延", "万俟", "澹台", "公冶", "申屠", "太史", "闻人", "赫连",
     "钟离", "宗政", "濮阳", "淳于", "单于", "拓跋"]
)  # fmt: skip


def surname_only(name: str) -> str:
    """A household named where the text leaves the portal's pages (reminders, group chats): the surname and 某某,
    never the full name (杨秀英 → 杨某某, 欧阳明 → 欧阳某某)."""
    name = name.strip()
    if not name:
        return ""
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[0]
    return f"{surname}某某"


def birth_decade(birth_date: dt.date | None) -> str:
    if birth_date is None:
        return ""
    return _("the %(decade)ds") % {"decade": birth_date.year // 10 * 10}


@dataclass(frozen=True)
class PersonalView:
    """What one user is shown of one beneficiary's identifying data."""

    id_number: str
    certificate_number: str
    birth: str  # the birth date (Y-m-d) once revealed, else the decade
    full: bool  # the full numbers are shown (a logged reveal or export)
    revealable: bool  # the user may reveal them


def personal_view(user, beneficiary, *, revealed: bool = False) -> PersonalView:
    """The one decision. `revealed` is the caller's word that this showing is logged (a reveal, an export);
    it counts only for a user who may reveal numbers of the beneficiary's branch."""
    revealable = may_reveal(user, beneficiary.branch)
    if revealed and revealable:
        birth = f"{beneficiary.birth_date:%Y-%m-%d}" if beneficiary.birth_date else ""
        return PersonalView(beneficiary.id_number, beneficiary.certificate_number, birth, True, True)
    return PersonalView(
        mask_id_number(beneficiary.id_number),
        mask_certificate_number(beneficiary.certificate_number),
        birth_decade(beneficiary.birth_date),
        False,
        revealable,
    )


def may_reveal_anywhere(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or grant_paths(user, "may_reveal")))


def search_q(user, text: str, *, request=None, via: str = "") -> tuple[Q, str]:
    """Beneficiaries matching a search box: by name, or by the end of the ID number.

    Everyone may search by as many characters as the display shows. A longer number searches only among the
    people whose numbers the user may reveal, and is logged; for anyone else it matches nothing by number and
    the page says why (the same answer for a right guess and a wrong one). `via` is the lookup from the
    searched model to the beneficiary ("" for Beneficiary). Returns the filter and a note for the page."""
    prefix = f"{via}__" if via else ""
    text = text.strip()
    condition = Q(**{f"{prefix}name__icontains": text})
    fragment = normalize_id_number(text)
    if not ID_FRAGMENT.match(fragment):
        return condition, ""
    if len(fragment) <= SHOWN_SUFFIX:
        return condition | Q(**{f"{prefix}id_number__endswith": fragment}), ""
    if not may_reveal_anywhere(user):
        return condition, str(SEARCH_NEEDS_REVEAL % {"count": SHOWN_SUFFIX})
    detail = _("%(length)d characters, ending …%(end)s") % {"length": len(fragment), "end": fragment[-2:]}
    if not getattr(request, "replay", False):  # a background export re-runs a search logged when it was asked
        log_access(request, AccessLog.Event.NUMBER_SEARCH, user=user, detail=detail)
    revealable = scope_q(user, via=f"{prefix}branch", role="may_reveal")
    return condition | (Q(**{f"{prefix}id_number__endswith": fragment}) & revealable), ""


def _checks_since() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=24)


def hidden_checks_left(user) -> int:
    """How many more answers about numbers this user may not see they may have in the next 24 hours."""
    used = AccessLog.objects.filter(user=user, event=AccessLog.Event.NUMBER_CHECK, at__gte=_checks_since()).count()
    return max(settings.HIDDEN_CHECKS_PER_DAY - used, 0)


def hidden_check(user, *, number: str, branch: Branch | None = None, request=None) -> None:
    """Record that the user was told something about a number on record they may not see (an ID number already
    registered). The log keeps the last four characters only."""
    if branch is not None and may_reveal(user, branch):
        return  # they could have looked: nothing hidden was learned
    log_access(request, AccessLog.Event.NUMBER_CHECK, user=user, detail=f"…{number[-4:]}")


def checks_exhausted_message() -> str:
    return str(CHECKS_EXHAUSTED % {"limit": settings.HIDDEN_CHECKS_PER_DAY})

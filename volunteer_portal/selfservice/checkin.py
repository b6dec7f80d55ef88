"""An activity's check-in code, and when it may be used.

The code changes every minute: a short HMAC (the project's SECRET_KEY, salt "check-in") of the activity and the
minute since the epoch, so nothing is stored and a code copied from a photo of the screen stops working within
two minutes. It is accepted only in the activity's window: its day in the portal's time zone, narrowed to its
start and end time when they are set (with a margin either side: people come early and stay late)."""

import datetime as dt
import io
from dataclasses import dataclass

import segno
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from activities.models import Activity
from volunteer_portal.branches.models import Member, on_roll_q

SALT = "check-in"
CODE_LENGTH = 10  # hex characters: 40 bits, against guessing within the two minutes a code lives
# The window opens this long before the start time and closes this long after the end time (the page says so).
EARLY = dt.timedelta(minutes=30)
LATE = dt.timedelta(minutes=60)
# A phone that opened the address while its code was good may finish within this long: signing in first, or
# reading the page before tapping, takes longer than the minute or two a code lives.
SCAN_GRACE = dt.timedelta(minutes=10)
SCANS = "check_in_scans"  # in the session: {activity pk: [code, when it was seen good]}


def minute_of(now: dt.datetime) -> int:
    """The minutes since the epoch: the same number in every time zone."""
    return int(now.timestamp()) // 60


def _code(activity_pk: int, minute: int) -> str:
    return salted_hmac(SALT, f"{activity_pk}:{minute}", algorithm="sha256").hexdigest()[:CODE_LENGTH]


def _accepts(activity_pk: int, code: str, now: dt.datetime) -> bool:
    minute = minute_of(now)
    return any(constant_time_compare(code, _code(activity_pk, m)) for m in (minute, minute - 1))


def code_for(activity: Activity, minute: int) -> str:
    return _code(activity.pk, minute)


def accepts(activity: Activity, code: str, now: dt.datetime) -> bool:
    """Whether `code` is this activity's code of this minute or of the one before (a scan at :59 sent at :00)."""
    return _accepts(activity.pk, code, now)


def remember_scan(session, activity_pk: int, code: str, now: dt.datetime) -> None:
    """Note in the session (an anonymous one too, kept through signing in) that this browser opened the address
    while its code was good; `scanned` then lets it finish within SCAN_GRACE. Written once per code."""
    if not _accepts(activity_pk, code, now):
        return
    scans = session.get(SCANS, {})
    if scans.get(str(activity_pk), [None])[0] == code:
        return
    since = int((now - SCAN_GRACE).timestamp())
    session[SCANS] = {
        **{pk: seen for pk, seen in scans.items() if seen[1] >= since},
        str(activity_pk): [code, int(now.timestamp())],
    }


def scanned(session, activity: Activity, code: str, now: dt.datetime) -> bool:
    """Whether this browser opened the activity's address with `code` while it was good, within SCAN_GRACE."""
    seen = session.get(SCANS, {}).get(str(activity.pk))
    return bool(
        seen and constant_time_compare(seen[0], code) and now.timestamp() - seen[1] <= SCAN_GRACE.total_seconds()
    )


@dataclass(frozen=True)
class Window:
    opens: dt.datetime
    closes: dt.datetime  # the first moment after the window
    timed: bool  # narrowed by the activity's start or end time, rather than its whole day

    def contains(self, now: dt.datetime) -> bool:
        return self.opens <= now < self.closes

    def opens_local(self) -> dt.datetime:
        return timezone.localtime(self.opens, timezone.get_default_timezone())

    def closes_local(self) -> dt.datetime:
        return timezone.localtime(self.closes, timezone.get_default_timezone())


def window(activity: Activity) -> Window:
    """When members may check in: the activity's date in the portal's time zone (settings.TIME_ZONE), from
    `EARLY` before its start time and until `LATE` after its end time where those are set."""
    zone = timezone.get_default_timezone()

    def at(day: dt.date, time: dt.time) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, time), zone)

    day = activity.date
    return Window(
        opens=at(day, activity.starts_at) - EARLY if activity.starts_at else at(day, dt.time()),
        closes=at(day, activity.ends_at) + LATE if activity.ends_at else at(day + dt.timedelta(days=1), dt.time()),
        timed=bool(activity.starts_at or activity.ends_at),
    )


def window_text(window: Window) -> str:
    """When check-in is open, in words: "签到时间为 2026-03-05 08:30 至 12:30", or the whole day."""
    opens, closes = window.opens_local(), window.closes_local()
    if not window.timed:
        return _("Check-in is open only on the day of the activity, %(day)s.") % {"day": f"{opens:%Y-%m-%d}"}
    same_day = closes.date() == opens.date()
    return _("Check-in is open from %(opens)s to %(closes)s.") % {
        "opens": f"{opens:%Y-%m-%d %H:%M}",
        "closes": f"{closes:%H:%M}" if same_day else f"{closes:%Y-%m-%d %H:%M}",
    }


@dataclass(frozen=True)
class Refusal:
    message: str
    status: int  # 410: the code or the activity is no longer usable; 400: this member cannot check in to it


def refusal(activity: Activity, member: Member, code: str, now: dt.datetime, *, seen: bool = False) -> Refusal | None:
    """Why this member cannot check in to this activity with this code now, or None; `seen`: this browser opened
    the address while the code was good (`scanned`). The code first, so that a guessed address tells nothing about
    the activity. The window is always that of now."""
    if not (seen or accepts(activity, code, now)):
        return Refusal(_("The check-in code has expired: scan the QR code on site again."), 410)
    if activity.is_archived:
        return Refusal(_("This activity has been archived: checking in to it is closed."), 410)
    span = window(activity)
    if not span.contains(now):
        state = _("Check-in has not opened yet.") if now < span.opens else _("Check-in is closed.")
        return Refusal(f"{state}{window_text(span)}", 410)
    if activity.participations.filter(member=member).exists():
        return Refusal(_("You are already recorded as taking part in this activity."), 400)
    # Refused now rather than at the confirmation (participations_add refuses members off the roll), so that
    # nothing waits in the queue that could never be confirmed.
    if not Member.objects.filter(on_roll_q(activity.date), pk=member.pk).exists():
        return Refusal(
            _(
                "You were not on the roll on %(day)s, so this check-in could not be confirmed: ask your branch's "
                "secretary to check your join and leave dates."
            )
            % {"day": f"{activity.date:%Y-%m-%d}"},
            400,
        )
    return None


def qr_svg(url: str) -> str:
    """The QR code of `url` as SVG, drawn here (no outside service): inline in the page, and served alone to the
    page's script. No size and no style attribute (CSP): it fills its box."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True, scale=1, border=4, dark="#000",
        light="#fff", title=_("Check-in code"), svgclass="d-block w-100 h-auto", lineclass=None,
    )  # fmt: skip
    return out.getvalue().decode()

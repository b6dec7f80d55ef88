"""What is due, and whom to remind of it: each rule of issue 17 as a function of the day, returning messages.

The rules read through the apps' own definitions: `pairings_with_status` / `pairing_overdue_q` (when a pairing is
due or overdue), `owed_reports` (which reports a branch owes), and `surname_only` (how a household is named outside
the portal's pages). They write nothing; `services.send_reminders` turns messages into recorded reminders.

Members' own records (hours at an activity, visits) waiting for a secretary's confirmation are read from the
queue's claims (`selfservice`): `hours_waiting`.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activities.models import Activity
from beneficiaries.models import Pairing
from beneficiaries.privacy import surname_only
from beneficiaries.selectors import open_pairing_q, pairings_with_status
from volunteer_portal.branches.models import Branch, Member, RoleGrant, is_under
from volunteer_portal.dashboards.periods import period_label
from volunteer_portal.reports.models import BranchReport, ReportEvent, ReportRequirement
from volunteer_portal.reports.selectors import LOOK_BACK_DAYS, owed_reports
from volunteer_portal.selfservice.models import Claim

from .models import Kind

Role = RoleGrant.Role
PAIRING_SOON_DAYS = 7  # a pairing due within this many days is "due soon"
REPORT_SOON_DAYS = 5  # a report due within this many days is "due soon"
DIGEST_LINES = 15  # a digest names this many items, then "and N more"


@dataclass
class Message:
    """One thing to say, to some people and perhaps to a branch's group robot."""

    kind: str
    subject: str
    period: str
    title: str
    lines: list[str]
    link: str
    users: list = field(default_factory=list)
    robot_branch: Branch | None = None  # the branch whose group robot also gets it


def week_of(day: dt.date) -> tuple[str, dt.date]:
    """The ISO week ("2026-W49") and its Monday: a weekly digest is sent at most once in it."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}", day - dt.timedelta(days=day.weekday())


def household(beneficiary) -> str:
    """杨某某（丽景社区）: the surname and the community, never the name or any number."""
    return _("%(name)s (%(community)s)") % {
        "name": surname_only(beneficiary.name),
        "community": beneficiary.branch.name,
    }


def capped(lines: list[str]) -> list[str]:
    if len(lines) <= DIGEST_LINES:
        return lines
    more = len(lines) - DIGEST_LINES
    return [*lines[:DIGEST_LINES], ngettext("… and %(count)d more", "… and %(count)d more", more) % {"count": more}]


class Secretaries:
    """Who a branch's reminders go to: the secretaries whose grant is nearest above (or on) the branch. A
    district's secretary is not reminded of every community's report when the community has its own."""

    def __init__(self) -> None:
        self.by_path: dict[str, list] = {}
        grants = RoleGrant.objects.filter(role=Role.SECRETARY, branch__active=True, user__is_active=True)
        for grant in grants.select_related("user", "branch").order_by("branch__path", "user_id"):
            self.by_path.setdefault(grant.branch.path, []).append(grant.user)
        self.paths = sorted(self.by_path, key=len, reverse=True)  # deepest first

    def of(self, branch: Branch) -> list:
        for path in self.paths:
            if is_under(branch, path):
                return self.by_path[path]
        return []


# --- pairings ------------------------------------------------------------------------------------------------


def pairings_due(today: dt.date) -> list[Any]:
    """Running pairings due within PAIRING_SOON_DAYS or overdue, with their status as of today."""
    pairings = Pairing.objects.live().filter(open_pairing_q(today=today))
    pairings = pairings.select_related("member__user", "member__branch", "beneficiary__branch")
    return list(
        pairings_with_status(pairings, today=today)
        .filter(Q(next_due__lte=today + dt.timedelta(days=PAIRING_SOON_DAYS)))
        .order_by("next_due", "pk")
    )


def pairing_line(pairing: Any, today: dt.date) -> str:
    if pairing.is_overdue:
        return _("%(household)s, paired with %(member)s: overdue since %(date)s (%(days)d days)") % {
            "household": household(pairing.beneficiary), "member": pairing.member.name,
            "date": pairing.next_due, "days": (today - pairing.next_due).days,
        }  # fmt: skip
    return _("%(household)s, paired with %(member)s: due by %(date)s") % {
        "household": household(pairing.beneficiary), "member": pairing.member.name, "date": pairing.next_due,
    }  # fmt: skip


def pairing_messages(pairings: list[Any], today: dt.date) -> list[Message]:
    """To the paired member who has a login: "due soon" once and "overdue" once per due date, then while it
    stays overdue one weekly reminder (from the week after the one it became overdue in)."""
    week, monday = week_of(today)
    messages: list[Message] = []
    still_overdue: dict[int, list[Any]] = {}
    for pairing in pairings:
        user = pairing.member.user
        if user is None or not user.is_active:
            continue
        # The member's own visit form for the household: a member's login cannot open the secretaries' pages.
        link = reverse("selfservice:visit-new", args=[pairing.pk])
        where = {"household": household(pairing.beneficiary), "date": pairing.next_due}
        if pairing.is_overdue:
            messages.append(Message(
                Kind.PAIRING_OVERDUE, f"pairing:{pairing.pk}", pairing.next_due.isoformat(),
                _("Pairing visit overdue: %(household)s") % where,
                [_("You are paired with %(household)s. The next contact was due by %(date)s; please visit soon and "
                   "record the visit.") % where],
                link, [user],
            ))  # fmt: skip
            if pairing.next_due < monday - dt.timedelta(days=1):  # overdue before this week began
                still_overdue.setdefault(user.pk, []).append(pairing)
        else:
            messages.append(Message(
                Kind.PAIRING_DUE, f"pairing:{pairing.pk}", pairing.next_due.isoformat(),
                _("Pairing visit due by %(date)s: %(household)s") % where,
                [_("You are paired with %(household)s. Please visit by %(date)s and record the visit.") % where],
                link, [user],
            ))  # fmt: skip
    for overdue in still_overdue.values():
        user = overdue[0].member.user
        count = len(overdue)
        messages.append(Message(
            Kind.PAIRINGS_WEEKLY, "pairings", week,
            ngettext("%(count)d pairing still overdue", "%(count)d pairings still overdue", count) % {"count": count},
            capped([pairing_line(pairing, today) for pairing in overdue]),
            reverse("selfservice:me"), [user],
        ))  # fmt: skip
    return messages


# --- reports -------------------------------------------------------------------------------------------------


@dataclass
class ReportDue:
    branch: Branch
    frequency: str
    start: dt.date
    due_on: dt.date
    state: str  # a Kind: REPORT_DUE, REPORT_OVERDUE or REPORT_RETURNED
    report: BranchReport | None
    returned_event: int | None = None

    @property
    def label(self) -> str:
        return period_label(self.frequency, self.start)

    @property
    def link(self) -> str:
        return self.report.get_absolute_url() if self.report else reverse("reports:report-list")

    def line(self) -> str:
        values = {"branch": self.branch.name, "period": self.label, "date": self.due_on}
        if self.state == Kind.REPORT_RETURNED:
            return _("%(branch)s, %(period)s: returned for changes") % values
        if self.state == Kind.REPORT_OVERDUE:
            return _("%(branch)s, %(period)s: overdue since %(date)s") % values
        return _("%(branch)s, %(period)s: due by %(date)s") % values


def reports_due(today: dt.date) -> list[ReportDue]:
    """Every branch's report due within REPORT_SOON_DAYS, overdue (`owed_reports`, the one rule) or returned."""
    kinds = ReportRequirement.objects.filter(active=True).values("branch_kind")
    branches = list(Branch.objects.filter(active=True, kind__in=kinds))
    since = today - dt.timedelta(days=LOOK_BACK_DAYS)
    reports = list(BranchReport.objects.filter(branch__in=branches, period_end__gte=since, period_end__lte=today))
    due: list[ReportDue] = []
    for owed in owed_reports(branches, since, today, today=today, reports=reports):
        if owed.report is not None and owed.report.status != BranchReport.Status.DRAFT:
            continue  # standing, or returned (below)
        if today > owed.due_on:
            due.append(
                ReportDue(owed.branch, owed.frequency, owed.start, owed.due_on, Kind.REPORT_OVERDUE, owed.report)
            )
        elif (owed.due_on - today).days <= REPORT_SOON_DAYS:
            due.append(ReportDue(owed.branch, owed.frequency, owed.start, owed.due_on, Kind.REPORT_DUE, owed.report))
    returned = (
        BranchReport.objects.filter(status=BranchReport.Status.RETURNED, branch__active=True)
        .select_related("branch")
        .annotate(returned_event=Max("events__pk", filter=Q(events__action=ReportEvent.Action.RETURNED)))
    )
    due.extend(
        ReportDue(report.branch, report.frequency, report.period_start, report.period_end, Kind.REPORT_RETURNED,
                  report, report.returned_event)
        for report in returned
    )  # fmt: skip
    return due


def report_messages(due: list[ReportDue], secretaries: Secretaries) -> list[Message]:
    """To the branch's secretaries and its group robot: "due soon" once, "overdue" once, "returned" once each
    time it is returned. While a report stays overdue it is in the weekly digest."""
    messages = []
    for item in due:
        values = {"branch": item.branch.name, "period": item.label, "date": item.due_on}
        subject = f"report:{item.branch.pk}:{item.frequency}:{item.start.isoformat()}"
        if item.state == Kind.REPORT_RETURNED:
            title = _("Report returned: %(branch)s, %(period)s") % values
            text = _("The report was returned for changes. Read the reviewer's comment, edit the report and submit it "
                     "again.")  # fmt: skip
            period = f"returned:{item.returned_event or item.report.pk}"  # type: ignore[union-attr]
        elif item.state == Kind.REPORT_OVERDUE:
            title = _("Report overdue: %(branch)s, %(period)s") % values
            text = _("The report was due by %(date)s. Please write and submit it.") % values
            period = "overdue"
        else:
            title = _("Report due by %(date)s: %(branch)s, %(period)s") % values
            text = _("Please write and submit the report by %(date)s.") % values
            period = f"due:{item.due_on.isoformat()}"
        messages.append(Message(item.state, subject, period, title, [text], item.link,
                                secretaries.of(item.branch), robot_branch=item.branch))  # fmt: skip
    return messages


# --- weekly digests ------------------------------------------------------------------------------------------


def secretary_digests(
    pairings: list[Any], due: list[ReportDue], secretaries: Secretaries, today: dt.date
) -> list[Message]:
    """Once a week, to each secretary: the pairings of their members or their households due soon or overdue,
    and the reports still overdue or returned; to each branch's group robot the same for that branch."""
    week, _monday = week_of(today)
    per_user: dict[int, tuple[object, list[str], list[str]]] = {}
    per_branch: dict[int, tuple[Branch, list[str], list[str]]] = {}
    for pairing in pairings:
        # A pairing is in the scope of the member's branch and of the household's (PAIRING_SCOPE): both hear of it.
        line = pairing_line(pairing, today)
        branches = {
            pairing.member.branch.pk: pairing.member.branch,
            pairing.beneficiary.branch.pk: pairing.beneficiary.branch,
        }
        users = {user.pk: user for branch in branches.values() for user in secretaries.of(branch)}
        for user in users.values():
            per_user.setdefault(user.pk, (user, [], []))[1].append(line)
        for branch in branches.values():
            per_branch.setdefault(branch.pk, (branch, [], []))[1].append(line)
    for item in due:
        if item.state == Kind.REPORT_DUE:
            continue  # told once already; the digest names what is late
        for user in secretaries.of(item.branch):
            per_user.setdefault(user.pk, (user, [], []))[2].append(item.line())
        per_branch.setdefault(item.branch.pk, (item.branch, [], []))[2].append(item.line())

    def digest(pairing_lines: list[str], report_lines: list[str]) -> tuple[str, list[str]]:
        title = _("This week: %(pairings)s, %(reports)s") % {
            "pairings": ngettext("%(count)d pairing due or overdue", "%(count)d pairings due or overdue",
                                 len(pairing_lines)) % {"count": len(pairing_lines)},
            "reports": ngettext("%(count)d report owed", "%(count)d reports owed",
                                len(report_lines)) % {"count": len(report_lines)},
        }  # fmt: skip
        return title, capped(pairing_lines) + capped(report_lines)

    messages = []
    home = reverse("home")
    for user, pairing_lines, report_lines in per_user.values():
        title, lines = digest(pairing_lines, report_lines)
        messages.append(Message(Kind.SECRETARY_WEEKLY, "weekly", week, title, lines, home, [user]))
    for branch, pairing_lines, report_lines in per_branch.values():
        title, lines = digest(pairing_lines, report_lines)
        messages.append(Message(Kind.BRANCH_WEEKLY, f"branch:{branch.pk}", week, title, lines,
                                reverse("beneficiaries:pairing-list"), robot_branch=branch))  # fmt: skip
    return messages


def activity_month(today: dt.date) -> tuple[dt.date, dt.date, bool]:
    """The month "no activity this month" looks at: this month from its 8th day, before that the last one (on
    the 1st every branch would lag). Returns its first and last day and whether it is this month."""
    if today.day > 7:
        return today.replace(day=1), today, True
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last, False


def leader_digests(due: list[ReportDue], today: dt.date) -> list[Message]:
    """Once a week, to each leader: the branches of their scope that lag — overdue pairings, reports overdue or
    returned, no activity this month (among branches with members on the roll). Counted by the database."""
    week, _monday = week_of(today)
    first, last, this_month = activity_month(today)
    running = pairings_with_status(Pairing.objects.live().filter(open_pairing_q(today=today)), today=today)
    overdue = dict(
        running.filter(Q(is_overdue=True)).values("member__branch_id").annotate(n=Count("id"))
        .values_list("member__branch_id", "n").order_by()
    )  # fmt: skip
    late_reports: dict[int, int] = {}
    for item in due:
        if item.state != Kind.REPORT_DUE:
            late_reports[item.branch.pk] = late_reports.get(item.branch.pk, 0) + 1
    with_members = set(Member.objects.on_roll(last).values_list("branch_id", flat=True).order_by().distinct())
    active = set(
        Activity.objects.live().filter(date__gte=first, date__lte=last)
        .values("branch_id").annotate(n=Count("id")).values_list("branch_id", flat=True)
    )  # fmt: skip
    branches = list(Branch.objects.active().order_by("path"))
    no_activity = _("no activity this month") if this_month else _("no activity last month")
    lagging: list[tuple[Branch, str]] = []
    for branch in branches:
        reasons = []
        if overdue.get(branch.pk):
            reasons.append(ngettext("%(count)d overdue pairing", "%(count)d overdue pairings",
                                    overdue[branch.pk]) % {"count": overdue[branch.pk]})  # fmt: skip
        if late_reports.get(branch.pk):
            reasons.append(ngettext("%(count)d report late or returned", "%(count)d reports late or returned",
                                    late_reports[branch.pk]) % {"count": late_reports[branch.pk]})  # fmt: skip
        if branch.pk in with_members and branch.pk not in active:
            reasons.append(str(no_activity))
        if reasons:
            lagging.append((branch, "、".join(reasons)))
    messages = []
    grants = RoleGrant.objects.filter(role=Role.LEADER, branch__active=True, user__is_active=True)
    leaders: dict[int, tuple[object, list[str]]] = {}
    for grant in grants.select_related("user", "branch"):
        leaders.setdefault(grant.user.pk, (grant.user, []))[1].append(grant.branch.path)
    for user, paths in leaders.values():
        lines = [
            _("%(branch)s: %(reasons)s") % {"branch": branch.name, "reasons": reasons}
            for branch, reasons in lagging
            if any(is_under(branch, path) for path in paths)
        ]
        if not lines:
            continue
        title = ngettext("This week: %(count)d branch is lagging", "This week: %(count)d branches are lagging",
                         len(lines)) % {"count": len(lines)}  # fmt: skip
        messages.append(Message(Kind.LEADER_WEEKLY, "weekly", week, title, capped(lines),
                                reverse("dashboards:dashboard"), [user]))  # fmt: skip
    return messages


def claim_line(claim: Claim) -> str:
    values = {"member": claim.member.name, "date": claim.date}
    if claim.kind == Claim.Kind.HOURS and claim.activity is not None:
        return _("%(member)s: %(hours)s hours at “%(activity)s” on %(date)s") % {
            **values, "hours": claim.hours, "activity": claim.activity.title
        }  # fmt: skip
    household_name = household(claim.pairing.beneficiary) if claim.pairing is not None else ""
    return _("%(member)s: visit to %(household)s on %(date)s") % {**values, "household": household_name}


def hours_waiting(today: dt.date, secretaries: Secretaries | None = None) -> list[Message]:
    """Members' records waiting for confirmation — hours at an activity, visits — to the secretaries of the
    branch that decides them (the nearest grant, as for reports): once a week (ISO week) while any wait, listing
    them oldest first, with a link to the queue. A household is its surname and community only."""
    secretaries = secretaries or Secretaries()
    week, _monday = week_of(today)
    waiting = (
        Claim.objects.filter(status=Claim.Status.PENDING, date__lte=today)
        .select_related("member", "branch", "activity", "pairing__beneficiary__branch")
        .order_by("date", "pk")
    )
    per_user: dict[int, tuple[object, list[str]]] = {}
    for claim in waiting:
        line = claim_line(claim)
        for user in secretaries.of(claim.branch):
            per_user.setdefault(user.pk, (user, []))[1].append(line)
    messages = []
    for user, lines in per_user.values():
        count = len(lines)
        title = ngettext("%(count)d member's record waiting for confirmation",
                         "%(count)d members' records waiting for confirmation", count) % {"count": count}  # fmt: skip
        messages.append(Message(Kind.SECRETARY_WEEKLY, "claims", week, title, capped(lines),
                                reverse("selfservice:queue"), [user]))  # fmt: skip
    return messages


def all_messages(today: dt.date) -> list[Message]:
    pairings = pairings_due(today)
    due = reports_due(today)
    secretaries = Secretaries()
    return [
        *pairing_messages(pairings, today),
        *report_messages(due, secretaries),
        *hours_waiting(today, secretaries),
        *secretary_digests(pairings, due, secretaries, today),
        *leader_digests(due, today),
    ]

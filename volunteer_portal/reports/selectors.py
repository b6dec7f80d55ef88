"""Reads of branch reports (情况汇报): the figures a report states and freezes, who may edit or review one, what
is due, and the organisation summary. Figures come from `dashboards.figures`, so a report counts exactly as the
dashboard does. The workflow's writes are in `services.py`.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from activities.models import Activity
from volunteer_portal.branches.models import Branch, RoleGrant, in_subtree, is_under
from volunteer_portal.branches.selectors import branch_list, grant_paths, scope_q
from volunteer_portal.dashboards.assistance import by_kind
from volunteer_portal.dashboards.figures import ASSISTANCE_KINDS, Figures, down_to, own_figures, rollup, subtree_totals
from volunteer_portal.dashboards.periods import Frequency, ended_periods, period_label, period_of
from volunteer_portal.templatetags import percent

from .models import BranchReport, ReportEvent, ReportRequirement

Role = RoleGrant.Role
Status = BranchReport.Status
LOOK_BACK_DAYS = 366  # how far back the home page looks for reports still due

# The frozen figures, in the order reports show them.
FIGURES = [
    ("activities", pgettext_lazy("figure", "activities")),
    ("participations", pgettext_lazy("figure", "participations")),
    ("participants", pgettext_lazy("figure", "participants")),
    ("hours", pgettext_lazy("figure", "volunteer hours")),
    ("members", pgettext_lazy("figure", "members")),
    ("participating_members", pgettext_lazy("figure", "members who took part")),
    ("visits", pgettext_lazy("figure", "visits")),
    ("households", pgettext_lazy("figure", "households reached")),
    ("assistance_total", pgettext_lazy("figure", "assistance (yuan)")),
    ("months_active", pgettext_lazy("figure", "months active")),
    ("overdue_pairings", pgettext_lazy("figure", "overdue pairings")),
    ("never_visited", pgettext_lazy("figure", "never visited")),
]
FIGURE_LABELS = dict(FIGURES)
# What sums without counting twice when reports of a branch and of its sub-branches are added up.
ADDITIVE = ["activities", "participations", "hours", "visits", "assistance_total"]
# Assistance by kind, frozen too (a report's own ones sum up the tree like ADDITIVE; older reports lack them).
KINDS = ["assistance", "assistance_items", "assistance_unvalued"]


# The reports that stand: submitted or approved. One for a period is owed-and-met, whatever the requirements say.
STANDING = (Status.SUBMITTED, Status.APPROVED)


@dataclass
class OwedReport:
    """A report a branch owes for a period, and the report written for it if any (of any status)."""

    branch: Branch
    frequency: str
    start: dt.date
    end: dt.date
    due_on: dt.date
    report: BranchReport | None = None

    @property
    def standing(self) -> bool:
        return self.report is not None and self.report.status in STANDING


def owed_reports(
    branches: list[Branch], since: dt.date, until: dt.date, *, frequency: str | None = None,
    today: dt.date | None = None, reports: list[BranchReport] | None = None,
) -> list[OwedReport]:  # fmt: skip
    """Which reports the branches owe for the periods ending in [since, until]: the one rule the summary, the
    evaluation, the due list and the reports page share.

    A (branch, period) is owed when the branch is active, an active requirement names its kind and frequency,
    the period has ended by today, and it ends on or after the requirement's `starts_on` (an administrator
    entering 2012 history sets that to 2012; a branch's or requirement's record date says only when it was
    entered). A report that stands (submitted or approved) is owed-and-met for its period in any case, so a report
    written before the start date is never "not required". `reports`, when given, must hold every report of these
    branches for periods ending in the window (any status); otherwise they are read here (one query)."""
    today = today or timezone.localdate()
    requirements = ReportRequirement.objects.filter(active=True)
    if frequency is not None:
        requirements = requirements.filter(frequency=frequency)
    if reports is None:
        reports = list(
            BranchReport.objects.filter(
                branch__in=[branch.pk for branch in branches], period_end__gte=since, period_end__lte=until
            )
        )
    written = {(r.branch_id, r.frequency, r.period_start, r.period_end): r for r in reports}
    kinds: dict[str, list[ReportRequirement]] = {}
    for requirement in requirements:
        kinds.setdefault(requirement.branch_kind, []).append(requirement)
    owed: dict[tuple, OwedReport] = {}
    for branch in branches:
        if not branch.active:
            continue
        for requirement in kinds.get(branch.kind, []):
            first = max(since, requirement.starts_on)
            for start, end in ended_periods(requirement.frequency, first, min(today, until + dt.timedelta(days=1))):
                key = (branch.pk, requirement.frequency, start, end)
                due_on = end + dt.timedelta(days=requirement.due_days)
                owed[key] = OwedReport(branch, requirement.frequency, start, end, due_on, written.get(key))
    by_pk = {branch.pk: branch for branch in branches}
    for key, report in written.items():
        wanted = report.branch_id in by_pk and (frequency is None or report.frequency == frequency)
        if wanted and report.status in STANDING and key not in owed:
            owed[key] = OwedReport(by_pk[report.branch_id], report.frequency, report.period_start,
                                   report.period_end, report.period_end, report)  # fmt: skip
    return sorted(owed.values(), key=lambda o: (o.start, o.end, o.branch.path))


# --- figures -------------------------------------------------------------------------------------------------


def _plain(figures: Figures) -> dict:
    values = {name: getattr(figures, name) for name, _label in FIGURES}
    # Hours and yuan as text with fixed decimals: JSON keeps them exact, and both databases read alike.
    values["assistance"] = {kind: f"{figures.assistance[kind]:.2f}" for kind in ASSISTANCE_KINDS}
    values["assistance_items"] = dict(figures.assistance_items)
    values["assistance_unvalued"] = dict(figures.assistance_unvalued)
    values["hours"] = f"{Decimal(values['hours']):.1f}"
    values["assistance_total"] = f"{Decimal(values['assistance_total']):.2f}"
    return values


def activities_by_type(branch: Branch, start: dt.date, end: dt.date) -> list[dict]:
    """The period's activities of the branch's subtree grouped by type: [{type, count, hours}]."""
    rows = (
        Activity.objects.live()
        .filter(in_subtree(branch, via="branch"), date__gte=start, date__lte=end)
        .values("type__name")
        .annotate(n=Count("id", distinct=True), hours=Sum("participations__hours"))
        .order_by("-n", "type__name")
    )
    return [{"type": row["type__name"], "count": row["n"], "hours": f"{row['hours'] or 0:.1f}"} for row in rows]


def live_figures(branch: Branch, start: dt.date, end: dt.date) -> dict:
    """What a report on this branch and period states today: its subtree's figures, the branch's own additive
    figures (for summing reports up the tree) and the activities by type."""
    result = rollup(branch, start, end)
    own = _plain(result.own.get(branch.pk, Figures()))
    return {
        "total": _plain(result.figures),
        "own": {name: own[name] for name in [*ADDITIVE, *KINDS]},
        "by_type": activities_by_type(branch, start, end),
    }


def figure_rows(values: dict) -> list[tuple[str, str, object]]:
    """(name, label, value) of a report's figures, for templates and documents; after the assistance total, a
    row per kind with its items and value ("康复器具 3 件（其中 2 件未填金额），¥0.00")."""
    rows: list[tuple[str, str, object]] = []
    for name, label in FIGURES:
        rows.append((name, str(label), values.get(name)))
        if name == "assistance_total" and "assistance" in values:  # older frozen figures may lack the kinds
            rows += [(f"assistance:{line.kind}", _("of which: %(kind)s") % {"kind": line.label}, line.text)
                     for line in by_kind(values)]  # fmt: skip
    return rows


# Compared for drift: what the records of the period alone decide. Overdue pairings and never-visited households
# are a state on the period's last day (on today while the period runs: `as_of` in dashboards/figures.py), not
# a sum of the period's records, so they are not compared; distinct counts are not either (the summary checks
# drift with sums, and a change of people shows in the participations and visits anyway).
DRIFT = ["activities", "participations", "hours", "visits", "assistance_total", "participating_members",
         "months_active"]  # fmt: skip


def drift(report: BranchReport, now: dict | None = None) -> list[tuple[str, object, object]]:
    """Figures whose frozen value no longer matches the records (changed after submission): (label, then, now)."""
    if not report.figures:
        return []
    if now is None:
        now = live_figures(report.branch, report.period_start, report.period_end)["total"]
    then = report.figures["total"]
    return [
        (str(FIGURE_LABELS[name]), then.get(name), now.get(name))
        for name in DRIFT
        if str(then.get(name)) != str(now.get(name))
    ]


def narrative_from(branch: Branch, label: str, values: dict) -> dict[str, str]:
    """The draft's prefilled sections: the figures written into sentences, the activities by type."""
    total = values["total"]
    # Three sentences, so that a branch with nobody on the roll reads as such rather than "0 of 0 (no members)".
    activities = _(
        "In %(period)s, %(branch)s held %(activities)s Lei Feng activities, with %(participations)s participations "
        "by %(participants)s people and %(hours)s volunteer hours."
    ) % {
        "period": label, "branch": branch.name, "activities": total["activities"],
        "participations": total["participations"], "participants": total["participants"], "hours": total["hours"],
    }  # fmt: skip
    if total["members"]:
        roll = _("%(participating)s of its %(members)s members took part (%(rate)s).") % {
            "participating": total["participating_members"], "members": total["members"],
            "rate": percent(total["participating_members"] / total["members"]),
        }  # fmt: skip
    else:
        roll = _("No members were on its roll at the end of the period, so no participation rate is given.")
    reach = _(
        "It made %(visits)s visits to %(households)s households and handed over assistance worth %(assistance)s "
        "yuan; activities took place in %(months)s months."
    ) % {
        "visits": total["visits"], "households": total["households"], "assistance": total["assistance_total"],
        "months": total["months_active"],
    }  # fmt: skip
    unvalued = sum((total.get("assistance_unvalued") or {}).values())  # older frozen figures lack it
    if unvalued:
        reach += ngettext(
            " %(count)s item handed over has no value given and is not in that sum.",
            " %(count)s items handed over have no value given and are not in that sum.",
            unvalued,
        ) % {"count": unvalued}
    situation = _("%(activities)s %(roll)s %(reach)s") % {"activities": activities, "roll": roll, "reach": reach}
    by_type = "；".join(_("%(type)s: %(count)s times, %(hours)s hours") % row for row in values["by_type"]) or _(
        "No activities were recorded in this period."
    )
    problems = []
    if total["overdue_pairings"]:
        problems.append(_("%(count)s pairings are overdue for a visit.") % {"count": total["overdue_pairings"]})
    if total["never_visited"]:
        problems.append(_("%(count)s households have never been visited.") % {"count": total["never_visited"]})
    return {"basic_situation": situation, "practices": by_type, "problems": "".join(problems), "next_steps": ""}


# --- reading -------------------------------------------------------------------------------------------------


def report_list(user):
    return (
        BranchReport.objects.filter(scope_q(user, via="branch"))
        .select_related("branch")
        .order_by("-period_start", "branch__path")
    )


def may_edit(user, report: BranchReport) -> bool:
    return report.editable and branch_list(user=user, role=Role.SECRETARY).filter(pk=report.branch_id).exists()


def may_review(user, report: BranchReport) -> bool:
    """A leader of an ancestor branch (or a superuser), and not the person who submitted it."""
    if report.status != Status.SUBMITTED or not user.is_authenticated or not user.is_active:
        return False
    path = report.branch.path
    above = any(is_under(path, top) and path != top for top in grant_paths(user, Role.LEADER))
    if not (user.is_superuser or above):  # a leader of an ancestor branch, not of the branch itself
        return False
    return not report.events.filter(action=ReportEvent.Action.SUBMITTED, actor=user).exists()


class DueState(models.TextChoices):
    """Why a report is on a secretary's list, most urgent first."""

    RETURNED = "returned", gettext_lazy("returned")
    OVERDUE = "overdue", gettext_lazy("overdue")
    DUE = "due", gettext_lazy("due")


@dataclass
class DueReport:
    branch: Branch
    frequency: str
    start: dt.date
    end: dt.date
    due_on: dt.date
    state: DueState
    report: BranchReport | None = None
    States = DueState  # for templates: {% if item.state == item.States.RETURNED %}

    @property
    def label(self) -> str:
        return period_label(self.frequency, self.start)

    @property
    def number(self) -> int:
        """The month or quarter, as the period form takes it."""
        if self.frequency == Frequency.MONTHLY:
            return self.start.month
        return (self.start.month - 1) // 3 + 1


def due_reports(user, *, today: dt.date | None = None) -> list[DueReport]:
    """Reports the secretary still owes (`owed_reports` for the periods ended in the last year) and reports
    returned to them."""
    today = today or timezone.localdate()
    writable = branch_list(user=user, role=Role.SECRETARY)
    due: list[DueReport] = [
        # A returned report is owed again, whether or not its period is still required.
        DueReport(r.branch, r.frequency, r.period_start, r.period_end, r.period_end, DueState.RETURNED, r)
        for r in BranchReport.objects.filter(branch__in=writable, status=Status.RETURNED).select_related("branch")
    ]
    kinds = ReportRequirement.objects.filter(active=True).values("branch_kind")
    branches = list(writable.filter(active=True, kind__in=kinds))
    since = today - dt.timedelta(days=LOOK_BACK_DAYS)
    reports = list(BranchReport.objects.filter(branch__in=branches, period_end__gte=since, period_end__lte=today))
    for owed in owed_reports(branches, since, today, today=today, reports=reports):
        if owed.report is not None and owed.report.status != Status.DRAFT:
            continue  # submitted, approved, or returned (listed above)
        state = DueState.OVERDUE if today > owed.due_on else DueState.DUE
        due.append(DueReport(owed.branch, owed.frequency, owed.start, owed.end, owed.due_on, state, owed.report))
    order = {state: rank for rank, state in enumerate(DueState)}
    due.sort(key=lambda d: (order[d.state], d.due_on, d.branch.path))
    return due


# --- writing -------------------------------------------------------------------------------------------------


# --- the organisation summary --------------------------------------------------------------------------------


class SummaryState(models.TextChoices):
    """A reporting branch's state in the summary: its report's status, or no report at all."""

    MISSING = "missing", gettext_lazy("not submitted")
    DRAFT = Status.DRAFT.value, gettext_lazy("draft, not submitted")
    SUBMITTED = Status.SUBMITTED.value, gettext_lazy("awaiting review")
    RETURNED = Status.RETURNED.value, gettext_lazy("returned")
    APPROVED = Status.APPROVED.value, gettext_lazy("approved")


IN = (SummaryState.SUBMITTED, SummaryState.APPROVED)  # reports that stand: their frozen figures count


@dataclass
class SummaryRow:
    branch: Branch
    report: BranchReport | None
    state: SummaryState
    drift: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.state.label)

    @property
    def drift_text(self) -> str:
        """The differences in one line, as the downloads show them: "活动 2→3；走访次数 1→0"."""
        return "；".join(f"{label} {then}→{now}" for label, then, now in self.drift)


@dataclass
class Summary:
    node: Branch
    frequency: str
    start: dt.date
    end: dt.date
    rows: list[SummaryRow]
    children: list[tuple[Branch, dict, int, int]]  # (child, summed frozen figures, reports in, reports required)
    totals: dict
    counts: dict[SummaryState, int]


def organisation_summary(node: Branch, frequency: str, start: dt.date, *, with_drift: bool = True) -> Summary:
    """For every branch of the subtree that must report in this period: its report's state; the frozen figures
    of the submitted reports summed up the tree (each branch's own records, so nothing counts twice); and every
    submitted report whose figures no longer match the records, with the difference."""
    start, end = period_of(frequency, start)
    branches = list(Branch.objects.subtree_of(node))
    reports = {
        r.branch_id: r
        for r in BranchReport.objects.filter(
            in_subtree(node, via="branch"), period_start=start, period_end=end
        ).select_related("branch")
    }
    # The rows are the reports owed (`owed_reports`), so the summary and the evaluation count the same ones; a
    # draft for a period nobody owes is not listed.
    owed = owed_reports(branches, start, end, frequency=frequency, reports=list(reports.values()))
    required = [item.branch for item in owed if (item.start, item.end) == (start, end)]
    live_now = {}
    if with_drift:
        # Drift is a question for reports that stand: a returned one is being rewritten and freezes again.
        frozen = [r for r in reports.values() if r.figures and r.status in IN]
        live_now = _live_totals(node, branches, [r.branch for r in frozen], start, end)
    rows = []
    for branch in sorted(required, key=lambda b: b.path):
        report = reports.get(branch.pk)
        state = SummaryState(report.status) if report else SummaryState.MISSING
        row = SummaryRow(branch, report, state)
        if report is not None and report.figures and branch.pk in live_now:
            row.drift = drift(report, live_now[branch.pk])
        rows.append(row)
    counts = dict.fromkeys(SummaryState, 0)
    for row in rows:
        counts[row.state] += 1

    # One pass over the reports and one over the rows, each added to the node's total and to the child of the
    # node it is under: not a pass per child, for a district may have a thousand communities.
    def child_of(branch: Branch) -> int | None:
        chain = down_to(node, branch.path)
        return chain[1] if len(chain) > 1 else None

    total, sums = _no_sums(), defaultdict[int, dict](_no_sums)
    for report in reports.values():
        if report.figures and report.status in IN and is_under(report.branch, node):
            child = child_of(report.branch)
            for values in [total] if child is None else [total, sums[child]]:
                for name in ADDITIVE:
                    values[name] += Decimal(str(report.figures["own"][name]))
                _add_kinds(values, report.figures["own"])
    inside: dict[int, list[SummaryRow]] = defaultdict(list)
    for row in rows:
        if (child := child_of(row.branch)) is not None:
            inside[child].append(row)
    children = [
        (child, _rounded(sums[child.pk]), sum(1 for row in inside[child.pk] if row.state in IN), len(inside[child.pk]))
        for child in branches
        if child.parent_id == node.pk
    ]
    return Summary(node, frequency, start, end, rows, children, _rounded(total), counts)


def _no_sums() -> dict:
    return dict.fromkeys(ADDITIVE, Decimal("0"))


def _rounded(values: dict) -> dict:
    values["hours"] = values["hours"].quantize(Decimal("0.1"))
    values["assistance_total"] = values["assistance_total"].quantize(Decimal("0.01"))
    return values


def _add_kinds(values: dict, own: dict) -> None:
    """Add a report's own assistance by kind to a summary's sums; count the reports frozen without them."""
    if "assistance_items" not in own:
        values["reports_without_kinds"] = values.get("reports_without_kinds", 0) + 1
        return
    for name in KINDS:
        sums = values.setdefault(name, dict.fromkeys(ASSISTANCE_KINDS, 0))
        for kind in ASSISTANCE_KINDS:
            sums[kind] += Decimal(str(own[name].get(kind, 0))) if name == "assistance" else own[name].get(kind, 0)


def kinds_sentence(totals: dict) -> str:
    """The summary's assistance by kind in one sentence: "其中：慰问金 2 笔，¥1000.00；康复器具 4 件（其中 3 件
    未填金额），¥0.00。", and how many reports could not say."""
    lines = [f"{line.label} {line.text}" for line in by_kind(totals) if line.items or line.value]
    if "assistance_items" not in totals:
        lines = []
    sentence = _("Of which: %(lines)s.") % {"lines": "；".join(lines)} if lines else ""
    if totals.get("reports_without_kinds"):
        sentence += _("(%(count)s reports frozen before items were counted are not in these.)") % {
            "count": totals["reports_without_kinds"]
        }
    return sentence


def _live_totals(node: Branch, everything: list[Branch], wanted: list[Branch], start, end) -> dict[int, dict]:
    """Today's figures of each wanted branch's subtree, for the drift check: the branches' own figures read once
    for the whole node (a fixed number of queries), then summed up the tree."""
    totals = subtree_totals(node, own_figures(node, start, end), everything)
    return {branch.pk: _plain(totals[branch.pk]) for branch in wanted}

"""The year-end evaluation (评先评优): for every branch of a subtree, each criterion, its value, and whether the
branch may be rated excellent — with the reasons when not.

"凡是学雷锋活动开展不好的，单位处室不能评先，个人不得评优." Each branch is judged on its whole subtree for the
year, with the figures of `figures.py`: months active, participation rate, its own required reports (all
submitted and approved), and the share of its open pairings that are overdue today (pairings are judged on the
day the evaluation is read, as the dashboard does; a past year's page shows today's pairings). The thresholds live in
EvaluationCriteria, which an administrator edits.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beneficiaries.models import Pairing
from beneficiaries.selectors import open_pairing_q
from volunteer_portal.branches.models import Branch, in_subtree
from volunteer_portal.dashboards.figures import down_to, own_figures, subtree_totals
from volunteer_portal.templatetags import percent

from .models import BranchReport, EvaluationCriteria, ReportRequirement
from .selectors import owed_periods

CRITERIA = [
    ("months", gettext_lazy("Months active")),
    ("rate", gettext_lazy("Participation rate")),
    ("reports", gettext_lazy("Reports submitted and approved")),
    ("overdue", gettext_lazy("Overdue pairings today")),
]


@dataclass
class Check:
    key: str
    label: str
    value: str
    threshold: str
    passed: bool
    reason: str = ""


@dataclass
class BranchEvaluation:
    branch: Branch
    checks: list[Check] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [check.reason for check in self.checks if not check.passed]


def evaluate(node: Branch, year: int, *, today: dt.date | None = None) -> list[BranchEvaluation]:
    """Every active branch of the node's subtree, in tree order. A fixed number of queries whatever the size."""
    today = today or timezone.localdate()
    criteria = EvaluationCriteria.current()
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    everything = list(Branch.objects.subtree_of(node))
    branches = [branch for branch in everything if branch.active]

    # Each branch judged on its subtree: its own figures added to itself and every ancestor inside the node.
    # Overdue pairings are the figures' own count; the open pairings they are a share of are counted here.
    subtree = subtree_totals(node, own_figures(node, start, end, today=today), everything)
    own_open = dict(
        Pairing.objects.live()
        .filter(in_subtree(node, via="member__branch"), open_pairing_q(today=today))
        .values("member__branch_id")
        .annotate(n=Count("id"))
        .values_list("member__branch_id", "n")
        .order_by()
    )  # fmt: skip
    open_pairings: dict[int, int] = defaultdict(int)
    for branch in everything:
        for target in down_to(node, branch.path):
            open_pairings[target] += own_open.get(branch.pk, 0)

    # Reports each branch owes for the year (periods that have ended), and how many are approved.
    requirements = list(ReportRequirement.objects.filter(active=True))
    approved = set(
        BranchReport.objects.filter(
            in_subtree(node, via="branch"), period_start__gte=start, period_end__lte=end,
            status=BranchReport.Status.APPROVED,
        ).values_list("branch_id", "period_start", "period_end")
    )  # fmt: skip

    results = []
    for branch in branches:
        figures = subtree[branch.pk]
        evaluation = BranchEvaluation(branch)
        months = figures.months_active
        evaluation.checks.append(Check(
            "months", str(CRITERIA[0][1]), str(months), f"≥ {criteria.min_months_active}",
            months >= criteria.min_months_active,
            _("active in %(months)d months of the year; %(needed)d needed")
            % {"months": months, "needed": criteria.min_months_active},
        ))  # fmt: skip
        rate = figures.participation_rate
        evaluation.checks.append(Check(
            "rate", str(CRITERIA[1][1]), percent(rate),
            f"≥ {criteria.min_participation_rate}%",
            # In whole numbers: 29 / 50 * 100 is 57.99… in floating point, and 58% must pass at 58%.
            bool(figures.members)
            and figures.participating_members * 100 >= criteria.min_participation_rate * figures.members,
            _("%(took)d of %(members)d members took part; %(needed)d%% needed")
            % {"took": figures.participating_members, "members": figures.members,
               "needed": criteria.min_participation_rate}
            if figures.members else _("no members on the roll at the end of the year"),
        ))  # fmt: skip
        owed = [
            (branch.pk, period_start, period_end)
            for requirement in requirements
            if requirement.branch_kind == branch.kind
            for period_start, period_end in owed_periods(
                requirement, start, min(today, end + dt.timedelta(days=1)), branch=branch
            )
            if period_start.year == year
        ]
        done = sum(1 for key in owed if key in approved)
        evaluation.checks.append(Check(
            "reports", str(CRITERIA[2][1]), f"{done} / {len(owed)}" if owed else _("none required"),
            _("all") if criteria.require_reports else _("not applied"),
            done == len(owed) or not criteria.require_reports,
            _("%(missing)d of %(owed)d required reports not approved") % {"missing": len(owed) - done,
                                                                           "owed": len(owed)},
        ))  # fmt: skip
        pairs, late = open_pairings[branch.pk], figures.overdue_pairings
        share = late / pairs if pairs else 0.0
        evaluation.checks.append(Check(
            "overdue", str(CRITERIA[3][1]), f"{late} / {pairs} ({percent(share, up=True)})",
            f"≤ {criteria.max_overdue_share}%", late * 100 <= criteria.max_overdue_share * pairs,
            _("%(late)d of %(pairs)d open pairings are overdue; at most %(allowed)d%% allowed")
            % {"late": late, "pairs": pairs, "allowed": criteria.max_overdue_share},
        ))  # fmt: skip
        results.append(evaluation)
    return results

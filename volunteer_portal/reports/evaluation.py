"""The year-end evaluation (评先评优): for every branch of a subtree, each criterion, its value, and whether the
branch may be rated excellent — with the reasons when not.

"凡是学雷锋活动开展不好的，单位处室不能评先，个人不得评优." Each branch is judged on its whole subtree for the
year, with the figures of `figures.py`: months active, participation rate, its own required reports (all
submitted and approved; which are owed is `selectors.owed_reports`, as in the summary), the share of its
pairings running at the year's end that were overdue then (as of today while the year is still running: the
figures' rule, so a past year is judged on its own pairings, not today's), and 常态化: the share of the year's
activities held in March. The thresholds live in EvaluationCriteria, which an administrator edits.
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

from .models import BranchReport, EvaluationCriteria
from .selectors import owed_reports

CRITERIA = [
    ("months", gettext_lazy("Months active")),
    ("rate", gettext_lazy("Participation rate")),
    ("reports", gettext_lazy("Reports submitted and approved")),
    ("overdue", gettext_lazy("Overdue pairings at the year's end")),
    ("march", gettext_lazy("Year-round work (March share)")),
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
        .filter(in_subtree(node, via="member__branch"), open_pairing_q(today=min(end, today)))
        .values("member__branch_id")
        .annotate(n=Count("id"))
        .values_list("member__branch_id", "n")
        .order_by()
    )  # fmt: skip
    open_pairings: dict[int, int] = defaultdict(int)
    for branch in everything:
        for target in down_to(node, branch.path):
            open_pairings[target] += own_open.get(branch.pk, 0)

    # Reports each branch owes for the year (periods that have ended), by the rule the summary uses too.
    # The year's reports read by the subtree's path, not by a list of a thousand branch keys.
    written = list(
        BranchReport.objects.filter(in_subtree(node, via="branch"), period_end__gte=start, period_end__lte=end)
    )
    owed: dict[int, list] = defaultdict(list)
    for item in owed_reports(branches, start, end, today=today, reports=written):
        owed[item.branch.pk].append(item)

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
        owes = owed[branch.pk]
        done = sum(1 for item in owes if item.report is not None and item.report.status == BranchReport.Status.APPROVED)
        evaluation.checks.append(Check(
            "reports", str(CRITERIA[2][1]), f"{done} / {len(owes)}" if owes else _("none required"),
            _("all") if criteria.require_reports else _("not applied"),
            done == len(owes) or not criteria.require_reports,
            _("%(missing)d of %(owed)d required reports not approved") % {"missing": len(owes) - done,
                                                                           "owed": len(owes)},
        ))  # fmt: skip
        pairs, late = open_pairings[branch.pk], figures.overdue_pairings
        share = late / pairs if pairs else 0.0
        evaluation.checks.append(Check(
            "overdue", str(CRITERIA[3][1]), f"{late} / {pairs} ({percent(share, up=True)})",
            f"≤ {criteria.max_overdue_share}%", late * 100 <= criteria.max_overdue_share * pairs,
            _("%(late)d of %(pairs)d open pairings are overdue; at most %(allowed)d%% allowed")
            % {"late": late, "pairs": pairs, "allowed": criteria.max_overdue_share},
        ))  # fmt: skip
        evaluation.checks.append(march_check(figures.march_activities, figures.activities, criteria))
        results.append(evaluation)
    return results


def march_check(march: int, activities: int, criteria: EvaluationCriteria) -> Check:
    """常态化, "不是三月来，四月走": activities in March ÷ the year's activities, at most the threshold. In whole
    numbers, as the other criteria. A branch with no activity at all fails with its own reason: there is no share
    to judge, and no work done all year is not year-round work."""
    allowed = criteria.max_march_share_percent
    label, threshold = str(CRITERIA[4][1]), f"≤ {allowed}%"
    if not activities:
        return Check("march", label, "—", threshold, False, _("no activities in the year, so no March share"))
    share = march / activities
    return Check(
        "march", label, f"{march} / {activities} ({percent(share, up=True)})", threshold,
        march * 100 <= allowed * activities,
        _("March holds %(share)s of the year's activities, more than %(allowed)d%% (三月来，四月走)")
        % {"share": percent(share, up=True), "allowed": allowed},
    )  # fmt: skip

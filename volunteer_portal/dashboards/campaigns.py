"""Progress of campaign targets ("every community visits one household: 37 of 42") for a node.

A target counts one metric (activities, visits, households reached, volunteer hours) for each branch of a kind,
or each (leadership) member, over the campaign's own period, inside the node's part of the organiser's
subtree. All branch targets are measured in one query and all member targets in another: each target adds a
correlated subquery, so the number of queries does not grow with the branches or the rows.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from activities.models import Activity, CampaignTarget, Participation
from beneficiaries.models import Beneficiary, Visit, VisitVisitor
from volunteer_portal.branches.models import Branch, Member, in_subtree, is_under

from .figures import active_at

Metric = CampaignTarget.Metric
Subject = CampaignTarget.Subject
SHOW_MISSING = 20


@dataclass
class TargetProgress:
    target: CampaignTarget
    met: int = 0
    total: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def missing_more(self) -> int:
        """How many are missing beyond the names listed."""
        return self.total - self.met - len(self.missing)

    @property
    def done(self) -> bool:
        return self.total > 0 and self.met == self.total

    @property
    def share(self) -> float | None:
        return self.met / self.total if self.total else None


def _scalar(queryset: QuerySet, expression: Func) -> Coalesce:
    """One number from a correlated subquery (COUNT or SUM without GROUP BY), 0 when there are no rows."""
    return Coalesce(
        Subquery(queryset.order_by().annotate(value=expression).values("value")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def _count(column: str = "pk", *, distinct: bool = False) -> Func:
    template = "COUNT(DISTINCT %(expressions)s)" if distinct else "COUNT(%(expressions)s)"
    return Func(F(column), template=template, output_field=IntegerField())


def _sum(column: str) -> Func:
    return Func(F(column), function="SUM", output_field=IntegerField())


def _period(target: CampaignTarget) -> Q:
    return Q(date__gte=target.campaign.start, date__lte=target.campaign.end)


def _type_q(target: CampaignTarget, prefix: str = "") -> Q:
    if target.activity_type_id is None:
        return Q()
    return Q(**{f"{prefix}type_id": target.activity_type_id}) | Q(
        **{f"{prefix}type__parent_id": target.activity_type_id}
    )


def _branch_measure(target: CampaignTarget):
    """The metric over the subtree of each candidate branch (OuterRef is the branch).

    The subtree is given as `branch_id IN (branches under this one)`, not as a LIKE on the joined path: the
    database then finds the rows through the (branch, date) index instead of scanning the table once per
    candidate branch (169 s instead of under a second for 483 communities and 66,687 visits on SQLite).
    """
    under = {"branch_id__in": Branch.objects.filter(in_subtree(OuterRef(OuterRef("path")))).values("pk")}
    if target.metric == Metric.ACTIVITIES:
        return _scalar(Activity.objects.live().filter(_period(target), _type_q(target), **under), _count())
    if target.metric in (Metric.VISITS, Metric.HOUSEHOLDS):
        visits = _target_visits(target).filter(_period(target), **under)
        if target.metric == Metric.VISITS:
            return _scalar(visits, _count())
        return _scalar(visits, _count("beneficiary_id", distinct=True))
    return _scalar(
        Participation.objects.filter(
            _type_q(target, "activity__"),
            activity__archived_at__isnull=True,
            activity__date__gte=target.campaign.start,
            activity__date__lte=target.campaign.end,
            activity__branch_id__in=under["branch_id__in"],
        ),
        _sum("hours"),
    )


def _target_visits(target: CampaignTarget, prefix: str = ""):
    """Visits that count for a visit or household target: live, to a live household, of the target's activity
    type when it has one (a visit made during such an activity), to a household in hardship when asked."""
    condition = Q(**{f"{prefix}archived_at__isnull": True, f"{prefix}beneficiary__archived_at__isnull": True})
    if target.activity_type_id is not None:
        condition &= _type_q(target, f"{prefix}activity__")
    if target.hardship_only:
        condition &= ~Q(**{f"{prefix}beneficiary__household_status": Beneficiary.HouseholdStatus.NONE})
    model = VisitVisitor if prefix else Visit
    return model.objects.filter(condition)


def _member_measure(target: CampaignTarget):
    """The metric for each candidate member (OuterRef is the member)."""
    if target.metric in (Metric.VISITS, Metric.HOUSEHOLDS):
        links = _target_visits(target, "visit__").filter(
            member=OuterRef("pk"),
            visit__date__gte=target.campaign.start,
            visit__date__lte=target.campaign.end,
        )
        if target.metric == Metric.VISITS:
            return _scalar(links, _count("visit_id", distinct=True))
        return _scalar(links, _count("visit__beneficiary_id", distinct=True))
    participations = Participation.objects.filter(
        Q(activity__archived_at__isnull=True),
        _type_q(target, "activity__"),
        member=OuterRef("pk"),
        activity__date__gte=target.campaign.start,
        activity__date__lte=target.campaign.end,
    )
    if target.metric == Metric.ACTIVITIES:
        return _scalar(participations, _count("activity_id", distinct=True))
    return _scalar(participations, _sum("hours"))


def _evaluation_root(node: Branch, organiser: Branch) -> str:
    """The deeper of the two nested subtrees: the node's part of the organiser's reach."""
    return node.path if is_under(node, organiser) else organiser.path


def campaign_progress(node: Branch, start: dt.date, end: dt.date) -> list[TargetProgress]:
    """Every target of every live campaign running in [start, end] that reaches the node or lies inside it."""
    ancestor_ids = [int(part) for part in node.path.split("/") if part]
    targets = list(
        CampaignTarget.objects.filter(
            campaign__archived_at__isnull=True, campaign__start__lte=end, campaign__end__gte=start
        )
        .filter(Q(campaign__branch_id__in=ancestor_ids) | in_subtree(node, via="campaign__branch"))
        .select_related("campaign", "campaign__branch", "activity_type")
        .order_by("campaign__start", "campaign_id", "pk")
    )
    progress = {target.pk: TargetProgress(target) for target in targets}
    branch_targets = [t for t in targets if t.subject == Subject.BRANCH]
    member_targets = [t for t in targets if t.subject == Subject.MEMBER]

    if branch_targets:
        candidates = Q(pk__in=[])
        for target in branch_targets:
            candidates |= _branch_candidates(target, node)
        rows = Branch.objects.filter(candidates).annotate(
            **{f"t{t.pk}": _branch_measure(t) for t in branch_targets},
            **{f"c{t.pk}": _flag(_branch_candidates(t, node)) for t in branch_targets},
        )
        for branch in rows.order_by("path"):
            for target in branch_targets:
                if getattr(branch, f"c{target.pk}"):
                    _tally(progress[target.pk], branch.name, getattr(branch, f"t{target.pk}"))

    if member_targets:
        candidates = Q(pk__in=[])
        for target in member_targets:
            candidates |= _member_candidates(target, node)
        members = (
            Member.objects.filter(candidates)
            .select_related("branch")
            .annotate(
                **{f"t{t.pk}": _member_measure(t) for t in member_targets},
                **{f"c{t.pk}": _flag(_member_candidates(t, node)) for t in member_targets},
            )
        )
        for member in members.order_by("branch__path", "name"):
            for target in member_targets:
                if getattr(member, f"c{target.pk}"):
                    _tally(
                        progress[target.pk], f"{member.name}（{member.branch.name}）", getattr(member, f"t{target.pk}")
                    )

    return list(progress.values())


def _branch_candidates(target: CampaignTarget, node: Branch) -> Q:
    condition = Q(active=True) & in_subtree(_evaluation_root(node, target.campaign.branch))
    return condition & Q(kind=target.branch_kind) if target.branch_kind else condition


def _member_candidates(target: CampaignTarget, node: Branch) -> Q:
    condition = active_at(target.campaign.end) & in_subtree(
        _evaluation_root(node, target.campaign.branch), via="branch"
    )
    return condition & Q(is_leadership=True) if target.leadership_only else condition


def _flag(condition: Q) -> ExpressionWrapper:
    """Whether a row is a target's candidate, answered by the database with the same condition that chose the
    rows (the roll, the subtree, the kind), so the rule is not written again in Python."""
    return ExpressionWrapper(condition, output_field=BooleanField())


def _tally(progress: TargetProgress, name: str, value: int) -> None:
    progress.total += 1
    if value >= progress.target.quantity:
        progress.met += 1
    elif len(progress.missing) < SHOW_MISSING:
        progress.missing.append(name)

"""The figures of DESIGN.md ("Figures: one definition each"), for a subtree and a date range, in one place.

Dashboards, exports, branch reports and the annual evaluation all call `rollup()`. Every figure is computed by
the database; Python only adds up per-branch aggregates along the tree (a pass over branches, never over
activity rows). Archived rows never count.

How each figure rolls up:
- additive (activities, participations, hours, visits, assistance, members, overdue pairings, never-visited
  households): grouped by branch, then summed over the subtree;
- distinct (participants, households reached): counted by the database once per child subtree and once for the
  node, because a person who took part in two child branches counts once at the parent;
- months active: the union of the months with activities.

The per-child distinct counts group rows by the child of the node that their branch lies under, read from the
materialized path: for a node with path "1/4/", a branch with path "1/4/17/23/" lies under child 17.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, StrIndex, Substr
from django.utils import timezone

from activities.footprints import PARTICIPANT
from activities.models import Activity, Participation
from beneficiaries.footprints import HOUSEHOLD
from beneficiaries.models import AssistanceItem, Beneficiary, DisabilityCategory, Pairing, Visit
from beneficiaries.selectors import never_visited_q, pairings_with_status
from volunteer_portal.branches.models import (
    PATH_SEPARATOR,
    Branch,
    Member,
    Presence,
    Tally,
    in_subtree,
    is_under,
    on_roll_q,
    path_ids,
)
from volunteer_portal.expressions import MonthStart

ASSISTANCE_KINDS = [kind.value for kind in AssistanceItem.Kind]
NODE_KEY = "*"


@dataclass
class Figures:
    """The figures of one node (a branch and everything below it) for one period."""

    activities: int = 0
    march_activities: int = 0
    participations: int = 0
    participants: int = 0
    hours: Decimal = Decimal("0")
    visits: int = 0
    households: int = 0
    assistance: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(ASSISTANCE_KINDS, Decimal("0")))
    # Items handed over, counted by their quantity ("devices ×3"), and how many of them have no value given.
    assistance_items: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ASSISTANCE_KINDS, 0))
    assistance_unvalued: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ASSISTANCE_KINDS, 0))
    members: int = 0
    participating_members: int = 0
    months: set[dt.date] = field(default_factory=set)
    overdue_pairings: int = 0
    never_visited: int = 0
    # DESIGN.md defines the March share against the whole year: a shorter period has none.
    whole_years: bool = True

    def add(self, other: "Figures") -> None:
        """Add another branch's additive figures (distinct counts are set separately, never added)."""
        for name in ("activities", "march_activities", "participations", "hours", "visits", "members",
                     "participating_members", "overdue_pairings", "never_visited"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind in ASSISTANCE_KINDS:
            self.assistance[kind] += other.assistance[kind]
            self.assistance_items[kind] += other.assistance_items[kind]
            self.assistance_unvalued[kind] += other.assistance_unvalued[kind]
        self.months |= other.months

    @property
    def participation_rate(self) -> float | None:
        """Members active at the end of the period who took part in any activity in it, over those members."""
        return self.participating_members / self.members if self.members else None

    @property
    def non_participants(self) -> int:
        return self.members - self.participating_members

    @property
    def months_active(self) -> int:
        return len(self.months)

    @property
    def march_share(self) -> float | None:
        if not self.whole_years or not self.activities:
            return None
        return self.march_activities / self.activities

    @property
    def assistance_total(self) -> Decimal:
        return sum(self.assistance.values(), Decimal("0"))


@dataclass
class Rollup:
    node: Branch
    start: dt.date
    end: dt.date
    figures: Figures
    children: list[tuple[Branch, Figures]]
    monthly: list[tuple[dt.date, int, int]]  # (first day of month, activities, visits)
    households_by_category: list[tuple[str, int]]
    own: dict[int, Figures] = field(default_factory=dict)  # each branch's additive figures on its own records


def took_part_in(start: dt.date, end: dt.date) -> Exists:
    """For a Member row: whether they took part in any live activity dated in [start, end]. The participation
    rate and the list of members who have not taken part both ask this."""
    return Exists(
        Participation.objects.filter(
            member=OuterRef("pk"), activity__archived_at__isnull=True, activity__date__gte=start,
            activity__date__lte=end,
        )
    )  # fmt: skip


def took_part(start: dt.date, end: dt.date) -> Exists | Q:
    """took_part_in() as the pages ask it: from the figure store for a range of whole months (a standard period),
    from the base tables otherwise."""
    return _present_in(start, end) if whole_months(start, end) else took_part_in(start, end)


def down_to(node: Branch, path: str) -> list[int]:
    """The branches from the node down to the one with this path, both included: where a branch's own figures
    are added when figures are summed up the tree ("1/4/17/23/" under node 4 gives [4, 17, 23])."""
    return [node.pk, *path_ids(path[len(node.path) :])]


def subtree_totals(node: Branch, own: dict[int, Figures], branches: list[Branch]) -> dict[int, Figures]:
    """Every branch's additive figures over its own subtree inside the node, from the branches' own figures:
    a pass over the branches and their depth, never over rows."""
    totals: dict[int, Figures] = defaultdict(Figures)
    for branch in branches:
        if branch.pk in own and is_under(branch, node):
            for target in down_to(node, branch.path):
                totals[target].add(own[branch.pk])
    return totals


def _child_key(node: Branch, path_lookup: str):
    """The primary key (as text) of the node's child whose subtree holds the row; "" for the node itself."""
    rest = Substr(path_lookup, len(node.path) + 1)
    return Case(
        When(**{path_lookup: node.path}, then=Value("")),
        default=Substr(rest, 1, StrIndex(rest, Value(PATH_SEPARATOR)) - 1),
        output_field=CharField(),
    )


def _distinct_by_child_and_node(
    queryset: QuerySet, node: Branch, path_lookup: str, counted: str, *, also_by: str | None = None
) -> dict[str, int]:
    """Distinct `counted` per child subtree and for the whole node, in one query (a UNION of groupings).

    With `also_by`, a third grouping by that field is added, its keys prefixed with "by:".
    """
    per_child = (
        queryset.annotate(key=_child_key(node, path_lookup))
        .values("key")
        .annotate(n=Count(counted, distinct=True))
        .values_list("key", "n")
        .order_by()
    )
    whole = (
        queryset.annotate(key=Value(NODE_KEY, output_field=CharField()))
        .values("key")
        .annotate(n=Count(counted, distinct=True))
        .values_list("key", "n")
        .order_by()
    )
    groupings = [whole]
    if also_by:
        groupings.append(
            queryset.annotate(key=Concat(Value("by:"), Cast(also_by, CharField()), output_field=CharField()))
            .values("key")
            .annotate(n=Count(counted, distinct=True))
            .values_list("key", "n")
            .order_by()
        )
    return dict(per_child.union(*groupings, all=True))


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def whole_months(start: dt.date, end: dt.date) -> bool:
    """Whether a range is made of whole months: then its figures are read from the figure store."""
    return start.day == 1 and (end + dt.timedelta(days=1)).day == 1


def _collect(node: Branch, start: dt.date, end: dt.date, today: dt.date, stored: bool):
    """The additive figures of each branch of the subtree on its own records (grouped by the database), the
    month-by-month counts, and the period's live activities (for the items handed over at them).

    A range of whole months (every standard period) reads the figure store's per-(branch, month) rows; any
    other range, and `figures_check`'s reference (stored=False), the base tables."""
    per_branch: dict[int, Figures] = defaultdict(Figures)
    # Months still to come are left out of the trend (a zero there would read as "nothing was done").
    monthly: dict[dt.date, list[int]] = {month: [0, 0] for month in months_between(start, min(end, today))}
    if stored:
        _add_stored(per_branch, monthly, node, start, end)
    else:
        _add_recorded(per_branch, monthly, node, start, end)
    _add_group_items(per_branch, node, start, end)
    took_part: Exists | Q = _present_in(start, end) if stored else took_part_in(start, end)
    for branch_id, members, participating in (
        Member.objects.filter(on_roll_q(end), in_subtree(node, via="branch"))
        .values("branch_id")
        .annotate(n=Count("id"), took=Sum(Case(When(took_part, then=1), default=0, output_field=IntegerField())))
        .values_list("branch_id", "n", "took")
        .order_by()
    ):
        per_branch[branch_id].members += members
        per_branch[branch_id].participating_members += participating or 0

    # Households and pairings as they stood at the end of the range (today for the current period): a 2012 page
    # does not count today's pairings, nor households registered since.
    as_of = min(end, today)
    for branch_id, count in (
        Beneficiary.objects.live()
        .filter(never_visited_q(as_of=as_of), in_subtree(node, via="branch"))
        .values("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
        .order_by()
    ):
        per_branch[branch_id].never_visited += count

    for branch_id, count in (
        pairings_with_status(Pairing.objects.live().filter(in_subtree(node, via="member__branch")), today=as_of)
        .filter(Q(is_overdue=True))
        .values("member__branch_id")
        .annotate(n=Count("id"))
        .values_list("member__branch_id", "n")
        .order_by()
    ):
        per_branch[branch_id].overdue_pairings += count

    return per_branch, monthly


def _add_recorded(per_branch: dict[int, Figures], monthly: dict, node: Branch, start: dt.date, end: dt.date) -> None:
    """The additive figures of activities and visits from the base tables."""
    activities = Activity.objects.live().filter(date__gte=start, date__lte=end, **_under(node, "branch"))
    for branch_id, month, count, participations, hours in (
        activities.annotate(month=MonthStart("date"))
        .values("branch_id", "month")
        .annotate(n=Count("id", distinct=True), p=Count("participations"), h=Sum("participations__hours"))
        .values_list("branch_id", "month", "n", "p", "h")
        .order_by()
    ):
        month = _as_date(month)
        figures = per_branch[branch_id]
        figures.activities += count
        figures.participations += participations
        figures.hours += hours or 0
        figures.months.add(month)
        if month.month == 3:
            figures.march_activities += count
        if month in monthly:
            monthly[month][0] += count

    # A visit to a household since archived no longer counts either: archived rows never count.
    sums = {kind: Sum("items__value", filter=Q(items__kind=kind)) for kind in ASSISTANCE_KINDS}
    sums |= {f"{kind}_n": Sum("items__quantity", filter=Q(items__kind=kind)) for kind in ASSISTANCE_KINDS}
    sums |= {f"{kind}_u": Sum("items__quantity", filter=Q(items__kind=kind, items__value__isnull=True))
             for kind in ASSISTANCE_KINDS}  # fmt: skip
    for row in (
        _live_visits(node, start, end)
        .annotate(month=MonthStart("date"))
        .values("branch_id", "month")
        .annotate(n=Count("id", distinct=True), **sums)
        .order_by()
    ):
        figures = per_branch[row["branch_id"]]
        figures.visits += row["n"]
        _add_assistance(figures, row)
        if _as_date(row["month"]) in monthly:
            monthly[_as_date(row["month"])][1] += row["n"]


def _add_stored(per_branch: dict[int, Figures], monthly: dict, node: Branch, start: dt.date, end: dt.date) -> None:
    """The same figures from the figure store: a few rows per branch and month, whatever the size."""
    rows = Tally.objects.filter(confirmed=True, month__gte=start, month__lte=end, branch__path__startswith=node.path)
    for branch_id, month, figure, total in (
        rows.filter(figure__in=["activities", "visits"])
        .values_list("branch_id", "month", "figure", "amount")
        .order_by()
    ):
        month, count = _as_date(month), int(total)
        figures = per_branch[branch_id]
        if figure == "activities":
            figures.activities += count
            figures.months.add(month)
            if month.month == 3:
                figures.march_activities += count
        else:
            figures.visits += count
        if month in monthly:
            monthly[month][0 if figure == "activities" else 1] += count
    for branch_id, figure, total in (
        rows.exclude(figure__in=["activities", "visits"])
        .exclude(figure__startswith="type:")
        .values("branch_id", "figure")
        .annotate(total=Sum("amount"))
        .values_list("branch_id", "figure", "total")
        .order_by()
    ):
        figures = per_branch[branch_id]
        if figure == "participations":
            figures.participations += int(total)
        elif figure == "hours":
            figures.hours += total
        else:
            measure, kind = figure.split(":", 1)
            if kind not in figures.assistance:
                continue
            if measure == "value":
                figures.assistance[kind] += total
            elif measure == "items":
                figures.assistance_items[kind] += int(total)
            else:
                figures.assistance_unvalued[kind] += int(total)


def _add_group_items(per_branch: dict[int, Figures], node: Branch, start: dt.date, end: dt.date) -> None:
    """Handed over at an activity to people not named: dated by the activity and counted in its branch. They are
    few (one row per kind and activity), so they are read from their own table with the activity joined."""
    for row in (
        AssistanceItem.objects.filter(
            activity__isnull=False,  # lets the database start from the few items of activities (its index)
            activity__archived_at__isnull=True,
            activity__date__gte=start,
            activity__date__lte=end,
            **_under(node, "activity__branch"),
        )
        .values("activity__branch_id", "kind")
        .annotate(total=Sum("value"), n=Sum("quantity"), u=Sum("quantity", filter=Q(value__isnull=True)))
        .order_by()
    ):
        kind = row["kind"]
        _add_assistance(per_branch[row["activity__branch_id"]],
                        {kind: row["total"], f"{kind}_n": row["n"], f"{kind}_u": row["u"]})  # fmt: skip


def _under(node: Branch, via: str) -> dict:
    return {f"{via}__path__startswith": node.path}


def _live_visits(node: Branch, start: dt.date, end: dt.date) -> QuerySet:
    # A visit to a household since archived no longer counts either: archived rows never count.
    return Visit.objects.live().filter(
        date__gte=start, date__lte=end, beneficiary__archived_at__isnull=True, **_under(node, "branch")
    )


def standard_span(start: dt.date, end: dt.date) -> str | None:
    """The span whose per-ancestor rows answer a range exactly: a calendar year or quarter; else None."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return Presence.Span.YEAR
    if start.day == 1 and start.month % 3 == 1 and end == _quarter_end(start):
        return Presence.Span.QUARTER
    return None


def _quarter_end(start: dt.date) -> dt.date:
    return (start.replace(day=28) + dt.timedelta(days=70)).replace(day=1) - dt.timedelta(days=1)


def _presence(kind: str, node: Branch, start: dt.date, end: dt.date) -> QuerySet:
    """The store's presence rows that count `kind` once for the node over the range: its own row of a standard
    span, or the month rows of its whole subtree."""
    span = standard_span(start, end)
    if span:
        return Presence.objects.filter(kind=kind, span=span, period=start, branch=node)
    return Presence.objects.filter(
        kind=kind, span=Presence.Span.MONTH, period__gte=start, period__lte=end, branch__path__startswith=node.path
    )


def _stored_distinct(kind: str, node: Branch, children: list[Branch], start: dt.date, end: dt.date) -> dict:
    """Distinct `kind` for the node and each child: one count per branch shown for a standard span, else the
    month rows grouped by child as `_distinct_by_child_and_node` does for the base tables."""
    span = standard_span(start, end)
    if not span:
        return _distinct_by_child_and_node(_presence(kind, node, start, end), node, "branch__path", "subject")
    counts = dict(
        Presence.objects.filter(kind=kind, span=span, period=start, branch__in=[node, *children])
        .values("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
        .order_by()
    )
    return {(NODE_KEY if pk == node.pk else str(pk)): n for pk, n in counts.items()}


def _stored_by_category(node: Branch, start: dt.date, end: dt.date) -> dict[str, int]:
    """Households reached by disability category (as the household is recorded now), keys prefixed "by:"."""
    reached = Beneficiary.objects.filter(pk__in=_presence(HOUSEHOLD, node, start, end).values("subject"))
    return {
        f"by:{category}": n
        for category, n in reached.values("disability_category").annotate(n=Count("id")).values_list(
            "disability_category", "n"
        ).order_by()
    }  # fmt: skip


def _present_in(start: dt.date, end: dt.date) -> Q:
    """took_part_in() read from the figure store: whether a Member row counts as a participant anywhere in the
    range. An uncorrelated `pk IN (…)`, which the database reads once into a hash, rather than a probe per
    member: a standard span's rows of the top branches (every activity lies under one), or the month rows."""
    span = standard_span(start, end)
    rows = Presence.objects.filter(kind=PARTICIPANT)
    if span:
        rows = rows.filter(span=span, period=start, branch__parent__isnull=True)
    else:
        rows = rows.filter(span=Presence.Span.MONTH, period__gte=start, period__lte=end)
    return Q(pk__in=rows.values("subject"))


def _add_assistance(figures: Figures, row: dict) -> None:
    """Add a grouped row's sums: value by kind ("cash"), items by kind ("cash_n"), items with no value ("cash_u")."""
    for kind in ASSISTANCE_KINDS:
        if kind in row:
            figures.assistance[kind] += row[kind] or 0
            figures.assistance_items[kind] += row[f"{kind}_n"] or 0
            figures.assistance_unvalued[kind] += row[f"{kind}_u"] or 0


def own_figures(node: Branch, start: dt.date, end: dt.date, *, today: dt.date | None = None) -> dict[int, Figures]:
    """Each branch's additive figures on its own records only (not its sub-branches'): what adds up without
    counting anything twice when reports of a branch and of its sub-branches are summed."""
    per_branch, _monthly = _collect(node, start, end, today or timezone.localdate(), whole_months(start, end))
    return dict(per_branch)


def rollup(
    node: Branch,
    start: dt.date,
    end: dt.date,
    *,
    branches: list[Branch] | None = None,
    today: dt.date | None = None,
    stored: bool | None = None,
) -> Rollup:
    """Every figure of the node and of each of its children for the period [start, end] (both days included).

    `branches` may pass in the subtree already read (any extra branches outside it are ignored). `stored`
    chooses where activities and visits are read from: the figure store (the default for whole months) or the
    base tables (the default for other ranges; `figures_check` compares the two).
    """
    today = today or timezone.localdate()
    if branches is None:
        branches = list(Branch.objects.subtree_of(node))
    branches = [b for b in branches if is_under(b, node)]
    children = [b for b in branches if b.parent_id == node.pk]
    stored = whole_months(start, end) if stored is None else stored
    per_branch, monthly = _collect(node, start, end, today, stored)
    if stored:
        participants = _stored_distinct(PARTICIPANT, node, children, start, end)
        households = _stored_distinct(HOUSEHOLD, node, children, start, end)
        households |= _stored_by_category(node, start, end)
    else:
        taking_part = Participation.objects.filter(
            activity__archived_at__isnull=True,
            activity__date__gte=start,
            activity__date__lte=end,
            **_under(node, "activity__branch"),
        )
        participants = _distinct_by_child_and_node(taking_part, node, "activity__branch__path", "member_id")
        households = _distinct_by_child_and_node(
            _live_visits(node, start, end), node, "branch__path", "beneficiary_id",
            also_by="beneficiary__disability_category",
        )  # fmt: skip

    sums = subtree_totals(node, per_branch, branches)
    totals = sums[node.pk]
    child_totals = {child.pk: sums[child.pk] for child in children}
    whole_years = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
    for figures in (totals, *child_totals.values()):
        figures.whole_years = whole_years
    totals.participants = participants.get(NODE_KEY, 0)
    totals.households = households.get(NODE_KEY, 0)
    for branch in children:
        child_totals[branch.pk].participants = participants.get(str(branch.pk), 0)
        child_totals[branch.pk].households = households.get(str(branch.pk), 0)

    return Rollup(
        node=node,
        start=start,
        end=end,
        figures=totals,
        children=[(branch, child_totals[branch.pk]) for branch in children],
        monthly=[(month, counts[0], counts[1]) for month, counts in sorted(monthly.items())],
        households_by_category=[
            (str(label), households.get(f"by:{value}", 0)) for value, label in DisabilityCategory.choices
        ],
        own=dict(per_branch),
    )


PENDING_FIGURES = ("hours", "participations", "visits")


def pending(node: Branch, start: dt.date, end: dt.date) -> dict[str, Decimal | int]:
    """Members' own records of the subtree waiting for a secretary, in the months of [start, end]: their hours,
    participations and visits, which no figure counts until confirmed. One query over the store's pending rows
    (`confirmed=False`, selfservice/footprints.py)."""
    totals = dict(
        Tally.objects.filter(
            confirmed=False, figure__in=PENDING_FIGURES, month__gte=start.replace(day=1), month__lte=end,
            branch__path__startswith=node.path,
        )
        .values("figure")
        .annotate(total=Sum("amount"))
        .values_list("figure", "total")
        .order_by()
    )  # fmt: skip
    return {
        "hours": totals.get("hours") or Decimal("0"),
        "participations": int(totals.get("participations") or 0),
        "visits": int(totals.get("visits") or 0),
    }


def _as_date(value) -> dt.date:
    # MonthStart is a date on both databases; SQLite hands it back as text when the row is grouped.
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value.date() if isinstance(value, dt.datetime) else value

"""The figure store rebuilt from, and checked against, the base tables (DESIGN.md, "Figures").

The store (branches.models `Tally` and `Presence`, written by branches/tallies.py) is kept current on write by
the services. Here, at the top where every table is known, the same rows are described once as querysets over
the base tables: `rebuild()` writes them (INSERT … SELECT, nothing passes through Python) and `differences()`
compares them with what is stored (EXCEPT both ways, in the database). `figures_rebuild` and `figures_check`
call them; so do seed_demo after its bulk inserts and the benchmark before it times anything. The tree's
closure (`BranchLine`, read from the branch paths) is rebuilt and checked with them.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import CharField, Count, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat, Round

from activities.footprints import PARTICIPANT
from activities.models import Activity, Participation
from activities.upkeep import activity_totals_refresh
from beneficiaries.footprints import HOUSEHOLD
from beneficiaries.models import AssistanceItem, Beneficiary, Pairing, Visit
from beneficiaries.upkeep import beneficiary_last_visit_refresh, pairing_last_contact_refresh
from volunteer_portal.branches.models import Branch, BranchLine, Presence, Tally
from volunteer_portal.branches.services import lines_from_paths, lines_write
from volunteer_portal.branches.tallies import DERIVED_SPANS, derive_spans, derived_rows, insert_select
from volunteer_portal.expressions import MonthStart
from volunteer_portal.selfservice.models import Claim

PENDING = "pending "
TALLY_FIELDS = ["branch", "month", "confirmed", "figure", "amount"]
PRESENCE_FIELDS = ["branch", "span", "period", "kind", "subject", "n"]


def _text(value: str) -> Value:
    return Value(value, output_field=CharField())


def _amounts(queryset: QuerySet, branch: str, day: str, figure, amount, *, confirmed: bool = True) -> QuerySet:
    """(branch, month, confirmed, figure, amount) rows of a base table, grouped by the database, zeros left out
    (the store keeps none)."""
    return (
        queryset.annotate(month_of=MonthStart(day), figure_of=figure)
        .values(branch, "month_of", "figure_of")
        .annotate(total=Round(amount, 2), confirmed_of=Value(confirmed))
        .filter(total__gt=0)
        .values_list(branch, "month_of", "confirmed_of", "figure_of", "total")
        .order_by()
    )


def _live_activities() -> QuerySet:
    return Activity.objects.filter(archived_at__isnull=True)


def _live_participations() -> QuerySet:
    return Participation.objects.filter(activity__archived_at__isnull=True)


def _live_visits() -> QuerySet:
    return Visit.objects.filter(archived_at__isnull=True, beneficiary__archived_at__isnull=True)


def _visit_items() -> QuerySet:
    return AssistanceItem.objects.filter(visit__archived_at__isnull=True, visit__beneficiary__archived_at__isnull=True)


def _pending(kind: str) -> QuerySet:
    return Claim.objects.filter(status=Claim.Status.PENDING, kind=kind)


def expected_amounts() -> dict[str, QuerySet]:
    """Every Tally row the base tables call for, by figure family (a figure, or a prefix ending in ':'; "pending
    …" for members' records waiting for a secretary, stored with confirmed=False)."""
    activity = ("branch_id", "date")
    visit_item = ("visit__branch_id", "visit__date")
    return {
        "activities": _amounts(_live_activities(), *activity, _text("activities"), Count("id")),
        "type:": _amounts(
            _live_activities(), *activity, Concat(_text("type:"), Cast("type_id", CharField())), Count("id")
        ),
        "participations": _amounts(
            _live_participations(), "activity__branch_id", "activity__date", _text("participations"), Count("id")
        ),
        "hours": _amounts(
            _live_participations(), "activity__branch_id", "activity__date", _text("hours"), Sum("hours")
        ),
        "visits": _amounts(_live_visits(), "branch_id", "date", _text("visits"), Count("id")),
        "value:": _amounts(_visit_items(), *visit_item, Concat(_text("value:"), "kind"), Sum("value")),
        "items:": _amounts(_visit_items(), *visit_item, Concat(_text("items:"), "kind"), Sum("quantity")),
        "unvalued:": _amounts(
            _visit_items().filter(value__isnull=True),
            *visit_item,
            Concat(_text("unvalued:"), "kind"),
            Sum("quantity"),
        ),
        "pending hours": _amounts(
            _pending(Claim.Kind.HOURS), "branch_id", "date", _text("hours"), Sum("hours"), confirmed=False
        ),
        "pending participations": _amounts(
            _pending(Claim.Kind.HOURS), "branch_id", "date", _text("participations"), Count("id"), confirmed=False
        ),
        "pending visits": _amounts(
            _pending(Claim.Kind.VISIT), "branch_id", "date", _text("visits"), Count("id"), confirmed=False
        ),
    }


def _month_presence(queryset: QuerySet, branch: str, day: str, kind: str, subject: str) -> QuerySet:
    return (
        queryset.annotate(month_of=MonthStart(day))
        .values(branch, "month_of", subject)
        .annotate(n=Count("id"), span_of=_text(Presence.Span.MONTH), kind_of=_text(kind))
        .values_list(branch, "span_of", "month_of", "kind_of", subject, "n")
        .order_by()
    )


def expected_month_presence() -> dict[str, QuerySet]:
    """Every month row of Presence the base tables call for, by kind."""
    return {
        PARTICIPANT: _month_presence(
            _live_participations(), "activity__branch_id", "activity__date", PARTICIPANT, "member_id"
        ),
        HOUSEHOLD: _month_presence(_live_visits(), "branch_id", "date", HOUSEHOLD, "beneficiary_id"),
    }


def _stored_amounts(family: str) -> QuerySet:
    confirmed = not family.startswith(PENDING)
    family = family.removeprefix(PENDING)
    rows = (
        Tally.objects.filter(figure__startswith=family) if family.endswith(":") else Tally.objects.filter(figure=family)
    ).filter(confirmed=confirmed)
    return rows.annotate(total=Round("amount", 2)).values_list(*TALLY_FIELDS[:-1], "total").order_by()


def _stored_month_presence(kind: str) -> QuerySet:
    return Presence.objects.filter(kind=kind, span=Presence.Span.MONTH).values_list(*PRESENCE_FIELDS).order_by()


@transaction.atomic
def rebuild() -> None:
    """Write the whole store afresh from the base tables, and the totals the list pages read from their rows
    (an activity's participants and hours, a household's last visit, a pairing's last contact)."""
    activity_totals_refresh(Activity.objects.all())
    beneficiary_last_visit_refresh(Beneficiary.objects.all())
    pairing_last_contact_refresh(Pairing.objects.all())
    Tally.objects.all().delete()
    Presence.objects.all().delete()
    for rows in expected_amounts().values():
        insert_select(Tally, TALLY_FIELDS, rows)
    for rows in expected_month_presence().values():
        insert_select(Presence, PRESENCE_FIELDS, rows)
    derive_spans(Branch.objects.all())
    lines_write(Branch.objects.all())


@dataclass
class Difference:
    what: str
    missing: int  # rows the base tables call for that the store lacks (or holds with another amount)
    extra: int  # rows the store holds that the base tables do not call for
    examples: list[tuple]


def _compare(what: str, expected: QuerySet, stored: QuerySet) -> Iterator[Difference]:
    missing, extra = expected.difference(stored), stored.difference(expected)
    counts = missing.count(), extra.count()
    if any(counts):
        yield Difference(what, *counts, examples=[*missing[:3], *extra[:3]])


def differences() -> list[Difference]:
    """Every way the store differs from the base tables: amounts and month rows against the base tables, the
    quarter and year rows of each branch against the month rows of its subtree."""
    found: list[Difference] = []
    for family, expected in expected_amounts().items():
        found += _compare(f"tally {family}", expected, _stored_amounts(family))
    for kind, expected in expected_month_presence().items():
        found += _compare(f"presence {kind} M", expected, _stored_month_presence(kind))
    for branch in Branch.objects.all():
        for span, trunc in DERIVED_SPANS:
            derived = derived_rows(branch, span, trunc)
            stored = Presence.objects.filter(branch=branch, span=span).values_list(*PRESENCE_FIELDS).order_by()
            found += _compare(f"presence {span} of branch {branch.pk}", derived, stored)
    expected_lines = lines_from_paths(Branch.objects.all())
    stored_lines = set(BranchLine.objects.values_list("branch_id", "ancestor_id"))
    if expected_lines != stored_lines:
        missing, extra = expected_lines - stored_lines, stored_lines - expected_lines
        found.append(
            Difference("branch lines", len(missing), len(extra), examples=[*sorted(missing)[:3], *sorted(extra)[:3]])
        )
    return found


def counts() -> dict[str, int]:
    return {
        "tally rows": Tally.objects.count(),
        "presence rows": Presence.objects.count(),
        "branch lines": BranchLine.objects.count(),
    }

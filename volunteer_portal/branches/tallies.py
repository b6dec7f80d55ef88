"""The figure store's write API (DESIGN.md, "Figures"): pre-aggregated rows kept current on write.

The services of `activities` and `beneficiaries` describe what their records add to the figures — a
`Footprint`: amounts per (branch, month) and who counted in a distinct figure — read before and after a write,
and `apply(before, after)` adds the difference to the store in the same transaction, in a constant number of
statements whatever the size. The store knows branches and nothing else: what "activities" or "value:cash" mean
is the business of the layers above, which also read it and rebuild it from the base tables
(dashboards/tallies.py).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection, models
from django.db.models import CharField, QuerySet, Sum, Value
from django.db.models.functions import TruncQuarter, TruncYear

from .models import Branch, Presence, Tally, path_ids

BATCH = 500
DERIVED_SPANS = ((Presence.Span.QUARTER, TruncQuarter), (Presence.Span.YEAR, TruncYear))

AmountKey = tuple[int, dt.date, bool, str]  # branch, month, confirmed, figure
PresenceKey = tuple[str, int, str, dt.date, int]  # kind, branch, branch's path, month, subject


def quarter_of(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def period_start(span: str, day: dt.date) -> dt.date:
    if span == Presence.Span.YEAR:
        return dt.date(day.year, 1, 1)
    return quarter_of(day) if span == Presence.Span.QUARTER else day.replace(day=1)


class Footprint:
    """What some records add to the figures: amounts by (branch, month, confirmed, figure), and for distinct
    figures who counted, by (kind, branch, month, subject), with how many records put them there."""

    def __init__(self) -> None:
        self.amounts: dict[AmountKey, Decimal] = defaultdict(Decimal)
        self.presence: dict[PresenceKey, int] = defaultdict(int)

    def add(
        self,
        *,
        branch_id: int,
        path: str,
        day: dt.date,
        amounts: dict[str, Decimal | int],
        present: Iterable[tuple[str, int]] = (),
        confirmed: bool = True,
    ) -> None:
        month = day.replace(day=1)
        for figure, amount in amounts.items():
            if amount:
                self.amounts[(branch_id, month, confirmed, figure)] += Decimal(amount)
        if confirmed:  # pending work counts in no distinct figure
            for kind, subject in present:
                self.presence[(kind, branch_id, path, month, subject)] += 1


def _difference(before: dict, after: dict) -> dict:
    changes = {key: after.get(key, 0) - before.get(key, 0) for key in before.keys() | after.keys()}
    return {key: change for key, change in changes.items() if change}


def _spread(presence: dict[PresenceKey, int]) -> dict[tuple[str, str, dt.date, int, int], int]:
    """Presence changes as rows of every span: the branch's own month, and the quarter and year of each of its
    ancestors (itself included)."""
    rows: dict[tuple[str, str, dt.date, int, int], int] = defaultdict(int)
    for (kind, branch_id, path, month, subject), n in presence.items():
        rows[(kind, Presence.Span.MONTH, month, branch_id, subject)] += n
        for ancestor in path_ids(path):
            for span, _trunc in DERIVED_SPANS:
                rows[(kind, span, period_start(span, month), ancestor, subject)] += n
    return rows


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return connection.ops.quote_name(field.column)


def _add_to(model: type[models.Model], keys: Sequence[str], added: str, rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding to `added`: the same statement on SQLite (3.24+) and PostgreSQL."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [_column(model, name) for name in (*keys, added)]
    target = _column(model, added)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(batch))
            # Only quoted names of this model and placeholders are formatted in; the values go as parameters.
            keys = ", ".join(columns[:-1])
            update = f"{target} = {table}.{target} + excluded.{target}"
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} ON CONFLICT ({keys}) DO UPDATE SET {update}"  # noqa: S608, E501
            cursor.execute(sql, [value for row in batch for value in row])


def apply(before: Footprint, after: Footprint) -> None:
    """Add what changed between two footprints of the same records to the store (call inside the write's
    transaction). Rows that fall to zero are removed, so the store holds what a rebuild would write."""
    amounts = _difference(before.amounts, after.amounts)
    if amounts:
        _add_to(Tally, ["branch", "month", "confirmed", "figure"], "amount",
                [(*key, amount) for key, amount in amounts.items()])  # fmt: skip
        Tally.objects.filter(
            amount=0, branch_id__in={key[0] for key in amounts}, month__in={key[1] for key in amounts}
        ).delete()
    presence = {key: n for key, n in _spread(_difference(before.presence, after.presence)).items() if n}
    if presence:
        _add_to(Presence, ["kind", "span", "period", "branch", "subject"], "n",
                [(*key, n) for key, n in presence.items()])  # fmt: skip
        Presence.objects.filter(
            n=0, kind__in={key[0] for key in presence}, subject__in={key[4] for key in presence}
        ).delete()


def insert_select(model: type[models.Model], fields: Sequence[str], queryset: QuerySet) -> None:
    """INSERT INTO model (fields) SELECT …: the rows of a values_list queryset written by the database itself,
    never passing through Python (the rebuild's way of writing millions of rows)."""
    quote = connection.ops.quote_name
    columns = ", ".join(_column(model, name) for name in fields)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {sql}", params)


def derived_rows(ancestor: Branch, span: str, trunc) -> QuerySet:
    """The quarter or year rows of a branch as its subtree's month rows call for them (what `derive_spans`
    writes and `figures_check` compares with what is stored)."""
    return (
        Presence.objects.filter(span=Presence.Span.MONTH, branch__path__startswith=ancestor.path)
        .values("kind", "subject", period_of=trunc("period"))
        .annotate(total=Sum("n"), scope=Value(ancestor.pk), span_of=Value(str(span), output_field=CharField()))
        .values_list("scope", "span_of", "period_of", "kind", "subject", "total")
        .order_by()
    )


def derive_spans(ancestors: Iterable[Branch]) -> None:
    """Write the quarter and year rows of these branches afresh from the month rows of their subtrees: after a
    rebuild of the month rows, or when a branch moved and its old and new ancestors hold other subtrees."""
    for ancestor in ancestors:
        Presence.objects.filter(branch=ancestor).exclude(span=Presence.Span.MONTH).delete()
        for span, trunc in DERIVED_SPANS:
            insert_select(
                Presence, ["branch", "span", "period", "kind", "subject", "n"], derived_rows(ancestor, span, trunc)
            )


def branch_moved(branch: Branch, old_ancestor_ids: list[int]) -> None:
    """A branch was re-hung: its old and new ancestors (not those it kept) count its subtree afresh."""
    new_ancestor_ids = branch.ancestor_ids()
    changed = set(old_ancestor_ids) ^ set(new_ancestor_ids)
    derive_spans(Branch.objects.filter(pk__in=changed))

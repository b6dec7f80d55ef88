"""Volunteer hours and star levels (星级志愿者): hours are summed by the database from participations in live
activities; the star level comes from a member's cumulative hours and the thresholds an administrator sets."""

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteer_portal.branches.models import Member
from volunteer_portal.documents import document, save, signature, table

from .models import Participation, StarLevel

# The national default (志愿服务记录与证明出具办法 practice): 100, 300, 600, 1000 and 1500 hours.
DEFAULT_THRESHOLDS = {1: 100, 2: 300, 3: 600, 4: 1000, 5: 1500}


def thresholds() -> list[tuple[int, Decimal]]:
    """(stars, hours needed), fewest stars first; the national default where an administrator set none."""
    levels = list(StarLevel.objects.order_by("stars").values_list("stars", "min_hours"))
    return levels or [(stars, Decimal(hours)) for stars, hours in DEFAULT_THRESHOLDS.items()]


def star_level(hours: Decimal | int | float, levels: list[tuple[int, Decimal]] | None = None) -> int:
    """The stars earned by these cumulative hours: the highest level whose threshold they reach (0 below all)."""
    earned = 0
    for stars, needed in levels if levels is not None else thresholds():
        if Decimal(str(hours)) >= needed:
            earned = max(earned, stars)
    return earned


def next_level(hours: Decimal, levels: list[tuple[int, Decimal]]) -> tuple[int, Decimal] | None:
    """The next star and the hours still needed for it, or None at the top."""
    for stars, needed in levels:
        if hours < needed:
            return stars, needed - hours
    return None


def service_rows(member: Member, start: dt.date | None = None, end: dt.date | None = None) -> QuerySet:
    """The member's participations in live activities, newest first, optionally within [start, end]."""
    rows = Participation.objects.filter(member=member, activity__archived_at__isnull=True)
    if start:
        rows = rows.filter(activity__date__gte=start)
    if end:
        rows = rows.filter(activity__date__lte=end)
    return rows.select_related("activity", "activity__type", "activity__type__parent", "activity__branch").order_by(
        "-activity__date", "-activity_id"
    )


def hours_of(rows: QuerySet) -> Decimal:
    total = rows.order_by().aggregate(
        total=Coalesce(Sum("hours"), Value(Decimal("0")), output_field=DecimalField(max_digits=10, decimal_places=2))
    )["total"]
    return Decimal(total)


def service_record_docx(member, rows: list, hours, cumulative, stars: int, issuer: str, start, end) -> bytes:
    """志愿服务记录证明: who, which unit, the activities and hours of the range, the cumulative hours and the
    star level, the issuing unit and the date of issue."""
    doc = document(_("Volunteer service record"), issuer, timezone.localdate())
    period = f"{start or '…'} – {end or '…'}" if start or end else _("all time")
    values = {
        "name": member.name, "branch": member.branch.name, "count": len(rows), "period": period,
        "hours": f"{hours:.1f}", "cumulative": f"{cumulative:.1f}", "stars": "★" * stars if stars else _("none yet"),
    }  # fmt: skip
    text = _(
        "%(name)s, of %(branch)s, took part in %(count)d volunteer activities in %(period)s, for %(hours)s hours "
        "of volunteer service. Cumulative volunteer hours: %(cumulative)s; star level: %(stars)s."
    )
    doc.add_paragraph(text % values)
    table(
        doc,
        [_("Date"), _("Activity"), _("Type"), _("Unit"), _("Hours")],
        [[f"{p.activity.date:%Y-%m-%d}", p.activity.title, p.activity.type, p.activity.branch.name, p.hours]
         for p in rows],
    )  # fmt: skip
    signature(doc, [
        _("Issued by: %(issuer)s") % {"issuer": issuer},
        _("Date of issue: %(day)s") % {"day": f"{timezone.localdate():%Y年%m月%d日}"},
    ])  # fmt: skip
    return save(doc)

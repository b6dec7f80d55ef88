"""The figures stored on activity rows for the lists (DESIGN.md: list pages never aggregate rows they do not show).

One function recomputes them from the base tables for a set of rows, in one UPDATE whatever their number: the
services call it after changing participations, the admin after saving an activity or a participation, the
migration that added the columns and `seed_demo` after its bulk inserts. It reads the models from the queryset it
is given, so a migration can pass its historical models.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def activity_totals_refresh(activities: QuerySet) -> int:
    """Set `participant_count` and `total_hours` of the given activities from their participations; returns how
    many rows were updated."""
    participation = activities.model._meta.get_field("participations").related_model
    own = participation.objects.filter(activity=OuterRef("pk")).order_by().values("activity")
    return activities.order_by().update(
        participant_count=Coalesce(
            Subquery(own.annotate(n=Count("pk")).values("n")), Value(0), output_field=IntegerField()
        ),
        total_hours=Coalesce(
            Subquery(own.annotate(h=Sum("hours")).values("h")),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=9, decimal_places=1),
        ),
    )

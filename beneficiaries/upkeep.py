"""The dates stored on beneficiary and pairing rows for the lists (DESIGN.md: list pages never aggregate rows they
do not show): a household's last visit, a pairing's last contact.

Each function recomputes them from the base tables for a set of rows, in one UPDATE whatever their number: the
visit and pairing services call them in their transaction, the admin after a save, the migration that added the
columns and `seed_demo` after its bulk inserts. They read the models from the queryset they are given, so a
migration can pass its historical models.
"""

from collections.abc import Iterable

from django.db.models import OuterRef, QuerySet, Subquery

from .models import Beneficiary, Pairing


def _latest_live_visit(model, **conditions) -> Subquery:
    """The day of the latest live visit meeting the conditions (`model` is Beneficiary, or its historical copy)."""
    visit = model._meta.get_field("visits").related_model
    return Subquery(visit.objects.filter(archived_at__isnull=True, **conditions).order_by("-date").values("date")[:1])


def beneficiary_last_visit_refresh(beneficiaries: QuerySet) -> int:
    """Set `last_visit_on` of the given households: the day of their latest live visit (None if none)."""
    latest = _latest_live_visit(beneficiaries.model, beneficiary=OuterRef("pk"))
    return beneficiaries.order_by().update(last_visit_on=latest)


def pairing_last_contact_refresh(pairings: QuerySet) -> int:
    """Set `last_contact_on` of the given pairings: the day of the latest live visit to the household in which the
    paired member took part, on or after the pairing's start (the rule `beneficiaries.selectors` reads)."""
    latest = _latest_live_visit(
        pairings.model._meta.get_field("beneficiary").related_model,
        beneficiary=OuterRef("beneficiary"),
        visitors=OuterRef("member"),
        date__gte=OuterRef("start_date"),
    )
    return pairings.order_by().update(last_contact_on=latest)


def visits_changed(beneficiary_ids: Iterable[int | None]) -> None:
    """After visits to these households were recorded, changed, archived or brought back: their last visit and
    their pairings' last contact. Two queries."""
    ids = {pk for pk in beneficiary_ids if pk is not None}
    if ids:
        beneficiary_last_visit_refresh(Beneficiary.objects.filter(pk__in=ids))
        pairing_last_contact_refresh(Pairing.objects.filter(beneficiary_id__in=ids))

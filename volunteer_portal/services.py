"""Writes shared by every app's records."""

from django.db import transaction

from .models import ArchivableModel, ensure_not_archived, stamp_history_user


@transaction.atomic
def record_archive(*, actor, record: ArchivableModel) -> ArchivableModel:
    """Archive instead of delete: the row stays, figures skip it, and the history says who and when."""
    ensure_not_archived(record)
    record.mark_archived(actor)
    stamp_history_user(record, actor)
    record.save(update_fields=["archived_at", "archived_by", "updated_at"])
    return record

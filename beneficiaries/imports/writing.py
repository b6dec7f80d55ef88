"""Writing a checked import, all or nothing; discarding one; pruning those left unfinished."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from volunteer_portal.branches.selectors import may_reveal

from ..models import Beneficiary, BeneficiaryNeed, Consent, RosterImport, RosterImportRow
from ..privacy import checks_exhausted_message, hidden_check, hidden_checks_left
from ..services import BENEFICIARY_FIELDS
from .checking import _lock, _reset_rows, import_counts, scope_of
from .columns import _attname

UNFINISHED = [RosterImport.Status.CHECKING, RosterImport.Status.CHECKED]


def import_discard(*, actor, batch: RosterImport) -> RosterImport:
    """Drop the staged rows (they hold personal data); the summary stays."""
    with transaction.atomic():
        locked = _lock(batch)
        if locked is None or locked.finished:
            return locked or batch
        locked.rows.all().delete()
        locked.status, locked.finished_at = RosterImport.Status.DISCARDED, timezone.now()
        locked.save(update_fields=["status", "finished_at"])
    return locked


def prune_abandoned(*, older_than: dt.timedelta | None = None) -> int:
    """Discard every import left unfinished for longer than ROSTER_IMPORT_KEEP_HOURS: its staged rows hold
    personal data nobody is going to confirm. Runs on every upload and from `manage.py prune_roster_imports`."""
    from django.conf import settings

    cutoff = timezone.now() - (older_than or dt.timedelta(hours=settings.ROSTER_IMPORT_KEEP_HOURS))
    abandoned = list(RosterImport.objects.filter(status__in=UNFINISHED, created_at__lt=cutoff))
    for batch in abandoned:
        import_discard(actor=None, batch=batch)
    return len(abandoned)


def _restart(batch: RosterImport) -> None:
    _reset_rows(batch)
    batch.status, batch.checked, batch.checked_at = RosterImport.Status.CHECKING, 0, None
    batch.save(update_fields=["status", "checked", "checked_at"])


def _as_fields(values: dict) -> dict:
    fields = {}
    for name in BENEFICIARY_FIELDS:
        value = values[name]
        if name == "birth_date" and value:
            value = dt.date.fromisoformat(value)
        fields[_attname(name)] = value
    return fields


def import_commit(*, actor, batch: RosterImport) -> RosterImport:
    """Write every checked row, or none. If anything the check relied on changed meanwhile (someone registered
    or edited one of these people, the uploader's grants changed), nothing is written and the file is checked
    again."""
    _refuse_hidden(actor, batch)
    try:
        with transaction.atomic():
            written = _commit(actor, batch)
    except IntegrityError:  # e.g. a need deleted meanwhile: PostgreSQL checks foreign keys at commit
        written = None
    if written is not None:
        return written
    with transaction.atomic():
        locked = _lock(batch)
        if locked is not None and locked.status == RosterImport.Status.CHECKED:
            _restart(locked)
    message = _(
        "The roster changed after the check (someone else registered or edited one of these people): nothing "
        "was imported, and the file is being checked again."
    )
    raise ValidationError(message, code="stale")


def _refuse_hidden(actor, batch: RosterImport) -> None:
    """Rows whose number is registered for someone the uploader may not see. The check answered for them as for
    new people; only here, where the alternative is writing every row of the file, is the uploader told, and
    each answer is logged and limited (privacy.hidden_check), as on the add form. Outside the write's
    transaction, so the log entries stay."""
    creates = list(batch.rows.filter(action=RosterImportRow.Action.CREATE).only("number", "values"))
    registered = Beneficiary.objects.live().filter(id_number__in=[row.values["id_number"] for row in creates])
    hidden = [b for b in registered.select_related("branch") if not may_reveal(actor, b.branch)]
    if not hidden:
        return
    if hidden_checks_left(actor) < len(hidden):
        raise ValidationError(checks_exhausted_message(), code="checks")
    numbers = {b.id_number: b for b in hidden}
    rows = [row.number for row in creates if row.values["id_number"] in numbers]
    for beneficiary in hidden:
        hidden_check(actor, number=beneficiary.id_number, branch=beneficiary.branch)
    raise ValidationError(
        _("Rows %(rows)s: these ID numbers are already registered, for people whose numbers you may not see. "
          "Nothing was imported: take them out of the file, or ask someone who may see them. (Recorded in the "
          "access log.)")
        % {"rows": "、".join(str(n) for n in rows)},
        code="registered",
    )  # fmt: skip


def _commit(actor, batch: RosterImport) -> RosterImport | None:
    """The write, inside the caller's transaction; None when the check is out of date."""
    locked = _lock(batch)
    if locked is None or locked.status != RosterImport.Status.CHECKED:
        raise ValidationError(_("This import is not ready to be written."), code="not_ready")
    batch = locked
    counts = import_counts(batch)
    if counts[RosterImportRow.Action.INVALID]:
        raise ValidationError(_("Correct the rows with problems first: nothing was imported."), code="problems")
    rows = list(batch.rows.exclude(action=RosterImportRow.Action.UNCHANGED).order_by("number"))
    if not rows:
        raise ValidationError(
            _("Everyone in this file is already on the roster as it says: there is nothing to import."),
            code="nothing",
        )
    creates = [row for row in rows if row.action == RosterImportRow.Action.CREATE]
    updates = [row for row in rows if row.action == RosterImportRow.Action.UPDATE]
    if batch.scope != scope_of(actor):
        return None
    if Beneficiary.objects.live().filter(id_number__in=[row.values["id_number"] for row in creates]).exists():
        return None  # registered since the check by someone else: check again
    targets = Beneficiary.objects.select_for_update().in_bulk([row.beneficiary_id for row in updates])
    for row in updates:
        target = targets.get(row.beneficiary_id)
        # Each person as the check saw them: any change since (even between two chunks) makes it stale.
        if target is None or target.is_archived or target.updated_at.isoformat() != row.values.get("_seen"):
            return None
    _write(actor, creates, updates, targets)
    batch.rows.all().delete()
    batch.status, batch.finished_at = RosterImport.Status.IMPORTED, timezone.now()
    batch.created_count, batch.updated_count = len(creates), len(updates)
    batch.unchanged_count = counts[RosterImportRow.Action.UNCHANGED]
    batch.save()
    return batch


def _write(actor, creates: list[RosterImportRow], updates: list[RosterImportRow], targets: dict) -> None:
    now = timezone.now()
    created = bulk_create_with_history(
        [Beneficiary(**_as_fields(row.values)) for row in creates], Beneficiary, batch_size=500, default_user=actor
    )
    links: list[BeneficiaryNeed] = []
    consents: list[Consent] = []
    for beneficiary, row in zip(created, creates, strict=True):
        links.extend(BeneficiaryNeed(beneficiary=beneficiary, need_id=pk) for pk in row.values["needs"])
        if row.values.get("consent"):
            consent = dict(row.values["consent"])
            consent["given_on"] = dt.date.fromisoformat(consent["given_on"])
            consents.append(Consent(beneficiary=beneficiary, recorded_by=actor, **consent))
    changed_objects = []
    relinked: list[int] = []
    for row in updates:
        beneficiary = targets[row.beneficiary_id]
        for attname, value in _as_fields(row.values).items():
            setattr(beneficiary, attname, value)
        beneficiary.updated_at = now
        changed_objects.append(beneficiary)
        relinked.append(beneficiary.pk)
        links.extend(BeneficiaryNeed(beneficiary=beneficiary, need_id=pk) for pk in row.values["needs"])
    if changed_objects:
        bulk_update_with_history(
            changed_objects,
            Beneficiary,
            [_attname(name) for name in BENEFICIARY_FIELDS] + ["updated_at"],
            batch_size=500,
            default_user=actor,
        )
        BeneficiaryNeed.objects.filter(beneficiary_id__in=relinked).delete()
    if links:
        bulk_create_with_history(links, BeneficiaryNeed, batch_size=1000, default_user=actor)
    if consents:
        bulk_create_with_history(consents, Consent, batch_size=500, default_user=actor)

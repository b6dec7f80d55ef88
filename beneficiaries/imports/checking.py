"""Checking staged rows, a chunk at a time, with the beneficiary form's own rules: what each row would do
(create, update, leave unchanged) or why it cannot be imported."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.branches.selectors import branch_list, grant_paths, may_reveal, own_branch_id

from ..forms import BeneficiaryForm
from ..models import Beneficiary, Consent, Need, RosterImport, RosterImportRow, StatutoryBasis
from ..privacy import hidden_checks_left
from ..services import BENEFICIARY_FIELDS
from .columns import (
    COLUMNS,
    CONSENT_COLUMNS,
    WHOLE_ROW,
    CellError,
    _attname,
    choice_aliases,
    headers,
    parse_cell,
)

CHUNK = 500  # rows checked per request: about a second, so the progress bar moves


class Lookups:
    """What a chunk of rows is checked against, read once per chunk: the user's units, the needs, the bases."""

    def __init__(self, user):
        self.user = user
        self.names = headers()
        self.aliases = choice_aliases()
        self.own_branch = own_branch_id(user)
        branches = list(branch_list(user=user, role=RoleGrant.Role.SECRETARY).select_related("parent"))
        self.writable = {branch.pk for branch in branches}
        self.branches: dict[str, list[int]] = defaultdict(list)
        for branch in branches:
            self.branches[branch.name].append(branch.pk)
            if branch.parent is not None:
                self.branches[f"{branch.parent.name}/{branch.name}"].append(branch.pk)
        needs, bases = list(Need.objects.all()), list(StatutoryBasis.objects.all())
        self.checks_left = hidden_checks_left(user)
        self.needs = {need.name: need.pk for need in needs}
        self.bases = {basis.name: basis.pk for basis in bases}
        # The choices of the form's own fields, read once: a form per row then looks them up here.
        self.choices: dict[str, dict] = {
            "branch": {branch.pk: branch for branch in branches},
            "needs": {need.pk: need for need in needs},
            "statutory_basis": {basis.pk: basis for basis in bases},
        }

    def form(self, data: dict, target: Beneficiary | None) -> BeneficiaryForm:
        """The beneficiary form, its model choice fields answered from the choices read once per chunk: the same
        choices (the user's units, the needs, the bases), the same messages, without a query per row."""
        form = BeneficiaryForm(data, user=self.user, instance=target, checks_left=self.checks_left,
                               looked_up=True)  # fmt: skip
        for name, objects in self.choices.items():
            field = form.fields[name]
            field.to_python = _from_memory(field, objects, many=name == "needs")  # type: ignore[method-assign]
            if name == "needs":  # its clean() would ask the database again; to_python has checked every value
                field.clean = field.to_python  # type: ignore[method-assign]
        return form


def _from_memory(field, objects: dict, *, many: bool):
    def to_python(value):
        values = value if many else [value]
        if not many and value in field.empty_values:
            return None
        found = []
        for item in values or []:
            try:
                found.append(objects[int(item)])
            except (KeyError, TypeError, ValueError):
                raise ValidationError(
                    field.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                ) from None
        return found if many else found[0]

    return to_python


def _form_data(
    row: RosterImportRow, lookups: Lookups, problems: list[list[str]], current: dict | None
) -> tuple[dict, set[str]]:
    """The row's cells as the beneficiary form's POST data, each read by its column's parser (columns.PARSERS).
    Cells that cannot be turned into a form value are reported here (the set of such fields), so the form does not
    report them a second time."""
    data: dict = {}
    flagged: set[str] = set()
    for name in COLUMNS:
        try:
            data[name] = parse_cell(name, row.cells.get(name) or "", lookups, current)
        except CellError as error:
            problems.append([lookups.names[name], error.message])
            flagged.add(name)
            if error.instead is not None:
                data[name] = error.instead
    return data, flagged


def _snapshot(beneficiary: Beneficiary) -> dict:
    values = {}
    for name in BENEFICIARY_FIELDS:
        value = getattr(beneficiary, _attname(name))
        values[name] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def _check_row(row: RosterImportRow, lookups: Lookups, target: Beneficiary | None, duplicate_of: int | None) -> None:
    names = lookups.names
    problems: list[list[str]] = list(row.read_problems)
    if target is not None and not may_reveal(lookups.user, target.branch):
        # Someone whose number this user may not see: the preview answers as for a number nobody has, so a
        # guess costs what a real row costs; confirming says it is registered, logged (writing.py).
        target = None
    current = None
    if target is not None and target.branch_id in lookups.writable:
        current = {**_snapshot(target), "needs": [need.pk for need in target.needs.all()]}
    data, flagged = _form_data(row, lookups, problems, current)
    if duplicate_of is not None:
        problems.append([names["id_number"], _("The same ID number as row %(row)d: each person once.")
                         % {"row": duplicate_of}])  # fmt: skip
    target = _updatable(target, lookups, problems, flagged)
    before = _snapshot(target) if target is not None else None
    before_needs = sorted(need.pk for need in target.needs.all()) if target is not None else []
    form = lookups.form(data, target)
    problems.extend(_form_problems(form, names, flagged))
    consent = _new_consent(form, names, problems) if target is None else None
    row.problems = problems
    row.beneficiary = target if not problems else None
    if problems:
        row.action, row.values, row.changed = RosterImportRow.Action.INVALID, {}, []
        return
    values = _values(row, form, target, consent)
    row.values = values
    if before is None:
        row.action, row.changed = RosterImportRow.Action.CREATE, []
        return
    changed = [names.get(name, name) for name in BENEFICIARY_FIELDS if before[name] != values[name]]
    if before_needs != values["needs"]:
        changed.append(names["needs"])
    row.changed = changed
    row.action = RosterImportRow.Action.UPDATE if changed else RosterImportRow.Action.UNCHANGED


def _updatable(
    target: Beneficiary | None, lookups: Lookups, problems: list[list[str]], flagged: set[str]
) -> Beneficiary | None:
    """The person the row matched, if this user may update them; otherwise the problem, and no one."""
    names = lookups.names
    if target is not None and target.branch_id not in lookups.writable:
        problems.append([names["id_number"], _(
            "This person is already registered by a unit you are not secretary of: ask that unit or an "
            "administrator.")])  # fmt: skip
        target = None
        flagged.add("id_number")
    return target


def _form_problems(form: BeneficiaryForm, names: dict[str, str], flagged: set[str]) -> list:
    """What the form finds wrong, less what reading the cells already reported."""
    problems: list[list[str]] = []
    if not form.is_valid():
        for name, errors in form.errors.items():
            if name in flagged:
                continue
            column = names.get(name, WHOLE_ROW)
            problems.extend([column, str(message)] for message in errors)
    return problems


def _new_consent(form: BeneficiaryForm, names: dict[str, str], problems: list[list[str]]) -> dict | None:
    """A new person's consent, as the form read it, checked by the consent's own rules (its problems added)."""
    if not form.is_valid():
        return None
    consent = form.consent()
    if consent:
        try:
            Consent(beneficiary=form.instance, **consent).full_clean(exclude=["beneficiary", "recorded_by"])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = names.get(CONSENT_COLUMNS.get(name, ""), WHOLE_ROW)
                problems.extend([column, message] for message in messages)
    return consent


def _values(row: RosterImportRow, form: BeneficiaryForm, target: Beneficiary | None, consent: dict | None) -> dict:
    """What a valid row will write, as stored on the staging row until the import is confirmed."""
    values = _snapshot(form.instance)
    values["needs"] = sorted(need.pk for need in form.cleaned_data["needs"])
    if target is not None:
        values["_seen"] = target.updated_at.isoformat()
        if any(row.cells.get(name) for name in CONSENT_COLUMNS.values()):
            values["_consent_ignored"] = True  # consent is recorded on the person's page once they exist
    if consent:
        values["consent"] = {**consent, "given_on": consent["given_on"].isoformat()}
    return values


def _lock(batch: RosterImport) -> RosterImport | None:
    """Inside a transaction: take the batch for this request alone (a second tab, a reload or a discard waits)
    and read it again. The UPDATE takes the write lock at once on SQLite too, where SELECT … FOR UPDATE does
    nothing."""
    RosterImport.objects.filter(pk=batch.pk).update(checked=F("checked"))
    return RosterImport.objects.select_for_update().filter(pk=batch.pk).first()


def scope_of(user) -> dict:
    """What a check depends on besides the rows: where the user may write and see full numbers."""
    return {
        "superuser": user.is_superuser,
        "write": grant_paths(user, RoleGrant.Role.SECRETARY),
        "reveal": grant_paths(user, "may_reveal"),
    }


def import_check_next(*, actor, batch: RosterImport, size: int | None = None) -> RosterImport:
    """Check the next `size` rows. Queries per chunk do not grow with its size, bar one form per row."""
    with transaction.atomic():
        locked = _lock(batch)
        if locked is None or locked.status != RosterImport.Status.CHECKING:
            return locked or batch
        batch = locked
        if batch.scope != scope_of(actor):  # the user's grants changed since the check began: start again
            _reset_rows(batch)
            batch.scope, batch.checked = scope_of(actor), 0
            batch.save(update_fields=["scope", "checked"])
        rows = list(batch.rows.filter(action=RosterImportRow.Action.PENDING).order_by("number")[: size or CHUNK])
        if rows:
            _check_rows(batch, rows, actor)
        batch.checked = batch.rows.exclude(action=RosterImportRow.Action.PENDING).count()
        fields = ["checked"]
        if not batch.rows.filter(action=RosterImportRow.Action.PENDING).exists():
            batch.status, batch.checked_at = RosterImport.Status.CHECKED, timezone.now()
            batch.total = batch.checked
            fields += ["status", "checked_at", "total"]
        batch.save(update_fields=fields)
    return batch


def _check_rows(batch: RosterImport, rows: list[RosterImportRow], actor) -> None:
    lookups = Lookups(actor)
    ids = {row.id_number for row in rows if row.id_number}
    existing = {
        b.id_number: b
        for b in Beneficiary.objects.live().filter(id_number__in=ids).select_related("branch").prefetch_related("needs")
    }
    first = dict(
        batch.rows.filter(id_number__in=ids)
        .values("id_number")
        .annotate(first=Min("number"))
        .values_list("id_number", "first")
    )
    for row in rows:
        earlier = first.get(row.id_number)
        _check_row(row, lookups, existing.get(row.id_number), earlier if earlier and earlier < row.number else None)
    # Written back by replacing the chunk's rows (under the batch's lock): one DELETE and one INSERT, where
    # bulk_update's CASE per row and column cost more than the checking itself.
    RosterImportRow.objects.filter(pk__in=[row.pk for row in rows]).delete()
    for row in rows:
        row.pk = None
    RosterImportRow.objects.bulk_create(rows)


def import_counts(batch: RosterImport) -> dict[str, int]:
    counts = dict.fromkeys(RosterImportRow.Action.values, 0)
    for row in batch.rows.values("action").annotate(n=Count("pk")):
        counts[row["action"]] = row["n"]
    return counts


def _reset_rows(batch: RosterImport) -> None:
    """Back to "not checked": the reading problems stay, everything the check found goes."""
    batch.rows.update(action=RosterImportRow.Action.PENDING, values={}, changed=[], problems=[], beneficiary=None)


def consent_ignored(batch: RosterImport) -> int:
    """Rows for people already registered whose consent cells the import leaves aside."""
    return batch.rows.filter(values__has_key="_consent_ignored").count()


def problems_of(batch: RosterImport) -> Iterable[RosterImportRow]:
    return batch.rows.filter(action=RosterImportRow.Action.INVALID).order_by("number")

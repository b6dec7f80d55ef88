"""Two people editing one record: the second save is refused with what changed, never silently lost.

A form for an existing record carries the record's `updated_at` as it was when the page was drawn, in a hidden
"version" field. The service compares it with the stored one inside its transaction, holding the row lock
(SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions serialize writers): when someone else saved
in between, or this user did and the form would undo a change, it raises `EditConflict`, which lists each changed
field with its value when the page was opened (from the record's history) and the value stored now. A double
submit (the same user, the same values) saves again without a fuss. The view puts the error on the form, which
comes back with what was typed and the new version, so saving again, having looked, keeps what this user typed.

`updated_at` serves as the version because every edit of these records goes through `Model.save()` (auto_now,
microseconds on SQLite and PostgreSQL); the derived columns kept with `QuerySet.update()` (the last visit, an
activity's totals) leave it alone, so they never make a conflict, and are not editable, so never listed.
"""

import datetime as dt
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELD = "version"
SHOWN_CHARACTERS = 80


def version_of(record: models.Model) -> str:
    return record.updated_at.isoformat(timespec="microseconds")  # type: ignore[attr-defined]


class VersionField(forms.CharField):
    """The hidden field: empty (a script, a page from before versions) means "do not check"."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, label=gettext_lazy("Version of the record"), **kwargs)

    def clean(self, value) -> dt.datetime | None:
        value = super().clean(value)
        if not value:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("The page is out of date: open it again."), code="bad_version") from None
        if parsed.tzinfo is None:
            raise ValidationError(_("The page is out of date: open it again."), code="bad_version")
        return parsed


def add_version_field(form: forms.BaseForm, record: models.Model | None) -> None:
    """Give a form for an existing record its hidden version field (forms for new records have none)."""
    if record is not None and record.pk is not None:
        form.fields[FIELD] = VersionField(initial=version_of(record))


class EditConflict(ValidationError):
    """Someone saved the record after this user opened it; `current` is the version stored now."""

    def __init__(self, messages: list[str], *, current: str):
        super().__init__(messages, code="conflict")
        self.current = current


def refresh_version(form: forms.BaseForm, conflict: EditConflict) -> None:
    """After a conflict the form keeps everything typed but carries the stored version: saving again overwrites,
    knowingly."""
    data = form.data.copy()  # type: ignore[attr-defined]  # a bound form's QueryDict
    data[form.add_prefix(FIELD)] = conflict.current
    form.data = data


def _shown(record: models.Model, field: models.Field) -> str:
    value = getattr(record, field.attname)
    if value is None or value == "":
        return _("(blank)")
    if field.is_relation:
        try:
            return str(getattr(record, field.name))
        except ObjectDoesNotExist:
            return _("(removed)")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return Truncator(str(value)).chars(SHOWN_CHARACTERS)


def _same(field: models.Field, value, stored: models.Model) -> bool:
    """Whether a value the form submits for `field` is what is stored (a related record compares by its key)."""
    return getattr(value, "pk", value) == getattr(stored, field.attname)


def check_version(
    stored: models.Model,
    version: dt.datetime | None,
    *,
    actor,
    incoming: dict,
    secret: Iterable[str] = (),
) -> None:
    """Refuse the save when the stored record is not the version the form was drawn from, unless every later
    save was this user's and what they submit now agrees with it (a double submit, the same change again).
    `incoming` is what the form submits (field name to value). Call it in the service's transaction, on the row
    read with select_for_update(). `secret` fields are named, never shown."""
    if version is None or stored.updated_at == version:  # type: ignore[attr-defined]
        return
    history = stored.history  # type: ignore[attr-defined]
    opened = history.filter(updated_at=version).order_by("-history_date").first()
    fields = [field for field in type(stored)._meta.concrete_fields if field.editable and not field.primary_key]
    changed = [] if opened is None else [f for f in fields if getattr(opened, f.attname) != getattr(stored, f.attname)]
    if opened is not None:
        by_others = history.filter(history_date__gt=opened.history_date).exclude(history_user_id=actor.pk).exists()
        overwritten = [f for f in changed if f.name in incoming and not _same(f, incoming[f.name], stored)]
        if not by_others and not overwritten:
            return
    lines = [
        _(
            "This record was saved again after you opened it, so nothing was saved now. What you typed is still in "
            "the form. What changed:"
        )
    ]
    for field in changed:
        label = str(field.verbose_name)
        if field.name in secret:
            lines.append(_("%(field)s: changed (not shown here).") % {"field": label})
        else:
            lines.append(
                _("%(field)s: “%(opened)s” when you opened the page, now “%(stored)s”.")
                % {"field": label, "opened": _shown(opened, field), "stored": _shown(stored, field)}
            )
    if not changed:
        lines.append(_("The change is not in a single field (it may be in a list, such as participants or items)."))
    lines.append(_("Check the form against these changes and save again to keep what you typed."))
    raise EditConflict(lines, current=version_of(stored))

"""What every admin page of the project shares: nothing a user entered is deleted from the admin either."""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .branches import tallies
from .models import ArchivableModel
from .services import record_archive
from .versions import FIELD, EditConflict, add_version_field, check_version, refresh_version


class NoDeleteMixin:
    """Records are archived, never deleted: no delete button, no bulk delete action."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LabelledFormSet(BaseInlineFormSet):
    """A table of inline rows names each column in its header only, so a screen reader meets unlabelled boxes
    (axe: "label", critical). Every control of a row gets its column's name, with the row's number."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        row = _("new row") if index is None else index + 1
        for name, field in form.fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's related-field wrapper
            if widget.is_hidden:
                continue
            if isinstance(field, forms.ModelChoiceField) and (related := _unnamed_foreign_key(self.model, name)):
                # A link table's key named after nothing but its field ("Member"): the linked model's own name.
                field.label = capfirst(related._meta.verbose_name)
            widget.attrs.setdefault("aria-label", f"{field.label} ({row})")


def _unnamed_foreign_key(model, name: str):
    """The model a key links to, if the key was declared without a verbose_name (Django then labels it with the
    English field name); else None."""
    try:
        field = model._meta.get_field(name)
    except LookupError:
        return None
    unnamed = field.is_relation and str(getattr(field, "verbose_name", "")) == name.replace("_", " ")
    return field.related_model if unnamed else None


class LabelledTabularInline(admin.TabularInline):
    formset = LabelledFormSet


class NoDeleteInline(NoDeleteMixin, LabelledTabularInline):
    pass


ARCHIVE_ACTION_LABEL = _("Archive the selected records")


class TalliedAdmin:
    """For records that count in the figure store (branches/tallies.py): a save here, inlines included, or the
    archive action reaches the store in the same transaction, as the services' writes do. `tally_ids` names the
    records whose footprint the object is part of (its activity, its visit …), as stored and as edited;
    `tally_footprint` reads their footprint."""

    def tally_ids(self, obj, form=None) -> set[int]:
        raise NotImplementedError

    def tally_footprint(self, ids: set[int]) -> tallies.Footprint:
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        ids = self.tally_ids(obj, form)
        request._tally_before = (ids, self.tally_footprint(ids))
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        ids, before = request._tally_before
        tallies.apply(before, self.tally_footprint(ids | self.tally_ids(form.instance, form)))


@admin.action(description=ARCHIVE_ACTION_LABEL)
@transaction.atomic
def archive_selected(modeladmin, request, queryset) -> None:
    archived = 0
    records = list(queryset.filter(archived_at__isnull=True))
    tallied = isinstance(modeladmin, TalliedAdmin)
    ids = set().union(*(modeladmin.tally_ids(record) for record in records)) if tallied else set()
    before = modeladmin.tally_footprint(ids) if tallied else tallies.Footprint()
    for record in records:
        record_archive(actor=request.user, record=record)
        archived += 1
    if tallied:
        tallies.apply(before, modeladmin.tally_footprint(ids))
    modeladmin.message_user(
        request,
        ngettext("%(count)d record was archived.", "%(count)d records were archived.", archived) % {"count": archived},
        messages.SUCCESS,
    )


def _versioned_form(form_class: type[forms.ModelForm], user, secret: tuple[str, ...]) -> type[forms.ModelForm]:
    """The admin's change form with the record's version in a hidden field, checked in `clean()`, which runs in
    the admin's transaction: the stored row is read locked for update, as the services read it."""

    class VersionedForm(form_class):  # type: ignore[valid-type, misc]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            add_version_field(self, self.instance)

        def clean(self):
            cleaned = super().clean()
            model = type(self.instance)
            stored = model._default_manager.select_for_update().get(pk=self.instance.pk)
            columns = {field.name for field in model._meta.concrete_fields}
            try:
                check_version(
                    stored,
                    cleaned.get(FIELD),
                    actor=user,
                    incoming={name: value for name, value in cleaned.items() if name in columns},
                    secret=secret,
                )
            except EditConflict as conflict:
                refresh_version(self, conflict)
                raise
            return cleaned

    VersionedForm.__name__ = form_class.__name__
    return VersionedForm


class VersionedAdmin:
    """Two people changing one record, here or on the portal: the second save is refused with what changed,
    and what was typed stays in the form (versions.py), as on the portal's own forms. `version_secret` names
    fields whose values a conflict message must not show."""

    version_secret: tuple[str, ...] = ()

    def _checks_version(self, request, obj) -> bool:
        versioned = any(field.name == "updated_at" for field in self.model._meta.concrete_fields)  # type: ignore[attr-defined]
        return obj is not None and versioned and self.has_change_permission(request, obj)  # type: ignore[attr-defined]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if not self._checks_version(request, obj):
            return fieldsets
        (name, options), *rest = fieldsets
        # A hidden field on the first line set: the admin draws its row hidden.
        return [(name, {**options, "fields": [*options["fields"], FIELD]}), *rest]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # fields=None is the admin asking for every field (to draw default fieldsets): nothing to take out.
        fields = kwargs["fields"] if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
        if not fields or FIELD not in fields:
            return super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        kwargs["fields"] = [name for name in fields if name != FIELD]
        form_class = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        return _versioned_form(form_class, request.user, self.version_secret)


class RecordAdmin(NoDeleteMixin, VersionedAdmin, SimpleHistoryAdmin):
    """Admin for records users enter: history kept, no deletes, an archive action for archivable ones.

    Old versions can be read but not written back: a revert would bypass the services (and their checks)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if issubclass(self.model, ArchivableModel) and self.has_change_permission(request):
            actions["archive_selected"] = (archive_selected, "archive_selected", ARCHIVE_ACTION_LABEL)
        return actions

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if issubclass(self.model, ArchivableModel):
            filters.append(ArchivedFilter)
        return filters


class ArchivedFilter(admin.SimpleListFilter):
    title = _("archived")
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", _("current")), ("yes", _("archived"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the portal writes itself (the access log, roster imports): administrators filter and read them;
    nobody adds, changes or deletes one here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- permissions in Chinese ------------------------------------------------------------------------------------

# The names of the default permissions are stored in English ("Can add activity") when the tables are made; the
# user and group pages name them from the translated verb and the model's translated name instead, so nothing
# Chinese is written into auth_permission and a change of language needs no migration.
PERMISSION_VERBS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission) -> str:
    """ "组织机构 | 成员 | 可以增加成员": app, model and action in the current language (stale models: as stored)."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return str(permission)
    verb = permission.codename.partition("_")[0]
    if hasattr(model, "instance_type"):  # a django-simple-history table: its verbose name is "historical …"
        name = gettext("history of %(model)s") % {"model": model.instance_type._meta.verbose_name}
    else:
        name = str(model._meta.verbose_name)
    default = verb in PERMISSION_VERBS and permission.codename == f"{verb}_{model._meta.model_name}"
    action = PERMISSION_VERBS[verb] % {"model": name} if default else permission.name  # a custom one: as stored
    section = apps.get_app_config(content_type.app_label).verbose_name
    return f"{section} | {name} | {action}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return permission_label(obj)


class PermissionLabelsMixin(admin.ModelAdmin):
    """For the user and group admins: the permission pickers speak the current language."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionChoiceField
            queryset = kwargs.get("queryset", db_field.remote_field.model.objects)
            kwargs["queryset"] = queryset.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


# Strings of Django's own admin pages that its Chinese catalogue does not carry yet (Django 5.x added them).
# Marked here so that `make messages` keeps them in the project's catalogue, which Django reads first.
DJANGO_ADMIN_STRINGS = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
]

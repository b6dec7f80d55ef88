"""What every admin page of the project shares: nothing a user entered is deleted from the admin either."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .models import ArchivableModel
from .services import record_archive


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
        for field in form.fields.values():
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's related-field wrapper
            widget.attrs.setdefault("aria-label", f"{field.label} ({row})")


class LabelledTabularInline(admin.TabularInline):
    formset = LabelledFormSet


class NoDeleteInline(NoDeleteMixin, LabelledTabularInline):
    pass


ARCHIVE_ACTION_LABEL = _("Archive the selected records")


@admin.action(description=ARCHIVE_ACTION_LABEL)
def archive_selected(modeladmin, request, queryset) -> None:
    archived = 0
    for record in queryset.filter(archived_at__isnull=True):
        record_archive(actor=request.user, record=record)
        archived += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)d record was archived.", "%(count)d records were archived.", archived) % {"count": archived},
        messages.SUCCESS,
    )


class RecordAdmin(NoDeleteMixin, SimpleHistoryAdmin):
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

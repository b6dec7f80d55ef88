"""The admin of the personal data: every list scoped to the staff member's grants (superusers aside), and the
numbers and birth dates shown as `privacy.personal_view` decides, in the lists, the forms and the history. The
full numbers are revealed on the portal's page, through its logged action."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from volunteer_portal.admin_base import (
    ARCHIVE_ACTION_LABEL,
    LabelledTabularInline,
    NoDeleteInline,
    NoDeleteMixin,
    ReadOnlyAdmin,
    RecordAdmin,
    TalliedAdmin,
    archive_selected,
)
from volunteer_portal.branches.selectors import scope_q, scope_q_any

from .footprints import visit_footprint, visits_of
from .models import (
    ActivityBeneficiary,
    AssistanceItem,
    Beneficiary,
    BeneficiaryNeed,
    Consent,
    Need,
    Pairing,
    RosterImport,
    StatutoryBasis,
    Visit,
    VisitVisitor,
)
from .privacy import SECRET_FIELDS, birth_decade, mask_certificate_number, mask_id_number, search_q
from .upkeep import pairing_last_contact_refresh, visits_changed

HIDDEN_IN_HISTORY: dict[str, Callable[[Any], str]] = {
    "id_number": mask_id_number,
    "certificate_number": mask_certificate_number,
    "birth_date": birth_decade,
}


class ScopedAdminMixin(SimpleHistoryAdmin if TYPE_CHECKING else object):  # type: ignore[misc]
    """Rows of personal data only in the staff member's scope (the union of their grants' subtrees)."""

    scope_via: str | tuple[str, ...] = "beneficiary__branch"
    scope_role: str | None = None

    def get_queryset(self, request):
        if isinstance(self.scope_via, str):
            return super().get_queryset(request).filter(scope_q(request.user, via=self.scope_via, role=self.scope_role))
        return super().get_queryset(request).filter(scope_q_any(request.user, via=self.scope_via, role=self.scope_role))

    def _in_scope(self, request, object_id) -> None:
        # django-simple-history's pages find a record through its history when the queryset does not have it.
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class MaskedHistoryHelper(HistoricalRecordContextHelper):
    """The admin's history page lists each change with its old and new values: numbers masked there too."""

    def prepare_delta_change_value(self, change, value):
        hide = HIDDEN_IN_HISTORY.get(change.field)
        if hide is not None:
            return hide(value) if value else value
        return super().prepare_delta_change_value(change, value)


@admin.register(StatutoryBasis)
class StatutoryBasisAdmin(admin.ModelAdmin):
    list_display = ["name", "reference"]
    search_fields = ["name", "reference"]


@admin.register(Consent)
class ConsentAdmin(ScopedAdminMixin, RecordAdmin):
    # Who consented on which day bounds the age (the person's own consent needs 14 years): only for staff who
    # may see the full numbers.
    scope_role = "may_reveal"

    list_display = ["beneficiary", "given_by", "guardian_name", "given_on", "withdrawn_on"]
    list_filter = ["given_by", "given_on", "withdrawn_on"]
    search_fields = ["beneficiary__name", "guardian_name"]
    autocomplete_fields = ["beneficiary"]
    readonly_fields = ["recorded_by"]
    list_select_related = ["beneficiary"]


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    search_fields = ["name"]


class BeneficiaryNeedInline(LabelledTabularInline):
    # Unlinking a need is an edit of the beneficiary, not the loss of a record.
    model = BeneficiaryNeed
    extra = 0
    verbose_name = _("need")
    verbose_name_plural = _("needs")


class VisitVisitorInline(LabelledTabularInline):
    model = VisitVisitor
    extra = 0
    autocomplete_fields = ["member"]


@admin.register(Beneficiary)
class BeneficiaryAdmin(ScopedAdminMixin, TalliedAdmin, RecordAdmin):
    scope_via = "branch"
    version_secret = SECRET_FIELDS
    list_display = [
        "name",
        "gender",
        "masked_id",
        "disability_category",
        "disability_grade",
        "branch",
        "household_status",
        "archived_at",
    ]
    list_filter = ["disability_category", "disability_grade", "household_status", "gender", "needs"]
    # Searched by name or branch, or by the end of the ID number as far as `privacy.search_q` allows.
    search_fields = ["name", "branch__name"]
    autocomplete_fields = ["branch"]
    inlines = [BeneficiaryNeedInline]
    list_select_related = ["branch"]
    readonly_fields = ["masked_id", "masked_certificate", "born", "reveal"]
    fieldsets = [
        (None, {"fields": ["name", "gender", "born", "branch", "household_status", "statutory_basis"]}),
        (
            _("Disability"),
            {"fields": ["masked_id", "masked_certificate", "reveal", "disability_category", "disability_grade"]},
        ),
        (_("Contact"), {"fields": ["address", "phone", "guardian_name", "guardian_phone"]}),
        (
            _("The four clears"),
            {
                "fields": [
                    "family_situation",
                    "development_goals",
                    "employment_skills",
                    "needs_detail",
                ]
            },
        ),
    ]

    def tally_ids(self, obj, form=None) -> set[int]:
        # Its visits: archiving a household takes them out of every figure.
        return set(visits_of([obj.pk])) if obj.pk else set()

    def tally_footprint(self, ids):
        return visit_footprint(ids)

    def has_add_permission(self, request) -> bool:
        # People are registered on the portal, where their consent or legal basis is recorded with them.
        return False

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # The admin takes any lookup on the model's own fields from the list's URL (?id_number=…,
        # ?birth_date__gt=…): a hidden number or birth date must not be filtered on, or the count answers.
        if lookup.split("__")[0] in HIDDEN_IN_HISTORY:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        condition, _note = search_q(request.user, search_term, request=request)
        return queryset.filter(condition | Q(branch__name__icontains=search_term.strip())), False

    def get_historical_record_context_helper(self, request, historical_record):
        return MaskedHistoryHelper(self.model, historical_record)

    @admin.display(description=_("ID number"))
    def masked_id(self, obj: Beneficiary) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("disability certificate number"))
    def masked_certificate(self, obj: Beneficiary) -> str:
        return mask_certificate_number(obj.certificate_number) or "—"

    @admin.display(description=_("Born"))
    def born(self, obj: Beneficiary) -> str:
        return birth_decade(obj.birth_date)

    @admin.display(description=_("Full numbers"))
    def reveal(self, obj: Beneficiary) -> str:
        # The portal's page offers the logged reveal to those who may see them, and only to them.
        if not obj.pk:
            return "—"
        label = _("On the portal's page, for those who may see them (recorded in the access log)")
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), label)


@admin.register(ActivityBeneficiary)
class ActivityBeneficiaryAdmin(ScopedAdminMixin, NoDeleteMixin, admin.ModelAdmin):
    list_display = ["activity", "beneficiary"]
    search_fields = ["activity__title", "beneficiary__name"]
    autocomplete_fields = ["activity", "beneficiary"]
    list_select_related = ["activity", "beneficiary"]


@admin.register(Pairing)
class PairingAdmin(ScopedAdminMixin, RecordAdmin):
    list_display = ["member", "beneficiary", "start_date", "end_date", "interval_days"]
    list_filter = ["interval_days", "start_date"]
    search_fields = ["member__name", "beneficiary__name"]
    autocomplete_fields = ["member", "beneficiary"]
    list_select_related = ["member", "beneficiary"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        pairing_last_contact_refresh(Pairing.objects.filter(pk=obj.pk))


class AssistanceItemInline(NoDeleteInline):
    model = AssistanceItem
    extra = 0


@admin.register(Visit)
class VisitAdmin(ScopedAdminMixin, TalliedAdmin, RecordAdmin):
    list_display = ["date", "beneficiary", "branch", "activity", "follow_up_needed"]
    list_filter = ["date", "follow_up_needed", "branch__kind"]
    search_fields = ["beneficiary__name", "branch__name", "notes"]
    autocomplete_fields = ["beneficiary", "branch", "activity"]
    list_select_related = ["beneficiary", "branch", "activity"]
    inlines = [VisitVisitorInline, AssistanceItemInline]
    date_hierarchy = "date"

    def tally_ids(self, obj, form=None) -> set[int]:
        return {obj.pk} - {None}

    def tally_footprint(self, ids):
        return visit_footprint(ids)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After the visitors are saved; the household it was for, if changed, and the one it is for now.
        visits_changed([form.initial.get("beneficiary"), form.instance.beneficiary_id])

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "archive_selected" in actions:
            actions["archive_selected"] = (archive_visits, "archive_selected", ARCHIVE_ACTION_LABEL)
        return actions


@admin.action(description=ARCHIVE_ACTION_LABEL)
@transaction.atomic
def archive_visits(modeladmin, request, queryset) -> None:
    """The shared archive action, then the households' last visit and their pairings' last contact."""
    households = list(queryset.values_list("beneficiary_id", flat=True))
    archive_selected(modeladmin, request, queryset)
    visits_changed(households)


@admin.register(AssistanceItem)
class AssistanceItemAdmin(ScopedAdminMixin, TalliedAdmin, RecordAdmin):
    # A group item has no household: it is in scope through its activity's branch.
    scope_via: str | tuple[str, ...] = ("visit__beneficiary__branch", "activity__branch")

    list_display = ["visit", "activity", "kind", "description", "quantity", "recipients", "value"]
    list_filter = ["kind"]
    search_fields = ["description", "visit__beneficiary__name", "activity__title"]
    autocomplete_fields = ["visit", "activity"]
    list_select_related = ["visit", "visit__beneficiary", "activity"]

    def tally_ids(self, obj, form=None) -> set[int]:
        # The visit it was on, if moved, and the one it is on now (items of an activity are not in the store).
        return {obj.visit_id, form.initial.get("visit") if form else None} - {None}

    def tally_footprint(self, ids):
        return visit_footprint(ids)


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    """Who imported which roster file, when, and what it wrote: read-only. The staged rows (personal data) are
    not shown here; they are deleted once an import is written or discarded."""

    list_display = ["file_name", "created_by", "created_at", "status", "total", "created_count", "updated_count",
                    "unchanged_count"]  # fmt: skip
    list_filter = ["status", "created_at"]
    search_fields = ["file_name", "created_by__username"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"

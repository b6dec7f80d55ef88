from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from volunteer_portal.admin_base import NoDeleteInline, NoDeleteMixin, ReadOnlyAdmin, RecordAdmin

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


@admin.register(StatutoryBasis)
class StatutoryBasisAdmin(admin.ModelAdmin):
    list_display = ["name", "reference"]
    search_fields = ["name", "reference"]


@admin.register(Consent)
class ConsentAdmin(RecordAdmin):
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


class BeneficiaryNeedInline(admin.TabularInline):
    # Unlinking a need is an edit of the beneficiary, not the loss of a record.
    model = BeneficiaryNeed
    extra = 0
    verbose_name = _("need")
    verbose_name_plural = _("needs")


class VisitVisitorInline(admin.TabularInline):
    model = VisitVisitor
    extra = 0
    autocomplete_fields = ["member"]


@admin.register(Beneficiary)
class BeneficiaryAdmin(RecordAdmin):
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
    # Search by name, or by the last characters of the ID number (what people read off a certificate).
    search_fields = ["name", "id_number__iendswith", "branch__name"]
    autocomplete_fields = ["branch"]
    inlines = [BeneficiaryNeedInline]
    list_select_related = ["branch"]
    fieldsets = [
        (None, {"fields": ["name", "gender", "birth_date", "branch", "household_status", "statutory_basis"]}),
        (
            _("Disability"),
            {"fields": ["id_number", "certificate_number", "disability_category", "disability_grade"]},
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

    @admin.display(description=_("ID number"))
    def masked_id(self, obj: Beneficiary) -> str:
        return obj.masked_id_number


@admin.register(ActivityBeneficiary)
class ActivityBeneficiaryAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["activity", "beneficiary"]
    search_fields = ["activity__title", "beneficiary__name"]
    autocomplete_fields = ["activity", "beneficiary"]
    list_select_related = ["activity", "beneficiary"]


@admin.register(Pairing)
class PairingAdmin(RecordAdmin):
    list_display = ["member", "beneficiary", "start_date", "end_date", "interval_days"]
    list_filter = ["interval_days", "start_date"]
    search_fields = ["member__name", "beneficiary__name"]
    autocomplete_fields = ["member", "beneficiary"]
    list_select_related = ["member", "beneficiary"]


class AssistanceItemInline(NoDeleteInline):
    model = AssistanceItem
    extra = 0


@admin.register(Visit)
class VisitAdmin(RecordAdmin):
    list_display = ["date", "beneficiary", "branch", "activity", "follow_up_needed"]
    list_filter = ["date", "follow_up_needed", "branch__kind"]
    search_fields = ["beneficiary__name", "branch__name", "notes"]
    autocomplete_fields = ["beneficiary", "branch", "activity"]
    list_select_related = ["beneficiary", "branch", "activity"]
    inlines = [VisitVisitorInline, AssistanceItemInline]
    date_hierarchy = "date"


@admin.register(AssistanceItem)
class AssistanceItemAdmin(RecordAdmin):
    list_display = ["visit", "kind", "description", "quantity", "value"]
    list_filter = ["kind"]
    search_fields = ["description", "visit__beneficiary__name"]
    autocomplete_fields = ["visit"]
    list_select_related = ["visit", "visit__beneficiary"]


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

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from volunteer_portal.admin_base import LabelledTabularInline, ReadOnlyAdmin, RecordAdmin

from .models import BranchReport, EvaluationCriteria, ReportEvent, ReportRequirement


@admin.register(ReportRequirement)
class ReportRequirementAdmin(SimpleHistoryAdmin):
    """Which kinds of branch report how often: changed freely (the history keeps every version)."""

    list_display = ["branch_kind", "frequency", "starts_on", "due_days", "active"]
    list_filter = ["frequency", "branch_kind", "active"]


class ReportEventInline(LabelledTabularInline):
    model = ReportEvent
    extra = 0
    fields = ["at", "action", "actor", "comment"]
    readonly_fields = ["at", "action", "actor", "comment"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BranchReport)
class BranchReportAdmin(RecordAdmin):
    """Reports are written and reviewed on the portal's pages, where the workflow's rules hold: read-only here."""

    list_display = ["branch", "period_start", "period_end", "frequency", "status", "submitted_at"]
    list_filter = ["status", "frequency", "period_start"]
    search_fields = ["branch__name"]
    list_select_related = ["branch"]
    inlines = [ReportEventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdmin):
    list_display = ["of_report", "action", "actor", "at", "comment"]
    list_filter = ["action", "at"]
    list_select_related = ["report", "report__branch", "actor"]
    fields = ["of_report", "action", "actor", "at", "comment"]
    readonly_fields = ["of_report"]

    # The key has no verbose name of its own (the model would need a migration for one): named here.
    @admin.display(description=_("report"), ordering="report")
    def of_report(self, obj: ReportEvent) -> str:
        return str(obj.report)


@admin.register(EvaluationCriteria)
class EvaluationCriteriaAdmin(SimpleHistoryAdmin):
    """One set of thresholds: it can be changed, not added to or deleted."""

    list_display = ["__str__", "min_months_active", "min_participation_rate", "require_reports", "max_overdue_share",
                    "max_march_share_percent"]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return not EvaluationCriteria.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

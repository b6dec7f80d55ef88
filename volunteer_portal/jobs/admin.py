"""Export jobs, read-only: who asked for what and when, and how it went. The files are not offered here: they
are their owner's alone (jobs:export-download)."""

from django.contrib import admin

from .models import ExportJob

FIELDS = ("title", "user", "status", "rows_total", "rows_done", "error", "created_at", "started_at", "finished_at")


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "status", "rows_total", "created_at", "finished_at"]
    list_filter = ["status"]
    date_hierarchy = "created_at"
    fields = FIELDS
    readonly_fields = FIELDS

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

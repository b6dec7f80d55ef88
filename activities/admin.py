from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from volunteer_portal.admin_base import NoDeleteInline, NoDeleteMixin, RecordAdmin, TalliedAdmin

from .footprints import activity_footprint
from .models import Activity, ActivityType, Campaign, CampaignTarget, Participation, StarLevel
from .upkeep import activity_totals_refresh


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "order", "active"]
    list_filter = ["active", "parent"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


class CampaignTargetInline(NoDeleteMixin, admin.StackedInline):
    model = CampaignTarget
    extra = 0
    autocomplete_fields = ["activity_type"]


@admin.register(Campaign)
class CampaignAdmin(RecordAdmin):
    list_display = ["name", "branch", "start", "end", "archived_at"]
    list_filter = ["start", "branch__kind"]
    search_fields = ["name", "theme"]
    autocomplete_fields = ["branch"]
    list_select_related = ["branch"]
    inlines = [CampaignTargetInline]
    date_hierarchy = "start"


@admin.register(CampaignTarget)
class CampaignTargetAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "metric", "subject", "branch_kind", "leadership_only", "quantity"]
    list_filter = ["metric", "subject"]
    search_fields = ["name", "campaign__name"]
    autocomplete_fields = ["campaign", "activity_type"]
    list_select_related = ["campaign"]


class ParticipationInline(NoDeleteInline):
    model = Participation
    extra = 0
    autocomplete_fields = ["member"]


@admin.register(Activity)
class ActivityAdmin(TalliedAdmin, RecordAdmin):
    list_display = ["date", "title", "branch", "type", "campaign", "archived_at"]
    list_filter = ["type", "date", "branch__kind", "campaign"]
    search_fields = ["title", "location", "branch__name"]
    autocomplete_fields = ["branch", "type", "campaign"]
    list_select_related = ["branch", "type", "type__parent", "campaign"]
    inlines = [ParticipationInline]
    date_hierarchy = "date"

    def tally_ids(self, obj, form=None) -> set[int]:
        return {obj.pk} - {None}

    def tally_footprint(self, ids):
        return activity_footprint(ids)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        activity_totals_refresh(Activity.objects.filter(pk=form.instance.pk))


@admin.register(Participation)
class ParticipationAdmin(TalliedAdmin, RecordAdmin):
    list_display = ["activity", "member", "hours"]
    search_fields = ["member__name", "activity__title"]
    autocomplete_fields = ["activity", "member"]
    list_select_related = ["activity", "member"]

    def tally_ids(self, obj, form=None) -> set[int]:
        # The activity it was on, if moved, and the one it is on now.
        return {obj.activity_id, form.initial.get("activity") if form else None} - {None}

    def tally_footprint(self, ids):
        return activity_footprint(ids)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # The activity it was on, if moved, and the one it is on now.
        activity_totals_refresh(Activity.objects.filter(pk__in=[form.initial.get("activity"), obj.activity_id]))


@admin.register(StarLevel)
class StarLevelAdmin(SimpleHistoryAdmin):
    list_display = ["stars", "min_hours"]

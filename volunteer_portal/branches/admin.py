from axes.admin import AccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from volunteer_portal.admin_base import LabelledTabularInline, PermissionLabelsMixin, ReadOnlyAdmin, RecordAdmin

from . import services
from .models import AccessLog, Branch, Member, RoleGrant, in_subtree


class RoleGrantInline(LabelledTabularInline):
    # Grants are access rights, not records users entered: revoking one deletes it (the history keeps it).
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Branch)
class BranchAdmin(RecordAdmin):
    list_display = ["tree_name", "kind", "code", "active", "path"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]
    fields = ["parent", "name", "code", "kind", "active", "confirm_members_work", "path", "depth"]
    inlines = [RoleGrantInline]
    list_per_page = 100

    @admin.display(description=_("name"), ordering="path")
    def tree_name(self, obj: Branch) -> str:
        # Indented with ideographic spaces so that the list, ordered by path, reads as the tree.
        return obj.indented_name

    def save_model(self, request, obj, form, change):
        # The path follows the parent only through the services; the admin never writes it itself.
        if not change:
            created = services.branch_create(
                name=obj.name,
                code=obj.code,
                kind=obj.kind,
                parent=obj.parent,
                active=obj.active,
                confirm_members_work=obj.confirm_members_work,
            )
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
            return
        if "parent" in form.changed_data:
            services.branch_move(branch=obj, new_parent=obj.parent)
        services.branch_update(
            branch=obj,
            name=obj.name,
            code=obj.code,
            kind=obj.kind,
            active=obj.active,
            confirm_members_work=obj.confirm_members_work,
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "parent" in form.base_fields:  # absent for staff who may only view
            # Moving under its own subtree would make a loop; the service refuses it too.
            form.base_fields["parent"].queryset = Branch.objects.exclude(in_subtree(obj))
        return form


@admin.register(Member)
class MemberAdmin(RecordAdmin):
    list_display = ["name", "gender", "branch", "is_party_member", "is_leadership", "active", "left_on", "user"]
    list_filter = ["active", "is_party_member", "is_leadership", "gender", "branch__kind"]
    search_fields = ["name", "phone", "branch__name"]
    autocomplete_fields = ["branch", "user"]
    list_select_related = ["branch", "user"]


@admin.register(RoleGrant)
class RoleGrantAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "branch", "may_reveal", "may_export", "created_at"]
    list_filter = ["role", "may_reveal", "may_export"]
    search_fields = ["user__username", "branch__name"]
    autocomplete_fields = ["user", "branch"]
    list_select_related = ["user", "branch"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    """Append-only: administrators filter and read it; nobody adds, changes or deletes an entry."""

    list_display = ["at", "event", "username", "address", "subject", "detail"]

    def has_view_permission(self, request, obj=None) -> bool:
        # It keeps the last four characters of numbers people checked: only for superusers, who may see whole
        # numbers anyway.
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    list_filter = ["event", "at"]
    search_fields = ["username", "subject", "detail", "address"]
    date_hierarchy = "at"
    list_per_page = 100


# --- accounts: permission pickers in the current language -----------------------------------------------------


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class PortalUserAdmin(PermissionLabelsMixin, UserAdmin):
    pass


@admin.register(Group)
class PortalGroupAdmin(PermissionLabelsMixin, GroupAdmin):
    pass


# --- django-axes: the columns it names only in code -------------------------------------------------------------

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class PortalAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("status"))
    def status(self, obj: AccessAttempt) -> str:
        left = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if left > 0:
            return ngettext("%(count)d attempt left", "%(count)d attempts left", left) % {"count": left}
        return str(_("Locked Out"))

    @admin.display(description=_("Expires At"))
    def expiration(self, obj: AccessAttempt):
        return super().expiration(obj)

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request, queryset) -> None:
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d expired sign-in attempt was cleaned up.",
                "%(count)d expired sign-in attempts were cleaned up.",
                count,
            )
            % {"count": count},
        )

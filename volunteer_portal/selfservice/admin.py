"""The members' side in the admin: invitations are read here (who invited whom, when, whether it was used);
they are made on the portal (a secretary's "邀请登录"), so nobody adds or changes one here."""

from django.contrib import admin

from volunteer_portal.admin_base import ReadOnlyAdmin

from .models import Invite

SHOWN = ("member", "created_by", "created_at", "expires_at", "used_at")


@admin.register(Invite)
class InviteAdmin(ReadOnlyAdmin):
    # The token's hash is left out: it is of no use to a reader, and shown it would only be something to copy.
    list_display = SHOWN
    fields = SHOWN
    readonly_fields = SHOWN
    list_filter = ["created_at", "used_at"]
    search_fields = ["member__name", "created_by__username"]
    list_select_related = ["member", "created_by"]
    date_hierarchy = "created_at"

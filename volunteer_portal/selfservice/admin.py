"""The members' side in the admin: invitations are read here (who invited whom, when, whether it was used);
they are made on the portal (a secretary's "邀请登录"), so nobody adds or changes one here. Members' records
(claims) likewise: read and filtered here, decided on the portal."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from volunteer_portal.admin_base import ReadOnlyAdmin

from .models import Claim, Invite
from .views.queue import item_lines

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


CLAIM_SHOWN = (
    "kind", "status", "member", "branch", "date", "activity", "hours", "pairing", "notes", "handed_over",
    "nothing_handed_over", "decided_by", "decided_at", "decision_note", "created_at",
)  # fmt: skip


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Members' records, to read and filter. Decisions go through the portal's queue (services.claim_confirm,
    claim_reject), which keep the figure store's pending rows and make the participation or visit: changed here, a
    claim's status would drift from the store behind its back, so nothing is added, changed or deleted here. The
    history page shows every decision."""

    list_display = ["member", "kind", "status", "date", "branch", "hours", "decided_by", "decided_at"]
    list_filter = ["status", "kind", "date"]
    search_fields = ["member__name", "activity__title"]
    list_select_related = ["member", "branch", "decided_by"]
    date_hierarchy = "date"
    fields = CLAIM_SHOWN
    readonly_fields = CLAIM_SHOWN

    @admin.display(description=_("items handed over"))
    def handed_over(self, claim: Claim) -> str:
        return "；".join(item_lines(claim)) or "—"

"""The group robots (webhook addresses shown masked; a new one is typed, never shown back) and a read-only view of
the reminders sent, to answer "was I told?"."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import GroupRobot, Reminder, validate_webhook_url


class GroupRobotForm(forms.ModelForm):
    webhook_url = forms.CharField(
        label=_("webhook address"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "From the group's robot settings in WeCom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… "
            "The address is a secret and is never shown again; leave this empty to keep the current one."
        ),
    )

    class Meta:
        model = GroupRobot
        fields = ["branch", "webhook_url", "active"]

    def clean_webhook_url(self) -> str:
        value = self.cleaned_data["webhook_url"].strip()
        if not value:
            if self.instance.pk:
                return self.instance.webhook_url
            raise forms.ValidationError(_("Enter the robot's webhook address."))
        validate_webhook_url(value)
        return value


@admin.register(GroupRobot)
class GroupRobotAdmin(admin.ModelAdmin):
    form = GroupRobotForm
    list_display = ["branch", "masked_url", "active", "updated_at"]
    list_filter = ["active"]
    autocomplete_fields = ["branch"]
    readonly_fields = ["masked_url"]
    search_fields = ["branch__name"]

    @admin.display(description=_("webhook address"))
    def masked_url(self, robot: GroupRobot) -> str:
        return robot.masked_url if robot.pk else ""

    def get_fields(self, request, obj=None):
        return ["branch", "masked_url", "webhook_url", "active"] if obj else ["branch", "webhook_url", "active"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "kind", "recipient", "title", "status", "attempts"]
    list_filter = ["channel", "kind", "status"]
    search_fields = ["title", "user__username"]
    list_select_related = ["user", "robot__branch"]
    date_hierarchy = "created_at"

    @admin.display(description=_("recipient"))
    def recipient(self, reminder: Reminder) -> str:
        return str(reminder.user or reminder.robot)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record is what keeps a reminder from being sent twice

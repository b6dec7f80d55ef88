"""The forms of campaigns (活动方案) and their targets. Their own module: `forms.py` holds the activity form."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.branches.selectors import branch_list, own_branch_id
from volunteer_portal.forms import DateInput

from .models import Campaign, CampaignTarget
from .selectors import activity_type_choices

Subject = CampaignTarget.Subject


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "theme", "branch", "start", "end", "description"]
        widgets = {
            "start": DateInput(),
            "end": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "name": _("As the plan is titled, e.g. 2014年区残联学雷锋活动方案."),
            "theme": _("e.g. 学雷锋 关爱残疾人"),
            "branch": _("The branch whose plan this is; its whole subtree takes part."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branch_list(user=user, role=RoleGrant.Role.SECRETARY)  # type: ignore[attr-defined]
        if not self.instance.pk:
            self.fields["branch"].initial = own_branch_id(user)


class CampaignEndForm(forms.Form):
    on = forms.DateField(label=_("Last day of the campaign"), widget=DateInput())

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = min(campaign.end, max(campaign.start, timezone.localdate()))


class TargetForm(forms.ModelForm):
    """A target as the plan words it, with the structured fields that say how it is counted.

    "Who" folds the model's subject and leadership flag into the three choices a plan states: each branch of a
    kind, each leadership member, each member."""

    EACH_BRANCH, EACH_LEADER, EACH_MEMBER = "branch", "leadership", "member"
    who = forms.ChoiceField(
        label=_("Counted for"),
        choices=[
            (EACH_BRANCH, _("each branch of a kind (e.g. each community)")),
            (EACH_LEADER, _("each leadership member (班子成员)")),
            (EACH_MEMBER, _("each member")),
        ],
        widget=forms.RadioSelect,
        initial=EACH_BRANCH,
    )

    class Meta:
        model = CampaignTarget
        fields = ["name", "who", "branch_kind", "metric", "quantity", "activity_type", "hardship_only"]
        labels = {"name": _("The target in the plan's words")}
        help_texts = {
            "name": _("e.g. 各街道残联须对每个社区慰问1户贫困残疾人家庭, or 区残联领导班子每人慰问1户贫困残疾人家庭."),
            "branch_kind": _("For “each branch of a kind”: which kind, e.g. community."),
            "quantity": _("At least 1: the number each of them must reach."),
        }
        error_messages = {
            "quantity": {"min_value": _("Each must reach at least 1."), "invalid": _("Enter a whole number.")}
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].queryset = activity_type_choices()  # type: ignore[attr-defined]
        self.fields["quantity"].widget.attrs["min"] = 1
        target = self.instance
        if target.pk:
            if target.subject == Subject.BRANCH:
                self.initial["who"] = self.EACH_BRANCH
            else:
                self.initial["who"] = self.EACH_LEADER if target.leadership_only else self.EACH_MEMBER

    def clean(self):
        data = super().clean() or {}
        who = data.get("who")
        if who == self.EACH_BRANCH and not data.get("branch_kind"):
            self.add_error("branch_kind", _("Choose the kind of branch each of which must reach the target."))
        return data

    def _post_clean(self):
        # The model's fields are set from "who" before the model validates itself.
        who = self.cleaned_data.get("who")
        self.instance.subject = Subject.BRANCH if who == self.EACH_BRANCH else Subject.MEMBER
        self.instance.leadership_only = who == self.EACH_LEADER
        if who != self.EACH_BRANCH:
            self.cleaned_data["branch_kind"] = ""
        super()._post_clean()  # type: ignore[misc]  # ModelForm's hook after clean(), not in django-stubs

    def target_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "subject": self.instance.subject,
            "leadership_only": self.instance.leadership_only,
            "branch_kind": data.get("branch_kind") or "",
            "metric": data["metric"],
            "quantity": data["quantity"],
            "activity_type": data.get("activity_type"),
            "hardship_only": data.get("hardship_only", False),
        }

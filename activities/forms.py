import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from volunteer_portal.branches.models import Member, RoleGrant, on_roll_q
from volunteer_portal.branches.selectors import branch_list, member_list, own_branch_id
from volunteer_portal.forms import DateInput, MultipleImageField
from volunteer_portal.photos import validate_photos
from volunteer_portal.validators import validate_hours
from volunteer_portal.versions import add_version_field

from .models import Activity
from .selectors import activity_type_choices, campaign_choices

Role = RoleGrant.Role
# The name of the button that posts the activity form back only to offer the roll of the date typed in.
REFRESH_ROLL = "refresh_roll"


class ActivityForm(forms.ModelForm):
    """An activity with its participants: one hours value for everyone, adjustable per person."""

    default_hours = forms.DecimalField(
        label=_("Hours for each participant"),
        initial=Decimal("2.0"),
        max_digits=4,
        decimal_places=1,
        validators=[validate_hours],
        help_text=_("Applied to everyone ticked below unless you enter other hours for a person."),
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("%(value)s is not a member you may record: choose from the list.")},
    )
    photos = MultipleImageField(label=_("Photos"), help_text=_("JPEG, PNG, GIF or WebP, up to 5 MB each."))

    class Meta:
        model = Activity
        fields = ["type", "date", "starts_at", "ends_at", "branch", "title", "location", "description", "outcome",
                  "campaign"]  # fmt: skip
        widgets = {
            "date": DateInput(),
            # The browser's own time picker; optional, so an activity logged afterwards needs no times.
            "starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        add_version_field(self, self.instance)
        branches = branch_list(user=user, role=Role.SECRETARY)
        self.fields["branch"].queryset = branches
        self.fields["type"].queryset = activity_type_choices()
        self.fields["campaign"].queryset = campaign_choices(user=user)
        # The period beside the name: an activity dated outside it cannot be tied to the campaign.
        self.fields["campaign"].label_from_instance = lambda campaign: _("%(name)s (%(start)s to %(end)s)") % {
            "name": campaign.name, "start": campaign.start.isoformat(), "end": campaign.end.isoformat(),
        }  # fmt: skip
        if not self.instance.pk:
            self.fields["date"].initial = timezone.localdate()
            self.fields["branch"].initial = own_branch_id(user)
        # Any member of the write scope may be ticked (the service refuses, by name, anyone not on the roll on
        # the activity's date); the list offers those who were on the roll that day, and on an edit also the
        # people already recorded, so that nobody silently drops off.
        in_scope = member_list(user=user, role=Role.SECRETARY)
        self.roll_day = self._roll_day()
        offered = Q(on_roll_q(self.roll_day))
        if self.instance.pk:
            offered |= Q(activities=self.instance)
        members = in_scope.filter(offered).distinct().order_by("branch__path", "name")
        self.fields["participants"].queryset = in_scope
        self.member_choices = list(members)
        current_hours = {}
        if self.instance.pk:
            current_hours = dict(self.instance.participations.values_list("member_id", "hours"))
            self.fields["participants"].initial = list(current_hours)
        for member in self.member_choices:
            self.fields[f"hours_{member.pk}"] = forms.DecimalField(
                label=_("Hours for %(name)s") % {"name": member.name},
                required=False,
                max_digits=4,
                decimal_places=1,
                validators=[validate_hours],
                initial=current_hours.get(member.pk),
            )

    def _roll_day(self) -> dt.date:
        """The day whose roll the participants list offers: the date typed into the form, else the activity's."""
        if self.is_bound:
            try:
                day = self.fields["date"].clean(self.data.get(self.add_prefix("date")))
            except ValidationError:
                day = None
            if day:
                return day
        return self.instance.date if self.instance.pk else timezone.localdate()

    def participant_rows(self):
        """(member, checkbox subwidget, hours bound field) for the participants table."""
        boxes = {str(box.data["value"]): box for box in self["participants"]}
        return [(m, boxes.get(str(m.pk)), self[f"hours_{m.pk}"]) for m in self.member_choices]

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        validate_photos(photos)
        return photos

    def participant_hours(self) -> dict:
        default = self.cleaned_data["default_hours"]
        return {
            member: self.cleaned_data.get(f"hours_{member.pk}") or default
            for member in self.cleaned_data.get("participants", [])
        }


class NewParticipantForm(forms.Form):
    """Someone who took part but is not on the list yet (history entered years later, a newcomer): added as a
    member of the activity's branch, on the roll from their join date (the activity's date unless given)."""

    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", "---------"), *Member.Gender.choices], required=False)
    joined_on = forms.DateField(
        label=_("Joined on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty to use the activity's date."),
    )
    left_on = forms.DateField(label=_("Left on"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean() or {}
        if data.get("name") and not data.get("gender"):
            self.add_error("gender", _("Choose the person's gender."))
        if not data.get("name") and any(data.get(name) for name in ("gender", "joined_on", "left_on")):
            self.add_error("name", _("Enter the person's name, or clear this row."))
        return data


NewParticipantFormSet = forms.formset_factory(NewParticipantForm, extra=2, max_num=20, absolute_max=20)


def new_participants(formset) -> list[dict]:
    """The filled rows of the new-participant formset, for the activity services."""
    return [form.cleaned_data for form in formset.forms if form.cleaned_data.get("name")]


class RangeForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end cannot be before the start."))
        return data

    def chosen(self) -> tuple[dt.date | None, dt.date | None]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("start"), self.cleaned_data.get("end")
        return None, None

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.branches.selectors import branch_list, member_list, own_branch_id, writable_members
from volunteer_portal.forms import DateInput, MultipleImageField
from volunteer_portal.photos import validate_photo
from volunteer_portal.validators import validate_hours

from .models import Activity
from .selectors import activity_type_choices, campaign_choices

Role = RoleGrant.Role


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
        fields = ["type", "date", "branch", "title", "location", "description", "outcome", "campaign"]
        widgets = {
            "date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        branches = branch_list(user=user, role=Role.SECRETARY)
        self.fields["branch"].queryset = branches
        self.fields["type"].queryset = activity_type_choices()
        self.fields["campaign"].queryset = campaign_choices(user=user)
        members = writable_members(user)
        if self.instance.pk:
            # People who have since left still show on the activities they took part in.
            members = members | member_list(user=user, role=Role.SECRETARY).filter(activities=self.instance)
            members = members.distinct()
        self.fields["participants"].queryset = members
        self.member_choices = list(members)
        if not self.instance.pk:
            self.fields["date"].initial = timezone.localdate()
            self.fields["branch"].initial = own_branch_id(user)
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

    def participant_rows(self):
        """(member, checkbox subwidget, hours bound field) for the participants table."""
        boxes = {str(box.data["value"]): box for box in self["participants"]}
        return [(m, boxes.get(str(m.pk)), self[f"hours_{m.pk}"]) for m in self.member_choices]

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        errors = []
        for upload in photos:
            try:
                validate_photo(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return photos

    def participant_hours(self) -> dict:
        default = self.cleaned_data["default_hours"]
        return {
            member: self.cleaned_data.get(f"hours_{member.pk}") or default
            for member in self.cleaned_data.get("participants", [])
        }


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

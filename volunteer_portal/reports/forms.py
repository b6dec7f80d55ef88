"""The forms of branch reports, the summary and the evaluation: which period, the report's sections, a review."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from volunteer_portal.dashboards.forms import EARLIEST_YEAR, cap_year
from volunteer_portal.dashboards.periods import Frequency, period_number
from volunteer_portal.versions import add_version_field

from .models import BranchReport


class ReportPeriodForm(forms.Form):
    """A report period: frequency, year and the month or quarter (ignored for a year). Defaults to the last
    quarter that has ended."""

    frequency = forms.ChoiceField(label=_("Frequency"), choices=[])
    year = forms.IntegerField(label=_("Year"), min_value=EARLIEST_YEAR)
    number = forms.IntegerField(
        label=_("Month or quarter"), min_value=1, max_value=12, required=False, help_text=_("Empty for a year.")
    )

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["frequency"].choices = Frequency.choices
        cap_year(self.fields["year"], self.today.year)
        last_quarter = (self.today.month - 1) // 3 or 4
        self.fields["frequency"].initial = Frequency.QUARTERLY
        self.fields["year"].initial = self.today.year if self.today.month > 3 else self.today.year - 1
        self.fields["number"].initial = last_quarter

    def clean(self):
        data = super().clean() or {}
        frequency, number = data.get("frequency"), data.get("number")
        if frequency == Frequency.MONTHLY and not number:
            self.add_error("number", _("Choose the month, 1 to 12."))
        if frequency == Frequency.QUARTERLY and not (number and number <= 4):
            self.add_error("number", _("Choose the quarter, 1 to 4."))
        return data

    def chosen(self) -> tuple[str, dt.date]:
        """(frequency, first day of the period): the submitted one if valid, else the default."""
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            return data["frequency"], period_number(data["frequency"], data["year"], data["number"] or 1)[0]
        frequency = self.fields["frequency"].initial
        return frequency, period_number(frequency, self.fields["year"].initial, self.fields["number"].initial)[0]


class ReportStartForm(ReportPeriodForm):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=None)

    field_order = ["branch", "frequency", "year", "number"]

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches


class ReportForm(forms.ModelForm):
    class Meta:
        model = BranchReport
        fields = ["basic_situation", "practices", "problems", "next_steps", "typical_activities"]
        widgets = {
            "basic_situation": forms.Textarea(attrs={"rows": 5}),
            "practices": forms.Textarea(attrs={"rows": 5}),
            "problems": forms.Textarea(attrs={"rows": 3}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
            "typical_activities": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        add_version_field(self, self.instance)
        field = self.fields["typical_activities"]
        field.queryset = activities
        field.help_text = _("Tick the activities that best show the work: they appear as typical cases.")


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when returning the report: say what should be changed."),
    )


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=EARLIEST_YEAR)

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        cap_year(self.fields["year"], today.year)
        self.fields["year"].initial = today.year

    def chosen(self) -> int:
        return self.cleaned_data["year"] if self.is_bound and self.is_valid() else self.fields["year"].initial


class EvaluationForm(YearForm):
    """The evaluation page's year, and which branches to list."""

    INELIGIBLE, ELIGIBLE = "ineligible", "eligible"
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("every branch")),
            (INELIGIBLE, _("may not be rated excellent")),
            (ELIGIBLE, _("may be rated excellent")),
        ],
    )

    # Each field falls back on its own: a bad "show" keeps the year chosen, and a bad year keeps the choice.
    def chosen(self) -> int:
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data.get("year", self.fields["year"].initial)
        return self.fields["year"].initial

    def shown(self) -> str:
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data.get("show", "")
        return ""

"""The period picker: this month, this quarter, this year, a chosen year, or a custom range."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from volunteer_portal.forms import DateInput

from .models import BranchReport
from .periods import Frequency, period_number, period_of

MAX_RANGE_DAYS = 366 * 5
EARLIEST_YEAR = 2000


def cap_year(field: forms.Field, year: int) -> None:
    """No year after this one. Set after the field is built, so the validator is added by hand (max_value alone
    would only change the widget), and a year of twenty digits is refused instead of reaching the database."""
    field.max_value = year
    field.validators.append(MaxValueValidator(year))
    field.widget.attrs["max"] = year


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str


class PeriodForm(forms.Form):
    PERIODS = [
        ("month", _("This month")),
        ("quarter", _("This quarter")),
        ("year", _("This year")),
        ("chosen_year", _("A chosen year")),
        ("custom", _("A custom range")),
    ]
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False, initial="year")
    year = forms.IntegerField(label=_("Year"), required=False, min_value=EARLIEST_YEAR)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        cap_year(self.fields["year"], self.today.year)
        self.fields["start"].widget.attrs["min"] = f"{EARLIEST_YEAR}-01-01"

    def clean(self):
        data = super().clean() or {}
        period = data.get("period") or "year"
        if period == "chosen_year":
            if not data.get("year"):
                self.add_error("year", _("Choose a year."))
            elif data["year"] > self.today.year:
                self.add_error("year", _("That year has not begun yet."))
        if period == "custom":
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", _("Enter the first day of the range."))
            if not end:
                self.add_error("end", _("Enter the last day of the range."))
            for name in ("start", "end"):
                if data.get(name) and data[name].year < EARLIEST_YEAR:
                    self.add_error(name, _("Choose a date from %(year)d on.") % {"year": EARLIEST_YEAR})
                    data[name] = None
            start, end = data.get("start"), data.get("end")
            if start and end:
                if end < start:
                    self.add_error("end", _("The last day cannot be before the first day."))
                elif (end - start).days > MAX_RANGE_DAYS:
                    self.add_error("end", _("Choose a range of at most five years."))
        return data

    def chosen_period(self) -> Period:
        """The chosen period; this year when the form is empty or wrong (the errors are shown beside it)."""
        today = self.today
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        kind = data.get("period") or "year"
        if kind == "month":
            start, end = period_of(Frequency.MONTHLY, today)
            return Period(start, end, _("%(year)d-%(month)02d") % {"year": start.year, "month": start.month})
        if kind == "quarter":
            start, end = period_of(Frequency.QUARTERLY, today)
            quarter = (start.month - 1) // 3 + 1
            return Period(start, end, _("Q%(quarter)d %(year)d") % {"quarter": quarter, "year": today.year})
        if kind == "chosen_year":
            year = data["year"]
            return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), _("Year %(year)d") % {"year": year})
        if kind == "custom":
            return Period(data["start"], data["end"], f"{data['start']:%Y-%m-%d} – {data['end']:%Y-%m-%d}")
        return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31), _("Year %(year)d") % {"year": today.year})


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

"""The period picker: this month, this quarter, this year, a chosen year, or a custom range."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from volunteer_portal.forms import DateInput

from .periods import Frequency, period_of

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

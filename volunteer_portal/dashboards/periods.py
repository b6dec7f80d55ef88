"""Calendar periods: the month, quarter or year that holds a day, and how each is named. The dashboard's period
picker and branch reports both use them."""

import datetime as dt

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Frequency(models.TextChoices):
    MONTHLY = "monthly", gettext_lazy("monthly")
    QUARTERLY = "quarterly", gettext_lazy("quarterly")
    YEARLY = "yearly", gettext_lazy("yearly")


def period_of(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period of this frequency that holds the day: (first day, last day)."""
    if frequency == Frequency.MONTHLY:
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    elif frequency == Frequency.QUARTERLY:
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        end = (start + dt.timedelta(days=93)).replace(day=1) - dt.timedelta(days=1)
    else:
        start, end = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    return start, end


def period_number(frequency: str, year: int, number: int) -> tuple[dt.date, dt.date]:
    """Month 1–12, quarter 1–4, or the year (number ignored)."""
    if frequency == Frequency.MONTHLY:
        return period_of(frequency, dt.date(year, number, 1))
    if frequency == Frequency.QUARTERLY:
        return period_of(frequency, dt.date(year, (number - 1) * 3 + 1, 1))
    return period_of(frequency, dt.date(year, 1, 1))


def ended_periods(frequency: str, since: dt.date, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Periods of this frequency that have ended by today and end on or after `since`, oldest first."""
    periods = []
    start, end = period_of(frequency, since)
    while end < today:
        if end >= since:
            periods.append((start, end))
        start, end = period_of(frequency, end + dt.timedelta(days=1))
    return periods


def period_label(frequency: str, start: dt.date) -> str:
    if frequency == Frequency.MONTHLY:
        return _("%(year)d, month %(month)d") % {"year": start.year, "month": start.month}
    if frequency == Frequency.QUARTERLY:
        return _("%(year)d, quarter %(quarter)d") % {"year": start.year, "quarter": (start.month - 1) // 3 + 1}
    return _("the year %(year)d") % {"year": start.year}

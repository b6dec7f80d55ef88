import datetime as dt

import pytest
from django.db.models import F, Value

from beneficiaries.models import Pairing
from volunteer_portal.expressions import AddDays

from .factories import PairingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (dt.date(2026, 1, 1), 60, dt.date(2026, 3, 2)),
        (dt.date(2024, 2, 28), 1, dt.date(2024, 2, 29)),
        (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 1)),
        (dt.date(2026, 3, 1), 0, dt.date(2026, 3, 1)),
    ],
)
def test_add_days_from_a_column(start, days, expected):
    pairing = PairingFactory(start_date=start, interval_days=max(days, 1))
    row = Pairing.objects.annotate(
        due=AddDays(F("start_date"), F("interval_days")), plain=AddDays(F("start_date"), Value(days))
    ).get(pk=pairing.pk)
    assert row.plain == expected
    assert row.due == start + dt.timedelta(days=max(days, 1))

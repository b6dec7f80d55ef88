"""Volunteer hours and star levels, and a member's service record (activities/hours.py)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from activities import hours
from activities.models import StarLevel
from volunteer_portal.reports.models import (
    EvaluationCriteria,
)

from ..factories import (
    ActivityFactory,
    ActivityTypeFactory,
    MemberFactory,
    ParticipationFactory,
)

pytestmark = pytest.mark.django_db


# --- star levels ---------------------------------------------------------------------------------------------


def test_the_national_default_thresholds_are_seeded_for_the_administrator():
    assert hours.thresholds() == [(1, 100), (2, 300), (3, 600), (4, 1000), (5, 1500)]
    assert EvaluationCriteria.objects.count() == 1


@pytest.mark.parametrize(
    ("cumulative", "stars"),
    [
        ("0", 0), ("99.5", 0), ("100", 1), ("100.5", 1),
        ("299.5", 1), ("300", 2), ("300.5", 2),
        ("599.5", 2), ("600", 3), ("600.5", 3),
        ("999.5", 3), ("1000", 4), ("1000.5", 4),
        ("1499.5", 4), ("1500", 5), ("1500.5", 5), ("9999", 5),
    ],
)  # fmt: skip
def test_star_levels_at_and_either_side_of_each_threshold(cumulative, stars):
    assert hours.star_level(Decimal(cumulative)) == stars


def test_thresholds_an_administrator_changes_are_the_ones_used():
    StarLevel.objects.filter(stars=1).update(min_hours=50)
    assert hours.star_level(Decimal("49.5")) == 0 and hours.star_level(Decimal("50")) == 1
    assert hours.next_level(Decimal("50"), hours.thresholds()) == (2, Decimal("250"))


# --- a member's record ---------------------------------------------------------------------------------------


@pytest.fixture
def volunteer(tree):
    member = MemberFactory(branch=tree.branch_a, name="王芳")
    for day, spent in [(dt.date(2025, 12, 1), "80"), (dt.date(2026, 3, 5), "15.5"), (dt.date(2026, 6, 1), "4.5")]:
        # Hours per participation are at most 24: a long service is several participations.
        for _ in range(int(Decimal(spent) // 20)):
            ParticipationFactory(member=member, hours=Decimal("20"), activity=ActivityFactory(branch=tree.branch_a,
                                 date=day, title=f"服务{day}"))  # fmt: skip
        rest = Decimal(spent) % 20
        if rest:
            ParticipationFactory(member=member, hours=rest, activity=ActivityFactory(branch=tree.branch_a, date=day,
                                 title=f"活动{day}"))  # fmt: skip
    archived = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 6, 2), archived_at=dt.datetime(2026, 6, 3,
                               tzinfo=dt.UTC))  # fmt: skip
    ParticipationFactory(member=member, activity=archived, hours=Decimal("10"))  # archived: never counts
    return member


def test_hours_for_a_range_and_cumulative_give_the_star(volunteer):
    assert hours.hours_of(hours.service_rows(volunteer)) == Decimal("100.0")
    this_year = hours.service_rows(volunteer, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert hours.hours_of(this_year) == Decimal("20.0") and this_year.count() == 2
    assert hours.star_level(hours.hours_of(hours.service_rows(volunteer))) == 1


def test_the_member_page_lists_activities_hours_and_stars(as_user, tree, volunteer, assert_flat_queries):
    client = as_user(tree.secretary_a)
    url = reverse("members:member-record", args=[volunteer.pk])
    page = client.get(url, {"start": "2026-01-01", "end": "2026-12-31"}).content.decode()
    assert "王芳" in page and "100.0" in page and "20.0" in page and "★" in page
    assert "活动2026-03-05" in page and "服务2025-12-01" not in page
    assert "再服务 200.0 小时可达 2 星" in page
    bad = client.get(url, {"start": "2026-12-31", "end": "2026-01-01"})
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.content.decode()
    child = ActivityTypeFactory(name="入户慰问", parent=ActivityTypeFactory(name="走访慰问"))
    assert_flat_queries(
        lambda: client.get(url),
        lambda: [ParticipationFactory(member=volunteer, activity=ActivityFactory(branch=tree.branch_a, type=child,
                 date=dt.date(2026, 2, d))) for d in range(1, 9)],
        queries=10,
    )  # fmt: skip
    docx_url = reverse("members:member-record-docx", args=[volunteer.pk])
    assert_flat_queries(
        lambda: client.get(docx_url),
        lambda: [ParticipationFactory(member=volunteer, activity=ActivityFactory(branch=tree.branch_a, type=child,
                 date=dt.date(2026, 4, d))) for d in range(1, 9)],
        queries=8,
    )  # fmt: skip


def test_the_service_record_reopens_in_word_with_the_issuer_and_date(as_user, tree, volunteer):
    response = as_user(tree.secretary_a).get(
        reverse("members:member-record-docx", args=[volunteer.pk]), {"start": "2026-01-01", "end": "2026-12-31"}
    )
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "志愿服务记录证明" in text and "王芳" in text and "20.0 小时" in text
    assert "累计志愿服务时长 100.0 小时" in text and "★" in text
    assert "出具单位：丽景社区" in text and f"出具日期：{timezone.localdate():%Y}年" in text
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["2026-03-05", "活动2026-03-05", "走访慰问", "丽景社区", "15.5"] in rows


def test_another_branch_and_anonymous_users_cannot_open_a_record(as_user, tree, volunteer, client):
    for name in ("members:member-record", "members:member-record-docx"):
        url = reverse(name, args=[volunteer.pk])
        assert as_user(tree.secretary_b).get(url).status_code == 404
        client.logout()
        assert client.get(url)["Location"].startswith("/accounts/login/")
    assert as_user(tree.district_leader).get(reverse("members:member-record", args=[volunteer.pk])).status_code == 200


def test_a_star_threshold_must_lie_between_its_neighbours():
    from django.core.exceptions import ValidationError

    level = StarLevel.objects.get(stars=2)
    level.min_hours = Decimal("90")  # below one star's 100
    with pytest.raises(ValidationError, match="星级越高"):
        level.full_clean()
    level.min_hours = Decimal("400")
    level.full_clean()

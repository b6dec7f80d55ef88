"""What a report says in words: its prefilled sentences and the names in its history."""

import datetime as dt

import pytest
from django.urls import reverse

from volunteer_portal.reports import services

from ..factories import MemberFactory
from .test_reports import Q3, as_user, draft, work  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_branch_with_members_gives_its_rate(as_user, tree, work):  # noqa: F811
    from volunteer_portal.branches.models import Member

    Member.objects.filter(branch=tree.branch_a).update(joined_on=dt.date(2020, 1, 1))  # on the roll in Q3
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    assert "2 名成员中有 2 人参与（100.0%）" in report.basic_situation


def test_a_branch_with_nobody_on_the_roll_says_so_in_plain_words(as_user, tree):  # noqa: F811
    report = draft(as_user(tree.secretary_b), tree.branch_b)
    assert "期末没有在册成员" in report.basic_situation
    assert "（（" not in report.basic_situation and "0 名成员" not in report.basic_situation


def test_a_branch_with_nobody_on_the_roll_reads_so_in_english(as_user, tree):  # noqa: F811
    from django.utils import translation

    with translation.override("en"):
        report = services.report_create(actor=tree.secretary_b, branch=tree.branch_b, frequency="quarterly", start=Q3)
    assert "No members were on its roll at the end of the period" in report.basic_situation
    assert "((" not in report.basic_situation


def test_the_report_history_names_people_not_logins(as_user, tree, work):  # noqa: F811
    MemberFactory(branch=tree.branch_a, name="杨兵兵", user=tree.secretary_a)
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    services.report_review(actor=tree.district_leader, report=report, approve=True)
    page = as_user(tree.district_leader).get(reverse("reports:report-detail", args=[report.pk])).content.decode()
    events = page[page.index('id="events-heading"') :]  # the events, then the change history
    assert "杨兵兵" in events and "兴庆区残联 领导" in events
    assert "secretary_a" not in events and "district_leader" not in events


def test_items_with_no_value_are_named_beside_the_sum(as_user, tree):  # noqa: F811
    from decimal import Decimal

    from ..factories import AssistanceItemFactory, VisitFactory

    visit = VisitFactory(branch=tree.branch_a, beneficiary__branch=tree.branch_a, date=dt.date(2026, 7, 9))
    AssistanceItemFactory(visit=visit, kind="cash", value=Decimal("1000"))
    AssistanceItemFactory(visit=visit, kind="device", description="手摇轮椅", value=None)
    AssistanceItemFactory(visit=visit, kind="goods", description="衣物", value=None)
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    assert "1000" in report.basic_situation and "另有 2 件物品未填金额，未计入上述金额" in report.basic_situation

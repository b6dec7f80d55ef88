"""Households served, submitted twice (a double tap, two tabs, two requests at once), records each visit once; an
item id from another record in a form cannot copy or move an item."""

import contextlib
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from beneficiaries import services
from beneficiaries.models import ActivityBeneficiary, AssistanceItem, Visit

from ..factories import ActivityFactory, AssistanceItemFactory, BeneficiaryFactory, GroupItemFactory, VisitFactory
from .test_views import CASH, item_forms


def households_form(households) -> dict:
    return {"beneficiaries": [h.pk for h in households], "date": "2026-03-05", "visitors": [], "notes": "走访",
            **item_forms(rows=[CASH])}  # fmt: skip


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_same_households_form_submitted_twice_records_each_visit_once(tree):
    activity = ActivityFactory(branch=tree.branch_a)
    households = [BeneficiaryFactory(branch=tree.branch_a) for _ in range(2)]
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    client = signed_in(tree.secretary_a)
    assert client.post(url, households_form(households)).status_code == 302
    again = client.post(url, households_form(households))
    # The form offers only households not recorded yet: the second submit is refused, nothing is written twice.
    assert again.status_code == 200 and "未保存" in again.content.decode()
    assert Visit.objects.filter(activity=activity).count() == 2
    assert AssistanceItem.objects.filter(visit__activity=activity).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_the_same_moment_record_each_visit_once(tree, monkeypatch):
    """Two requests in two threads, each with its own connection. Each holds on before writing its first visit
    until the other gets there too (or 3 s pass): without the activity's row lock both pass the "already
    recorded" check first and both write."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (IMMEDIATE); the race needs PostgreSQL")
    activity = ActivityFactory(branch=tree.branch_a)
    households = [BeneficiaryFactory(branch=tree.branch_a) for _ in range(2)]
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    both_there = threading.Barrier(2, timeout=3)
    record = services.visit_record

    def record_when_both_are_there(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other one waits for the lock: go on alone
            both_there.wait()
        return record(**kwargs)

    monkeypatch.setattr(services, "visit_record", record_when_both_are_there)
    statuses: list[int] = []

    def submit():
        try:
            statuses.append(signed_in(tree.secretary_a).post(url, households_form(households)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 302]
    assert Visit.objects.filter(activity=activity).count() == 2
    assert ActivityBeneficiary.objects.filter(activity=activity).count() == 2
    assert AssistanceItem.objects.filter(visit__activity=activity).count() == 2


@pytest.mark.django_db
def test_an_item_id_from_another_visit_cannot_copy_it_into_this_one(tree):
    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a))
    own = AssistanceItemFactory(visit=visit, description="慰问金", value=Decimal("100"))
    other = AssistanceItemFactory(visit=VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a)),
                                  kind="device", description="轮椅", value=Decimal("900"))  # fmt: skip
    rows = [{"id": own.pk, "visit": visit.pk, **CASH, "value": "100"},
            {"id": other.pk, "visit": visit.pk, "kind": "device", "description": "轮椅", "quantity": "1",
             "value": "900"}]  # fmt: skip
    data = {"date": "2026-03-05", "branch": tree.branch_a.pk, "visitors": [], "notes": "改过", "follow_up_needed": "",
            **item_forms(rows=rows, initial=2)}  # fmt: skip
    response = signed_in(tree.secretary_a).post(reverse("beneficiaries:visit-edit", args=[visit.pk]), data)
    assert response.status_code == 200 and "属于另一条记录" in response.content.decode()
    assert list(visit.items.values_list("description", flat=True)) == ["慰问金"]
    assert AssistanceItem.objects.count() == 2
    other.refresh_from_db()
    assert other.visit_id != visit.pk
    assert Visit.objects.get(pk=visit.pk).notes == ""


@pytest.mark.django_db
def test_an_item_id_from_another_activity_cannot_copy_it_into_its_group_items(tree):
    activity, elsewhere = ActivityFactory(branch=tree.branch_a), ActivityFactory(branch=tree.branch_a)
    other = GroupItemFactory(activity=elsewhere, kind="device", description="假肢", quantity=3, recipients=3)
    on_a_visit = AssistanceItemFactory(visit=VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a)))
    client = signed_in(tree.secretary_a)
    for stolen in (other, on_a_visit):
        rows = [{"id": str(stolen.pk), "kind": "device", "description": "假肢", "quantity": "3", "recipients": "3",
                 "value": ""}]  # fmt: skip
        response = client.post(reverse("beneficiaries:activity-group-items", args=[activity.pk]),
                               item_forms(rows=rows, initial=1))  # fmt: skip
        assert response.status_code == 200 and "属于另一条记录" in response.content.decode()
    assert not activity.group_items.exists() and AssistanceItem.objects.count() == 2
    other.refresh_from_db()
    on_a_visit.refresh_from_db()
    assert (other.activity_id, on_a_visit.activity_id) == (elsewhere.pk, None)

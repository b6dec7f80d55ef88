"""Group assistance: what an activity handed over to people not recorded by name, with how many received it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from beneficiaries import services
from beneficiaries.models import AssistanceItem

from ..factories import ActivityFactory, AssistanceItemFactory, GroupItemFactory, VisitFactory
from .test_views import item_forms

pytestmark = pytest.mark.django_db

PROSTHESES = {"kind": "device", "description": "假肢", "quantity": "3", "recipients": "3", "value": ""}
SCHOOLBAGS = {"kind": "goods", "description": "书包、文具盒、小食品", "quantity": "20", "recipients": "20",
              "value": "600"}  # fmt: skip


def url(activity) -> str:
    return reverse("beneficiaries:activity-group-items", args=[activity.pk])


# --- the model ---------------------------------------------------------------------------------------------


def test_an_item_belongs_to_a_visit_or_to_an_activity_never_both_nor_neither(tree):
    activity = ActivityFactory(branch=tree.branch_a)
    visit = VisitFactory()
    for visit_, activity_ in ((None, None), (visit, activity)):
        item = AssistanceItem(visit=visit_, activity=activity_, kind="goods", description="衣物", recipients=1)
        with pytest.raises(ValidationError) as error:
            item.full_clean()
        assert "要么记在一次走访上，要么记在一次活动上" in str(error.value)
        with pytest.raises(IntegrityError), transaction.atomic():
            item.save()


def test_a_group_item_may_say_how_many_received_it_and_a_visit_item_does_not(tree):
    activity = ActivityFactory(branch=tree.branch_a)
    # The documents give no count of the amputees fitted with prostheses: the item still counts.
    AssistanceItem(activity=activity, kind="device", description="假肢").full_clean()
    on_visit = AssistanceItem(visit=VisitFactory(), kind="device", description="轮椅", recipients=2)
    with pytest.raises(ValidationError):
        on_visit.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        AssistanceItem.objects.create(activity=activity, kind="device", description="假肢", recipients=0)


def test_a_value_may_be_unknown_but_never_negative(tree):
    item = AssistanceItemFactory(value=None, kind="goods", description="米、面、油")
    item.full_clean()
    assert str(item).endswith("未填金额")
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupItemFactory(value=Decimal("-1"))


# --- the page ----------------------------------------------------------------------------------------------


def test_a_secretary_records_group_items_with_unknown_values(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2012, 3, 5), title="学雷锋联谊")
    client = as_user(tree.secretary_a)
    page = client.get(url(activity)).content.decode()
    assert "不知道金额可不填" in page and "受助人数" in page
    response = client.post(url(activity), item_forms(rows=[PROSTHESES, SCHOOLBAGS], extra=1))
    assert response.status_code == 302 and response["Location"] == activity.get_absolute_url()
    items = {item.description: item for item in activity.group_items.all()}
    assert set(items) == {"假肢", "书包、文具盒、小食品"}
    prostheses = items["假肢"]
    assert (prostheses.kind, prostheses.quantity, prostheses.recipients, prostheses.value) == ("device", 3, 3, None)
    assert items["书包、文具盒、小食品"].value == Decimal("600")
    assert prostheses.visit is None
    assert prostheses.history.get().history_user == tree.secretary_a
    detail = client.get(activity.get_absolute_url()).content.decode()
    assert "假肢" in detail and "3 人" in detail and "未填金额" in detail and "登记集体发放" in detail


def test_bad_rows_get_chinese_messages_and_nothing_is_lost(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    client = as_user(tree.secretary_a)
    no_recipients = {**PROSTHESES, "recipients": "0"}
    negative = {**SCHOOLBAGS, "value": "-5"}
    response = client.post(url(activity), item_forms(rows=[no_recipients, negative]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1" in str(response.context["formset"].forms[0].errors["recipients"]) and "金额不能为负" in page
    assert 'value="假肢"' in page and 'value="书包、文具盒、小食品"' in page  # what was typed is still there
    assert not activity.group_items.exists()


def test_edit_and_remove_group_items_keeps_their_history(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    keep = GroupItemFactory(activity=activity, kind="device", description="假肢", quantity=2, recipients=2)
    drop = GroupItemFactory(activity=activity, description="小食品")
    rows = [
        {"id": str(keep.pk), "kind": "device", "description": "假肢", "quantity": "3", "recipients": "3",
         "value": "4500"},
        {"id": str(drop.pk), "kind": "goods", "description": "小食品", "quantity": "1", "recipients": "10",
         "value": "", "DELETE": "on"},
    ]  # fmt: skip
    client = as_user(tree.secretary_a)
    assert client.post(url(activity), item_forms(rows=rows, initial=2)).status_code == 302
    keep.refresh_from_db()
    assert (keep.quantity, keep.recipients, keep.value) == (3, 3, Decimal("4500"))
    assert list(activity.group_items.all()) == [keep]
    assert keep.history.count() == 2 and keep.history.first().history_user == tree.secretary_a
    assert AssistanceItem.history.filter(id=drop.pk, history_type="-").get().history_user == tree.secretary_a


def test_an_archived_activity_keeps_its_items_read_only(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a, archived_at=timezone.now())
    GroupItemFactory(activity=activity)
    client = as_user(tree.secretary_a)
    response = client.get(url(activity), follow=True)
    assert "已归档" in response.content.decode()
    client.post(url(activity), item_forms(rows=[PROSTHESES]))
    assert activity.group_items.count() == 1
    with pytest.raises(ValidationError):
        services.group_items_save(actor=tree.secretary_a, activity=activity, items=[], removed_items=[])


def test_outsiders_and_leaders(as_user, client, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    GroupItemFactory(activity=activity, description="假肢")
    assert as_user(tree.secretary_b).get(url(activity)).status_code == 404
    assert as_user(tree.secretary_b).post(url(activity), item_forms(rows=[PROSTHESES])).status_code == 404
    leader = as_user(tree.district_leader)
    assert leader.get(url(activity)).status_code == 403
    assert leader.post(url(activity), item_forms(rows=[PROSTHESES])).status_code == 403
    detail = leader.get(activity.get_absolute_url()).content.decode()
    assert "假肢" in detail and "登记集体发放" not in detail  # leaders read only
    client.logout()
    response = client.get(url(activity))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert activity.group_items.count() == 1


def test_the_group_items_page_runs_flat_queries(as_user, tree, assert_flat_queries):
    activity = ActivityFactory(branch=tree.branch_a)
    GroupItemFactory.create_batch(2, activity=activity)
    client = as_user(tree.secretary_a)
    assert_flat_queries(
        lambda: client.get(url(activity)),
        lambda: GroupItemFactory.create_batch(10, activity=activity),
        queries=6,
        also=[(lambda: client.get(activity.get_absolute_url()), 9)],
    )


def test_an_unknown_number_of_recipients_is_kept_as_unknown(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    client = as_user(tree.secretary_a)
    response = client.post(url(activity), item_forms(rows=[{**SCHOOLBAGS, "recipients": "", "value": ""}]))
    assert response.status_code == 302
    item = activity.group_items.get()
    assert (item.recipients, item.value) == (None, None)
    assert "人数不详" in client.get(activity.get_absolute_url()).content.decode()

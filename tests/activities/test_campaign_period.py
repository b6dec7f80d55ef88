"""An activity dated outside a campaign's period cannot be tied to it, whoever writes it."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from activities import services
from activities.models import Activity, ActivityType

from ..factories import ActivityFactory, CampaignFactory

pytestmark = pytest.mark.django_db
MESSAGE = "不在活动方案“三月方案”的期间（2026-03-01 至 2026-03-31）内"


@pytest.fixture
def march(tree):
    return CampaignFactory(branch=tree.root, name="三月方案", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))


@pytest.fixture
def visit_type(db):
    return ActivityType.objects.get(name="走访慰问", parent=None)


def test_the_service_refuses_an_activity_outside_the_period(tree, march, visit_type):
    fields = {
        "actor": tree.secretary_a,
        "branch": tree.branch_a,
        "type": visit_type,
        "title": "走访",
        "campaign": march,
    }
    with pytest.raises(ValidationError) as error:
        services.activity_create(date=dt.date(2026, 4, 1), **fields)
    assert "campaign" in error.value.message_dict and MESSAGE in error.value.message_dict["campaign"][0]
    assert not Activity.objects.exists()
    activity = services.activity_create(date=dt.date(2026, 3, 31), **fields)  # both ends count
    with pytest.raises(ValidationError):
        services.activity_update(actor=tree.secretary_a, activity=activity, participants={}, date=dt.date(2026, 2, 28))


def test_the_activity_form_says_so_and_keeps_what_was_typed(as_user, tree, march, visit_type):
    data = {"type": visit_type.pk, "date": "2026-04-02", "branch": tree.branch_a.pk, "title": "四月走访",
            "location": "", "description": "", "outcome": "", "campaign": march.pk, "default_hours": "2"}  # fmt: skip
    response = as_user(tree.secretary_a).post(reverse("activities:activity-create"), data)
    assert response.status_code == 200 and not Activity.objects.exists()
    text = response.content.decode()
    assert MESSAGE in text and "四月走访" in text


def test_the_admin_obeys_the_rule_too(rf: RequestFactory, superuser, tree, march, visit_type):
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 5))
    request = rf.post("/")
    request.user = superuser
    model_admin = admin.site._registry[Activity]
    form_class = model_admin.get_form(request, activity)
    data = {"branch": tree.branch_a.pk, "type": visit_type.pk, "campaign": march.pk, "title": activity.title,
            "date": "2026-04-02", "location": "", "description": "", "outcome": ""}  # fmt: skip
    form = form_class(data, instance=activity)
    assert not form.is_valid() and MESSAGE in form.errors["campaign"][0]

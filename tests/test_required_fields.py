"""Required and invalid state (WCAG 1.3.1, 3.3.2; issue 15): every required field is announced as required
(`aria-required`), none is announced invalid before a submit, and the asterisk agrees with both. And every box
has a name of its own, the admin's date-time pairs included (volunteer_portal/forms.py, PortalBoundField)."""

import re

import pytest
from django.urls import reverse

from .factories import ActivityTypeFactory

pytestmark = pytest.mark.django_db


def control(page: str, field_id: str) -> str:
    """The opening tag of the control with this id."""
    return re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{field_id}"[^>]*>', page).group(0)


def asterisk(page: str, field_id: str) -> bool:
    label = re.search(rf'<label[^>]*for="{field_id}"[^>]*>(.*?)</label>', page, re.S).group(1)
    return "asteriskField" in label


def test_the_activity_form_marks_required_selects_and_dates_and_nothing_invalid(as_user, tree):
    ActivityTypeFactory(name="走访慰问")
    page = as_user(tree.secretary_a).get(reverse("activities:activity-create")).content.decode()
    for field_id in ("id_type", "id_date", "id_branch", "id_title", "id_default_hours"):
        tag = control(page, field_id)
        assert 'aria-required="true"' in tag and asterisk(page, field_id), tag
        # `required` on an empty select or date field made Chromium announce it invalid before any submit
        assert re.search(r"\srequired(\s|>|=)", tag) is None, tag
    for field_id in ("id_campaign", "id_location"):
        assert "aria-required" not in control(page, field_id) and not asterisk(page, field_id)
    assert "aria-invalid" not in page and "is-invalid" not in page


def test_after_a_failed_submit_the_empty_required_fields_are_invalid(as_user, tree):
    page = as_user(tree.secretary_a).post(reverse("activities:activity-create"), {"title": ""}).content.decode()
    for field_id in ("id_type", "id_title"):
        assert 'aria-invalid="true"' in control(page, field_id)
    assert 'aria-invalid="true"' not in control(page, "id_location")


def test_the_hardship_category_is_required_as_its_asterisk_says(as_user, tree):
    """困难类别 has no empty choice ("none" is one), so the browser never marked it; it is required all the same."""
    page = as_user(tree.secretary_a).get(reverse("beneficiaries:beneficiary-create")).content.decode()
    assert asterisk(page, "id_household_status")
    assert 'aria-required="true"' in control(page, "id_household_status")
    for field_id in ("id_disability_category", "id_registered_on", "id_birth_date"):
        assert ('aria-required="true"' in control(page, field_id)) == asterisk(page, field_id), field_id


def test_checkbox_lists_are_not_each_marked_required(as_user, tree):
    page = as_user(tree.secretary_a).get(reverse("beneficiaries:beneficiary-create")).content.decode()
    needs = re.findall(r'<input[^>]*name="needs"[^>]*>', page)
    assert needs and all("aria-required" not in tag and " required" not in tag for tag in needs)


def test_the_admin_split_date_and_time_boxes_are_each_named(as_user, superuser, records):
    """The admin's one <label> for a date-time field points at neither box (a MultiWidget has no single id)."""
    page = as_user(superuser).get(f"/admin/beneficiaries/visit/{records['visit'].pk}/change/").content.decode()
    date = control(page, "id_follow_up_closed_at_0")
    time = control(page, "id_follow_up_closed_at_1")
    assert re.search(r'aria-label="[^"]+：日期"', date) and re.search(r'aria-label="[^"]+：时间"', time)

"""Two people editing one record: the second save is refused with what changed, and keeps what they typed
(volunteer_portal/versions.py)."""

import datetime as dt

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from beneficiaries import services as beneficiary_services
from beneficiaries.models import Beneficiary, Pairing, Visit
from volunteer_portal.reports.models import BranchReport

from .factories import (
    ActivityFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    RoleGrantFactory,
    VisitFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

CONFLICT = "在您打开此页面之后，这条记录又被保存过"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_on(page) -> dict[str, list[str]]:
    """What the browser would post from the page's form that carries a version, as drawn."""
    assert page.status_code == 200, page.content.decode()[-2000:]
    forms = [form for form in lxml.html.fromstring(page.content.decode()).forms if "version" in form.inputs]
    assert len(forms) == 1
    data: dict[str, list[str]] = {}
    for name, value in forms[0].form_values():
        data.setdefault(name, []).append(value)
    return data


def refused(response, *lines: str) -> str:
    """The page of a save refused because the record changed meanwhile, naming these changes; returns its text."""
    page = response.content.decode()
    assert response.status_code == 200 and CONFLICT in page
    for line in lines:
        assert line in page
    return page


def two_edits(url, first_user, second_user, first: dict, second: dict):
    """Both open the form; the first saves; the second saves what they typed over the page they opened."""
    one, two = signed_in(first_user), signed_in(second_user)
    mine, theirs = form_on(one.get(url)), form_on(two.get(url))
    assert one.post(url, {**mine, **first}).status_code == 302
    return two, two.post(url, {**theirs, **second})


@pytest.fixture
def colleague(tree):
    """A second secretary of the same branch."""
    return RoleGrantFactory(branch=tree.branch_a).user


def test_a_second_beneficiary_edit_is_refused_with_what_changed_and_keeps_what_was_typed(tree, colleague):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a, address="丽景街1号", phone="13900000000")
    url = reverse("beneficiaries:beneficiary-edit", args=[beneficiary.pk])
    client, response = two_edits(url, tree.secretary_a, colleague, {"address": "丽景街9号"},
                                 {"phone": "13911112222"})  # fmt: skip
    refused(response, "住址：打开页面时为“丽景街1号”，现在为“丽景街9号”。")
    beneficiary.refresh_from_db()
    assert (beneficiary.address, beneficiary.phone) == ("丽景街9号", "13900000000")
    # Nothing typed is lost: the form comes back with the second person's input, and saving it again, having
    # seen the change, keeps what they typed.
    again = form_on(response)
    assert again["phone"] == ["13911112222"] and again["address"] == ["丽景街1号"]
    assert client.post(url, again).status_code == 302
    beneficiary.refresh_from_db()
    assert (beneficiary.address, beneficiary.phone) == ("丽景街1号", "13911112222")


def test_a_conflict_names_a_changed_id_number_without_showing_it(tree, colleague):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    old_number, new_number = beneficiary.id_number, make_id_number(777)
    url = reverse("beneficiaries:beneficiary-edit", args=[beneficiary.pk])
    client = signed_in(tree.secretary_a)
    opened = form_on(client.get(url))
    beneficiary_services.beneficiary_update(actor=colleague, beneficiary=Beneficiary.objects.get(),
                                            id_number=new_number, certificate_number=f"{new_number}41",
                                            birth_date=dt.date(1970, 1, 1))  # fmt: skip
    page = refused(client.post(url, {**opened, "phone": "13911112222"}), "身份证号：已更改（此处不显示）。")
    for number in (old_number, new_number, old_number[6:14], new_number[6:14]):
        assert number not in page


def test_a_second_activity_edit_is_refused(tree):
    activity = ActivityFactory(branch=tree.branch_a, title="走访慰问")
    url = reverse("activities:activity-edit", args=[activity.pk])
    _, response = two_edits(url, tree.secretary_a, tree.secretary_a, {"title": "第一人改的标题"},
                            {"location": "第二人写的地点"})  # fmt: skip
    refused(response, "标题：打开页面时为“走访慰问”，现在为“第一人改的标题”。", "第二人写的地点")
    activity.refresh_from_db()
    assert (activity.title, activity.location) == ("第一人改的标题", "")


def test_a_second_visit_edit_is_refused(tree):
    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a), notes="送米面油")
    url = reverse("beneficiaries:visit-edit", args=[visit.pk])
    _, response = two_edits(url, tree.secretary_a, tree.secretary_a, {"notes": "第一人的记录"},
                            {"notes": "第二人的记录"})  # fmt: skip
    refused(response, "第二人的记录", "情况记录：打开页面时为“送米面油”，现在为“第一人的记录”。")
    assert Visit.objects.get().notes == "第一人的记录"


def test_a_second_report_edit_is_refused(tree):
    report = BranchReport.objects.create(branch=tree.branch_a, frequency="quarterly", period_start=dt.date(2026, 7, 1),
                                         period_end=dt.date(2026, 9, 30), problems="人手不足")  # fmt: skip
    url = reverse("reports:report-edit", args=[report.pk])
    _, response = two_edits(url, tree.secretary_a, tree.secretary_a, {"problems": "经费不足"}, {"problems": "场地不足"})
    refused(response, "场地不足", "打开页面时为“人手不足”，现在为“经费不足”。")
    report.refresh_from_db()
    assert report.problems == "经费不足"


def test_ending_a_pairing_changed_since_the_page_was_opened_is_refused(tree):
    pairing = PairingFactory(
        member=MemberFactory(branch=tree.branch_a), beneficiary=BeneficiaryFactory(branch=tree.branch_a)
    )
    url = reverse("beneficiaries:pairing-end", args=[pairing.pk])
    client = signed_in(tree.secretary_a)
    opened = form_on(client.get(url))
    changed = Pairing.objects.get()
    changed.interval_days = 30
    changed.save()
    refused(client.post(url, {**opened, "end_date": "2026-06-01"}), "打开页面时为“60”，现在为“30”。")
    assert Pairing.objects.get().end_date is None


def test_two_ends_of_one_pairing_at_once_keep_the_first(tree):
    """Both requests loaded the pairing before either saved: the second, reading it again under the row lock, is
    refused instead of moving the end date."""
    PairingFactory(member=MemberFactory(branch=tree.branch_a), beneficiary=BeneficiaryFactory(branch=tree.branch_a))
    first, second = Pairing.objects.get(), Pairing.objects.get()
    beneficiary_services.pairing_end(actor=tree.secretary_a, pairing=first, end_date=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError, match="已经结束"):
        beneficiary_services.pairing_end(actor=tree.secretary_a, pairing=second, end_date=dt.date(2026, 6, 2))
    assert Pairing.objects.get().end_date == dt.date(2026, 6, 1)


def test_a_page_opened_before_versions_or_a_script_without_one_still_saves(tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:beneficiary-edit", args=[beneficiary.pk])
    client = signed_in(tree.secretary_a)
    data = form_on(client.get(url))
    del data["version"]
    assert client.post(url, {**data, "address": "新地址"}).status_code == 302
    assert "页面已过期" in client.post(url, {**data, "version": "yesterday"}).content.decode()


def test_the_same_user_saving_the_same_form_twice_is_no_conflict(tree):
    """A double tap on "save", or the same change sent again: the second save agrees with the first."""
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:beneficiary-edit", args=[beneficiary.pk])
    client = signed_in(tree.secretary_a)
    data = {**form_on(client.get(url)), "address": "丽景街9号"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    # The same user in a second tab, opened before the first save, would undo it: refused.
    stale = {**data, "address": "丽景街1号", "phone": "13911112222"}
    response = client.post(url, stale)
    assert response.status_code == 200 and "住址：打开页面时为" in response.content.decode()
    assert Beneficiary.objects.get().address == "丽景街9号"


# --- the admin's change forms carry the same version and make the same check ----------------------------------


def admin_change(record) -> str:
    return reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_change", args=[record.pk])


def test_an_admin_save_over_a_portal_edit_is_refused_and_keeps_what_was_typed(tree, superuser):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a, address="丽景街1号", phone="13900000000")
    admin, url = signed_in(superuser), admin_change(beneficiary)
    opened = form_on(admin.get(url))
    portal, edit = signed_in(tree.secretary_a), reverse("beneficiaries:beneficiary-edit", args=[beneficiary.pk])
    assert portal.post(edit, {**form_on(portal.get(edit)), "address": "丽景街9号"}).status_code == 302

    response = admin.post(url, {**opened, "phone": "13911112222", "_save": "保存"})
    refused(response, "住址：打开页面时为“丽景街1号”，现在为“丽景街9号”。")
    beneficiary.refresh_from_db()
    assert (beneficiary.address, beneficiary.phone) == ("丽景街9号", "13900000000")
    again = form_on(response)
    assert again["phone"] == ["13911112222"] and again["version"] != opened["version"]
    assert admin.post(url, {**again, "_save": "保存"}).status_code == 302
    beneficiary.refresh_from_db()
    assert beneficiary.phone == "13911112222"


def test_an_admin_conflict_names_a_changed_id_number_without_showing_it(tree, superuser, colleague):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    admin, url = signed_in(superuser), admin_change(beneficiary)
    opened = form_on(admin.get(url))
    new_number = make_id_number(778)
    beneficiary_services.beneficiary_update(actor=colleague, beneficiary=Beneficiary.objects.get(),
                                            id_number=new_number, certificate_number=f"{new_number}41",
                                            birth_date=dt.date(1970, 1, 1))  # fmt: skip
    page = refused(
        admin.post(url, {**opened, "phone": "13911112222", "_save": "保存"}), "身份证号：已更改（此处不显示）。"
    )
    assert new_number not in page and new_number[6:14] not in page


def test_two_admins_saving_one_activity_keep_the_first_and_the_figures(tree, superuser):
    from django.contrib.auth import get_user_model

    from volunteer_portal.dashboards import tallies

    activity = ActivityFactory(branch=tree.branch_a, title="走访慰问")
    other = get_user_model().objects.create_superuser("admin2", "admin2@example.org", "x")
    one, two, url = signed_in(superuser), signed_in(other), admin_change(activity)
    mine, theirs = form_on(one.get(url)), form_on(two.get(url))
    assert one.post(url, {**mine, "title": "第一人改的标题", "_save": "保存"}).status_code == 302
    response = two.post(url, {**theirs, "date": "2026-05-05", "_save": "保存"})
    refused(response, "标题：打开页面时为“走访慰问”，现在为“第一人改的标题”。")
    activity.refresh_from_db()
    assert (activity.title, activity.date) == ("第一人改的标题", dt.date(2026, 3, 5))
    assert tallies.differences() == []


def test_staff_who_may_only_view_get_no_version_to_send(tree):
    from django.contrib.auth.models import Permission

    from .factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_activity"))
    activity = ActivityFactory(branch=tree.branch_a)
    page = signed_in(viewer).get(admin_change(activity))
    assert page.status_code == 200 and 'name="version"' not in page.content.decode()

"""Full ID numbers appear only to those allowed, on request, and every reveal and export is logged."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from volunteer_portal.branches.models import AccessLog, RoleGrant

from ..factories import (
    TEST_PASSWORD,
    ActivityFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    RoleGrantFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

FULL_ID = "44030519350311977X"  # valid (shared/testdata/id-vectors.csv)
FULL_CERTIFICATE = FULL_ID + "41"


@pytest.fixture
def person(tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a, id_number=FULL_ID, certificate_number=FULL_CERTIFICATE)
    member = MemberFactory(branch=tree.branch_a)
    visit = VisitFactory(beneficiary=beneficiary, activity=ActivityFactory(branch=tree.branch_a))
    visit.visitors.add(member)
    PairingFactory(member=member, beneficiary=beneficiary)
    return beneficiary


def every_page(person):
    visit = person.visits.get()
    return [
        reverse("home"),
        reverse("beneficiaries:beneficiary-list"),
        reverse("beneficiaries:beneficiary-list") + "?q=977X",
        person.get_absolute_url(),
        reverse("beneficiaries:beneficiary-edit", args=[person.pk]),
        visit.get_absolute_url(),
        visit.activity.get_absolute_url(),
        reverse("beneficiaries:activity-visits", args=[visit.activity.pk]),
        reverse("beneficiaries:pairing-list"),
        person.pairings.get().get_absolute_url(),
        reverse("dashboards:dashboard"),
    ]


@pytest.mark.parametrize("who", ["secretary_a", "district_leader", "root_leader"])
def test_no_full_number_anywhere_for_those_without_the_right(as_user, tree, person, who):
    client = as_user(getattr(tree, who))
    for url in every_page(person):
        page = client.get(url, follow=True).content.decode()
        assert FULL_ID not in page and FULL_ID[:17] not in page, (who, url)
    assert client.post(person.get_absolute_url()).status_code == 403
    assert client.get(reverse("beneficiaries:beneficiary-export")).status_code == 403
    assert not AccessLog.objects.filter(event=AccessLog.Event.REVEAL).exists()


def test_the_edit_form_leaves_the_numbers_out_and_keeps_them(as_user, tree, person):
    client = as_user(tree.secretary_a)
    url = reverse("beneficiaries:beneficiary-edit", args=[person.pk])
    form = client.get(url).context["form"]
    assert "id_number" not in form.fields and form.numbers_hidden
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"name": "改名", "needs": []})
    assert client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert (person.name, person.id_number, person.certificate_number) == ("改名", FULL_ID, FULL_CERTIFICATE)
    # A new category: the hidden certificate number follows it (its 19th digit is the category).
    data["disability_category"] = "1"
    assert client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert person.disability_category == 1 and person.certificate_number == FULL_ID + "1" + FULL_CERTIFICATE[-1]


@pytest.fixture
def permitted(tree):
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True, may_export=True)
    return type(tree.secretary_a).objects.get(pk=tree.secretary_a.pk)


def test_a_permitted_user_reveals_with_a_post_and_it_is_logged(as_user, tree, person, permitted):
    client = as_user(permitted)
    page = client.get(person.get_absolute_url()).content.decode()
    assert FULL_ID not in page and "显示完整号码" in page  # masked until asked for
    revealed = client.post(person.get_absolute_url()).content.decode()
    assert FULL_ID in revealed and FULL_CERTIFICATE in revealed
    entry = AccessLog.objects.get(event=AccessLog.Event.REVEAL)
    assert entry.user == permitted and person.name in entry.subject and entry.at is not None
    assert FULL_ID not in client.get(person.get_absolute_url()).content.decode()  # one reveal, not a mode


def test_reveal_rights_stop_at_the_subtree(as_user, tree, permitted):
    other = BeneficiaryFactory(branch=tree.branch_b)
    RoleGrantFactory(user=permitted, branch=tree.branch_b, role=RoleGrant.Role.LEADER)  # may read, not reveal
    client = as_user(type(permitted).objects.get(pk=permitted.pk))
    assert client.get(other.get_absolute_url()).status_code == 200
    assert client.post(other.get_absolute_url()).status_code == 403


def test_the_export_is_logged_and_masks_what_the_exporter_may_not_reveal(as_user, tree, person):
    exporter = UserFactory(username="exporter")
    RoleGrantFactory(user=exporter, branch=tree.district, role=RoleGrant.Role.LEADER, may_export=True)
    RoleGrantFactory(user=exporter, branch=tree.branch_b, role=RoleGrant.Role.LEADER, may_reveal=True)
    other = BeneficiaryFactory(branch=tree.branch_b)
    response = as_user(exporter).get(reverse("beneficiaries:beneficiary-export"))
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[person.name][2] == "440305**********7X"  # branch_a: export, but no reveal
    assert by_name[other.name][2] == other.id_number  # branch_b: reveal allowed
    entry = AccessLog.objects.get(event=AccessLog.Event.EXPORT)
    assert entry.user == exporter and "2" in entry.subject


def test_sign_ins_and_failures_are_logged(client, tree):
    client.post(reverse("accounts:login"), {"username": "secretary_a", "password": "wrong"}, REMOTE_ADDR="10.1.1.1")
    client.post(
        reverse("accounts:login"), {"username": "secretary_a", "password": TEST_PASSWORD}, REMOTE_ADDR="10.1.1.1"
    )
    client.post(reverse("accounts:logout"))
    events = list(AccessLog.objects.order_by("pk").values_list("event", "username", "address"))
    assert events == [
        ("sign_in_failed", "secretary_a", "10.1.1.1"),
        ("sign_in", "secretary_a", "10.1.1.1"),
        ("sign_out", "secretary_a", "127.0.0.1"),
    ]


def test_the_access_log_is_append_only_in_the_admin(client, superuser, tree):
    client.force_login(superuser)
    entry = AccessLog.objects.create(event=AccessLog.Event.REVEAL, username="x")
    assert client.get(reverse("admin:branches_accesslog_changelist"), {"event": "reveal"}).status_code == 200
    assert client.get(reverse("admin:branches_accesslog_add")).status_code == 403
    assert client.post(reverse("admin:branches_accesslog_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert (
        client.post(reverse("admin:branches_accesslog_change", args=[entry.pk]), {"username": "y"}).status_code == 403
    )
    entry.refresh_from_db()
    assert entry.username == "x"


def test_retention_is_at_least_six_months_and_pruning_keeps_the_rest(settings):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    old = AccessLog.objects.create(event=AccessLog.Event.SIGN_IN, username="old")
    recent = AccessLog.objects.create(event=AccessLog.Event.SIGN_IN, username="recent")
    AccessLog.objects.filter(pk=old.pk).update(
        at=timezone.now() - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS + 1)
    )
    AccessLog.objects.filter(pk=recent.pk).update(at=timezone.now() - dt.timedelta(days=183))
    call_command("prune_access_log", verbosity=0)
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["recent"]
    assert settings.ACCESS_LOG_RETENTION_DAYS >= 183


def test_the_import_preview_masks_the_numbers_of_the_file_it_shows(as_user, tree, person):
    """The uploader's own file, shown back: the person already registered, and a number in a shifted column."""
    from .test_import import person as row
    from .test_import import upload_and_check, xlsx

    client = as_user(tree.secretary_a)
    batch = upload_and_check(client, xlsx([row(1, id_number=FULL_ID, certificate_number=""), row(2, gender=FULL_ID)]))
    for show in ("problems", "changes"):
        page = client.get(batch.get_absolute_url(), {"show": show}).content.decode()
        assert FULL_ID not in page and FULL_ID[:17] not in page, show
    assert FULL_ID not in client.get(reverse("beneficiaries:import-start")).content.decode()

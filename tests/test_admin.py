"""Every admin changelist and add page loads for a superuser, in Chinese, with ID numbers masked."""

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse

from activities.models import CampaignTarget
from beneficiaries.models import ActivityBeneficiary
from volunteer_portal.branches.models import Branch

from .factories import (
    ActivityFactory,
    AssistanceItemFactory,
    BeneficiaryFactory,
    CampaignFactory,
    PairingFactory,
    ParticipationFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in {"branches", "activities", "beneficiaries", "reports"}
]


@pytest.fixture
def admin_client_zh(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def some_data(tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a, id_number="11010519731115002X", certificate_number="")
    AssistanceItemFactory(visit__beneficiary=beneficiary)
    pairing = PairingFactory(beneficiary=beneficiary)
    activity = ActivityFactory(branch=tree.branch_a, campaign=CampaignFactory(branch=tree.root))
    ParticipationFactory(activity=activity, member=pairing.member)
    ActivityBeneficiary.objects.create(activity=activity, beneficiary=beneficiary)
    CampaignTarget.objects.create(
        campaign=activity.campaign, name="每个社区慰问1户", metric="households", subject="branch", quantity=1
    )
    from volunteer_portal.branches.models import AccessLog

    AccessLog.objects.create(event=AccessLog.Event.SIGN_IN, username="root")
    from beneficiaries.models import RosterImport

    RosterImport.objects.create(created_by=tree.secretary_a, file_name="名册.xlsx", status="imported", total=3)
    from volunteer_portal.reports.models import BranchReport, ReportEvent, ReportRequirement

    ReportRequirement.objects.create(branch_kind="community", frequency="quarterly")
    report = BranchReport.objects.create(branch=tree.branch_a, frequency="quarterly", period_start=dt.date(2026, 1, 1),
                                         period_end=dt.date(2026, 3, 31))  # fmt: skip
    ReportEvent.objects.create(report=report, action="created", actor=tree.secretary_a)
    from beneficiaries.models import Consent, StatutoryBasis

    StatutoryBasis.objects.create(name="残疾人证管理")
    Consent.objects.create(
        beneficiary=beneficiary, given_by="person", given_on=beneficiary.birth_date.replace(year=2026)
    )
    return beneficiary


def test_every_model_of_the_project_is_registered():
    names = {model.__name__ for model in MODELS}
    assert names >= {
        "Branch", "Member", "RoleGrant", "ActivityType", "Campaign", "CampaignTarget", "Activity",
        "Participation", "Beneficiary", "Need", "Pairing", "Visit", "AssistanceItem", "ActivityBeneficiary",
    }  # fmt: skip


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_add_pages_load(admin_client_zh, some_data, model):
    opts = model._meta
    changelist = admin_client_zh.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    add = admin_client_zh.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    # The access log is append-only and imports happen on the roster page: nobody adds either by hand here.
    # Reports are written on the portal's pages, and there is one set of evaluation criteria.
    # Beneficiaries are registered on the portal, with their consent or legal basis.
    read_only = {"AccessLog", "RosterImport", "BranchReport", "ReportEvent", "EvaluationCriteria", "Beneficiary"}
    assert add.status_code == (403 if model.__name__ in read_only else 200)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_pages_load(admin_client_zh, some_data, model):
    obj = model.objects.first()
    assert obj is not None, f"the fixture should make a {model.__name__}"
    opts = model._meta
    response = admin_client_zh.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_the_admin_speaks_chinese(admin_client_zh, some_data):
    page = admin_client_zh.get(reverse("admin:index")).content.decode()
    assert "帮扶对象" in page and "学雷锋活动" in page
    page = admin_client_zh.get(reverse("admin:beneficiaries_beneficiary_changelist")).content.decode()
    assert "身份证号" in page


def test_id_numbers_are_masked_in_the_list(admin_client_zh, some_data):
    page = admin_client_zh.get(reverse("admin:beneficiaries_beneficiary_changelist")).content.decode()
    assert "110105**********2X" in page
    assert "11010519731115002X" not in page


def test_search_by_the_last_digits_of_the_id(admin_client_zh, some_data):
    url = reverse("admin:beneficiaries_beneficiary_changelist")
    assert some_data.name in admin_client_zh.get(url, {"q": "002X"}).content.decode()
    assert some_data.name in admin_client_zh.get(url, {"q": "002x"}).content.decode()
    assert some_data.name not in admin_client_zh.get(url, {"q": "9999"}).content.decode()


def test_the_branch_list_reads_as_a_tree(admin_client_zh, tree):
    page = admin_client_zh.get(reverse("admin:branches_branch_changelist")).content.decode()
    assert page.index("自治区残联") < page.index("兴庆区残联") < page.index("丽景社区")
    assert "\u3000\u3000丽景社区" in page


def test_adding_and_moving_a_branch_in_the_admin_keeps_the_path(admin_client_zh, tree):
    add_url = reverse("admin:branches_branch_add")
    form = {
        "name": "新社区", "code": "new", "kind": "community", "active": "on", "parent": tree.branch_a.pk,
        "role_grants-TOTAL_FORMS": "0", "role_grants-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = admin_client_zh.post(add_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Branch.objects.get(code="new")
    assert new.path == f"{tree.branch_a.path}{new.pk}/"
    form["parent"] = tree.branch_b.pk
    response = admin_client_zh.post(reverse("admin:branches_branch_change", args=[new.pk]), form)
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.path == f"{tree.branch_b.path}{new.pk}/"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_records_users_entered_cannot_be_deleted_in_the_admin(admin_client_zh, some_data, model):
    from volunteer_portal.branches.models import RoleGrant

    opts = model._meta
    obj = model.objects.first()
    delete_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    response = admin_client_zh.post(delete_url, {"post": "yes"})
    if model in (RoleGrant,) or model.__name__ in {
        "ActivityType",
        "Need",
        "CampaignTarget",
        "AccessLog",
        "StatutoryBasis",
        "ReportRequirement",
        "StarLevel",
    }:
        return  # access rights and reference lists: deletable (and PROTECT stops it while they are in use)
    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_the_admin_archives_instead(admin_client_zh, some_data):
    url = reverse("admin:beneficiaries_beneficiary_changelist")
    response = admin_client_zh.post(
        url, {"action": "archive_selected", "_selected_action": [some_data.pk]}, follow=True
    )
    assert "已归档" in response.content.decode()
    some_data.refresh_from_db()
    assert some_data.is_archived
    assert some_data.history.first().history_user.username == "root"


def test_staff_who_may_only_view_open_a_branch(client, tree):
    from django.contrib.auth.models import Permission

    from .factories import UserFactory

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_branch"))
    client.force_login(viewer)
    response = client.get(reverse("admin:branches_branch_change", args=[tree.branch_a.pk]))
    assert response.status_code == 200 and "丽景社区" in response.content.decode()

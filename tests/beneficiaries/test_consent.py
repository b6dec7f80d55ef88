"""Sensitive data needs a recorded basis: consent (a guardian's under 14) or a statutory duty."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from beneficiaries import services
from beneficiaries.models import Beneficiary, Consent, StatutoryBasis
from volunteer_portal.branches.models import RoleGrant

from ..factories import BeneficiaryFactory, make_id_number
from .test_views import CREATE, beneficiary_data

pytestmark = pytest.mark.django_db

CHILD_ID = "653125201811069982"  # born 6 Nov 2018 (shared/testdata/id-vectors.csv)


def child_data(tree, **overrides):
    return beneficiary_data(tree, id_number=CHILD_ID, certificate_number="", **overrides)


def test_without_consent_or_a_duty_nothing_is_kept(as_user, tree):
    page = as_user(tree.secretary_a).post(CREATE, beneficiary_data(tree, consent_given_by="")).content.decode()
    assert "记录本人（或监护人）的同意" in page
    assert Beneficiary.objects.count() == 0


def test_consent_by_the_person(as_user, tree):
    response = as_user(tree.secretary_a).post(CREATE, beneficiary_data(tree))
    beneficiary = Beneficiary.objects.get()
    consent = beneficiary.consents.get()
    assert response.status_code == 302 and consent.given_by == "person" and consent.active
    assert consent.recorded_by == tree.secretary_a
    page = as_user(tree.secretary_a).get(beneficiary.get_absolute_url()).content.decode()
    # Without the reveal right, neither who gave it nor when: a person's own consent means 14 or older that day,
    # and the record's creation (in its history) dates it.
    assert "已记录同意" in page and "本人" not in page and "2026-01-05" not in page and "2026年" not in page
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True)
    page = as_user(tree.secretary_a).get(beneficiary.get_absolute_url()).content.decode()
    assert "2026-01-05" in page


def test_recording_a_consent_needs_the_reveal_right(as_user, tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:consent-create", args=[beneficiary.pk])
    data = {"given_by": "person", "given_on": "2026-02-01", "scope": "帮扶工作"}
    # The form's "under 14" answer for a chosen day would tell the birth date: refused before it is asked.
    assert as_user(tree.secretary_a).post(url, data).status_code == 403
    assert "记录同意" not in as_user(tree.secretary_a).get(beneficiary.get_absolute_url()).content.decode()
    assert beneficiary.consents.count() == 0


def test_a_statutory_duty_instead_of_consent(as_user, tree):
    duty = StatutoryBasis.objects.create(name="残疾人证管理", reference="《残疾人保障法》")
    as_user(tree.secretary_a).post(CREATE, beneficiary_data(tree, consent_given_by="", statutory_basis=duty.pk))
    beneficiary = Beneficiary.objects.get()
    assert beneficiary.statutory_basis == duty and not beneficiary.consents.exists()


def test_under_14_the_person_cannot_consent(as_user, tree):
    page = as_user(tree.secretary_a).post(CREATE, child_data(tree)).content.decode()
    assert "未满14周岁" in page
    assert Beneficiary.objects.count() == 0  # all or nothing: the record went with the refused consent


def test_under_14_a_named_guardian_consents(as_user, tree):
    client = as_user(tree.secretary_a)
    page = client.post(CREATE, child_data(tree, consent_given_by="guardian")).content.decode()
    assert "监护人的姓名" in page and Beneficiary.objects.count() == 0
    response = client.post(CREATE, child_data(tree, consent_given_by="guardian", consent_guardian_name="马建国"))
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.given_by, consent.guardian_name) == ("guardian", "马建国")


def test_age_is_counted_on_the_day_of_consent(tree):
    # Born 6 Nov 2018: 13 on 5 Nov 2032, 14 on 6 Nov 2032.
    child = BeneficiaryFactory(branch=tree.branch_a, id_number=CHILD_ID, certificate_number="")
    with pytest.raises(ValidationError):
        services.consent_record(actor=None, beneficiary=child, given_by="person", given_on=dt.date(2026, 1, 1))
    assert child.birth_date == dt.date(2018, 11, 6)


def test_withdrawing_consent_leaves_a_warning_when_no_basis_is_left(as_user, tree):
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True)  # recording a consent needs it
    client = as_user(tree.secretary_a)
    client.post(CREATE, beneficiary_data(tree))
    beneficiary = Beneficiary.objects.get()
    consent = beneficiary.consents.get()
    client.post(reverse("beneficiaries:consent-withdraw", args=[consent.pk]))
    consent.refresh_from_db()
    assert consent.withdrawn_on is not None
    page = client.get(beneficiary.get_absolute_url()).content.decode()
    assert "没有记录依据" in page
    client.post(reverse("beneficiaries:consent-create", args=[beneficiary.pk]),
                {"given_by": "person", "given_on": "2026-02-01", "scope": "帮扶工作"})  # fmt: skip
    assert "没有记录依据" not in client.get(beneficiary.get_absolute_url()).content.decode()


def test_consent_pages_are_scoped(as_user, tree):
    other = BeneficiaryFactory(branch=tree.branch_a, id_number=make_id_number(99))
    consent = Consent.objects.create(beneficiary=other, given_by="person", given_on=dt.date(2026, 1, 1))
    assert as_user(tree.secretary_b).get(reverse("beneficiaries:consent-create", args=[other.pk])).status_code == 404
    assert (
        as_user(tree.secretary_b).post(reverse("beneficiaries:consent-withdraw", args=[consent.pk])).status_code == 404
    )
    assert (
        as_user(tree.district_leader).post(reverse("beneficiaries:consent-withdraw", args=[consent.pk])).status_code
        == 403
    )

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from activities.models import Participation
from beneficiaries.models import AssistanceItem, Beneficiary, Pairing
from beneficiaries.privacy import mask_certificate_number, mask_id_number

from ..factories import (
    ActivityFactory,
    ActivityTypeFactory,
    AssistanceItemFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    VisitFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db


def build(branch, **overrides):
    id_number = overrides.pop("id_number", make_id_number(7))
    values = {
        "name": "李明",
        "gender": "M",
        "birth_date": dt.date(1970, 1, 1),
        "id_number": id_number,
        "certificate_number": f"{id_number}41",
        "disability_category": 4,
        "disability_grade": 1,
        "branch": branch,
    }
    values.update(overrides)
    return Beneficiary(**values)


def test_a_consistent_beneficiary_is_valid(tree):
    build(tree.branch_a).full_clean()


def test_lower_case_x_is_stored_upper_case(tree):
    beneficiary = build(
        tree.branch_a,
        id_number="44030519350311977x",
        certificate_number="44030519350311977x41",
        birth_date=dt.date(1935, 3, 11),
    )
    beneficiary.full_clean()
    assert beneficiary.id_number == "44030519350311977X"
    assert beneficiary.certificate_number == "44030519350311977X41"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"certificate_number": f"{make_id_number(8)}41"}, "certificate_number"),
        ({"certificate_number": f"{make_id_number(7)}21"}, "certificate_number"),
        ({"certificate_number": f"{make_id_number(7)}43"}, "certificate_number"),
        ({"birth_date": dt.date(1971, 1, 1)}, "birth_date"),
        ({"id_number": "640106201503143900"}, "id_number"),
        ({"disability_category": 8}, "disability_category"),
        ({"disability_grade": 5}, "disability_grade"),
    ],
)
def test_inconsistent_beneficiaries_are_refused_on_the_right_field(tree, overrides, field):
    with pytest.raises(ValidationError) as caught:
        build(tree.branch_a, **overrides).full_clean()
    assert field in caught.value.message_dict


def test_birth_date_is_taken_from_the_id_when_missing(tree):
    beneficiary = build(tree.branch_a, birth_date=None)
    beneficiary.full_clean()
    assert beneficiary.birth_date == dt.date(1970, 1, 1)


def test_two_live_beneficiaries_cannot_share_an_id_number(tree):
    existing = BeneficiaryFactory(branch=tree.branch_a)
    duplicate = build(tree.branch_b, id_number=existing.id_number, certificate_number="")
    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()
    assert "已" in " ".join(caught.value.messages) or "already" in " ".join(caught.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_an_archived_record_does_not_block_re_registration(tree):
    existing = BeneficiaryFactory(branch=tree.branch_a)
    existing.archived_at = timezone.now()
    existing.save()
    build(tree.branch_b, id_number=existing.id_number, certificate_number="").full_clean()


def test_nothing_entered_is_deleted_by_a_cascade(tree):
    item = AssistanceItemFactory(visit=VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a)))
    pairing = PairingFactory(beneficiary=item.visit.beneficiary, member=MemberFactory(branch=tree.branch_a))
    participation = Participation.objects.create(
        activity=ActivityFactory(branch=tree.branch_a), member=pairing.member, hours=Decimal("1.5")
    )
    for record in (item.visit.beneficiary, item.visit, pairing.member, participation.activity):
        with pytest.raises(ProtectedError):
            record.delete()


def test_a_visitor_or_a_need_cannot_be_deleted_out_from_under_a_record(tree):
    from beneficiaries.models import Need

    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a))
    visitor = MemberFactory(branch=tree.branch_a)
    visit.visitors.add(visitor)
    with pytest.raises(ProtectedError):
        visitor.delete()
    need = Need.objects.first()
    visit.beneficiary.needs.add(need)
    with pytest.raises(ProtectedError):
        need.delete()
    assert visit.visitors.count() == 1


def test_the_database_refuses_a_lower_case_x(tree):
    beneficiary = BeneficiaryFactory.build(branch=tree.branch_a, id_number="44030519350311977x", certificate_number="")
    with pytest.raises(IntegrityError), transaction.atomic():
        beneficiary.save()


def test_money_and_hours_are_checked_by_the_model_and_the_database(tree):
    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a))
    negative = AssistanceItem(visit=visit, kind="cash", description="慰问金", value=Decimal("-1"))
    with pytest.raises(ValidationError):
        negative.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        negative.save()
    too_long = Participation(activity=ActivityFactory(branch=tree.branch_a), member=MemberFactory(), hours=25)
    with pytest.raises(ValidationError):
        too_long.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        too_long.save()


def test_things_that_happened_cannot_be_in_the_future(tree):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    visit = VisitFactory.build(beneficiary=BeneficiaryFactory(branch=tree.branch_a), date=tomorrow)
    with pytest.raises(ValidationError) as caught:
        visit.full_clean()
    assert "date" in caught.value.message_dict
    activity = ActivityFactory.build(branch=tree.branch_a, date=tomorrow, type=ActivityTypeFactory())
    with pytest.raises(ValidationError) as caught:
        activity.full_clean()
    assert "date" in caught.value.message_dict


def test_a_pairing_cannot_end_before_it_starts_or_be_opened_twice(tree):
    pairing = PairingFactory(member=MemberFactory(branch=tree.branch_a))
    pairing.end_date = pairing.start_date - dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        pairing.full_clean()
    twin = Pairing(member=pairing.member, beneficiary=pairing.beneficiary, start_date=pairing.start_date)
    with pytest.raises(ValidationError):
        twin.full_clean()
    assert twin.interval_days == 60


def test_masking_keeps_area_and_last_two():
    assert mask_id_number("11010519731115002X") == "110105**********2X"
    assert mask_certificate_number("11010519731115002X41") == "110105**********2X41"
    assert mask_id_number("") == "" and mask_certificate_number("") == ""

"""Members' records: pending until confirmed, counted only then; idempotent; rejections kept; the store's
pending rows equal to the pending claims."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from activities.models import Participation
from beneficiaries.models import Visit
from tests.factories import ActivityFactory, MemberFactory, PairingFactory
from volunteer_portal.branches.models import Tally
from volunteer_portal.dashboards import tallies as store
from volunteer_portal.dashboards.figures import rollup
from volunteer_portal.selfservice.models import Claim
from volunteer_portal.selfservice.services import (
    claim_check_in,
    claim_confirm,
    claim_reject,
    claim_visit_submit,
    claims_confirm,
)

YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture
def member(tree):
    return MemberFactory(branch=tree.branch_a, name="王志愿")


def pending(figure: str) -> Decimal:
    return sum((row.amount for row in Tally.objects.filter(confirmed=False, figure=figure)), Decimal(0))


def test_a_check_in_counts_only_once_confirmed(tree, member):
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 5))
    claim = claim_check_in(actor=member.user, member=member, activity=activity)
    assert claim.status == Claim.Status.PENDING
    assert not Participation.objects.filter(member=member).exists()
    assert rollup(tree.root, *YEAR).figures.hours == 0
    assert pending("hours") == Decimal("2.0")
    assert store.differences() == []

    claim_confirm(actor=tree.secretary_a, claim=claim, hours=Decimal("3.5"))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CONFIRMED and claim.decided_by == tree.secretary_a
    assert Participation.objects.get(member=member, activity=activity).hours == Decimal("3.5")
    assert rollup(tree.root, *YEAR).figures.hours == Decimal("3.5")
    assert pending("hours") == 0
    assert store.differences() == []
    assert [row.status for row in claim.history.order_by("history_date")] == ["pending", "confirmed"]


def test_checking_in_twice_records_one_claim(tree, member):
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 5))
    first = claim_check_in(actor=None, member=member, activity=activity)
    assert claim_check_in(actor=None, member=member, activity=activity) == first
    assert Claim.objects.count() == 1


def test_a_visit_sent_twice_with_one_key_is_recorded_once(tree, member):
    pairing = PairingFactory(member=member, beneficiary__branch=tree.branch_a)
    key = uuid.uuid4()
    item = {"kind": "goods", "description": "米面油", "quantity": 1, "value": Decimal("120")}
    values = {"member": member, "pairing": pairing, "date": dt.date(2026, 3, 6), "notes": "送米面油",
              "client_key": key, "items": [item]}  # fmt: skip
    first = claim_visit_submit(actor=None, **values)
    assert claim_visit_submit(actor=None, **values) == first
    assert Claim.objects.count() == 1 and not Visit.objects.exists()
    assert pending("visits") == 1

    claim_confirm(actor=tree.secretary_a, claim=first)
    visit = Visit.objects.get()
    assert visit.branch == tree.branch_a and list(visit.visitors.all()) == [member]
    assert [(item.description, item.value) for item in visit.items.all()] == [("米面油", Decimal("120.00"))]
    assert rollup(tree.root, *YEAR).figures.visits == 1
    assert store.differences() == []


def test_a_rejected_record_counts_nowhere_and_keeps_its_reason(tree, member):
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 5))
    claim = claim_check_in(actor=None, member=member, activity=activity)
    with pytest.raises(ValidationError):
        claim_reject(actor=tree.secretary_a, claim=claim, reason="  ")
    claim_reject(actor=tree.secretary_a, claim=claim, reason="当天未到场")
    claim.refresh_from_db()
    assert (claim.status, claim.decision_note) == (Claim.Status.REJECTED, "当天未到场")
    assert pending("hours") == 0 and not Participation.objects.exists()
    with pytest.raises(ValidationError):
        claim_confirm(actor=tree.secretary_a, claim=claim)
    assert store.differences() == []


def test_a_branch_that_trusts_its_members_counts_at_once(tree, member):
    tree.branch_a.confirm_members_work = False
    tree.branch_a.save()
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 5))
    claim = claim_check_in(actor=None, member=member, activity=activity)
    assert claim.status == Claim.Status.CONFIRMED
    assert rollup(tree.root, *YEAR).figures.hours == Decimal("2.0")
    assert store.differences() == []


def test_only_the_paired_member_may_record_a_visit(tree, member):
    other = PairingFactory(beneficiary__branch=tree.branch_a)
    with pytest.raises(ValidationError):
        claim_visit_submit(actor=None, member=member, pairing=other, date=dt.date(2026, 3, 6), notes="x")


def test_confirm_all_is_all_or_nothing(tree, member):
    first = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 5))
    second = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 6))
    claims = [claim_check_in(actor=None, member=member, activity=a) for a in (first, second)]
    claims_confirm(actor=tree.secretary_a, claims=claims)
    assert Participation.objects.filter(member=member).count() == 2
    assert store.differences() == []


def test_a_visit_sent_twice_at_the_same_moment_is_recorded_once(tree, member, monkeypatch):
    """Both sends looked for the key before either was saved: the database's unique key keeps the first, and
    the second is answered with it instead of an error."""
    from volunteer_portal.selfservice import services

    pairing = PairingFactory(member=member, beneficiary__branch=tree.branch_a)
    values = {"member": member, "pairing": pairing, "date": dt.date(2026, 3, 6), "notes": "送米面油",
              "client_key": uuid.uuid4()}  # fmt: skip
    first = claim_visit_submit(actor=None, **values)
    looked = []
    real = services.my_claim_by_key

    def late_first_look(*args):
        """The second send's first look happened before the first send was saved: it finds nothing."""
        looked.append(args)
        return real(*args) if len(looked) > 1 else None

    monkeypatch.setattr(services, "my_claim_by_key", late_first_look)
    assert claim_visit_submit(actor=None, **values) == first
    assert Claim.objects.count() == 1 and len(looked) == 2
    assert store.differences() == []

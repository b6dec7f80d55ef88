"""What the review of the members' side found, each kept fixed: a member who left, photos at a branch that
counts at once, a member who moved while a visit waited, tampered forms."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from beneficiaries.models import Visit, VisitPhoto
from tests.conftest import image_bytes
from tests.factories import ActivityFactory, MemberFactory, PairingFactory, UserFactory
from volunteer_portal.branches.services import member_set_active
from volunteer_portal.dashboards import tallies as store
from volunteer_portal.selfservice.models import Claim
from volunteer_portal.selfservice.services import claim_check_in, claim_confirm, claim_visit_submit
from volunteer_portal.web import posted_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


@pytest.fixture
def member(tree):
    return MemberFactory(user=UserFactory(username="vol"), branch=tree.branch_a, name="王志愿")


@pytest.fixture
def pairing(member, tree):
    return PairingFactory(member=member, beneficiary__branch=tree.branch_a, beneficiary__name="李秀英",
                          start_date=timezone.localdate() - dt.timedelta(days=30))  # fmt: skip


def test_a_member_who_left_no_longer_has_the_members_pages(tree, member, pairing, as_user):
    member_set_active(actor=tree.secretary_a, member=member, active=False)
    client = as_user(member.user)
    assert client.get(reverse("selfservice:me")).status_code == 404
    response = client.post(
        reverse("selfservice:visit-new", args=[pairing.pk]),
        {"date": str(timezone.localdate()), "notes": "x", "client_key": str(uuid.uuid4()),
         "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 404 and not Claim.objects.exists()


def test_photos_reach_the_visit_where_the_branch_counts_at_once(tree, member, pairing, media):
    tree.branch_a.confirm_members_work = False
    tree.branch_a.save()
    photo = SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")
    claim = claim_visit_submit(actor=member.user, member=member, pairing=pairing, date=timezone.localdate(),
                               notes="送米面油", photos=[photo])  # fmt: skip
    assert claim.status == Claim.Status.CONFIRMED
    assert VisitPhoto.objects.filter(visit=Visit.objects.get()).count() == 1
    assert store.differences() == []


def test_a_visit_confirmed_after_the_member_moved_stays_in_the_deciding_branch(tree, member, pairing):
    claim = claim_visit_submit(actor=member.user, member=member, pairing=pairing, date=timezone.localdate(),
                               notes="x")  # fmt: skip
    member.branch = tree.branch_b
    member.save()
    claim_confirm(actor=tree.secretary_a, claim=claim)
    assert Visit.objects.get().branch == tree.branch_a  # secretary_a's own scope, where the claim was decided
    assert store.differences() == []


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999", "0", "-1", "1.5"])
def test_tampered_ids_in_a_bulk_confirm_or_invite_answer_404(tree, member, as_user, value):
    claim_check_in(actor=member.user, member=member, activity=ActivityFactory(branch=tree.branch_a))
    client = as_user(tree.secretary_a)
    assert client.post(reverse("selfservice:claims-confirm"), {"claim": [value]}).status_code == 404
    assert client.post(reverse("selfservice:invite-bulk"), {"member": [value]}).status_code == 404
    assert Claim.objects.get().status == Claim.Status.PENDING


def test_posted_ids_keeps_plain_numbers_once():
    assert posted_ids(["3", "1", "3"]) == [1, 3]
    assert posted_ids([]) == []
    assert posted_ids(["1", "²"]) is None
    assert posted_ids([str(2**63)]) is None


def test_the_key_of_someone_elses_visit_is_refused_with_a_message(tree, member, pairing, as_user):
    other = MemberFactory(user=UserFactory(username="other"), branch=tree.branch_a)
    theirs = PairingFactory(member=other, beneficiary__branch=tree.branch_a,
                            start_date=timezone.localdate() - dt.timedelta(days=30))  # fmt: skip
    key = uuid.uuid4()
    claim_visit_submit(actor=other.user, member=other, pairing=theirs, date=timezone.localdate(), notes="x",
                       client_key=key)  # fmt: skip
    with pytest.raises(ValidationError):
        claim_visit_submit(actor=member.user, member=member, pairing=pairing, date=timezone.localdate(), notes="y",
                           client_key=key)  # fmt: skip
    response = as_user(member.user).post(
        reverse("selfservice:visit-new", args=[pairing.pk]),
        {"date": str(timezone.localdate()), "notes": "y", "client_key": str(key),
         "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"},
        HTTP_X_QUEUED_UPLOAD="1",
    )  # fmt: skip
    assert response.status_code in (400, 404)  # never a 500 that the phone would retry for ever
    assert Claim.objects.count() == 1

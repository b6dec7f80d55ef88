"""A visit's photos (those a member sent with a visit a secretary confirmed): shown on the visit's page, served
only inside the viewer's scope, never from a public URL; a file gone missing is 404, not a server error."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from beneficiaries.models import VisitPhoto

from ..conftest import image_bytes
from ..factories import BeneficiaryFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a), branch=tree.branch_a)
    photo = VisitPhoto(visit=visit)
    photo.image.save("p.jpg", ContentFile(image_bytes(image_format="JPEG")), save=False)
    photo.thumbnail.save("t.jpg", ContentFile(image_bytes((160, 120), image_format="JPEG")), save=False)
    photo.save()
    return photo


def test_the_visit_page_shows_its_photos_to_those_in_scope(as_user, tree, photo):
    client = as_user(tree.secretary_a)
    page = client.get(photo.visit.get_absolute_url()).content.decode()
    thumbnail = reverse("beneficiaries:visit-photo-thumbnail", args=[photo.pk])
    full = reverse("beneficiaries:visit-photo", args=[photo.pk])
    assert thumbnail in page and full in page
    for url in (thumbnail, full):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    for user, status in [(tree.district_leader, 200), (tree.secretary_b, 404)]:  # leaders read their scope
        client = as_user(user)
        assert [client.get(url).status_code for url in (thumbnail, full)] == [status, status]


def test_anonymous_users_are_sent_to_sign_in(client, photo):
    response = client.get(reverse("beneficiaries:visit-photo", args=[photo.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_an_archived_photo_or_a_missing_file_is_404(as_user, tree, photo, tmp_path):
    client = as_user(tree.secretary_a)
    (tmp_path / photo.image.name).unlink()
    assert client.get(reverse("beneficiaries:visit-photo", args=[photo.pk])).status_code == 404
    assert client.get(reverse("beneficiaries:visit-photo-thumbnail", args=[photo.pk])).status_code == 200
    photo.mark_archived(tree.secretary_a)
    photo.save()
    assert client.get(reverse("beneficiaries:visit-photo-thumbnail", args=[photo.pk])).status_code == 404
    assert (
        reverse("beneficiaries:visit-photo", args=[photo.pk])
        not in client.get(photo.visit.get_absolute_url()).content.decode()
    )

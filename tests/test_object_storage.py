"""Photos in S3-compatible object storage (MEDIA_BUCKET, django-storages): the settings choose it, uploads land
in the bucket privately, and the portal's scoped views read them back; an outsider still gets 404.

The bucket is moto's, inside the test process: boto3's calls never leave it, so no endpoint or key is needed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from moto import mock_aws
from storages.backends.s3 import S3Storage

from activities.models import Activity, ActivityType
from volunteer_portal.settings import s3_media_storage

from .conftest import add_photo, image_bytes
from .factories import ActivityFactory, MemberFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
BUCKET = "portal-media"
SHOW_STORAGE = (
    "import django, json; django.setup(); from django.core.files.storage import storages; s = storages['default'];"
    "print(json.dumps({'class': type(s).__name__, 'bucket': getattr(s, 'bucket_name', None),"
    "'endpoint': getattr(s, 'endpoint_url', None), 'acl': getattr(s, 'default_acl', 'unset'),"
    "'overwrite': getattr(s, 'file_overwrite', None), 'prefix': getattr(s, 'location', None)}))"
)


def storage_chosen(**environment: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIA_")}
    env.update(DJANGO_SETTINGS_MODULE="volunteer_portal.settings", **environment)
    done = subprocess.run([sys.executable, "-c", SHOW_STORAGE], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=120)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_settings_keep_photos_on_disk_unless_a_bucket_is_named():
    assert storage_chosen()["class"] == "FileSystemStorage"
    chosen = storage_chosen(MEDIA_BUCKET=BUCKET, MEDIA_S3_ENDPOINT_URL="http://127.0.0.1:9000",
                            MEDIA_S3_PREFIX="photos")  # fmt: skip
    assert chosen == {"class": "S3Storage", "bucket": BUCKET, "endpoint": "http://127.0.0.1:9000", "acl": None,
                      "overwrite": False, "prefix": "photos"}  # fmt: skip


@pytest.fixture
def bucket(settings, monkeypatch):
    """A private bucket, and the default storage pointed at it as the settings point it with MEDIA_BUCKET."""
    for name in ("MEDIA_S3_ENDPOINT_URL", "MEDIA_S3_REGION", "MEDIA_S3_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": s3_media_storage(BUCKET)}
        yield client


def test_a_photo_goes_to_the_bucket_privately_and_comes_back_only_through_the_scope(as_user, tree, bucket):
    visit_type = ActivityType.objects.get(name="走访慰问", parent=None)
    member = MemberFactory(branch=tree.branch_a)
    picture = image_bytes((1200, 900), "JPEG")
    response = as_user(tree.secretary_a).post(
        reverse("activities:activity-create"),
        {"type": visit_type.pk, "date": "2026-03-05", "branch": tree.branch_a.pk, "title": "三月走访慰问",
         "default_hours": "2", "participants": [member.pk],
         "photos": [SimpleUploadedFile("p.jpg", picture, content_type="image/jpeg")]},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-2000:]
    photo = Activity.objects.get().photos.get()

    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {photo.image.name, photo.thumbnail.name}
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=photo.image.name)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner's, nobody else's
    assert "URI" not in grants[0]["Grantee"]  # not AllUsers, not AuthenticatedUsers

    stored = bucket.get_object(Bucket=BUCKET, Key=photo.image.name)["Body"].read()
    for name in ("activities:photo", "activities:photo-thumbnail"):
        url = reverse(name, args=[photo.pk])
        answer = as_user(tree.secretary_a).get(url)
        assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
        body = b"".join(answer.streaming_content)
        assert body.startswith(b"\xff\xd8") and (body == stored) == (name == "activities:photo")
        assert BUCKET not in answer.headers.get("Location", "")  # the file itself, never a link to the bucket
        assert as_user(tree.secretary_b).get(url).status_code == 404
        assert Client().get(url).status_code == 302  # to the sign-in


def test_a_photo_gone_from_the_bucket_answers_404(as_user, tree, bucket, photo_in_bucket):
    bucket.delete_object(Bucket=BUCKET, Key=photo_in_bucket.image.name)
    assert as_user(tree.secretary_a).get(reverse("activities:photo", args=[photo_in_bucket.pk])).status_code == 404


@pytest.mark.parametrize(
    "failure",
    [
        EndpointConnectionError(endpoint_url="https://s3.example.org/portal-media"),
        ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject"),
    ],
    ids=["store unreachable", "key refused"],
)
def test_a_bucket_that_cannot_be_read_answers_503_and_says_so(
    as_user, tree, bucket, photo_in_bucket, monkeypatch, caplog, failure
):
    """Not a server error: the page around the photo is fine, and the photo comes back with the storage."""

    def unreadable(*args, **kwargs):
        raise failure

    monkeypatch.setattr(S3Storage, "_open", unreadable)
    url = reverse("activities:photo", args=[photo_in_bucket.pk])
    answer = as_user(tree.secretary_a).get(url)
    assert answer.status_code == 503 and answer["Retry-After"] == "30"
    assert "照片暂时无法读取" in answer.content.decode()
    assert photo_in_bucket.image.name in caplog.text
    assert as_user(tree.secretary_b).get(url).status_code == 404  # the scope is checked first, as ever
    monkeypatch.undo()
    assert as_user(tree.secretary_a).get(url).status_code == 200


def test_a_photo_the_store_says_is_gone_answers_404(as_user, tree, bucket, photo_in_bucket, monkeypatch):
    """S3 names a missing key NoSuchKey; some S3-compatible stores say so with another status than 404."""

    def gone(*args, **kwargs):
        raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "gone"}}, "GetObject")

    monkeypatch.setattr(S3Storage, "_open", gone)
    assert as_user(tree.secretary_a).get(reverse("activities:photo", args=[photo_in_bucket.pk])).status_code == 404


def test_a_photo_on_a_disk_that_cannot_be_read_answers_503(as_user, tree, photo_factory, monkeypatch):
    photo = add_photo(ActivityFactory(branch=tree.branch_a))

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(FileSystemStorage, "_open", unreadable)
    answer = as_user(tree.secretary_a).get(reverse("activities:photo-thumbnail", args=[photo.pk]))
    assert answer.status_code == 503 and "照片暂时无法读取" in answer.content.decode()


@pytest.fixture
def photo_in_bucket(tree, bucket):
    return add_photo(ActivityFactory(branch=tree.branch_a))


def test_a_backup_leaves_photos_in_the_bucket_alone(bucket):
    from volunteer_portal import backups

    assert backups.media_root() is None  # the backup says so; the bucket's own versioning keeps them

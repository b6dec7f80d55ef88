"""`make backup` and `make restore` (volunteer_portal/backups.py), on the database the suite runs on.

The restore replaces the whole database, so these tests commit their data (transaction=True) and pg_dump, a
process of its own, sees it. The media are the temporary folder photo_factory stores photos in.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from activities.models import Activity
from beneficiaries.models import Beneficiary

from .factories import ActivityFactory, BeneficiaryFactory

ROOT = Path(__file__).resolve().parent.parent
committed = pytest.mark.django_db(transaction=True)


@pytest.fixture
def passphrase(monkeypatch) -> str:
    value = secrets.token_urlsafe(32)
    monkeypatch.setenv("BACKUP_PASSPHRASE", value)
    return value


@pytest.fixture
def portal(tree, photo_factory, settings):
    """An activity with a photo and a beneficiary with an ID number; the media folder they live in."""
    activity = ActivityFactory(branch=tree.branch_a, title="走访慰问困难家庭")
    photo = photo_factory(activity)
    beneficiary = BeneficiaryFactory(branch=tree.branch_a, name="李秀英")
    files = {path: path.read_bytes() for path in (Path(photo.image.path), Path(photo.thumbnail.path))}
    return activity, beneficiary, files, Path(settings.MEDIA_ROOT)


@pytest.fixture
def backup_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("backups") / "portal.tar.gpg"


def backup(path: Path | str) -> str:
    out = StringIO()
    call_command("backup", "--output", str(path), stdout=out)
    return out.getvalue()


def restore(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("restore", str(path), *args, stdout=out)
    return out.getvalue()


def change_everything(activity: Activity, files: dict[Path, bytes], media: Path) -> None:
    """After the backup: a row edited, a row added, a photo gone, a file that was not there."""
    Activity.objects.filter(pk=activity.pk).update(title="改过的标题")
    ActivityFactory(branch=activity.branch, title="备份之后的活动")
    next(iter(files)).unlink()
    (media / "after-the-backup.txt").write_text("new")


def media_files(media: Path) -> set[Path]:
    return {path for path in media.rglob("*") if path.is_file()}


@committed
def test_a_restore_brings_back_the_rows_and_the_photos(portal, passphrase, backup_file):
    activity, beneficiary, files, media = portal
    activities = set(Activity.objects.values_list("pk", "title"))
    assert "2 media files" in backup(backup_file)
    change_everything(activity, files, media)

    with pytest.raises(CommandError, match=r"already holds data .*FORCE=1.* Nothing was changed"):
        restore(backup_file)
    assert Activity.objects.get(pk=activity.pk).title == "改过的标题"

    assert "2 media files" in restore(backup_file, "--force")
    assert set(Activity.objects.values_list("pk", "title")) == activities
    assert Beneficiary.objects.get(pk=beneficiary.pk).id_number == beneficiary.id_number
    assert media_files(media) == set(files)
    assert all(path.read_bytes() == content for path, content in files.items())


@committed
def test_a_restore_replaces_tables_newer_than_the_backup(portal, passphrase, backup_file):
    """As after an upgrade that went wrong: a newer migration's table, pointing at one the backup holds, goes."""
    activity = portal[0]
    backup(backup_file)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE after_the_backup"
            " (id integer PRIMARY KEY, activity_id bigint NOT NULL REFERENCES activities_activity (id))"
        )
        cursor.execute("INSERT INTO after_the_backup VALUES (1, %s)", [activity.pk])
    try:
        restore(backup_file, "--force")
        assert "after_the_backup" not in connection.introspection.table_names()
        assert Activity.objects.get(pk=activity.pk).title == "走访慰问困难家庭"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS after_the_backup")


@committed
def test_a_backup_restores_onto_an_emptied_portal_without_force(portal, passphrase, backup_file):
    activity, beneficiary, files, media = portal
    backup(backup_file)
    call_command("flush", "--no-input")
    shutil.rmtree(media)

    restore(backup_file)
    assert Activity.objects.get(pk=activity.pk).title == "走访慰问困难家庭"
    assert Beneficiary.objects.get(pk=beneficiary.pk).name == "李秀英"
    assert all(path.read_bytes() == content for path, content in files.items())


@committed
def test_a_backup_without_a_passphrase_says_how_to_make_one(portal, monkeypatch, backup_file):
    monkeypatch.delenv("BACKUP_PASSPHRASE", raising=False)
    with pytest.raises(CommandError, match=r"(?s)BACKUP_PASSPHRASE is not set.*secrets\.token_urlsafe") as refused:
        backup(backup_file)
    assert "every ID number" in str(refused.value)
    monkeypatch.setenv("BACKUP_PASSPHRASE", "too-short")
    with pytest.raises(CommandError, match="at least 20 characters"):
        backup(backup_file)
    assert list(backup_file.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "BACKUP_PASSPHRASE is not set: a backup opens only with the passphrase it was made with"),
        ("not-the-passphrase-it-was-made-with", "not the passphrase the backup was made with"),
    ],
)
@committed
def test_a_restore_without_the_right_passphrase_changes_nothing(
    portal, passphrase, backup_file, monkeypatch, key, message
):
    activity, _, files, media = portal
    backup(backup_file)
    change_everything(activity, files, media)
    before = media_files(media)
    if key is None:
        monkeypatch.delenv("BACKUP_PASSPHRASE")
    else:
        monkeypatch.setenv("BACKUP_PASSPHRASE", key)

    with pytest.raises(CommandError, match=f"{message}.*Nothing was changed"):
        restore(backup_file, "--force")
    assert Activity.objects.get(pk=activity.pk).title == "改过的标题"
    assert Activity.objects.filter(title="备份之后的活动").exists()
    assert media_files(media) == before


@committed
def test_an_altered_backup_is_refused_and_changes_nothing(portal, passphrase, backup_file):
    activity, _, files, media = portal
    backup(backup_file)
    change_everything(activity, files, media)
    data = bytearray(backup_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup_file.write_bytes(bytes(data))

    with pytest.raises(CommandError, match=r"damaged or was altered.*Nothing was changed"):
        restore(backup_file, "--force")
    assert Activity.objects.get(pk=activity.pk).title == "改过的标题"
    assert (media / "after-the-backup.txt").exists()


@committed
def test_the_backup_is_encrypted_and_any_gpg_opens_it(portal, passphrase, tmp_path_factory):
    _, beneficiary, _, _ = portal
    folder = tmp_path_factory.mktemp("backups") / "nightly"
    backup(f"{folder}/")  # a folder, made if missing, as in the README's timer
    [backup_file] = folder.glob("volunteer-portal-*.tar.gpg")
    data = backup_file.read_bytes()
    for plain in (beneficiary.id_number, "李秀英", "SQLite format 3", "PGDMP", "manifest.json", "ustar"):
        assert plain.encode() not in data, plain
    assert backup_file.stat().st_mode & 0o077 == 0  # only its owner may read it

    # As the README says: by hand, with nothing but gpg, tar and the passphrase.
    home = tmp_path_factory.mktemp("gnupg")
    gpg, tar = shutil.which("gpg"), shutil.which("tar")
    assert gpg and tar
    options = ["--homedir", str(home), "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase-fd", "0"]
    archive = subprocess.run([gpg, *options, "-d", str(backup_file)], input=passphrase.encode(), capture_output=True)
    subprocess.run([shutil.which("gpgconf") or "gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
    assert archive.returncode == 0, archive.stderr
    listing = subprocess.run([tar, "-t"], input=archive.stdout, capture_output=True, check=True).stdout.decode().split()
    assert "manifest.json" in listing
    assert any(name.startswith("database.") for name in listing)
    assert any(name.startswith("media/") for name in listing)


def test_the_readmes_backup_timer_passes_systemd_analyze_verify(tmp_path):
    """The README's two units, with their paths pointed into a temporary folder (systemd runs no services here)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        message = "systemd-analyze is missing: run `apt-get install -y systemd`."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    section = (ROOT / "README.md").read_text().split("\n## Backups\n", 1)[1].split("\n## ", 1)[0]
    units = dict(re.findall(r"```ini\n# /etc/systemd/system/(\S+)\n(.*?)```", section, re.DOTALL))
    assert set(units) == {"volunteer-portal-backup.service", "volunteer-portal-backup.timer"}
    service = units["volunteer-portal-backup.service"]
    assert "manage.py backup --output /var/backups/volunteer-portal/" in service
    assert "EnvironmentFile=/etc/volunteer-portal/backup.env" in service
    (tmp_path / "backups").mkdir()
    (tmp_path / "env").write_text("")
    (tmp_path / "backup.env").write_text("BACKUP_PASSPHRASE=for-the-test-only-0123456789\n")
    for old, new in [
        ("/srv/volunteer-portal/venv/bin/python", sys.executable),
        ("/srv/volunteer-portal/app", str(ROOT)),
        ("/etc/volunteer-portal/", f"{tmp_path}/"),
        ("/var/backups/volunteer-portal", f"{tmp_path}/backups"),
        ("/srv/volunteer-portal/", f"{tmp_path}/"),
    ]:
        assert old in service, old
        service = service.replace(old, new)
    (tmp_path / "volunteer-portal-backup.service").write_text(service)
    (tmp_path / "volunteer-portal-backup.timer").write_text(units["volunteer-portal-backup.timer"])
    for unit in units:
        result = subprocess.run(
            [analyze, "verify", "--man=no", str(tmp_path / unit)], capture_output=True, text=True, timeout=60
        )
        assert (result.returncode, result.stderr) == (0, ""), f"{unit}: {result.stderr}"

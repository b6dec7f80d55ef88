"""Backups: the database and the media in one encrypted file (`make backup`, `make restore`).

A backup is a tar archive — manifest.json, the database and media/ (the default storage's folder) — encrypted by
GnuPG with a passphrase (AES-256; gpg checks the whole file's integrity when it decrypts). The database is a copy
made with SQLite's online backup API, which is consistent while the portal writes, or a `pg_dump` custom-format
dump. Any gpg opens the file by hand: `gpg -d FILE | tar -x`.

Restoring decrypts and unpacks into a private temporary folder and changes nothing until gpg has verified the whole
file, the manifest matches this database and the new media are staged beside MEDIA_ROOT; then it replaces the
database (one transaction) and swaps the media in.
"""

import datetime as dt
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from volunteer_portal.branches.models import Branch

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA = "media"
MIN_PASSPHRASE = 20
KEY_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
# gpg's strongest passphrase stretching (SHA-512, the largest iteration count): about 0.2 s per backup or restore.
GPG_ENCRYPT = ["--symmetric", "--cipher-algo", "AES256", "--s2k-digest-algo", "SHA512", "--s2k-count", "65011712"]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Summary:
    path: Path
    database: str
    media_files: int | None  # None: the media are not in a folder (object storage) and were left alone
    created: str = ""


def passphrase_from_env(*, restoring: bool) -> str:
    """BACKUP_PASSPHRASE, read here rather than in settings: only the backup job needs it, not the web processes."""
    value = os.environ.get("BACKUP_PASSPHRASE", "")
    if not value and restoring:
        raise BackupError(
            "BACKUP_PASSPHRASE is not set: a backup opens only with the passphrase it was made with. "
            "Set BACKUP_PASSPHRASE to that passphrase and run the restore again. Nothing was changed."
        )
    if not value:
        raise BackupError(
            "BACKUP_PASSPHRASE is not set, and a backup holds every ID number, so it is only written encrypted. "
            f"Create a passphrase with\n  {KEY_HINT}\nkeep a copy away from this server (without it no backup can be "
            "opened), and set BACKUP_PASSPHRASE in the environment of the backup job."
        )
    if "\n" in value or (not restoring and len(value) < MIN_PASSPHRASE):
        raise BackupError(
            f"BACKUP_PASSPHRASE must be one line of at least {MIN_PASSPHRASE} characters; create one with\n  {KEY_HINT}"
        )
    return value


def default_path() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.BASE_DIR) / "backups" / f"volunteer-portal-{stamp}.tar.gpg"


def media_root() -> Path | None:
    """The folder the default storage keeps uploads in, or None when they live elsewhere (object storage)."""
    storage = storages["default"]
    return Path(storage.location) if isinstance(storage, FileSystemStorage) else None


def backup_create(path: Path, *, passphrase: str) -> Summary:
    if path.is_dir():
        path = path / default_path().name
    if path.exists():
        raise BackupError(f"{path} already exists; choose another file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = connections["default"]
    vendor = _vendor(connection)
    media = media_root()
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="portal-backup-") as work, _gpg_home() as home:
        database = Path(work) / DATABASE_FILES[vendor]
        if vendor == "sqlite":
            _sqlite_copy(connection, database)
        else:
            _pg_dump(connection, database)
        media_files = None if media is None else sum(1 for file in media.rglob("*") if not file.is_dir())
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        manifest = {
            "format": FORMAT,
            "created": created,
            "database": vendor,
            "media_files": media_files,
        }
        try:
            # Only the owner may read the file, even encrypted.
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                _encrypt_archive(out, home, passphrase, manifest, database, media)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return Summary(path=path, database=vendor, media_files=media_files, created=created)


def backup_restore(path: Path, *, passphrase: str, force: bool) -> Summary:
    if not path.is_file():
        raise BackupError(f"{path} is not a file. Nothing was changed.")
    connection = connections["default"]
    vendor = _vendor(connection)
    media = media_root()
    with tempfile.TemporaryDirectory(prefix="portal-restore-") as work_dir, _gpg_home() as home:
        work = Path(work_dir)
        _decrypt_archive(path, home, passphrase, work)
        manifest = _read_manifest(path, work)
        if manifest["database"] != vendor:
            raise BackupError(
                f"{path} holds a {manifest['database']} database and this portal runs on {vendor} (DATABASE_URL); "
                "restore it onto the kind of database it was made from. Nothing was changed."
            )
        if not force:
            held = _data_held(connection, media)
            if held:
                raise BackupError(
                    f"This portal already holds data ({'; '.join(held)}), which the restore would replace. "
                    "To replace it, run again with FORCE=1 (make restore FILE=... FORCE=1, or --force). "
                    "Nothing was changed."
                )
        staged = None
        if media is not None and manifest["media_files"] is not None:
            staged = _stage_media(work / MEDIA, media)
        try:
            database = work / DATABASE_FILES[vendor]
            if vendor == "sqlite":
                _sqlite_restore(connection, database)
            else:
                _pg_restore(connection, database)
            if staged is not None and media is not None:
                _swap_media(staged, media)
        finally:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
    media_files = manifest["media_files"] if media is not None else None
    return Summary(path=path, database=vendor, media_files=media_files, created=manifest["created"])


def _vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


# -- the encrypted archive --------------------------------------------------------------------------------------


def _gpg() -> str:
    gpg = shutil.which("gpg")
    if gpg is None:
        raise BackupError("gpg (GnuPG) is not installed; install it (Debian: apt-get install gnupg).")
    return gpg


@contextmanager
def _gpg_home() -> Iterator[Path]:
    """A keyring of its own for each run, so nothing is read from or cached in the user's ~/.gnupg."""
    gpg = _gpg()
    with tempfile.TemporaryDirectory(prefix="portal-gpg-") as home:
        try:
            yield Path(home)
        finally:
            # gpg may have started an agent for this home; stop it before its folder goes.
            gpgconf = shutil.which("gpgconf") or str(Path(gpg).with_name("gpgconf"))
            subprocess.run([gpgconf, "--homedir", home, "--kill", "gpg-agent"], capture_output=True, check=False)  # noqa: S603 (fixed argument lists, no shell)


def _run_gpg(home: Path, passphrase: str, args: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start gpg with the passphrase on a pipe of its own (never on the command line, where `ps` would show it)."""
    read_end, write_end = os.pipe()
    os.write(write_end, passphrase.encode() + b"\n")
    os.close(write_end)
    try:
        command = [_gpg(), "--homedir", str(home), "--batch", "--quiet", "--no-tty", "--pinentry-mode", "loopback"]
        return subprocess.Popen([*command, "--passphrase-fd", str(read_end), *args], pass_fds=(read_end,), **popen)  # noqa: S603 (fixed argument lists, no shell)
    finally:
        os.close(read_end)


def _encrypt_archive(
    out: IO[bytes], home: Path, passphrase: str, manifest: dict[str, Any], database: Path, media: Path | None
) -> None:
    with tempfile.TemporaryFile() as errors:
        gpg = _run_gpg(home, passphrase, GPG_ENCRYPT, stdin=subprocess.PIPE, stdout=out, stderr=errors)
        archive = cast(IO[bytes], gpg.stdin)
        try:
            # A stream ("w|"): the archive goes straight into gpg, never whole on disk or in memory.
            with tarfile.open(fileobj=archive, mode="w|") as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                tar.addfile(info, io.BytesIO(data))
                tar.add(database, arcname=database.name)
                if media is not None and media.is_dir():
                    tar.add(media, arcname=MEDIA)
        except BrokenPipeError:
            pass  # gpg stopped early; its own message says why
        finally:
            with suppress(BrokenPipeError):
                archive.close()
        if gpg.wait() != 0:
            raise BackupError(f"gpg could not encrypt the backup: {_gpg_message(errors)}")


def _decrypt_archive(path: Path, home: Path, passphrase: str, work: Path) -> None:
    with open(path, "rb") as source, tempfile.TemporaryFile() as errors:
        gpg = _run_gpg(home, passphrase, ["--decrypt"], stdin=source, stdout=subprocess.PIPE, stderr=errors)
        archive = cast(IO[bytes], gpg.stdout)
        unpack_error: Exception | None = None
        try:
            with tarfile.open(fileobj=archive, mode="r|") as tar:
                tar.extractall(work, filter="data")  # no absolute paths, no "..", no links out of the folder
            while archive.read(1 << 16):
                pass  # the rest of the stream, so that gpg reaches its integrity check
        except (tarfile.TarError, OSError) as error:
            unpack_error = error
        finally:
            archive.close()
        # gpg's verdict first: until it has checked the whole file, what was unpacked is not to be trusted.
        if gpg.wait() != 0:
            message = _gpg_message(errors)
            if "bad session key" in message.lower() or "bad passphrase" in message.lower():
                raise BackupError(
                    f"{path} cannot be opened with this BACKUP_PASSPHRASE: it is not the passphrase the backup was "
                    "made with. Nothing was changed."
                )
            if "no valid openpgp data" in message.lower():
                raise BackupError(f"{path} is not a backup made by `make backup`. Nothing was changed.")
            raise BackupError(f"{path} is damaged or was altered (gpg: {message}). Nothing was changed.")
    if unpack_error is not None:
        raise BackupError(f"{path} is not a backup made by `make backup` ({unpack_error}). Nothing was changed.")


def _gpg_message(errors: IO[bytes]) -> str:
    errors.seek(0)
    lines = [line.removeprefix("gpg: ") for line in errors.read().decode(errors="replace").splitlines()]
    return "; ".join(line for line in lines if line) or "no message"


def _read_manifest(path: Path, work: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((work / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{path} holds no readable {MANIFEST}. Nothing was changed.") from None
    if manifest.get("format") != FORMAT or manifest.get("database") not in DATABASE_FILES:
        raise BackupError(f"{path} is in a backup format this version does not know. Nothing was changed.")
    if not (work / DATABASE_FILES[manifest["database"]]).is_file():
        raise BackupError(f"{path} holds no database. Nothing was changed.")
    return manifest


def _data_held(connection: BaseDatabaseWrapper, media: Path | None) -> list[str]:
    """What a restore would overwrite: accounts, branches, uploaded files. A freshly migrated portal holds none."""
    tables = set(connection.introspection.table_names())
    counts = {
        m._meta.db_table: m._default_manager.count() for m in (get_user_model(), Branch) if m._meta.db_table in tables
    }
    held = [f"{count} rows in {table}" for table, count in counts.items() if count]
    if media is not None and media.is_dir() and (files := sum(1 for f in media.rglob("*") if not f.is_dir())):
        held.append(f"{files} files in {media}")
    return held


# -- SQLite: the online backup API, both ways ----------------------------------------------------------------------


def _sqlite_copy(connection: BaseDatabaseWrapper, target: Path) -> None:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, without -wal and -shm beside it
    finally:
        copy.close()


def _sqlite_restore(connection: BaseDatabaseWrapper, source: Path) -> None:
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if backup.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise BackupError(f"The database in the backup fails SQLite's check ({source.name}). Nothing was changed.")
        connection.ensure_connection()
        # Page by page into the live database under its write lock: other connections see the old or the new one.
        backup.backup(connection.connection)
    finally:
        backup.close()


# -- PostgreSQL: pg_dump and pg_restore ----------------------------------------------------------------------------


def _pg_tool(name: str, connection: BaseDatabaseWrapper) -> str:
    """The client tool, if it is at least as new as the server (pg_dump refuses a newer server)."""
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} is not installed; install PostgreSQL's client tools (apt-get install postgresql-client)."
        )
    found = re.search(r"\)\s*(\d+)", subprocess.run([tool, "--version"], capture_output=True, text=True).stdout)  # noqa: S603 (fixed argument lists, no shell)
    connection.ensure_connection()
    server = connection.connection.info.server_version // 10000  # psycopg's, e.g. 150020 for 15.20
    if found is None or int(found.group(1)) < server:
        raise BackupError(
            f"{name} {found.group(1) if found else '(unknown version)'} is older than the PostgreSQL {server} server; "
            f"install the client tools of version {server} or newer (Debian: postgresql-client-{server})."
        )
    return tool


def _pg_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq's variables for the connection Django uses, so no password appears on a command line."""
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": str(db["NAME"])}
    for variable, value in [
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGSSLMODE", db.get("OPTIONS", {}).get("sslmode")),
    ]:
        if value:
            env[variable] = str(value)
    return env


def _pg_dump(connection: BaseDatabaseWrapper, target: Path) -> None:
    command = [_pg_tool("pg_dump", connection), "--format=custom", f"--file={target}"]
    done = subprocess.run(command, env=_pg_env(connection), capture_output=True, text=True)  # noqa: S603 (fixed argument lists, no shell)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


# Every table of the schema, the tables of migrations newer than the backup included (`pg_restore --clean` drops only
# what the dump holds, and then fails on a newer table's foreign keys); what depends on them goes too (CASCADE).
DROP_TABLES = """DO $$ DECLARE t record; BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', t.tablename);
  END LOOP;
END $$;"""


def _pg_restore(connection: BaseDatabaseWrapper, source: Path) -> None:
    """The dump as SQL, then dropping the tables and running that SQL in one transaction: any error, nothing changed."""
    script = source.with_suffix(".sql")
    # The roles of the server restored onto may differ from the one backed up.
    command = [_pg_tool("pg_restore", connection), "--no-owner", "--no-privileges", f"--file={script}", str(source)]
    done = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 (fixed argument lists, no shell)
    if done.returncode != 0:
        raise BackupError(f"pg_restore could not read the dump: {done.stderr.strip()}. Nothing was changed.")
    psql = _pg_tool("psql", connection)
    env = _pg_env(connection)
    connection.close()  # this process's own connection must not hold a lock the restore waits for
    command = [psql, "-X", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1", "-c", DROP_TABLES]
    done = subprocess.run([*command, f"--file={script}"], env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"The restore failed, so the database is as it was: {done.stderr.strip()}")


# -- media ---------------------------------------------------------------------------------------------------------


def _stage_media(source: Path, media: Path) -> Path:
    """Copy the backup's media beside MEDIA_ROOT (same file system) before anything changes; a full disk fails here."""
    media.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".restoring-media-", dir=media.parent))
    try:
        if source.is_dir():
            for child in source.iterdir():
                shutil.move(child, staged / child.name)
    except OSError as error:
        shutil.rmtree(staged, ignore_errors=True)
        raise BackupError(f"The media could not be staged beside {media}: {error}. Nothing was changed.") from None
    return staged


def _swap_media(staged: Path, media: Path) -> None:
    """Renames within one file system: the old files out of MEDIA_ROOT (itself may be a mount point), the new in."""
    old = Path(tempfile.mkdtemp(prefix=".media-before-restore-", dir=media.parent))
    for child in media.iterdir():
        child.rename(old / child.name)
    for child in staged.iterdir():
        child.rename(media / child.name)
    shutil.rmtree(old)

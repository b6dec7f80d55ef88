"""The project's own floor: settings from the environment, migrations committed, the Chinese catalogue complete."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"


def run_settings(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "volunteer_portal.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_missing_secret_key_with_debug_off_is_a_clear_error():
    result = run_settings({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_settings_start_with_a_secret_key():
    result = run_settings(
        {"DEBUG": "false", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "portal.example.org"},
        "print(settings.DEBUG, settings.ALLOWED_HOSTS, settings.SESSION_COOKIE_SECURE)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['portal.example.org'] True"


def test_a_malformed_boolean_is_refused():
    result = run_settings({"DEBUG": "maybe"})
    assert "DEBUG must be true or false" in result.stderr


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_env_example_documents_every_variable_the_settings_read():
    source = (ROOT / "volunteer_portal" / "settings.py").read_text()
    import re

    read = set(re.findall(r'env(?:bool|int|list)?\("([A-Z_]+)"', source))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read, "the pattern should find the variables"
    assert read <= documented, f"undocumented: {read - documented}"


@pytest.mark.django_db
def test_migrations_are_committed():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_chinese_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    assert len(po) > 100
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, f"stale .mo for {entry.msgid!r}"


def test_postgresql_connections_run_without_jit_unless_asked():
    url = "postgres://postgres@127.0.0.1:5432/volunteer_portal"
    show = "print(settings.DATABASES['default'].get('OPTIONS', {}).get('options'))"
    assert run_settings({"DATABASE_URL": url}, show).stdout.strip() == "-c jit=off"
    assert run_settings({"DATABASE_URL": url, "DATABASE_JIT": "true"}, show).stdout.strip() == "None"
    assert run_settings({"DATABASE_URL": "sqlite:///x.sqlite3"}, show).stdout.strip() == "None"


@pytest.mark.django_db
def test_the_connection_itself_has_jit_off_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (DATABASE_URL=postgres://…)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"

"""Accounts and transport: lockout, password policy, session timeouts, deploy checks and the CSP header."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from volunteer_portal.security import LAST_SEEN, SIGNED_IN

from .factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
ROOT = Path(__file__).resolve().parent.parent


def sign_in(client, password, *, address="10.0.0.1", username="secretary_a"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_the_username_from_that_address(client, tree, settings):
    for _ in range(4):
        assert sign_in(client, "wrong").status_code == 200
    locked = sign_in(client, "wrong")
    assert locked.status_code == 429 and "锁定" in locked.content.decode()
    # Now even the right password is refused from that address...
    assert sign_in(client, TEST_PASSWORD).status_code == 429
    # ...while the same user from another address, and another user from this one, still sign in.
    assert sign_in(client, TEST_PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()
    assert sign_in(client, TEST_PASSWORD, username="secretary_b").status_code == 302


def test_the_lockout_lifts_after_the_cool_off(client, tree, settings):
    import datetime as dt

    from axes.models import AccessAttempt

    for _ in range(5):
        sign_in(client, "wrong")
    assert sign_in(client, TEST_PASSWORD).status_code == 429
    assert dt.timedelta(minutes=10) <= settings.AXES_COOLOFF_TIME
    # Pretend the cool-off has passed: the attempts are older than it.
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )
    assert sign_in(client, TEST_PASSWORD).status_code == 302


def test_tries_during_a_lockout_do_not_extend_it(client, tree, settings):
    """A lockout lasts AXES_COOLOFF_MINUTES from the failure that caused it, however often someone keeps trying."""
    import datetime as dt
    from unittest import mock

    from volunteer_portal.branches.models import AccessLog

    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    clock = [start]

    def now():
        return clock[0]

    # django-axes imports `now` by name; everything else reads django.utils.timezone.now.
    with (
        mock.patch("django.utils.timezone.now", now),
        mock.patch("axes.handlers.proxy.now", now),
        mock.patch("axes.attempts.now", now),
    ):
        for _ in range(5):
            sign_in(client, "wrong")
        assert sign_in(client, TEST_PASSWORD).status_code == 429  # locked
        for minute in range(1, 21):
            clock[0] = start + dt.timedelta(minutes=minute)
            response = sign_in(client, "wrong")  # someone keeps guessing, once a minute
            if minute < settings.AXES_COOLOFF_TIME / dt.timedelta(minutes=1):
                assert response.status_code == 429, minute
            if minute == 16:
                clock[0] += dt.timedelta(seconds=30)
                assert sign_in(client, TEST_PASSWORD).status_code == 302  # 16 minutes after the lock
                client.logout()
        # Four wrong tries since the sign-in (minutes 17 to 20); the fifth locks the pair again.
        assert sign_in(client, "wrong").status_code == 429
    failed = AccessLog.objects.filter(event=AccessLog.Event.SIGN_IN_FAILED, username="secretary_a")
    assert failed.count() == 5 + 1 + 20 + 1  # every try is in the access log, those refused by the lockout too


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Lei-Feng-2026", True),  # four kinds
        ("leifeng2026!", True),  # lower, digits, symbol
        ("LEIFENG2026x", True),  # upper, lower, digits
        ("leifeng2026", False),  # two kinds
        ("Lf-2026", False),  # too short
        ("lei-feng-mmm", False),  # lower and symbols only
    ],
)
def test_the_password_policy(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_the_password_change_page_enforces_the_policy_in_chinese(as_user, tree):
    page = as_user(tree.secretary_a).post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "leifeng2026", "new_password2": "leifeng2026"},
    )
    assert "至少" in page.content.decode() and "种字符" in page.content.decode()


def test_an_idle_session_ends_with_a_message(client, tree, settings):
    sign_in(client, TEST_PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[LAST_SEEN] = int(time.time()) - settings.SESSION_IDLE_MINUTES * 60 - 5
    session.save()
    response = client.get(reverse("activities:activity-list"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    page = client.get(response["Location"]).content.decode()
    assert "30 分钟" in page
    assert client.get(reverse("home"))["Location"].startswith(LOGIN)


def test_activity_keeps_a_session_alive_but_not_past_the_absolute_cap(client, tree, settings):
    sign_in(client, TEST_PASSWORD)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 20 * 60  # 20 idle minutes: still fine
    session.save()
    assert client.get(reverse("home")).status_code == 200
    assert client.session[LAST_SEEN] > int(time.time()) - 5  # the clock moved on
    session = client.session
    session[SIGNED_IN] = int(time.time()) - settings.SESSION_ABSOLUTE_HOURS * 3600 - 5
    session.save()
    assert client.get(reverse("home"))["Location"].startswith(LOGIN)


def test_the_csp_header_needs_no_unsafe_inline(client, tree):
    for url in (LOGIN, reverse("healthz")):
        header = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in header and "script-src 'self'" in header
        assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_the_pages_have_no_inline_scripts_or_styles(as_user, tree, records):
    """The CSP forbids them, so none may be written: every script is a file, data travels in json_script."""
    import re

    client = as_user(tree.secretary_a)
    urls = [
        reverse("home"),
        reverse("activities:activity-create"),
        records["activity"].get_absolute_url(),
        reverse("dashboards:dashboard"),
        reverse("beneficiaries:visit-create", args=[records["beneficiary"].pk]),
    ]
    for url in urls:
        page = client.get(url).content.decode()
        scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
        assert not scripts, (url, scripts)
        assert " style=" not in page, url
        assert re.search(r"\son[a-z]+=", page) is None, url


def test_pages_and_downloads_of_a_signed_in_user_are_never_cached(as_user, tree, records, photo_factory):
    from volunteer_portal.branches.models import RoleGrant

    RoleGrant.objects.filter(user=tree.secretary_a).update(may_export=True)
    photo = photo_factory(records["activity"])
    client = as_user(tree.secretary_a)
    for url in [
        records["beneficiary"].get_absolute_url(),
        reverse("beneficiaries:beneficiary-export"),
        reverse("activities:photo", args=[photo.pk]),
        reverse("activities:photo-thumbnail", args=[photo.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "no-cache", "private", "max-age=0"} <= directives, (url, response["Cache-Control"])


def test_the_sign_in_page_still_works(client, tree):
    assert client.get(LOGIN).status_code == 200
    assert sign_in(client, TEST_PASSWORD).status_code == 302
    assert "no-store" in client.get(reverse("home"))["Cache-Control"]


def test_check_deploy_reports_nothing_under_production_settings():
    # A clean production environment: none of the test run's own variables (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly refuses).
    dropped = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "-Lei-Feng-2026-production-secret-key-%$#@!" * 2,
            "ALLOWED_HOSTS": "portal.example.org",
            "DJANGO_SETTINGS_MODULE": "volunteer_portal.settings",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout

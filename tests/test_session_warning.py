"""The warning before the idle timeout (WCAG 2.2.1, issue 15): what the pages tell static/js/session.js, and the
"stay signed in" endpoint. The browser side is tests/browser/test_session_timeout.py."""

import re
import time

import pytest
from django.urls import reverse

from volunteer_portal.security import LAST_SEEN, SIGNED_IN

pytestmark = pytest.mark.django_db
EXTEND = reverse("accounts:session-extend")
LOGIN = reverse("accounts:login")


def test_a_signed_in_page_says_how_long_the_session_lasts_and_holds_the_warning(as_user, tree, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client = as_user(tree.secretary_a)
    session = client.session
    session[LAST_SEEN] = session[SIGNED_IN] = int(time.time()) - 50  # within the minute the clock is not moved
    session.save()
    page = client.get(reverse("home")).content.decode()
    left = int(re.search(r'data-session-left="(\d+)"', page).group(1))
    assert 30 * 60 - 60 <= left <= 30 * 60 - 50
    assert 'data-session-warn="180"' in page
    assert 'role="alertdialog"' in page and "保持登录" in page and f'data-session-extend="{EXTEND}"' in page


def test_the_warning_comes_halfway_through_a_short_timeout(as_user, tree, settings):
    settings.SESSION_IDLE_MINUTES = 4
    page = as_user(tree.secretary_a).get(reverse("home")).content.decode()
    assert 'data-session-warn="120"' in page


def test_the_sign_in_page_has_no_warning(client, tree):
    page = client.get(LOGIN).content.decode()
    assert "data-session-left" not in page and "session-warning" not in page


def test_staying_signed_in_restarts_the_idle_clock(as_user, tree, settings):
    client = as_user(tree.secretary_a)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 28 * 60
    session[SIGNED_IN] = int(time.time()) - 28 * 60
    session.save()
    response = client.post(EXTEND)
    assert response.status_code == 200
    idle = settings.SESSION_IDLE_MINUTES * 60
    assert idle - 2 <= response.json()["left_seconds"] <= idle
    assert client.session[LAST_SEEN] >= int(time.time()) - 2


def test_staying_signed_in_cannot_pass_the_absolute_cap(as_user, tree, settings):
    client = as_user(tree.secretary_a)
    session = client.session
    session[SIGNED_IN] = int(time.time()) - settings.SESSION_ABSOLUTE_HOURS * 3600 + 100
    session.save()
    assert 95 <= client.post(EXTEND).json()["left_seconds"] <= 100


def test_an_expired_or_anonymous_session_is_not_extended(client, as_user, tree):
    response = client.post(EXTEND)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    signed_in = as_user(tree.secretary_a)
    session = signed_in.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    response = signed_in.post(EXTEND)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_staying_signed_in_takes_a_post_only(as_user, tree):
    assert as_user(tree.secretary_a).get(EXTEND).status_code == 405

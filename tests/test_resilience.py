"""Requests that fail safely (volunteer_portal/resilience.py): a body cut off on the way changes nothing, and a
database that cannot be reached answers 503 with a Chinese page and Retry-After."""

import io
import sqlite3
import sys
from contextlib import contextmanager
from urllib.parse import urlencode

import lxml.html
import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, close_old_connections, connection, connections
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from activities.models import Activity
from volunteer_portal.resilience import is_connection_failure

from .factories import ActivityFactory, BeneficiaryFactory

pytestmark = pytest.mark.django_db


# --- a body cut off on the way -------------------------------------------------------------------------------


@contextmanager
def connections_kept():
    """As Django's test client does: the test's transaction must outlive the request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def wsgi_post(client: Client, path: str, body: bytes, *, content_type: str, declared: int) -> tuple[int, bytes]:
    """POST through Django's WSGI handler, as a server would pass it on: `body` is what arrived, `declared` the
    Content-Length the client announced."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(declared),
        "HTTP_COOKIE": "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items()),
    }  # fmt: skip
    status = []
    with connections_kept():
        chunks = WSGIHandler()(environ, lambda line, headers: status.append(line))
        content = b"".join(chunks)
    return int(status[0].split()[0]), content


def page_form(client: Client, url: str, field: str) -> list[tuple[str, str]]:
    """What the browser would post from the page's form that holds `field`."""
    page = client.get(url)
    assert page.status_code == 200
    form = next(f for f in lxml.html.fromstring(page.content.decode()).forms if field in f.inputs)
    return list(form.form_values())


@pytest.fixture
def secretary(tree) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(tree.secretary_a)
    return client


def test_a_form_cut_off_half_way_is_refused_and_changes_nothing(secretary, tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a, address="丽景街1号", phone="13900000000")
    url = reverse("beneficiaries:beneficiary-edit", args=[beneficiary.pk])
    fields = [(name, value) for name, value in page_form(secretary, url, "address") if name not in ("address", "phone")]
    body = urlencode([*fields, ("address", "丽景街9号"), ("phone", "13911112222")]).encode()
    arrived = body[: body.index(b"address=")]  # the connection dropped before the last fields came
    status, content = wsgi_post(secretary, url, arrived, content_type="application/x-www-form-urlencoded",
                                declared=len(body))  # fmt: skip
    assert status == 400 and "请求无效或不完整，未保存任何内容" in content.decode()
    beneficiary.refresh_from_db()
    assert (beneficiary.address, beneficiary.phone) == ("丽景街1号", "13900000000")
    # The whole form, through the same handler, saves.
    status, _ = wsgi_post(secretary, url, body, content_type="application/x-www-form-urlencoded", declared=len(body))
    assert status == 302
    beneficiary.refresh_from_db()
    assert (beneficiary.address, beneficiary.phone) == ("丽景街9号", "13911112222")


def test_a_multipart_form_cut_off_half_way_is_refused_and_changes_nothing(secretary, tree):
    activity = ActivityFactory(branch=tree.branch_a, title="走访慰问", location="社区活动室")
    url = reverse("activities:activity-edit", args=[activity.pk])
    data: dict[str, list[str]] = {}
    for name, value in page_form(secretary, url, "title"):
        data.setdefault(name, []).append(value)
    data["title"], data["location"] = ["改过的标题"], [""]
    body = encode_multipart(BOUNDARY, data)
    arrived = body[: len(body) // 2]
    status, _ = wsgi_post(secretary, url, arrived, content_type=MULTIPART_CONTENT, declared=len(body))
    assert status == 400
    activity.refresh_from_db()
    assert (activity.title, activity.location) == ("走访慰问", "社区活动室")
    status, _ = wsgi_post(secretary, url, body, content_type=MULTIPART_CONTENT, declared=len(body))
    assert status == 302
    assert Activity.objects.get().title == "改过的标题"


def test_a_short_body_is_refused_even_before_sign_in(client):
    form = "application/x-www-form-urlencoded"
    status, _ = wsgi_post(Client(), reverse("accounts:login"), b"username=a", content_type=form, declared=100)
    assert status == 400


# --- a database that cannot be reached -----------------------------------------------------------------------


@contextmanager
def unreachable_database(tmp_path):
    """The default connection pointed at a database that cannot be reached (SQLite: a file in a directory that
    does not exist; PostgreSQL: a port nothing listens on), as a fresh connection of the same backend."""
    settings = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        settings["HOST"], settings["PORT"] = "127.0.0.1", "1"
    original = connections["default"]
    broken = type(original)(settings, "default")
    connections["default"] = broken
    try:
        yield broken
    finally:
        broken.close()
        connections["default"] = original


def test_pages_answer_503_in_chinese_while_the_database_is_down_and_recover(tree, tmp_path):
    client = Client(raise_request_exception=False)
    client.force_login(tree.secretary_a)
    with unreachable_database(tmp_path):
        for url in ("/", reverse("beneficiaries:beneficiary-list"), reverse("accounts:login")):
            response = client.get(url)
            assert response.status_code == 503, url
            assert response["Retry-After"] == "10"
            assert "系统暂时无法访问" in response.content.decode()
        response = client.get(reverse("healthz"))
        assert response.status_code == 503 and response["Retry-After"] == "10"
    # Back: the same client, nothing restarted.
    assert client.get(reverse("beneficiaries:beneficiary-list")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200


def test_a_database_that_comes_back_is_used_again_without_a_restart(tmp_path):
    """The same connection object first fails, then (the directory made, the server back) connects."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite: a directory that appears; on PostgreSQL the port is changed back below")
    client = Client(raise_request_exception=False)
    with unreachable_database(tmp_path) as broken:
        assert client.get(reverse("healthz")).status_code == 503
        (tmp_path / "missing").mkdir()
        assert client.get(reverse("healthz")).status_code == 200
        assert broken.connection is not None


def test_postgresql_that_comes_back_is_used_again_without_a_restart(tree, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    host, port = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    client = Client(raise_request_exception=False)
    client.force_login(tree.secretary_a)
    with unreachable_database(tmp_path) as broken:
        assert client.get(reverse("healthz")).status_code == 503
        assert client.get(reverse("beneficiaries:beneficiary-list")).status_code == 503
        broken.settings_dict["HOST"], broken.settings_dict["PORT"] = host, port  # the server is back
        assert client.get(reverse("healthz")).status_code == 200
        # (This connection is outside the test's transaction, so it does not see the session: a sign-in page.)
        assert client.get(reverse("beneficiaries:beneficiary-list")).status_code == 302


def wrapped(driver_error: Exception) -> OperationalError:
    try:
        try:
            raise driver_error
        except Exception as error:
            raise OperationalError(*error.args) from error
    except OperationalError as error:
        return error


def test_only_a_failure_to_reach_the_database_is_a_503():
    """ "database is locked", a bad query or a timeout are errors of their own: still 500, never hidden."""
    cant_open = sqlite3.OperationalError("unable to open database file")
    cant_open.sqlite_errorcode, cant_open.sqlite_errorname = 14, "SQLITE_CANTOPEN"  # type: ignore[attr-defined]
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode, locked.sqlite_errorname = 5, "SQLITE_BUSY"  # type: ignore[attr-defined]
    assert is_connection_failure(wrapped(cant_open))
    assert not is_connection_failure(wrapped(locked))
    assert not is_connection_failure(wrapped(sqlite3.OperationalError("no such table: x")))
    assert not is_connection_failure(ValueError("not a database error"))
    psycopg = pytest.importorskip("psycopg")
    assert is_connection_failure(wrapped(psycopg.OperationalError("connection failed: Connection refused")))
    assert is_connection_failure(wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert is_connection_failure(wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")))
    assert not is_connection_failure(wrapped(psycopg.errors.QueryCanceled("canceling statement due to timeout")))
    assert not is_connection_failure(wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))


def test_a_locked_database_or_a_bad_query_is_still_a_500(tree, monkeypatch):
    from beneficiaries import views

    def locked(*args, **kwargs):
        error = sqlite3.OperationalError("database is locked")
        error.sqlite_errorname = "SQLITE_BUSY"  # type: ignore[attr-defined]
        raise wrapped(error)

    monkeypatch.setattr(views, "beneficiary_list", locked)
    client = Client(raise_request_exception=False)
    client.force_login(tree.secretary_a)
    response = client.get(reverse("beneficiaries:beneficiary-list"))
    assert response.status_code == 500 and "Retry-After" not in response

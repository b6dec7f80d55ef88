"""The production stack, run for real: `make serve`'s entry point (scripts/serve.py) with gunicorn and WhiteNoise.

The server runs as production does (DEBUG off, every HTTPS setting on) behind a pretend proxy that terminates
HTTPS: requests carry X-Forwarded-Proto: https and the server trusts it (BEHIND_HTTPS_PROXY). Only /healthz is
asked over plain HTTP, as a load balancer would.
"""

import http.client
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "scripts" / "serve.py"
READY_WITHIN = 60  # seconds: collectstatic, migrations on a new SQLite file, gunicorn's workers
PROXY = {"X-Forwarded-Proto": "https"}

pytestmark = pytest.mark.serve

# The test run's own settings must not leak into the server's (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE,
# CI sets DATABASE_URL for PostgreSQL).
DROPPED = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "STATIC_")
DROPPED_NAMES = {"REDIS_URL", "HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "BEHIND_HTTPS_PROXY"}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED) and k not in DROPPED_NAMES}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class Server:
    port: int
    database: Path
    log: Path
    env: dict[str, str]
    pid: int = 0

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: str = "") -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body.encode() or None, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers and exits
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("serve")
    port = free_port()
    database = tmp / "portal.sqlite3"
    log = tmp / "serve.log"
    env = clean_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_HTTPS_PROXY="true",
        DATABASE_URL=f"sqlite:///{database}",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(SERVE)],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        running = Server(port, database, log, env, process.pid)
        deadline = time.monotonic() + READY_WITHIN
        while True:
            assert process.poll() is None, f"the server stopped (exit {process.returncode}):\n{log.read_text()}"
            try:
                if running.get("/healthz").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"/healthz not ready in {READY_WITHIN} s:\n{log.read_text()}"
            time.sleep(0.25)
        yield running
    finally:
        stop(process)


def test_healthz_answers_over_plain_http(server):
    response = server.get("/healthz")
    assert response.status == 200
    assert response.body == b'{"status": "ok", "database": "ok"}'


def test_gunicorn_serves_with_the_workers_asked_for(server):
    log = server.log.read_text()
    assert "volunteer_portal.wsgi:application --bind=127.0.0.1:" in log
    assert "--workers=2 --timeout=60" in log
    assert len(re.findall(r"Booting worker with pid", log)) >= 2
    assert server.get("/healthz", PROXY).headers["Server"].startswith("gunicorn")


def test_the_background_worker_runs_beside_gunicorn_and_only_while_it_does(server):
    """Exports above EXPORT_INLINE_MAX_ROWS wait for the worker: `make serve` starts one (and it stops with
    gunicorn's master, by PR_SET_PDEATHSIG, so none outlives the server)."""
    assert "make serve: background worker: manage.py db_worker --no-reload" in server.log.read_text()
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while it was read
        if parent == server.pid:
            children.append(command)
    assert any("manage.py db_worker --no-reload" in command for command in children), children


def test_sqlite_runs_in_wal_mode(server):
    with sqlite3.connect(server.database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def test_the_sign_in_page_is_served_with_a_strict_csp(server):
    response = server.get("/accounts/login/", PROXY)
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "Strict-Transport-Security" in response.headers


def cookies(response: Response) -> dict[str, str]:
    pairs = (header.split(";", 1)[0].split("=", 1) for header in response.headers.get_all("Set-Cookie") or [])
    return dict(pairs)


def test_a_user_signs_in_through_the_production_stack(server):
    password = secrets.token_urlsafe(16)
    create = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('serve-check', password='{password}')"
    )
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", create],
        cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr

    page = server.get("/accounts/login/", PROXY)
    csrf = cookies(page)["csrftoken"]
    assert "Secure" in page.headers["Set-Cookie"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body.decode()).group(1)
    origin = f"https://127.0.0.1:{server.port}"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "serve-check", "password": password})
    signed_in = server.request(
        "POST",
        "/accounts/login/",
        {
            **PROXY,
            "Cookie": f"csrftoken={csrf}",
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        form,
    )
    assert signed_in.status == 302, signed_in.body.decode()[:2000]
    session = cookies(signed_in)["sessionid"]
    # Any worker answers with the session the other one wrote: sessions live in the database.
    for _ in range(4):
        assert server.get("/", {**PROXY, "Cookie": f"sessionid={session}"}).status == 200


def test_plain_http_is_redirected_to_https(server):
    response = server.get("/accounts/login/")
    assert response.status == 301
    assert response.headers["Location"] == f"https://127.0.0.1:{server.port}/accounts/login/"


def test_static_files_are_hashed_compressed_and_cached_for_long(server):
    page = server.get("/accounts/login/", PROXY).body.decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    css = [asset for asset in assets if asset.endswith(".css") and "portal" in asset]
    assert css, assets
    # The manifest's name: the file's own name, then 12 hex digits of its content's hash.
    assert re.fullmatch(r"/static/css/portal\.[0-9a-f]{12}\.css", css[0]), css[0]

    response = server.get(css[0], {**PROXY, "Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.body[:2] == b"\x1f\x8b"
    max_age = int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))
    assert max_age >= 365 * 24 * 3600
    assert "immutable" in response.headers["Cache-Control"]

    # Brotli where the browser takes it (every current one over HTTPS): smaller than gzip for CSS.
    brotli = server.get(css[0], {**PROXY, "Accept-Encoding": "br, gzip"})
    assert brotli.status == 200 and brotli.headers["Content-Encoding"] == "br"
    assert len(brotli.body) < len(response.body)

    plain = server.get(css[0], PROXY)
    assert plain.status == 200 and "Content-Encoding" not in plain.headers
    assert b"{" in plain.body


def test_debug_is_off(server):
    response = server.get("/no-such-page/", PROXY)
    assert response.status == 404
    body = response.body.decode()
    assert "未找到" in body  # the portal's own 404 page, in Chinese
    assert "DEBUG = True" not in body and "Using the URLconf" not in body


def test_serve_says_what_to_set_when_the_settings_are_missing():
    result = subprocess.run(
        [sys.executable, str(SERVE)], cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=30,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr and "ALLOWED_HOSTS" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Operations to perform" not in result.stdout  # nothing ran


def test_serve_refuses_debug_on():
    env = clean_env(DEBUG="true", SECRET_KEY="k" * 50, ALLOWED_HOSTS="127.0.0.1")
    result = subprocess.run(
        [sys.executable, str(SERVE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "DEBUG is on" in result.stderr and "Traceback" not in result.stderr


def settings_of(env: dict[str, str], code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT, env={**clean_env(**env), "DJANGO_SETTINGS_MODULE": "volunteer_portal.settings"},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "127.0.0.1"}


def test_sqlite_gets_wal_and_immediate_transactions_postgresql_does_not():
    show = "o = settings.DATABASES['default'].get('OPTIONS', {}); print(o.get('transaction_mode'), 'WAL' in o.get('init_command', ''))"  # noqa: E501
    assert settings_of({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, show) == "IMMEDIATE True"
    assert settings_of({"DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}, show) == "None False"


def test_the_manifest_storage_is_used_with_debug_off_only():
    show = "print(settings.STORAGES['staticfiles']['BACKEND'])"
    assert settings_of(PRODUCTION, show) == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert settings_of({}, show) == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert settings_of({**PRODUCTION, "STATIC_MANIFEST": "false"}, show).endswith(".StaticFilesStorage")


def test_redis_url_switches_the_cache_and_sessions_stay_in_the_database():
    show = "print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE)"
    assert settings_of({}, show) == (
        "django.core.cache.backends.locmem.LocMemCache django.contrib.sessions.backends.db"
    )
    assert settings_of({"REDIS_URL": "redis://127.0.0.1:6379/0"}, show) == (
        "django.core.cache.backends.redis.RedisCache django.contrib.sessions.backends.db"
    )


def test_whitenoise_comes_right_after_the_security_middleware():
    from django.conf import settings

    assert settings.MIDDLEWARE[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]

"""The deployment files in deploy/, run for real where this machine can: docs/deploy.md quotes them.

The systemd units are checked by `systemd-analyze verify` (systemd runs no services here), on copies whose paths
point into a temporary folder. The nginx site runs in nginx from Debian's package, in the foreground, with a
certificate made for the test, in front of `make serve`'s stack (scripts/serve.py): the requests go through it as a
browser's would. Without systemd-analyze or nginx the tests skip and say what to install; under CI they fail.
"""

import http.client
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .test_serve import Response, clean_env, stop

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
SITE = DEPLOY / "nginx" / "volunteer-portal.conf"
APP_PORT, HTTP_PORT, HTTPS_PORT = 18001, 18080, 18443
BROWSER_ADDRESS = "127.0.0.2"  # Linux answers the whole of 127.0.0.0/8 on the loopback
# collectstatic, migrations on a new SQLite file and gunicorn's workers, on a machine busy with other tests.
READY_WITHIN = 180

pytestmark = pytest.mark.serve


def need(program: str, package: str) -> str:
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not found:
        message = f"{program} is missing: run `apt-get install -y {package}`. CI installs it (.ci/run)."
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run these, never skip them quietly
        pytest.skip(message)
    return found


def substituted(text: str, replacements: dict[str, str]) -> str:
    """The text with each key replaced; a key the text does not hold fails, so the copy never drifts quietly."""
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the file: update the test's replacements"
        text = text.replace(old, new)
    return text


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{pattern!r} not in {text[:500]!r}"
    return match.group(1)


def body_limit() -> int:
    """The nginx site's client_max_body_size, in bytes."""
    return int(found(r"client_max_body_size (\d+)m;", SITE.read_text())) * 1024 * 1024


# --- systemd ---------------------------------------------------------------------------------------------------


def jobs() -> dict[str, str]:
    """The management command of each timer that starts volunteer-portal-job@<command>.service."""
    commands = {}
    for unit in UNITS:
        if unit.suffix == ".timer":
            match = re.search(r"^Unit=volunteer-portal-job@(\w+)\.service$", unit.read_text(), re.MULTILINE)
            if match:
                commands[unit.name] = match.group(1)
            else:  # a timer without Unit= starts the service of its own name
                assert "\nUnit=" not in unit.read_text(), unit.name
                assert (unit.parent / f"{unit.stem}.service").exists(), f"{unit.name} starts no unit in deploy/"
    return commands


@pytest.fixture(scope="module")
def unit_copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The units with /srv/volunteer-portal and /etc/volunteer-portal pointing into a temporary folder."""
    tmp = tmp_path_factory.mktemp("systemd")
    for folder in ("static", "media"):
        (tmp / folder).mkdir()
    shutil.copy(ROOT / ".env.example", tmp / "env")
    for unit in UNITS:
        text = unit.read_text()
        text = text.replace("/srv/volunteer-portal/venv/bin/python", sys.executable)
        text = text.replace("/srv/volunteer-portal/app", str(ROOT))
        text = text.replace("/etc/volunteer-portal/env", str(tmp / "env"))
        text = text.replace("/srv/volunteer-portal/", f"{tmp}/")
        assert "/srv/" not in text and "/etc/volunteer-portal" not in text, unit.name
        (tmp / unit.name).write_text(text)
    return tmp


def verify(path: Path) -> subprocess.CompletedProcess:
    command = [need("systemd-analyze", "systemd"), "verify", "--man=no", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_units_are_the_web_process_the_worker_a_job_and_the_daily_timers():
    names = {unit.name for unit in UNITS}
    assert {"volunteer-portal.service", "volunteer-portal-worker.service", "volunteer-portal-job@.service"} <= names
    daily = {"figures_check", "prune_access_log", "prune_exports", "prune_roster_imports", "send_reminders"}
    assert daily <= set(jobs().values())


@pytest.mark.parametrize("unit", [unit.name for unit in UNITS])
def test_every_unit_passes_systemd_analyze_verify(unit_copies, unit):
    result = verify(unit_copies / unit)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # unknown keys and bad values are only warnings


def test_the_job_each_timer_starts_passes_verify(unit_copies):
    for timer, command in jobs().items():
        result = verify(unit_copies / f"volunteer-portal-job@{command}.service")
        assert (result.returncode, result.stderr) == (0, ""), f"{timer}: {result.stderr}"


def test_verify_catches_a_unit_that_cannot_run(unit_copies, tmp_path):
    broken = tmp_path / "volunteer-portal.service"
    broken.write_text(
        (unit_copies / "volunteer-portal.service").read_text().replace(sys.executable, str(tmp_path / "no-python"))
    )
    result = verify(broken)
    assert result.returncode != 0 and "no-python" in result.stderr


def test_the_timers_commands_are_the_portals():
    """Every job is a management command of the portal (the figure check and prune_exports are being written)."""
    from django.core.management import get_commands

    commands = set(get_commands())
    missing = set(jobs().values()) - commands
    assert missing <= {"figures_check", "prune_exports"}, missing


def test_the_worker_runs_the_task_runners_worker_command():
    from django.core.management import get_commands

    command = found(
        r"^ExecStart=\S+ manage\.py (\w+)", (DEPLOY / "systemd" / "volunteer-portal-worker.service").read_text()
    )
    assert command in get_commands(), command


def test_the_web_unit_runs_make_serves_entry_point_as_a_notify_service():
    text = (DEPLOY / "systemd" / "volunteer-portal.service").read_text()
    assert "ExecStart=/srv/volunteer-portal/venv/bin/python scripts/serve.py" in text
    assert "Type=notify" in text and "EnvironmentFile=/etc/volunteer-portal/env" in text


# --- nginx in front of make serve ----------------------------------------------------------------------------


@dataclass
class Proxy:
    tmp: Path
    app_log: Path
    access_log: Path
    env: dict[str, str]
    context: ssl.SSLContext
    notified: bytes

    def https(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"", source: str = ""
    ) -> Response:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", HTTPS_PORT, timeout=20, context=self.context, source_address=(source, 0) if source else None
        )
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def http(self, path: str) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def nginx_logged(self, marker: str) -> str:
        """nginx's access log line for the request holding marker: its status and the app server it asked."""
        deadline = time.monotonic() + 10
        while not (lines := [line for line in self.access_log.read_text().splitlines() if marker in line]):
            assert time.monotonic() < deadline, f"nginx logged no request with {marker}"
            time.sleep(0.1)
        return lines[-1]

    def app_saw(self, marker: str) -> bool:
        """Whether gunicorn logged a request holding marker, once a request after it is in its log."""
        sentinel = f"/healthz?sentinel={secrets.token_hex(4)}"
        connection = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=10)
        connection.request("GET", sentinel)
        connection.getresponse().read()
        connection.close()
        deadline = time.monotonic() + 10
        while sentinel not in (log := self.app_log.read_text()):
            assert time.monotonic() < deadline, "gunicorn's access log does not show the sentinel request"
            time.sleep(0.1)
        return marker in log


def wait_for(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while True:
        assert process.poll() is None, f"{what} stopped (exit {process.returncode}):\n{log.read_text()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{what} not listening on {port} in {READY_WITHIN} s:\n{log.read_text()}"
        time.sleep(0.25)


def nginx_conf(tmp: Path, site: Path) -> str:
    """A main nginx.conf for the test: everything nginx writes goes to tmp; the site is the shipped one."""
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would switch to nobody, who cannot write the test's folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'} info;\n"
        "events { worker_connections 64; }\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        "    log_format upstream '$request_uri $status upstream=$upstream_addr';\n"
        f"    access_log {tmp / 'access.log'} upstream;\n{temp}\n    include {site};\n}}\n"
    )


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    nginx = need("nginx", "nginx")
    openssl = need("openssl", "openssl")
    tmp = tmp_path_factory.mktemp("nginx")
    certificate, key = tmp / "portal.crt", tmp / "portal.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = tmp / "volunteer-portal.conf"
    site.write_text(
        substituted(
            SITE.read_text(),
            {
                "server 127.0.0.1:8000": f"server 127.0.0.1:{APP_PORT}",
                "    listen 80;": f"    listen 127.0.0.1:{HTTP_PORT};",
                "    listen [::]:80;\n": "",
                "    listen 443 ssl http2;": f"    listen 127.0.0.1:{HTTPS_PORT} ssl http2;",
                "    listen [::]:443 ssl http2;\n": "",
                "server_name portal.example.org;": "server_name 127.0.0.1;",
                "/etc/ssl/certs/volunteer-portal.crt": str(certificate),
                "/etc/ssl/private/volunteer-portal.key": str(key),
            },
        )
    )
    (tmp / "nginx.conf").write_text(nginx_conf(tmp, site))
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr, checked.stderr

    # make serve's stack, as test_serve.py runs it, told that a proxy terminates HTTPS; gunicorn reports ready on
    # a notify socket as it would to systemd (the web unit is Type=notify).
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp / "notify"))
    notify.settimeout(READY_WITHIN)
    media = tmp / "media"
    media.mkdir()
    (media / "secret.txt").write_text("an uploaded file")
    env = clean_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_HTTPS_PROXY="true",
        DATABASE_URL=f"sqlite:///{tmp / 'portal.sqlite3'}",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(media),
        HOST="127.0.0.1",
        PORT=str(APP_PORT),
        WEB_CONCURRENCY="2",
        NOTIFY_SOCKET=str(tmp / "notify"),
    )
    app_log, nginx_log = tmp / "serve.log", tmp / "nginx.out"
    with app_log.open("wb") as output:
        app = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "serve.py")],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    with nginx_log.open("wb") as output:
        server = subprocess.Popen(
            [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(HTTPS_PORT, server, nginx_log, "nginx")
        wait_for(APP_PORT, app, app_log, "scripts/serve.py")
        notified = notify.recv(4096)
        context = ssl.create_default_context(cafile=str(certificate))
        yield Proxy(tmp, app_log, tmp / "access.log", env, context, notified)
    finally:
        notify.close()
        stop(server)  # TERM: nginx's fast shutdown
        stop(app)


def test_gunicorn_tells_systemd_it_is_ready(proxy):
    assert proxy.notified.startswith(b"READY=1")


def test_https_answers_the_sign_in_page(proxy):
    response = proxy.https("GET", "/accounts/login/")
    assert response.status == 200
    assert "登录" in response.body.decode()
    assert response.headers["Server"] == "nginx"  # server_tokens off: no version
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_plain_http_is_sent_to_https(proxy):
    response = proxy.http("/accounts/login/?next=/dashboard/")
    assert response.status == 301
    assert response.headers["Location"] == "https://127.0.0.1/accounts/login/?next=/dashboard/"


def test_a_hashed_static_file_is_compressed_and_cached_for_long(proxy):
    page = proxy.https("GET", "/accounts/login/").body.decode()
    css = next(asset for asset in re.findall(r'href="(/static/[^"]+\.css)"', page) if "portal" in asset)
    assert re.fullmatch(r"/static/css/portal\.[0-9a-f]{12}\.css", css), css
    response = proxy.https("GET", css, {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip" and response.body[:2] == b"\x1f\x8b"
    assert int(found(r"max-age=(\d+)", response.headers["Cache-Control"])) >= 365 * 24 * 3600
    assert "immutable" in response.headers["Cache-Control"]


def test_the_app_sees_https_and_a_sign_in_post_passes_the_csrf_check(proxy):
    password = secrets.token_urlsafe(16)
    create = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('deploy-check', password='{password}')"
    )
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", create],
        cwd=ROOT, env=proxy.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr

    page = proxy.https("GET", "/accounts/login/")
    set_cookie = " ".join(page.headers.get_all("Set-Cookie"))
    assert "Secure" in set_cookie
    csrf = found(r"csrftoken=([^;]+)", set_cookie)
    token = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body.decode())
    origin = f"https://127.0.0.1:{HTTPS_PORT}"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "deploy-check", "password": password})
    headers = {
        "Cookie": f"csrftoken={csrf}",
        "Origin": origin,
        "Referer": f"{origin}/accounts/login/",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    # From another loopback address than nginx's own: the app records the browser's address, not the proxy's.
    signed_in = proxy.https("POST", "/accounts/login/", headers, form.encode(), source=BROWSER_ADDRESS)
    assert signed_in.status == 302, signed_in.body.decode()[:2000]
    session = found(r"sessionid=([^;]+)", " ".join(signed_in.headers.get_all("Set-Cookie")))
    home = proxy.https("GET", "/", {"Cookie": f"sessionid={session}"})
    assert home.status == 200
    logged = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c",
         "from volunteer_portal.branches.models import AccessLog; "
         "print(*AccessLog.objects.filter(username='deploy-check').values_list('address', flat=True))"],
        cwd=ROOT, env=proxy.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert logged.stdout.split() == [BROWSER_ADDRESS], logged.stderr

    # It is nginx's X-Forwarded-Proto that makes the app see HTTPS: straight to gunicorn, without it, the same
    # form is plain HTTP and redirected to https://.
    direct = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=10)
    direct.request("POST", "/accounts/login/", body=form, headers=headers)
    assert direct.getresponse().status == 301
    direct.close()


def test_an_upload_over_client_max_body_size_is_refused_by_nginx(proxy):
    limit = body_limit()
    marker = f"too-large-{secrets.token_hex(4)}"
    connection = http.client.HTTPSConnection("127.0.0.1", HTTPS_PORT, timeout=20, context=proxy.context)
    connection.putrequest("POST", f"/activities/new/?{marker}")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(limit + 1))
    connection.endheaders()  # nginx answers from the length alone, before any of the body is sent
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    assert response.status == 413
    assert "文件太大" in body and "50 MB" in body
    assert " 413 upstream=-" in proxy.nginx_logged(marker)
    assert not proxy.app_saw(marker)


def test_the_limit_lets_the_largest_uploads_through():
    """50 MB holds a roster (10 MB) or nine photos at the default PHOTO_MAX_BYTES, with the form around them."""
    from django.conf import settings

    from beneficiaries.imports import MAX_BYTES

    limit = body_limit()
    assert limit > MAX_BYTES
    assert limit > 9 * settings.PHOTO_MAX_BYTES
    assert "proxy_request_buffering on;" in SITE.read_text()


def test_a_request_cut_off_half_way_never_reaches_the_app(proxy):
    """nginx buffers the whole body (proxy_request_buffering on) before it opens a connection to gunicorn."""
    marker = f"cut-off-{secrets.token_hex(4)}"
    connection = http.client.HTTPSConnection("127.0.0.1", HTTPS_PORT, timeout=20, context=proxy.context)
    connection.putrequest("POST", f"/accounts/login/?{marker}")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", "2000000")
    connection.endheaders()
    connection.send(b"username=" + b"x" * 1_500_000)  # more than client_body_buffer_size: nginx spools to a file
    time.sleep(1)
    assert not proxy.app_saw(marker)  # three quarters arrived; gunicorn has not been asked
    connection.close()  # the client goes away
    assert proxy.nginx_logged(marker).endswith(" upstream=-")  # nginx never opened a connection to gunicorn
    assert not proxy.app_saw(marker)


def test_uploaded_files_have_no_public_url(proxy):
    assert proxy.https("GET", "/media/secret.txt").status == 404
    assert "an uploaded file" not in proxy.https("GET", "/media/secret.txt").body.decode()


# --- the guide ---------------------------------------------------------------------------------------------------


def test_the_guide_explains_every_variable_and_links_every_file():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    variables = re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    assert variables
    assert [name for name in variables if f"`{name}`" not in guide] == []
    for path in [*UNITS, SITE]:
        if path.suffix == ".service":
            assert f"(../deploy/systemd/{path.name})" in guide, path.name
        else:
            assert path.name in guide, path.name
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text()


# --- the client's address behind the proxy -------------------------------------------------------------------


def through_middleware(meta: dict[str, str]) -> str:
    from django.test import RequestFactory

    from volunteer_portal.security import ProxiedClientAddressMiddleware

    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    request.META.update(meta)
    ProxiedClientAddressMiddleware(lambda request: None)(request)
    return request.META["REMOTE_ADDR"]


def test_behind_the_proxy_the_client_address_is_x_real_ip(settings):
    settings.BEHIND_HTTPS_PROXY = True
    assert through_middleware({"HTTP_X_REAL_IP": "10.1.2.3"}) == "10.1.2.3"
    assert through_middleware({"HTTP_X_REAL_IP": " 2001:db8::1 "}) == "2001:db8::1"
    assert through_middleware({"HTTP_X_REAL_IP": "10.1.2.3, 10.9.9.9"}) == "127.0.0.1"  # not one address
    assert through_middleware({}) == "127.0.0.1"


def test_without_the_proxy_x_real_ip_is_ignored(settings):
    from django.core.exceptions import MiddlewareNotUsed

    settings.BEHIND_HTTPS_PROXY = False
    with pytest.raises(MiddlewareNotUsed):
        through_middleware({"HTTP_X_REAL_IP": "10.1.2.3"})

"""A body cut off on the way, through the production stack (gunicorn in front of Django): the client announces
more than it sends and stops sending; the portal answers 400 instead of reading the missing fields as blank."""

import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from .test_serve import ROOT, SERVE, Server, clean_env, cookies, stop

pytestmark = pytest.mark.serve

PORT = 18010
READY_WITHIN = 180  # seconds: collectstatic and every migration on a new SQLite file, on a busy machine
HEADERS = f"X-Forwarded-Proto: https\r\nHost: 127.0.0.1:{PORT}\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("serve-writes")
    log = tmp / "serve.log"
    env = clean_env(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1",
                    BEHIND_HTTPS_PROXY="true", DATABASE_URL=f"sqlite:///{tmp / 'portal.sqlite3'}",
                    STATIC_ROOT=str(tmp / "static"), MEDIA_ROOT=str(tmp / "media"), HOST="127.0.0.1",
                    PORT=str(PORT), WEB_CONCURRENCY="2")  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, str(SERVE)], cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        running = Server(PORT, tmp / "portal.sqlite3", log, env)
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


def raw_post(path: str, headers: str, body: bytes, *, declared: int) -> tuple[int, bytes]:
    """POST over a raw socket: send `body`, announce `declared` bytes, then stop sending (a client gone half-way;
    the socket stays open for the answer)."""
    with socket.create_connection(("127.0.0.1", PORT), timeout=15) as sock:
        head = f"POST {path} HTTP/1.1\r\n{HEADERS}{headers}Content-Length: {declared}\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest


def test_gunicorn_passes_a_cut_off_form_on_and_the_portal_refuses_it(server):
    page = server.get("/accounts/login/", {"X-Forwarded-Proto": "https"})
    csrf = cookies(page)["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body.decode()).group(1)
    origin = f"https://127.0.0.1:{PORT}"
    headers = (f"Cookie: csrftoken={csrf}\r\nOrigin: {origin}\r\nReferer: {origin}/accounts/login/\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n")  # fmt: skip
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "nobody", "password": "wrong"}).encode()
    # The whole form reaches the view (a wrong password: the page again)...
    assert raw_post("/accounts/login/", headers, form, declared=len(form))[0] == 200
    # ...the same form cut off after the user name is refused before any view reads it.
    status, answer = raw_post("/accounts/login/", headers, form[: form.index(b"&password")], declared=len(form))
    assert status == 400
    assert "请求无效或不完整，未保存任何内容" in answer.decode()

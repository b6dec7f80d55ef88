"""The production stack in a browser: `make serve`'s entry point (scripts/serve.py, gunicorn and WhiteNoise, DEBUG
off), not runserver, on its own SQLite file seeded with the demo. Plain HTTP on the loopback, as serve.py's own hint
runs it on this machine (HTTPS in front is tests/test_deploy.py's nginx).
"""

import re
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..test_serve import clean_env, stop

ROOT = Path(__file__).resolve().parents[2]
PORT = 18002
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "leifeng-demo"  # seed_demo's, printed by `make run`
# The manifest's names: the file's own name, a dot and 12 hex digits of its content's hash.
HASHED = re.compile(r"/static/.+\.[0-9a-f]{12}\.(css|js)$")
# collectstatic, migrations on a new SQLite file and gunicorn's workers, on a machine busy with other tests.
READY_WITHIN = 180

pytestmark = [pytest.mark.browser, pytest.mark.serve]


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("production")
    env = clean_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp / 'portal.sqlite3'}",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        HOST="127.0.0.1",
        PORT=str(PORT),
        WEB_CONCURRENCY="2",
        # serve.py's way to try it over plain HTTP on this machine.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
    )
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
    log = tmp / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "serve.py")],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + READY_WITHIN
        while True:
            assert process.poll() is None, f"the server stopped (exit {process.returncode}):\n{log.read_text()}"
            try:
                with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as response:  # noqa: S310  # loopback
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"/healthz not ready in {READY_WITHIN} s:\n{log.read_text()}"
            time.sleep(0.25)
        assert "gunicorn" in log.read_text()
        yield BASE
    finally:
        stop(process)


def sign_in(page, username: str) -> None:
    page.goto(f"{BASE}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, page.content()[:2000]


def test_a_secretary_and_a_leader_on_the_production_stack(production, chromium_browser, screenshot):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    static = []
    page.on("response", lambda response: static.append(response) if "/static/" in response.url else None)

    # The sign-in page's stylesheets and scripts: hashed names, sent compressed to a browser that asks.
    page.goto(f"{production}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assets = page.eval_on_selector_all(
        "link[rel=stylesheet], script[src]", "els => els.map(e => new URL(e.href || e.src).pathname)"
    )
    assert assets and all(HASHED.search(asset) for asset in assets), assets
    served = {re.sub(r"^https?://[^/]+", "", r.url): r for r in static}
    for asset in assets:
        response = served[asset]
        assert response.status == 200, asset
        headers = response.all_headers()
        assert headers.get("content-encoding") in {"gzip", "br"}, (asset, headers)
        assert "immutable" in headers["cache-control"], (asset, headers)
    # The styles applied (Bootstrap's body has no margin; a browser's own has 8 px): the compressed file was read.
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"

    # A secretary records an activity and finds it in the list.
    sign_in(page, "secretary1")
    title = f"生产环境检查 {secrets.token_hex(3)}"
    page.goto(f"{production}/activities/new/")
    page.get_by_label("活动类型").select_option(index=1)
    page.get_by_label("标题").fill(title)
    page.get_by_label("地点").fill("丽景社区")
    page.locator("input[name=participants]").first.check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/activities/\d+/$"))
    assert page.get_by_role("heading", name=title).is_visible()
    page.goto(f"{production}/activities/")
    assert page.get_by_role("link", name=title).is_visible()
    screenshot(page, "production-activity-list")
    context.close()

    # The leader's dashboard, with its chart drawn by the vendored library.
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, "leader")
    page.goto(f"{production}/dashboard/")
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.evaluate("typeof Chart") == "function"
    assert page.evaluate("document.getElementById('trend-chart').width") > 0
    screenshot(page, "production-dashboard")
    context.close()

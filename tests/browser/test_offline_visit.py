"""A member's visit recorded with no connection (issue 16), in Chromium at 390 px: the service worker keeps the
member's pages, the visit waits in IndexedDB ("待上传 1 条"), and it is recorded exactly once when the connection
returns — also after the session expired meanwhile (sign in again and it goes); signing out asks before
discarding what was not sent.

The network is cut for real: the browser talks to the live server through `Cable`, a TCP relay that, unplugged,
drops every connection and refuses new ones, so nothing reaches the server — not the page's requests, not the
service worker's own (which Playwright's `set_offline` is not documented to cover), not the browser's. The
offline switch is set as well, so the page also sees `navigator.onLine` false and the `online` event after; a
request counter on the server shows that nothing got through while unplugged."""

import contextlib
import datetime as dt
import socket
import threading
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.signals import request_started

from volunteer_portal.security import LAST_SEEN
from volunteer_portal.selfservice.models import Claim, ClaimPhoto

from ..conftest import image_bytes
from ..factories import TEST_PASSWORD, BeneficiaryFactory, MemberFactory, PairingFactory, UserFactory
from .test_accessibility import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUEUED = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("vp-offline", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("visits", { keyPath: "key" });
  open.onsuccess = () => {
    const request = open.result.transaction("visits").objectStore("visits").getAll();
    request.onsuccess = () => { open.result.close(); resolve(request.result.map((entry) => entry.key)); };
    request.onerror = () => reject(request.error);
  };
  open.onerror = () => reject(open.error);
})"""
KEPT = "() => caches.keys().then((names) => names.filter((name) => name.startsWith('vp-')))"


class Cable:
    """A TCP relay in front of the live server that can be unplugged (and plugged back on the same port)."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.plugged = True
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if not self.plugged:
                self._drop(client)
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                self._drop(client)
                continue
            with self.lock:
                self.sockets |= {client, server}
            for source, target in [(client, server), (server, client)]:
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _drop(connection: socket.socket) -> None:
        # A reset, as when the signal goes: the browser sees a network error, not an empty answer to retry.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        connection.close()

    def unplug(self) -> None:
        self.plugged = False
        with self.lock:
            for connection in self.sockets:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.sockets.clear()

    def plug(self) -> None:
        self.plugged = True

    def close(self) -> None:
        self.unplug()
        self.listener.close()


@pytest.fixture
def cable(live_server):
    host, port = live_server.url.removeprefix("http://").split(":")
    relay = Cable(host, int(port))
    yield relay
    relay.close()


@pytest.fixture
def requests_seen():
    """The requests the live server has started on, by path."""
    seen: list[str] = []

    def count(sender, environ, **kwargs):
        seen.append(environ.get("PATH_INFO", ""))

    request_started.connect(count, weak=False)
    yield seen
    request_started.disconnect(count)


@pytest.fixture
def pairing(tree):
    member = MemberFactory(user=UserFactory(username="volunteer1"), branch=tree.branch_a, name="王志愿")
    return PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a, name="李秀英"))


@pytest.fixture
def phone_context(chromium_browser):
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2, has_touch=True
    )
    yield context
    context.close()


def wait_for(condition, *, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def go_offline(context, cable) -> None:
    cable.unplug()
    context.set_offline(True)


def go_online(context, cable) -> None:
    cable.plug()
    context.set_offline(False)


def open_under_the_worker(page, base: str, pairing, *, open_form: bool = True) -> None:
    """Sign in, open /me/, let the worker install and take the page (one reload), and open the visit form once,
    so both pages are kept."""
    sign_in(page, base, "volunteer1")
    page.goto(f"{base}/me/")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("!!navigator.serviceWorker.controller")
    if not open_form:
        return
    page.get_by_role("link", name="记录走访").click()
    page.wait_for_url(f"**/me/pairings/{pairing.pk}/visit/")


def record_visit(page, notes: str) -> str:
    if notes:
        page.locator("#id_notes").fill(notes)
    page.locator("#id_photos").set_input_files(
        [{"name": "visit.png", "mimeType": "image/png", "buffer": image_bytes((320, 240))}]
    )
    key = page.locator("#visit-form [name=client_key]").input_value()
    page.locator("#visit-form button[type=submit]").click()
    return key


def test_a_visit_recorded_offline_is_uploaded_once_when_the_connection_returns(
    live_server, cable, requests_seen, phone_context, pairing, screenshot
):
    base = f"http://localhost:{cable.port}"
    page = phone_context.new_page()
    page.set_default_timeout(15_000)
    open_under_the_worker(page, base, pairing)

    go_offline(phone_context, cable)
    seen = len(requests_seen)
    assert page.evaluate("fetch('/healthz').then(() => 'answered', () => 'failed')") == "failed"
    key = record_visit(page, "送去米面油，聊了家常")
    queue = page.locator("#upload-queue")
    queue.get_by_text("待上传 1 条").wait_for()
    assert "已保存在本机" in queue.inner_text()
    assert page.locator("#visit-form [name=client_key]").input_value() != key  # the form is free for another
    assert page.evaluate(QUEUED) == [key]
    screenshot(page, "offline-visit-queued")

    page.reload()  # offline: the worker's copy of the form, and the queue still there
    assert "李秀英" in page.locator("h1").inner_text()
    queue.get_by_text("待上传 1 条").wait_for()
    page.goto(f"{base}/me/")
    page.locator("#upload-queue").get_by_text("待上传 1 条").wait_for()
    assert "李秀英" in page.locator("main").inner_text()
    assert len(requests_seen) == seen  # nothing reached the server: not the page, not the worker
    assert Claim.objects.count() == 0

    go_online(phone_context, cable)  # the `online` event sends it
    page.locator("#upload-queue").get_by_text("已上传 1 条").wait_for()
    wait_for(lambda: Claim.objects.filter(client_key=key).exists())
    claim = Claim.objects.get()
    assert claim.client_key.hex == key.replace("-", "")
    assert claim.notes == "送去米面油，聊了家常" and claim.pairing == pairing
    assert claim.status == Claim.Status.PENDING
    assert ClaimPhoto.objects.filter(claim=claim).count() == 1
    assert page.evaluate(QUEUED) == []
    assert "待上传" not in page.locator("#upload-queue").inner_text()
    page.reload()  # loaded again, nothing is sent twice
    page.wait_for_load_state("networkidle")
    assert Claim.objects.count() == 1
    screenshot(page, "offline-visit-uploaded")


def expire(how: str) -> None:
    if how == "removed":  # signed out on the server: the visit form answers 401
        Session.objects.all().delete()
        return
    for row in Session.objects.all():  # idle too long: the timeout middleware redirects to the sign-in page
        session = SessionStore(session_key=row.session_key)
        session[LAST_SEEN] = int(time.time()) - 31 * 60
        session.save()


@pytest.mark.parametrize("how", ["removed", "idle"])
def test_a_queued_visit_waits_through_an_expired_session(live_server, cable, phone_context, pairing, how):
    base = f"http://localhost:{cable.port}"
    page = phone_context.new_page()
    page.set_default_timeout(15_000)
    open_under_the_worker(page, base, pairing)

    go_offline(phone_context, cable)
    key = record_visit(page, "帮忙打扫院子")
    page.locator("#upload-queue").get_by_text("待上传 1 条").wait_for()
    expire(how)

    go_online(phone_context, cable)
    expired = page.locator("#upload-queue").get_by_text("登录已过期，请重新登录后自动上传")
    expired.wait_for()
    assert Claim.objects.count() == 0
    assert page.evaluate(QUEUED) == [key]
    page.locator("#upload-queue").get_by_role("link", name="重新登录").click()
    page.locator("#id_username").fill("volunteer1")
    page.locator("#id_password").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")
    page.wait_for_url("**/me/")
    page.locator("#upload-queue").get_by_text("已上传 1 条").wait_for()
    wait_for(lambda: Claim.objects.filter(client_key=key).count() == 1)
    assert page.evaluate(QUEUED) == []


def test_a_refused_visit_is_shown_and_signing_out_asks_before_discarding_it(live_server, cable, phone_context, pairing):
    base = f"http://localhost:{cable.port}"
    page = phone_context.new_page()
    page.set_default_timeout(15_000)
    open_under_the_worker(page, base, pairing)

    go_offline(phone_context, cable)
    first = record_visit(page, "")  # nothing written, nothing ticked: the server will refuse them
    page.locator("#upload-queue").get_by_text("待上传 1 条").wait_for()
    key = record_visit(page, "")
    page.locator("#upload-queue").get_by_text("待上传 2 条").wait_for()
    go_online(phone_context, cable)
    refused = page.locator("#upload-queue .alert-danger").filter(has_text="这条走访未能上传")
    refused.nth(1).wait_for()
    assert "请写明走访情况" in refused.first.inner_text()  # the server's reason, as it gave it
    discard = refused.first.get_by_role("button", name="放弃这条")
    assert discard.is_visible() and discard.bounding_box()["height"] >= 44  # a phone's tap size
    assert Claim.objects.count() == 0
    assert sorted(page.evaluate(QUEUED)) == sorted([first, key])  # kept until the member decides
    assert page.evaluate(KEPT)

    asked: list[str] = []

    def answer(accept: bool):
        def handle(dialog) -> None:  # answered from Playwright's events: a dialog stops the page's scripts
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(True))
    discard.click()
    refused.nth(1).wait_for(state="detached")
    assert asked == ["确定放弃这条走访吗？它还没有上传。"]
    assert page.evaluate(QUEUED) == [key]  # the older one went
    asked.clear()

    page.locator(".navbar-toggler").click()
    sign_out = page.get_by_role("button", name="退出登录")
    page.once("dialog", answer(False))
    sign_out.click()
    for _tick in range(150):  # Playwright hands over events while it waits
        if asked:
            break
        page.wait_for_timeout(100)
    assert asked == ["还有 1 条走访未上传，退出将丢弃它们。确定退出吗？"]
    page.wait_for_timeout(300)
    assert "/me/pairings/" in page.url and page.evaluate(QUEUED) == [key]  # stayed: nothing discarded

    page.once("dialog", answer(True))
    with page.expect_navigation():
        sign_out.click()
    page.wait_for_url("**/accounts/login/**")
    assert page.evaluate(QUEUED) == []
    assert page.evaluate(KEPT) == []  # the member's pages are no longer on the phone


def test_online_the_form_goes_through_the_queue_and_says_what_the_server_said(live_server, phone_context, pairing):
    page = phone_context.new_page()
    page.set_default_timeout(15_000)
    open_under_the_worker(page, live_server.url, pairing)
    record_visit(page, "")  # refused at once: the errors in the form, nothing kept
    errors = page.locator("#visit-form [data-queue-errors]")
    errors.wait_for()
    assert "走访没有记录" in errors.inner_text()
    assert page.evaluate("document.activeElement.hasAttribute('data-queue-errors')")
    assert page.evaluate(QUEUED) == []
    assert Claim.objects.count() == 0

    page.locator("#id_notes").fill("陪老人去卫生院复诊")
    key = page.locator("#visit-form [name=client_key]").input_value()
    with page.expect_navigation():
        page.locator("#visit-form button[type=submit]").click()
    page.wait_for_url("**/me/")
    page.locator("#upload-queue").get_by_text("已上传 1 条").wait_for()
    assert Claim.objects.filter(client_key=key, notes="陪老人去卫生院复诊").count() == 1
    assert page.evaluate(QUEUED) == []


def test_a_form_kept_days_ago_is_dated_today(live_server, cable, phone_context, pairing):
    base = f"http://localhost:{cable.port}"
    page = phone_context.new_page()
    page.set_default_timeout(15_000)
    open_under_the_worker(page, base, pairing)
    kept_on = page.locator("#id_date").input_value()
    go_offline(phone_context, cable)
    later = dt.date.fromisoformat(kept_on) + dt.timedelta(days=3)
    page.clock.set_fixed_time(dt.datetime.combine(later, dt.time(10, 0)))
    page.reload()  # the copy the worker kept three days ago
    assert page.locator("#id_date").input_value() == later.isoformat()
    assert page.locator("#id_date").get_attribute("max") == later.isoformat()


def test_a_household_whose_form_was_never_opened_is_visited_offline(live_server, cable, phone_context, tree, pairing):
    """/me/ keeps a copy of each visit form it links to, so every paired household can be visited offline."""
    other = PairingFactory(member=pairing.member, beneficiary=BeneficiaryFactory(branch=tree.branch_a, name="赵桂兰"))
    base = f"http://localhost:{cable.port}"
    page = phone_context.new_page()
    page.set_default_timeout(15_000)
    open_under_the_worker(page, base, pairing, open_form=False)
    forms = [f"{base}/me/pairings/{number}/visit/" for number in (pairing.pk, other.pk)]
    kept = (
        "(urls) => caches.open('vp-pages')"
        ".then((cache) => Promise.all(urls.map((url) => cache.match(url, { ignoreVary: true }))))"
        ".then((copies) => copies.map(Boolean))"
    )
    for _tick in range(100):
        if all(page.evaluate(kept, forms)):
            break
        page.wait_for_timeout(100)
    assert all(page.evaluate(kept, forms))
    go_offline(phone_context, cable)
    page.locator(f"a[href='/me/pairings/{other.pk}/visit/']").click()
    page.wait_for_url(f"**/me/pairings/{other.pk}/visit/")
    assert "赵桂兰" in page.locator("h1").inner_text()
    key = record_visit(page, "送去轮椅坐垫")
    page.locator("#upload-queue").get_by_text("待上传 1 条").wait_for()
    go_online(phone_context, cable)
    page.locator("#upload-queue").get_by_text("已上传 1 条").wait_for()
    wait_for(lambda: Claim.objects.filter(client_key=key, pairing=other).count() == 1)

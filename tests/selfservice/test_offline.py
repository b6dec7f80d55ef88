"""The members' pages offline (issue 16), without a browser: the service worker's script (where it is served,
how it is cached, what it keeps), the web manifest and its icons, and which pages load them. The worker and the
manifest are public on purpose: they hold no personal data (static URLs and the portal's name), a browser asks
for a manifest without cookies, and the worker must load whatever state the session is in. What they do in a
browser is tests/browser/test_offline_visit.py."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from PIL import Image

from tests.factories import BeneficiaryFactory, MemberFactory, PairingFactory, UserFactory
from volunteer_portal.selfservice.templatetags.offline import offline_words
from volunteer_portal.selfservice.views.offline import SHELL, THEME_COLOUR

pytestmark = pytest.mark.django_db

WORKER = "/me/sw.js"
MANIFEST = "/me/manifest.webmanifest"


@pytest.fixture
def member(tree):
    return MemberFactory(user=UserFactory(username="volunteer_offline"), branch=tree.branch_a, name="王志愿")


@pytest.fixture
def pairing(member, tree):
    return PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a, name="李秀英"))


def worker_config(response) -> dict:
    line = next(line for line in response.content.decode().splitlines() if line.startswith("var CONFIG = "))
    return json.loads(line.removeprefix("var CONFIG = ").removesuffix(";"))


def static_file(url: str) -> str | None:
    return finders.find(url.removeprefix(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"))


def test_the_worker_is_served_from_the_members_folder_never_kept_stale(client):
    assert reverse("selfservice:service-worker") == WORKER  # so its scope is /me/ without a header
    response = client.get(WORKER)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert not response.has_header("Service-Worker-Allowed")
    assert worker_config(response)["scope"] == "/me/"
    # Asked again with what the browser has: 304, nothing sent.
    again = client.get(WORKER, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert client.post(WORKER).status_code == 405


def test_the_worker_keeps_the_shell_the_pages_load_and_only_the_members_own_pages(client, as_user, member, pairing):
    config = worker_config(client.get(WORKER))
    assert config["shell"] == [static(name) for name in SHELL]  # through {% static %}: hashed in production
    assert all(static_file(url) for url in config["shell"])
    assert re.match(r"^[0-9a-f]{12}$", config["version"])
    signed_in = as_user(member.user)
    for path in ["/me/", reverse("selfservice:visit-new", args=[pairing.pk])]:
        page = signed_in.get(path).content.decode()
        loaded = set(re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page))
        assert loaded and loaded <= set(config["shell"]), path  # everything the pages load opens offline
    kept = [re.compile(pattern) for pattern in config["pages"]]
    for path in ["/me/", reverse("selfservice:visit-new", args=[pairing.pk])]:
        assert any(pattern.match(path) for pattern in kept), path
    for path in ["/me/service-record.docx", "/me/pairings/1/visit/extra", "/beneficiaries/", "/me/sw.js"]:
        assert not any(pattern.match(path) for pattern in kept), path


def test_in_production_the_worker_keeps_the_hashed_names(client, settings, tmp_path):
    """With the manifest storage (production), the shell and the icons are the hashed files collectstatic wrote."""
    settings.STATIC_ROOT = tmp_path
    manifest_storage = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": manifest_storage}}
    call_command("collectstatic", "--noinput", "-v0", "-i", "admin")
    hashed = re.compile(r"\.[0-9a-f]{12}\.(css|js|svg|png)$")
    icons = [icon["src"] for icon in json.loads(client.get(MANIFEST).content)["icons"]]
    for url in worker_config(client.get(WORKER))["shell"] + icons:
        assert hashed.search(url), url
        assert (tmp_path / url.removeprefix("/static/")).is_file(), url


def test_the_worker_holds_nothing_personal(client, as_user, member, pairing):
    anonymous = client.get(WORKER).content
    signed_in = as_user(member.user).get(WORKER).content
    assert signed_in == anonymous
    assert "李秀英".encode() not in signed_in and "王志愿".encode() not in signed_in


def test_the_workers_words_are_in_the_pages_language(client):
    assert worker_config(client.get(f"{WORKER}?lang=zh-hans"))["offline"].startswith("当前没有网络")
    english = worker_config(client.get(f"{WORKER}?lang=en"))
    assert english["offline"].startswith("No connection") and english["language"] == "en"
    assert worker_config(client.get(f"{WORKER}?lang=xx"))["language"] == "zh-hans"  # unknown: as any page


def test_the_manifest_installs_the_members_pages(client):
    response = client.get(MANIFEST, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    manifest = json.loads(response.content)
    assert manifest["name"] == "学雷锋志愿助残"
    assert manifest["short_name"] and len(manifest["short_name"]) <= 12
    assert manifest["start_url"] == manifest["scope"] == manifest["id"] == "/me/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == THEME_COLOUR
    css = Path(str(finders.find("css/portal.css"))).read_text()
    navbar = re.search(r"\.navbar\.bg-danger \{ background-color: (#[0-9a-f]{6})", css)
    assert navbar and navbar.group(1) == THEME_COLOUR  # the phone's bar is the portal's red
    sizes: dict[str, set[str]] = {}
    for icon in manifest["icons"]:
        path = static_file(icon["src"])
        assert path, icon["src"]
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert icon["sizes"] == "{}x{}".format(*image.size)
        sizes.setdefault(icon["purpose"], set()).add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes["any"]
    assert client.post(MANIFEST).status_code == 405


def test_the_manifest_is_in_english_for_english_browsers(client):
    manifest = json.loads(client.get(MANIFEST, HTTP_ACCEPT_LANGUAGE="en").content)
    assert manifest["name"] == "Lei Feng volunteer aid for people with disabilities"
    assert manifest["lang"] == "en"


def test_the_members_pages_link_the_manifest_the_worker_and_the_queue(as_user, member, pairing):
    client = as_user(member.user)
    for path in ["/me/", reverse("selfservice:visit-new", args=[pairing.pk])]:
        page = client.get(path).content.decode()
        assert f'<link rel="manifest" href="{MANIFEST}">' in page, path
        assert f'<meta name="theme-color" content="{THEME_COLOUR}">' in page
        assert f'data-worker="{WORKER}?lang=zh-hans"' in page and 'data-scope="/me/"' in page
        assert f'src="{static("js/offline.js")}" defer' in page
        assert 'id="offline-words"' in page


def test_other_pages_only_guard_signing_out(as_user, client, tree):
    page = as_user(tree.secretary_a).get("/").content.decode()
    assert static("js/offline.js") in page  # signing out anywhere asks about visits not yet sent
    assert 'rel="manifest"' not in page and "data-worker" not in page
    client.logout()
    assert "offline.js" not in client.get("/accounts/login/").content.decode()  # signed out: nothing to guard


def test_the_scripts_words_are_translated_with_their_placeholders():
    with translation.override("zh-hans"):
        words = offline_words()
    assert words["waiting"] == "待上传 {count} 条"
    assert words["signOut"] == "还有 {count} 条走访未上传，退出将丢弃它们。确定退出吗？"
    assert words["signIn"].startswith("登录已过期，请重新登录后自动上传")
    assert words["discard"] == "放弃这条"
    with translation.override("en"):
        english = offline_words()
    for key, text in english.items():  # the script fills exactly the placeholders the English has
        assert set(re.findall(r"\{\w+\}", words[key])) == set(re.findall(r"\{\w+\}", text)), key


def test_outsiders_get_the_same_public_files_and_no_page(client, as_user, tree, member, pairing):
    """Public by design (the module's docstring); the members' pages they link stay closed to outsiders."""
    expected = client.get(WORKER).content
    other = UserFactory(username="other_member")
    MemberFactory(user=other, branch=tree.branch_b)
    others = [tree.secretary_b, other]
    for user in others:
        signed_in = as_user(user)
        assert signed_in.get(WORKER).content == expected
        assert signed_in.get(MANIFEST).status_code == 200
        assert signed_in.get(reverse("selfservice:visit-new", args=[pairing.pk])).status_code == 404
    client.logout()
    assert client.get(WORKER).status_code == 200
    assert client.get("/me/").status_code == 302


def test_query_budgets(client, as_user, member, tree, assert_flat_queries):
    """Neither reads the database, whoever asks and however much the member has."""

    def grow():
        for number in range(5):
            PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a, name=f"户{number}"))

    assert_flat_queries(lambda: client.get(WORKER), grow, queries=0, also=[(lambda: client.get(MANIFEST), 0)])
    signed_in = as_user(member.user)
    # Signed in: the session's and the user's rows, as for any request; nothing of the member's.
    assert_flat_queries(lambda: signed_in.get(WORKER), grow, queries=2, also=[(lambda: signed_in.get(MANIFEST), 2)])

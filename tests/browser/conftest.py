"""Browser tests: Playwright driving Debian's Chromium (Playwright cannot download its own browser here).

Where /usr/bin/chromium is missing the tests skip and say how to install it; `.ci/run` installs it, so CI
always runs them.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in the test thread; the live server's data is set up from the
# same thread, which Django would otherwise refuse as "async-unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium_browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = (
            f"Browser tests need Chromium at {CHROMIUM}: run `apt-get install -y chromium fonts-noto-cjk` "
            "(or set CHROMIUM=/path/to/chromium). CI installs it."
        )
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run them, never skip them quietly
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium_browser):
    """A page on a 360 px wide phone screen, in Chinese."""
    context = chromium_browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN", device_scale_factor=2, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        # A full-page capture resizes the page behind Playwright's back: take it only where the next step is
        # a navigation, never between filling a form and clicking its button.
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take

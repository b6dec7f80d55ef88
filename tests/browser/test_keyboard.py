"""Keyboard only (WCAG 2.1.1, 2.4.7, 1.4.11; issue 15): a secretary logs an activity from the home page with Tab,
Shift+Tab, Space, Enter, the arrow keys and typing, never the mouse; at every focus stop the focus ring must
stand out at 3:1 or more against what is next to it, computed from the element's outline or box-shadow ring."""

import re

import pytest

from activities.models import Activity

from ..factories import ActivityTypeFactory
from .test_accessibility import sign_in

pytestmark = [pytest.mark.browser]

# What a focused element draws, in computed colours: its outline, its box-shadow ring (the first shadow, if
# it has a spread), its own background and the first opaque background behind it (the outline sits on that).
# Bootstrap fades the box-shadow in over .15 s: the transitions are finished first, or the ring would be read
# half-drawn.
RING = """() => {
  document.getAnimations().forEach((animation) => animation.finish());  // the ring's transition, at its end
  const element = document.activeElement;
  const style = getComputedStyle(element);
  let backdrop = 'rgb(255, 255, 255)';
  for (let node = element.parentElement; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (!/rgba\\(.*,\\s*0\\)$/.test(colour) && colour !== 'transparent') { backdrop = colour; break; }
  }
  return {
    what: element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + ' ' +
          (element.innerText || element.name || '').trim().slice(0, 30),
    outline: style.outlineStyle === 'none' ? null : [style.outlineColor, parseFloat(style.outlineWidth)],
    shadow: style.boxShadow === 'none' ? null : style.boxShadow,
    background: style.backgroundColor,
    backdrop: backdrop,
  };
}"""


def rgb(colour: str) -> tuple[float, float, float, float]:
    """A computed colour, "rgb(r, g, b)" or "rgba(r, g, b, a)", as (r, g, b, alpha)."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", colour)]
    return (numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) > 3 else 1.0)


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance: each sRGB channel linearised, weighted 0.2126 R + 0.7152 G + 0.0722 B."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = rgb(colour)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), the lighter over the darker: 1 to 21."""
    high, low = sorted([luminance(one), luminance(other)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def opaque(colour: str | None) -> bool:
    return colour is not None and rgb(colour)[3] > 0


def over(colour: str, base: str) -> str:
    """A translucent colour as it is seen, painted over `base` (Bootstrap's glow is 25% blue)."""
    r, g, b, alpha = rgb(colour)
    under = rgb(base)
    return "rgb({}, {}, {})".format(*(alpha * c + (1 - alpha) * u for c, u in zip((r, g, b), under[:3], strict=True)))


def ring_contrast(ring: dict) -> float:
    """The best contrast of a focus indicator against a colour next to it; 1.0 (invisible) when there is none.

    An outline (at least 2 px) is next to the backdrop outside it and, inside, to the box-shadow ring where one
    is drawn (the portal's dark outline around a white ring). A box-shadow ring (spread at least 2 px) is next to
    the backdrop and to the element's own background."""
    best = 1.0
    shadow_colour = None
    if ring["shadow"]:
        match = re.match(r"(rgba?\([^)]*\))\s+(-?[\d.]+)px\s+(-?[\d.]+)px\s+([\d.]+)px\s+([\d.]+)px", ring["shadow"])
        if match and float(match.group(5)) >= 2 and opaque(match.group(1)):
            shadow_colour = over(match.group(1), ring["backdrop"])
            for neighbour in (ring["backdrop"], ring["background"]):
                if opaque(neighbour):
                    best = max(best, contrast(shadow_colour, neighbour))
    if ring["outline"] and ring["outline"][1] >= 2 and opaque(ring["outline"][0]):
        for neighbour in (ring["backdrop"], shadow_colour):
            if opaque(neighbour):
                best = max(best, contrast(over(ring["outline"][0], ring["backdrop"]), neighbour))
    return best


def test_the_contrast_formula():
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgb(119, 119, 119)", "rgb(255, 255, 255)") == pytest.approx(4.48, abs=0.01)
    assert contrast("rgb(222, 226, 230)", "rgb(255, 255, 255)") == pytest.approx(1.30, abs=0.01)  # Bootstrap's border


def test_the_ring_check_fails_on_an_invisible_ring(chromium_browser):
    """The check can fail: an un-styled control (outline: 0, as Bootstrap leaves it), a pale ring (Bootstrap's
    light blue glow) and a ring the colour of its background all measure under 3:1; the portal's ring passes."""
    page = chromium_browser.new_page()
    page.set_content("""<style>
      body { background: #fff; } #red { background: #a71d2a; padding: 1rem; }
      #bare:focus { outline: 0; box-shadow: none; }
      #pale:focus { outline: 0; box-shadow: 0 0 0 4px rgba(13, 110, 253, .25); }
      #same:focus { outline: 3px solid #a71d2a; }
      .portal:focus { outline: 3px solid #1b1b1b; outline-offset: 1px; box-shadow: 0 0 0 4px #fff; }
    </style><button id="bare">a</button><button id="pale">b</button>
    <div id="red"><button id="same">c</button><button class="portal" id="on-red">d</button></div>
    <button class="portal" id="on-white">e</button>""")
    measured = {}
    for element in ("bare", "pale", "same", "on-red", "on-white"):
        page.focus(f"#{element}")
        measured[element] = ring_contrast(page.evaluate(RING))
    page.close()
    assert measured["bare"] == 1.0 and measured["pale"] < 3 and measured["same"] == pytest.approx(1.0)
    assert measured["on-red"] >= 3 and measured["on-white"] >= 3


@pytest.mark.django_db(transaction=True)
def test_an_activity_is_logged_from_the_home_page_with_the_keyboard_alone(live_server, chromium_browser, tree,
                                                                          records):  # fmt: skip
    ActivityTypeFactory(name="助残服务")
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "secretary_a")  # the sign-in form is typed into and sent with Enter
    page.goto(f"{live_server.url}/")
    stops: list[str] = []
    faint: dict[str, str] = {}

    def tab(key: str = "Tab") -> dict:
        page.keyboard.press(key)
        ring = page.evaluate(RING)
        stops.append(ring["what"])
        if page.evaluate("document.activeElement !== document.body"):
            measured = ring_contrast(ring)
            if measured < 3:
                faint[ring["what"]] = f"{measured:.2f}:1 {ring}"
        return ring

    def tab_to(selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            tab()
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} never took the focus; the stops were {stops}")

    tab_to("a[href='/activities/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/activities/new/")
    tab_to("#id_type")
    page.keyboard.press("ArrowDown")  # a closed select changes its choice with the arrow keys
    assert page.locator("#id_type").input_value() != ""
    tab_to("#id_title")
    page.keyboard.type("键盘记录的助残活动")
    tab()  # on to the location, and back
    assert page.evaluate("document.activeElement.id") == "id_location"
    tab("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "id_title"
    tab_to("#id_location")
    page.keyboard.type("丽景社区活动室")
    tab_to("input[name=participants]")
    page.keyboard.press("Space")
    assert page.locator("input[name=participants]").first.is_checked()
    tab_to("main form button[type=submit]:not([name])")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#error-summary").count() == 0, page.locator("main").inner_text()
    context.close()
    activity = Activity.objects.get(title="键盘记录的助残活动")
    assert activity.location == "丽景社区活动室" and activity.participations.count() == 1
    assert len(stops) > 20, stops  # the walk went through the menu and the whole form
    assert faint == {}, f"focus rings under 3:1: {faint}"

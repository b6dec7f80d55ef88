"""Form controls that can be seen and tapped (WCAG 1.4.11, 2.5.8; issue 15), which axe does not measure: every
checkbox at least 24×24 CSS px, and every checkbox's and text box's border at 3:1 or more against the page behind
it (Bootstrap's #dee2e6 on white is 1.3:1), computed with the WCAG relative-luminance formula of
test_keyboard.py, on the forms with checkboxes, at 1280 px and on a 360 px phone."""

import pytest

from ..factories import ActivityTypeFactory
from .test_accessibility import sign_in
from .test_keyboard import contrast, opaque, over

pytestmark = [pytest.mark.browser]

# Each visible control: its box, its top border (colour and width) and the first opaque background behind it.
CONTROLS = """(selector) => [...document.querySelectorAll(selector)]
  .filter((element) => element.getClientRects().length && getComputedStyle(element).visibility !== 'hidden')
  .map((element) => {
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    let backdrop = 'rgb(255, 255, 255)';
    for (let node = element.parentElement; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (!/rgba\\(.*,\\s*0\\)$/.test(colour) && colour !== 'transparent') { backdrop = colour; break; }
    }
    return {
      what: element.tagName.toLowerCase() + '[' + (element.type || '') + ']' + (element.id ? '#' + element.id : ''),
      checkbox: element.type === 'checkbox',
      width: box.width, height: box.height,
      border: style.borderTopColor, border_width: parseFloat(style.borderTopWidth), backdrop: backdrop,
    };
  })"""
SELECTOR = ".form-check-input[type=checkbox], input.form-control, textarea.form-control, .form-select"
MIN_BOX = 24  # CSS px (WCAG 2.5.8's target size; the issue asks for it on the checkboxes)


def control_problems(page) -> list[str]:
    """What is wrong with the page's controls: a checkbox under 24×24 px, a border missing or under 3:1."""
    problems = []
    controls = page.evaluate(CONTROLS, SELECTOR)
    for control in controls:
        if control["checkbox"] and (control["width"] < MIN_BOX or control["height"] < MIN_BOX):
            problems.append(f"{control['what']}: {control['width']:.0f}×{control['height']:.0f} px")
        if control["border_width"] < 1 or not opaque(control["border"]):
            problems.append(f"{control['what']}: no border")
            continue
        measured = contrast(over(control["border"], control["backdrop"]), control["backdrop"])
        if measured < 3:
            problems.append(f"{control['what']}: border {control['border']} {measured:.2f}:1")
    assert controls, "no control was measured"
    return problems


def test_the_control_check_fails_on_a_pale_border_and_a_small_box(chromium_browser):
    """The check can fail: Bootstrap's own border (#dee2e6 on white, 1.3:1) on a 16 px checkbox and on a text
    box; a #6c757d border (4.7:1) on a 24 px checkbox passes."""
    page = chromium_browser.new_page()
    page.set_content("""<style>
      body { background: #fff; } input { border: 1px solid #dee2e6; appearance: none; }
      #small { width: 16px; height: 16px; } #portal { width: 24px; height: 24px; border-color: #6c757d; }
    </style><input type="checkbox" class="form-check-input" id="small">
    <input type="checkbox" class="form-check-input" id="portal"><input class="form-control" id="text">""")
    problems = control_problems(page)
    page.close()
    assert problems == [
        "input[checkbox]#small: 16×16 px",
        "input[checkbox]#small: border rgb(222, 226, 230) 1.30:1",
        "input[text]#text: border rgb(222, 226, 230) 1.30:1",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_checkboxes_are_24_px_and_borders_stand_out(live_server, chromium_browser, tree, records, width):
    ActivityTypeFactory(name="走访慰问")
    context = chromium_browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "secretary_a")
    found = {}
    checkboxes = 0
    # The activity's participants, the member's leadership box, the visit's follow-up box and text boxes.
    for url in ("/activities/new/", "/members/new/", f"/beneficiaries/{records['beneficiary'].pk}/visits/new/"):
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")  # the stylesheets, which draw the borders
        checkboxes += page.locator(".form-check-input[type=checkbox]:visible").count()
        found[url] = control_problems(page)
    context.close()
    assert checkboxes >= 3
    assert {url: problems for url, problems in found.items() if problems} == {}

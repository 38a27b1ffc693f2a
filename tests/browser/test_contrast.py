"""WCAG AA contrast of the colours Chromium actually renders (issue 17 item 7), in the light
and the dark theme: text 4.5:1 against the background behind it (large text 3:1), and the
keyboard focus ring 3:1 against what surrounds it (WCAG 2.2, 1.4.11 / 2.4.13).

The colours are read with getComputedStyle after the stylesheet applied, the background
found by walking up to the first opaque ancestor, so a rule that changes a colour anywhere
in site.css is checked as the user sees it, not as a list of hex values copied here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import imagegen

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"

# Every visible element of these kinds is checked on each page.
TEXT = "body, p, a, label, button, .button, .muted, .small, h1, h2, dt, dd, code, .notice, .error"

PAIRS_JS = """
(selector) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [r, g, b, a];
  };
  const background = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0.99) return c;
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor) || [255, 255, 255, 1];
  };
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (!el.textContent.trim()) continue;
    const fg = parse(style.color);
    if (!fg || fg[3] < 0.99) continue;
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    out.push({what: el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
              ' "' + el.textContent.trim().slice(0, 30) + '"',
              fg: fg.slice(0, 3), bg: background(el).slice(0, 3),
              large: size >= 24 || (bold && size >= 18.66)});
  }
  return out;
}
"""


def luminance(rgb: list[float]) -> float:
    def channel(v: float) -> float:
        v = v / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_ratio_arithmetic() -> None:
    assert contrast([0, 0, 0], [255, 255, 255]) == pytest.approx(21)
    assert contrast([255, 255, 255], [31, 111, 235]) == pytest.approx(4.64, abs=0.01)


@pytest.fixture(scope="module")
def signed_in(browser: Any, live_server: str) -> dict[str, Any]:
    """Cookies of an account with one upload, shared by both themes' contexts."""
    context = browser.new_context(base_url=live_server)
    r = context.request.post(
        "/api/auth/signup", data={"email": "contrast@example.com", "password": PASSWORD}
    )
    assert r.status == 201, r.text()
    upload = context.request.post(
        "/api/upload",
        headers={"X-CSRF-Token": r.json()["csrf_token"]},
        multipart={
            "files": {"name": "a.png", "mimeType": "image/png", "buffer": imagegen.png(900, 600)}
        },
    )
    assert upload.ok, upload.text()
    state = dict(context.storage_state())
    state["image_page"] = f"/i/{upload.json()['images'][0]['id']}"
    context.close()
    return state


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "path", ["/", "/login", "/signup", "/gallery", "/albums", "/settings", "image page"]
)
def test_text_and_focus_ring_meet_wcag_aa(
    browser: Any, live_server: str, signed_in: dict[str, Any], scheme: str, path: str
) -> None:
    state = {k: v for k, v in signed_in.items() if k != "image_page"}
    path = signed_in["image_page"] if path == "image page" else path
    context = browser.new_context(
        base_url=live_server,
        color_scheme=scheme,
        storage_state=None if path in ("/login", "/signup") else state,
    )
    try:
        page = context.new_page()
        page.goto(path)
        page.wait_for_load_state("networkidle")
        failures = [
            f"{p['what']}: {contrast(p['fg'], p['bg']):.2f}:1 ({p['fg']} on {p['bg']})"
            for p in page.evaluate(PAIRS_JS, TEXT)
            if contrast(p["fg"], p["bg"]) < (3.0 if p["large"] else 4.5)
        ]
        assert not failures, failures
        # The focus ring: Tab to the first few controls, each ring 3:1 on what is behind it.
        for _ in range(4):
            page.keyboard.press("Tab")
            ring = page.evaluate(
                """() => {
                  const el = document.activeElement, s = getComputedStyle(el);
                  return {what: el.tagName + ' ' + (el.textContent || '').trim().slice(0, 20),
                          width: parseFloat(s.outlineWidth), color: s.outlineColor,
                          style: s.outlineStyle};
                }"""
            )
            assert ring["style"] != "none" and ring["width"] >= 2, ring
            rgb = [float(v) for v in ring["color"].split("(")[1].rstrip(")").split(",")[:3]]
            behind = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            bg = [float(v) for v in behind.split("(")[1].rstrip(")").split(",")[:3]]
            assert contrast(rgb, bg) >= 3.0, (ring, behind, contrast(rgb, bg))
    finally:
        context.close()


def test_escape_closes_a_menu_and_returns_focus(
    browser: Any, live_server: str, signed_in: dict[str, Any]
) -> None:
    """Issue 17 item 7: Esc closes an open menu (a gallery tile's Actions) and focus goes
    back to the button that opened it; a click elsewhere closes it too."""
    state = {k: v for k, v in signed_in.items() if k != "image_page"}
    context = browser.new_context(base_url=live_server, storage_state=state)
    try:
        page = context.new_page()
        page.goto("/gallery")
        summary = page.locator("details.menu summary").first
        summary.click()
        menu = page.locator("details.menu").first
        assert menu.evaluate("d => d.open")
        page.keyboard.press("Escape")
        assert not menu.evaluate("d => d.open")
        assert summary.evaluate("s => document.activeElement === s")
        summary.click()
        assert menu.evaluate("d => d.open")
        page.locator("h1").click()
        assert not menu.evaluate("d => d.open")
    finally:
        context.close()


def test_the_theme_button_switches_and_is_remembered(browser: Any, live_server: str) -> None:
    """Issue 17 item 7: an explicit light/dark choice that beats the system's, kept across
    pages, applied before the first paint (theme.js in <head>)."""
    context = browser.new_context(base_url=live_server, color_scheme="light")
    try:
        page = context.new_page()
        page.goto("/login")
        button = page.locator("[data-theme-toggle]")
        body_bg = "() => getComputedStyle(document.body).backgroundColor"
        assert (
            button.text_content() == "Dark theme" and page.evaluate(body_bg) == "rgb(247, 248, 250)"
        )
        button.click()
        assert page.evaluate(body_bg) == "rgb(18, 22, 28)"
        assert (
            button.text_content() == "Light theme"
            and button.get_attribute("aria-pressed") == "true"
        )
        page.goto("/signup")  # remembered; and already dark at the first frame
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
        assert page.evaluate(body_bg) == "rgb(18, 22, 28)"
        page.locator("[data-theme-toggle]").click()
        page.reload()
        assert page.evaluate(body_bg) == "rgb(247, 248, 250)"
    finally:
        context.close()

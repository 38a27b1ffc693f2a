"""The share panel in headless Chromium: the same rows on the image page and behind a gallery
tile's Share button, page link first, and every Copy button puts exactly the API's code on the
clipboard — at a desktop and a phone viewport. Screenshots: test-artifacts/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import imagegen
from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"
ORDER = [
    ("page", "Page link"),
    ("direct", "Direct link"),
    ("markdown", "Markdown"),
    ("html", "HTML"),
    ("bbcode", "BBCode"),
    ("markdown_thumb", "Markdown (thumbnail)"),
    ("html_thumb", "HTML (thumbnail)"),
    ("bbcode_thumb", "BBCode (thumbnail)"),
]


def _signed_in_with_image(browser: Any, base: str, viewport: str) -> tuple[Any, dict[str, Any]]:
    context = browser.new_context(base_url=base, **VIEWPORTS[viewport])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    signup = context.request.post(
        "/api/auth/signup",
        data={"email": f"share-{viewport}@example.com", "password": PASSWORD},
    )
    assert signup.status == 201, signup.text()
    csrf = signup.json()["csrf_token"]
    upload = context.request.post(
        "/api/upload",
        headers={"X-CSRF-Token": csrf},
        multipart={
            "files": {"name": "beach.png", "mimeType": "image/png", "buffer": imagegen.png(64, 48)}
        },
    )
    assert upload.status == 200, upload.text()
    image = upload.json()["images"][0]
    # A title set through the API becomes the alt text of every embed code.
    listed = context.request.get("/api/images").json()["images"][0]
    edited = context.request.patch(
        f"/api/images/{listed['id']}",
        headers={"X-CSRF-Token": csrf},
        data={"title": 'Sunset "at" <the> beach'},
    )
    assert edited.status == 200, edited.text()
    return context, {
        **image,
        "codes": context.request.get("/api/images").json()["images"][0]["codes"],
    }


def _copy_each(page: Any, scope: Any, codes: dict[str, str]) -> None:
    for key, label in ORDER:
        button = scope.get_by_role("button", name=f"Copy {label}", exact=True)
        button.click()
        assert page.evaluate("navigator.clipboard.readText()") == codes[key], key


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_share_panel_everywhere(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    context, image = _signed_in_with_image(browser, live_server, viewport)
    codes = image["codes"]
    assert codes["page"] == image["url"]
    assert 'alt="Sunset &quot;at&quot; &lt;the&gt; beach"' in codes["html"]
    page = context.new_page()
    try:
        # The image page: rows in order, page link first, each copyable.
        page.goto(f"/i/{image['id']}")
        panel = page.locator("section.share-panel")
        labels = panel.locator("label").all_inner_texts()
        assert labels == [label for _, label in ORDER]
        _copy_each(page, panel, codes)
        expect(panel.get_by_role("button", name="Copy Page link")).to_have_text("Copied!")
        screenshot(page, f"share image page {viewport}")

        # A gallery tile: "Copy link" copies the page link in one click; Share opens the rest.
        page.goto("/gallery")
        tile = page.locator("li.tile").first
        tile.get_by_role("button", name="Copy link to").click()
        assert page.evaluate("navigator.clipboard.readText()") == codes["page"]
        share = tile.get_by_role("button", name="Share")
        share.click()
        expect(share).to_have_attribute("aria-expanded", "true")
        popover = tile.locator(".share-popover")
        expect(popover).to_be_visible()
        box = popover.bounding_box()
        width = VIEWPORTS[viewport]["viewport"]["width"]
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        screenshot(page, f"share gallery tile {viewport}")
        _copy_each(page, popover, codes)
        # Esc closes the panel and gives focus back to the button (keyboard users).
        page.keyboard.press("Escape")
        expect(popover).to_be_hidden()
        expect(share).to_be_focused()
        expect(share).to_have_attribute("aria-expanded", "false")
        # Opening with the keyboard moves focus into the panel; a click elsewhere closes it.
        page.keyboard.press("Enter")
        expect(popover.get_by_role("button", name="Copy Page link")).to_be_focused()
        page.locator("h1").first.click()
        expect(popover).to_be_hidden()
    finally:
        context.close()

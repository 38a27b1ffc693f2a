"""Issue 16 item 3's done-when: an iPhone-style HEIC uploads through the web page and
displays in Chromium, on a desktop (1280x800) and a phone (390x844, touch) viewport.
Screenshots: test-artifacts/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import imagegen
from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("mime", ["image/heic", ""])  # "": a system that knows no HEIC type
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_heic_uploads_and_displays(
    browser: Any, live_server: str, screenshot: Shot, viewport: str, mime: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    try:
        page = context.new_page()
        page.goto("/")
        accept = page.locator("[data-file-input]").get_attribute("accept") or ""
        assert "image/heic" in accept.split(",")
        photo = {"name": "IMG_4032.HEIC", "mimeType": mime, "buffer": imagegen.heic(640, 480)}
        page.set_input_files("[data-file-input]", [photo])
        expect(page.locator("[data-batch]")).to_have_attribute("data-busy", "false")
        done = page.locator("li.upload-item[data-state=done]")
        expect(done).to_have_count(1)
        thumb = done.locator("img").first
        expect(thumb).to_be_visible()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
        )
        screenshot(page, f"heic-uploaded-{viewport}-{mime or 'untyped'}")
        href = done.locator("a.thumb-link").get_attribute("href")
        assert href

        page.goto(href)
        picture = page.locator("main img").first
        expect(picture).to_be_visible()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
        )
        # upright: the 640x480 photo with orientation 6 is shown portrait
        size = picture.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert size[0] < size[1], size
        src = picture.evaluate("img => img.currentSrc")
        assert ".jpg" in src, src
        screenshot(page, f"heic-image-page-{viewport}-{mime or 'untyped'}")
    finally:
        context.close()

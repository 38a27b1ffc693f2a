"""The image page in headless Chromium, as its owner and as a visitor, at a desktop and a
phone viewport: the owner renames it, moves it into an album and deletes it from the page; a
visitor (and a link preview bot, which runs no JavaScript) sees the title in the page's
name and preview tags and no controls. Screenshots: test-artifacts/screenshots/.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support import imagegen
from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_owner_controls_and_visitor_view(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    owner = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    visitor = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    bot = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        signup = owner.request.post(
            "/api/auth/signup",
            data={"email": f"owner-{viewport}@example.com", "password": PASSWORD},
        )
        assert signup.status == 201, signup.text()
        csrf = {"X-CSRF-Token": signup.json()["csrf_token"]}
        album = owner.request.post("/api/albums", headers=csrf, data={"title": "Trips"}).json()
        upload = owner.request.post(
            "/api/upload",
            headers=csrf,
            multipart={
                "files": {
                    "name": "IMG_0001.png",
                    "mimeType": "image/png",
                    "buffer": imagegen.png(900, 600),
                }
            },
        )
        slug = upload.json()["images"][0]["id"]

        page = owner.new_page()
        page.goto(f"/i/{slug}")
        expect(page).to_have_title("Image · imgtree")
        tools = page.locator("[data-owner-tools]")
        expect(tools).to_be_visible()
        # The album list arrives from the API; pick the album, rename, save.
        expect(tools.locator("[data-album-select] option")).to_have_count(2)
        tools.get_by_label("Title").fill("Lake at dawn")
        tools.get_by_label("Album").select_option(label="Trips")
        screenshot(page, f"image owner editing {viewport}")
        tools.get_by_role("button", name="Save changes").click()
        expect(page).to_have_title("Lake at dawn · imgtree")
        expect(page.locator("figcaption strong")).to_have_text("Lake at dawn")
        expect(page.locator("[data-album-select]")).to_have_value(album["album"]["id"])
        # On a phone the picture fits the screen.
        box = page.locator("figure img").bounding_box()
        width = VIEWPORTS[viewport]["viewport"]["width"]
        assert box is not None and box["width"] <= width
        screenshot(page, f"image owner saved {viewport}")

        seen = visitor.new_page()
        seen.goto(f"/i/{slug}")
        expect(seen).to_have_title("Lake at dawn · imgtree")
        expect(seen.locator("[data-owner-tools]")).to_have_count(0)
        expect(seen.locator("section.share-panel")).to_be_visible()
        screenshot(seen, f"image visitor {viewport}")

        preview = bot.new_page()
        preview.goto(f"/i/{slug}")
        og_title = preview.locator('meta[property="og:title"]')
        expect(og_title).to_have_attribute("content", "Lake at dawn")
        expect(preview.locator('meta[property="og:image"]')).to_have_attribute(
            "content", f"{live_server}/media/{slug}.png"
        )

        # Private: the sentence under the menu says what it means; then the link is 404 for
        # everyone else, and the owner's page says Private.
        tools.get_by_label("Visibility").select_option("private")
        expect(tools.locator("[data-visibility-help]")).to_contain_text("Only you can see it")
        tools.get_by_role("button", name="Save changes").click()
        expect(page.locator("[data-visibility-badge]")).to_have_text("Private")
        assert visitor.request.get(f"/i/{slug}").status == 404
        # Another worker may serve its cached copy for MEDIA_CACHE_TTL (1 s) longer.
        deadline = time.monotonic() + 5
        while visitor.request.get(f"/media/{slug}.png").status != 404:
            assert time.monotonic() < deadline, "the private file is still served"
            time.sleep(0.2)

        # The gallery shows the visibility as a badge on the tile.
        page.goto("/gallery")
        expect(page.locator("li.tile .badge").first).to_have_text("Private")
        page.goto(f"/i/{slug}")

        # Delete from the page: a second click confirms, then the gallery, and the link is gone.
        delete = tools.get_by_role("button", name="Delete image")
        delete.click()
        tools.get_by_role("button", name="Confirm delete").click()
        expect(page).to_have_url(f"{live_server}/gallery")
        assert owner.request.get(f"/i/{slug}").status == 404
    finally:
        for context in (owner, visitor, bot):
            context.close()

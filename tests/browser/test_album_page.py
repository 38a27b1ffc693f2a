"""The album page and album cards in headless Chromium at a desktop and a phone viewport: a
link preview bot (no JavaScript) sees the title, images and preview tags of the server-rendered
album page; the Share button on a card in /albums copies the album's page link.
Screenshots: test-artifacts/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import imagegen
from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"


def _owner_with_album(context: Any, viewport: str) -> tuple[str, str]:
    signup = context.request.post(
        "/api/auth/signup",
        data={"email": f"albums-{viewport}@example.com", "password": PASSWORD},
    )
    assert signup.status == 201, signup.text()
    csrf = {"X-CSRF-Token": signup.json()["csrf_token"]}
    created = context.request.post(
        "/api/albums",
        headers=csrf,
        data={"title": "Summer <trip>", "description": "Sea & sun", "isPublic": True},
    )
    album_id = created.json()["album"]["id"]
    slugs = []
    for n in range(3):
        up = context.request.post(
            "/api/upload",
            headers=csrf,
            multipart={
                "files": {
                    "name": f"IMG_{n}.png",
                    "mimeType": "image/png",
                    "buffer": imagegen.png(600 + 100 * n, 400),
                },
                "albumId": album_id,
                "isPublic": "true",
            },
        )
        assert up.status == 200, up.text()
        slugs.append(up.json()["images"][0]["id"])
    return album_id, slugs[0]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_album_page_without_javascript_and_share_button(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    owner = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    bot = browser.new_context(
        base_url=live_server, java_script_enabled=False, **VIEWPORTS[viewport]
    )
    try:
        album_id, _slug = _owner_with_album(owner, viewport)
        page = bot.new_page()
        page.goto(f"/albums/{album_id}")
        expect(page).to_have_title("Summer <trip> · imgtree")
        expect(page.locator("h1")).to_have_text("Summer <trip>")
        expect(page.locator("[data-description]")).to_have_text("Sea & sun")
        expect(page.locator(".tile img")).to_have_count(3)
        og = page.locator('meta[property="og:title"]')
        expect(og).to_have_attribute("content", "Summer <trip>")
        expect(page.locator('meta[property="og:image"]')).to_have_attribute(
            "content", __import__("re").compile(r"/media/.+\.png$")
        )
        expect(page.locator('meta[name="twitter:card"]')).to_have_attribute(
            "content", "summary_large_image"
        )
        expect(page.locator('link[rel="canonical"]')).to_have_attribute(
            "href", f"{live_server}/albums/{album_id}"
        )
        screenshot(page, f"album no javascript {viewport}")

        owner.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
        mine = owner.new_page()
        mine.goto("/albums")
        card = mine.locator(f'li.album[data-album-id="{album_id}"]')
        expect(card).to_be_visible()
        expect(card.locator(".album-delete-note")).to_contain_text("keeps its images")
        expect(card.locator(".album-cover img")).to_have_attribute(
            "src", __import__("re").compile(r"/media/thumb/")
        )
        screenshot(mine, f"albums card with cover {viewport}")
        card.get_by_role("button", name="Share Summer <trip>").click()
        panel = card.locator(".share-panel")
        expect(panel).to_be_visible()
        screenshot(mine, f"albums share open {viewport}")
        panel.locator('button.copy[data-copy="page"]').click()
        copied = mine.evaluate("navigator.clipboard.readText()")
        assert copied == f"{live_server}/albums/{album_id}"
        mine.keyboard.press("Escape")
        expect(panel).to_be_hidden()

        # The album page itself (with JavaScript) offers the same Share button.
        mine.goto(f"/albums/{album_id}")
        mine.get_by_role("button", name="Share Summer <trip>").click()
        expect(mine.locator(".share-panel")).to_be_visible()
        screenshot(mine, f"album page share {viewport}")
        mine.keyboard.press("Escape")

        # The owner arranges the album with the keyboard-friendly buttons: IMG_0 (oldest,
        # last) moves earlier twice and is first; the order holds after a reload and for
        # visitors.
        tiles = mine.locator(".tile")
        expect(tiles).to_have_count(3)
        names = mine.locator(".tile .tile-name")
        expect(names).to_have_text(["IMG_2.png", "IMG_1.png", "IMG_0.png"])
        earlier = mine.get_by_role("button", name="Earlier: IMG_0.png")
        earlier.click()
        expect(names).to_have_text(["IMG_2.png", "IMG_0.png", "IMG_1.png"])
        expect(earlier).to_be_focused()
        earlier.click()
        expect(names).to_have_text(["IMG_0.png", "IMG_2.png", "IMG_1.png"])
        mine.reload()
        expect(names).to_have_text(["IMG_0.png", "IMG_2.png", "IMG_1.png"])
        page.reload()
        expect(page.locator(".tile .tile-name")).to_have_text(
            ["IMG_0.png", "IMG_2.png", "IMG_1.png"]
        )
        # The owner picks IMG_1 as the cover: the page's cover and preview image follow.
        mine.get_by_role("button", name="Use as cover: IMG_1.png").click()
        expect(mine.get_by_role("button", name="Use as cover: IMG_1.png")).to_have_text("Cover")
        preview = bot.new_page()
        preview.goto(f"/albums/{album_id}")
        og_image = preview.locator('meta[property="og:image"]').get_attribute("content") or ""
        cover_slug = mine.locator(".tile", has_text="IMG_1.png").get_attribute("data-slug")
        assert cover_slug and cover_slug in og_image
        screenshot(mine, f"album owner arranged {viewport}")

        # The owner removes an image: it leaves the album, not the gallery.
        mine.get_by_role("button", name="Remove from album: IMG_2.png").click()
        expect(tiles).to_have_count(2)
        expect(mine.locator("[data-owner-status]")).to_contain_text("still in your gallery")
        screenshot(mine, f"album owner removed {viewport}")
        mine.reload()
        expect(mine.locator(".tile")).to_have_count(2)
        gallery = owner.request.get("/api/images").json()
        assert gallery["total"] == 3
        # Visitors get no Remove buttons.
        expect(page.locator(".remove-from-album")).to_have_count(0)
    finally:
        owner.close()
        bot.close()

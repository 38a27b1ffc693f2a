"""Managing a big gallery in headless Chromium (issue 17 items 1 and 7): with 70 images, the
search narrows the grid and is kept in the address, the type filter picks the GIF, three
tiles are ticked (click, Shift+click) and moved into an album in four clicks with one request,
the counts follow a delete without a reload, ?page=99 says there is no such page and links to
the last one, and each tile is one Tab stop (its controls sit behind the arrow keys).
Desktop (1280x800) and phone (390x844, touch)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support import imagegen
from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"
PNG = imagegen.png(8, 8)


def owner_with_70_images(ctx: Any) -> str:
    """Signs the context up and uploads 66 PNGs, 3 beach PNGs and a GIF; the album's id."""
    signup = ctx.request.post(
        "/api/auth/signup",
        data={"email": f"{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD},
    )
    assert signup.status == 201, signup.text()
    csrf = {"X-CSRF-Token": signup.json()["csrf_token"]}
    files = [(f"IMG_{n:03d}.png", "image/png", PNG) for n in range(66)]
    files += [(f"beach-{n}.png", "image/png", PNG) for n in range(3)]
    files += [("party.gif", "image/gif", imagegen.gif(8, 8))]
    for name, mime, data in files:
        r = ctx.request.post(
            "/api/upload",
            headers=csrf,
            multipart={"files": {"name": name, "mimeType": mime, "buffer": data}},
        )
        assert r.status == 200, r.text()
    album = ctx.request.post("/api/albums", headers=csrf, data={"title": "Seaside"})
    assert album.status == 201, album.text()
    return str(album.json()["album"]["id"])


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_find_filter_and_bulk_move_in_a_few_clicks(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    try:
        album_id = owner_with_70_images(ctx)
        page = ctx.new_page()
        bulk_requests: list[str] = []
        page.on(
            "request",
            lambda r: bulk_requests.append(r.url) if "/api/images/bulk/" in r.url else None,
        )
        page.goto("/gallery")
        summary = page.locator("[data-summary]")
        expect(summary).to_have_text("70 images")
        tiles = page.locator("li.tile")
        expect(tiles).to_have_count(24)
        # pagers at the top and at the bottom
        expect(page.locator("[data-pager] [data-page-label]")).to_have_text(
            ["Page 1 of 3", "Page 1 of 3"]
        )

        # One Tab stop per tile: Tab goes link to link; → reaches the checkbox, Space ticks.
        first, second = tiles.nth(0), tiles.nth(1)
        first.locator("a.tile-thumb").focus()
        page.keyboard.press("Tab")
        expect(second.locator("a.tile-thumb")).to_be_focused()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("ArrowRight")
        expect(first.locator("input.tile-check")).to_be_focused()
        page.keyboard.press("ArrowRight")
        expect(first.get_by_role("button", name="Copy link", exact=False)).to_be_focused()
        page.keyboard.press("Tab")
        expect(second.locator("a.tile-thumb")).to_be_focused()
        page.keyboard.press("Space")
        expect(page.locator("[data-selection-count]")).to_have_text("1 selected")
        page.keyboard.press("Space")
        expect(page.locator("[data-selection-count]")).to_have_text("0 selected")
        # Focusable in the tab order: tabindex >= 0, not in a closed <details> or [hidden].
        stops = page.evaluate(
            """() => Array.from(document.querySelectorAll('li.tile')).map(li =>
                 Array.from(li.querySelectorAll('a, button, input, select, textarea, summary'))
                   .filter(n => n.tabIndex >= 0 && !n.closest('[hidden]')
                     && !n.closest('details:not([open]) > :not(summary)')).length)"""
        )
        assert stops == [1] * 24

        # Search narrows (debounced), and the address keeps it.
        page.get_by_label("Search").fill("beach")
        expect(tiles).to_have_count(3)
        expect(summary).to_have_text("3 images match")
        assert "search=beach" in page.url
        screenshot(page, f"gallery search {viewport}")

        # Select three and move them: click, Shift+click, pick the album, Move (4 clicks).
        page.locator("input.tile-check").nth(0).click()
        page.locator("input.tile-check").nth(2).click(modifiers=["Shift"])
        expect(page.locator("[data-selection-count]")).to_have_text("3 selected")
        page.locator("[data-bulk-album]").select_option(label="Seaside")
        page.locator("[data-bulk-move]").click()
        expect(page.locator("[data-status]")).to_contain_text("Moved to “Seaside”: 3 images.")
        assert len(bulk_requests) == 1 and bulk_requests[0].endswith("/api/images/bulk/move")
        expect(page.locator("[data-selection-count]")).to_have_text("0 selected")

        # Filter by album (the address changes, reload keeps it).
        page.get_by_label("Album", exact=True).select_option(album_id)
        expect(summary).to_have_text("3 images match")
        page.reload()
        expect(page.get_by_label("Search")).to_have_value("beach")
        expect(page.get_by_label("Album", exact=True)).to_have_value(album_id)
        expect(tiles).to_have_count(3)

        # Delete one with the bulk bar: the count follows without a reload.
        page.locator("input.tile-check").nth(0).click()
        delete = page.locator("[data-bulk-delete]")
        delete.click()
        delete.click()  # confirm
        expect(summary).to_have_text("2 images match")
        expect(tiles).to_have_count(2)
        expect(delete).to_be_disabled()  # nothing is ticked any more

        # Type filter: only the GIF.
        page.goto("/gallery?type=image/gif")
        expect(tiles).to_have_count(1)
        expect(tiles.first).to_contain_text("party.gif")
        expect(page.get_by_label("Type")).to_have_value("image/gif")
        # Back undoes a filter choice (each choice is a history entry).
        page.get_by_label("Type").select_option("")
        expect(tiles).to_have_count(24)
        assert "type=" not in page.url
        page.go_back()
        expect(page.get_by_label("Type")).to_have_value("image/gif")
        expect(tiles).to_have_count(1)

        # Past the last page: a friendly message and a link to the last page.
        page.goto("/gallery?page=99")
        notice = page.locator("[data-out-of-range]")
        expect(notice).to_contain_text("There is no page 99: your gallery has 3 pages.")
        expect(tiles).to_have_count(0)
        expect(page.locator("[data-pager]").first).to_be_hidden()
        screenshot(page, f"gallery out of range {viewport}")
        notice.get_by_role("link", name="Go to the last page").click()
        expect(page.locator("[data-pager] [data-page-label]").first).to_have_text("Page 3 of 3")
        expect(tiles).to_have_count(69 - 48)

        # The server says it too: without JavaScript the notice and its links are there.
        if viewport == "desktop":
            quiet = browser.new_context(
                base_url=live_server, java_script_enabled=False, storage_state=ctx.storage_state()
            )
            try:
                bare = quiet.new_page()
                bare.goto("/gallery?page=99")
                notice = bare.locator("[data-out-of-range]")
                expect(notice).to_be_visible()
                expect(notice).to_contain_text("There is no page 99: your gallery has 3 pages.")
                notice.get_by_role("link", name="Go to the first page").click()
                assert bare.url.endswith("/gallery")
            finally:
                quiet.close()
    finally:
        ctx.close()

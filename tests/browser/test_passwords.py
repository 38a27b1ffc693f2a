"""Passwords on albums and images in headless Chromium, desktop (1280x800) and phone (390x844):
the owner protects an album from its page; a visitor (a new browser context) opening the album
is asked for the password, the image's direct media link fails (401), a wrong password is
refused, the right one shows the images and their media links then work. The owner protects
an image from its page the same way. The server is `imgtree serve` with two workers and no
unlock key configured: an unlock given by one worker must hold in the other.
Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support import imagegen
from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"
ALBUM_PASSWORD = "blue lagoon 7"


def _owner(browser: Any, base: str, viewport: str) -> tuple[Any, dict[str, str]]:
    ctx = browser.new_context(base_url=base, **VIEWPORTS[viewport])
    email = f"pw-{uuid.uuid4().hex[:8]}@example.com"
    r = ctx.request.post("/api/auth/signup", data={"email": email, "password": PASSWORD})
    assert r.status == 201, r.text()
    return ctx, {"X-CSRF-Token": r.json()["csrf_token"]}


def _upload(ctx: Any, csrf: dict[str, str], name: str, **fields: str) -> dict[str, Any]:
    r = ctx.request.post(
        "/api/upload",
        headers=csrf,
        multipart={
            "files": {"name": name, "mimeType": "image/png", "buffer": imagegen.png(800, 500)},
            **fields,
        },
    )
    assert r.status == 200, r.text()
    return dict(r.json()["images"][0])


def _loaded(page: Any, selector: str) -> bool:
    """Whether the image the selector names was fetched and decoded."""
    return bool(
        page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0", None)
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_visitor_unlocks_a_password_protected_album(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    owner, csrf = _owner(browser, live_server, viewport)
    visitor = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    try:
        album = owner.request.post(
            "/api/albums", headers=csrf, data={"title": "Family trip", "isPublic": True}
        ).json()["album"]
        image = _upload(owner, csrf, "beach.png", albumId=album["id"], visibility="public")

        # The owner protects the album from its page.
        page = owner.new_page()
        page.goto(f"/albums/{album['id']}")
        form = page.locator("[data-password-form]")
        expect(form.locator("[data-password-state]")).to_contain_text("anyone with the link")
        form.locator("input[name=password]").fill(ALBUM_PASSWORD)
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-meta] [data-lock-badge]")).to_have_text("Password")
        expect(form.locator("[data-password-state]")).to_contain_text("must enter a password")
        assert _loaded(page, ".tile img")  # the owner sees it without unlocking
        screenshot(page, f"passwords album owner protected {viewport}")

        # A visitor is asked for the password; the direct media link does not work.
        assert visitor.request.get(image["direct_url"]).status == 401
        assert visitor.request.get(image["thumb_url"]).status == 401
        seen = visitor.new_page()
        response = seen.goto(f"/albums/{album['id']}")
        assert response is not None and response.status == 401
        expect(seen.locator("h1")).to_have_text("This album is password-protected")
        assert seen.locator("img").count() == 0
        assert seen.locator("meta[property='og:image']").count() == 0
        screenshot(seen, f"passwords album asks visitor {viewport}")

        seen.locator("input[name=password]").fill("not it")
        seen.locator("button[type=submit]").click()
        expect(seen.locator("[role=alert]")).to_have_text("Wrong password")
        assert seen.locator("img").count() == 0
        screenshot(seen, f"passwords album wrong password {viewport}")

        seen.locator("input[name=password]").fill(ALBUM_PASSWORD)
        seen.locator("button[type=submit]").click()
        expect(seen.locator("h1")).to_have_text("Family trip")
        tile = seen.locator(".tile img").first
        expect(tile).to_be_visible()
        seen.wait_for_function("() => document.querySelector('.tile img').naturalWidth > 0")
        screenshot(seen, f"passwords album unlocked {viewport}")
        # Its media links now work in this browser (and only here).
        assert visitor.request.get(image["direct_url"]).status == 200
        media = visitor.request.get(image["thumb_url"])
        assert media.status == 200 and media.headers["cache-control"] == "private, no-cache"
        seen.goto(image["url"])
        expect(seen.locator("figure.view img")).to_be_visible()
        seen.wait_for_function("() => document.querySelector('figure.view img').naturalWidth > 0")
        screenshot(seen, f"passwords album image page unlocked {viewport}")
        stranger = browser.new_context(base_url=live_server)
        try:
            assert stranger.request.get(image["direct_url"]).status == 401
        finally:
            stranger.close()
    finally:
        visitor.close()
        owner.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_owner_protects_an_image_from_its_page(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    owner, csrf = _owner(browser, live_server, viewport)
    visitor = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    try:
        image = _upload(owner, csrf, "secret.png")
        page = owner.new_page()
        page.goto(image["url"])
        form = page.locator("[data-password-form]")
        form.locator("input[name=password]").fill("image words")
        form.locator("button[type=submit]").click()
        expect(form.locator("[data-password-remove]")).to_be_visible()
        screenshot(page, f"passwords image owner protected {viewport}")

        seen = visitor.new_page()
        response = seen.goto(image["url"])
        assert response is not None and response.status == 401
        expect(seen.locator("h1")).to_have_text("This image is password-protected")
        assert visitor.request.get(image["direct_url"]).status == 401
        screenshot(seen, f"passwords image asks visitor {viewport}")
        seen.locator("input[name=password]").fill("image words")
        seen.locator("button[type=submit]").click()
        expect(seen.locator("figure.view img")).to_be_visible()
        seen.wait_for_function("() => document.querySelector('figure.view img').naturalWidth > 0")
        assert visitor.request.get(image["direct_url"]).status == 200

        # Removing the password opens it to everyone again.
        page.locator("[data-password-remove]").click()
        expect(form.locator("[data-password-state]")).to_contain_text("anyone with the link")
        stranger = browser.new_context(base_url=live_server)
        try:
            assert stranger.request.get(image["direct_url"]).status == 200
        finally:
            stranger.close()
    finally:
        visitor.close()
        owner.close()

"""Choosing visibility in headless Chromium: on the upload page the select (Unlisted by
default) explains the chosen option in one sentence; an upload made Private shows a Private
badge in the gallery, and the gallery's Actions menu changes visibility and description.
Guests are told their uploads are unlisted. Desktop (1280x800) and phone (390x844, touch)."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from PIL import Image

from imgtree.entrypoints.http.presenters import VISIBILITY_CHOICES
from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"
HELP = {value: help for value, _label, help in VISIBILITY_CHOICES}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 20)).save(out, "PNG")
    return out.getvalue()


def context(browser: Any, base: str, viewport: str, signed_in: bool) -> Any:
    ctx = browser.new_context(base_url=base, **VIEWPORTS[viewport])
    if signed_in:
        email = f"{uuid.uuid4().hex[:10]}@example.com"
        r = ctx.request.post("/api/auth/signup", data={"email": email, "password": PASSWORD})
        assert r.status == 201, r.text()
    return ctx


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_choose_private_on_upload_and_see_the_badge(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    ctx = context(browser, live_server, viewport, signed_in=True)
    try:
        page = ctx.new_page()
        page.goto("/")
        select = page.locator("select[data-visibility]")
        help_text = page.locator("[data-visibility-help]")
        expect(select).to_have_value("unlisted")
        expect(help_text).to_have_text(HELP["unlisted"])
        assert select.locator("option").all_inner_texts() == ["Unlisted", "Public", "Private"]
        select.select_option("private")
        expect(help_text).to_have_text(HELP["private"])
        screenshot(page, f"visibility upload private chosen {viewport}")
        page.set_input_files(
            "[data-file-input]", [{"name": "secret.png", "mimeType": "image/png", "buffer": png()}]
        )
        expect(page.locator("[data-batch-count]")).to_have_text("1 of 1 uploaded", timeout=20000)

        page.goto("/gallery")
        tile = page.locator(".tile").first
        badge = tile.locator("[data-visibility-badge]")
        expect(badge).to_have_text("Private")
        screenshot(page, f"visibility gallery private badge {viewport}")
        # Anyone else gets 404 for its page.
        href = tile.locator("a.tile-thumb").get_attribute("href")
        assert href
        anonymous = browser.new_context(base_url=live_server)
        try:
            assert anonymous.request.get(href).status == 404
        finally:
            anonymous.close()

        # The owner makes it public and describes it from the Actions menu.
        tile.locator("details.menu summary").click()
        editor = tile.locator(".tile-edit")
        editor.locator("select[name=visibility]").select_option("public")
        expect(editor.locator("p")).to_have_text(HELP["public"])
        editor.locator("textarea[name=description]").fill("A <b>red</b> square")
        screenshot(page, f"visibility gallery editor {viewport}")
        editor.locator("button", has_text="Save").click()
        expect(badge).to_have_text("Public")
        expect(page.locator("[data-status]")).to_contain_text("Saved")
        data = page.request.get("/api/images").json()
        assert (data["images"][0]["visibility"], data["images"][0]["description"]) == (
            "public",
            "A <b>red</b> square",
        )
    finally:
        ctx.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_guests_are_told_their_uploads_are_unlisted(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    ctx = context(browser, live_server, viewport, signed_in=False)
    try:
        page = ctx.new_page()
        page.goto("/")
        assert page.locator("select[data-visibility]").count() == 0
        expect(page.locator("[data-visibility-help]")).to_contain_text("Guest uploads are unlisted")
        with page.expect_response(lambda r: r.url.endswith("/api/upload/guest")) as done:
            page.set_input_files(
                "[data-file-input]",
                [{"name": "shared.png", "mimeType": "image/png", "buffer": png()}],
            )
        (image,) = done.value.json()["images"]
        assert image["visibility"] == "unlisted"
        screenshot(page, f"visibility guest unlisted {viewport}")
    finally:
        ctx.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_public_profile_without_javascript(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    """The profile is server-rendered: with JavaScript off it lists the public image only."""
    owner = context(browser, live_server, viewport, signed_in=True)
    try:
        for visibility in ("public", "unlisted", "private"):
            r = owner.request.post(
                "/api/upload",
                multipart={
                    "files": {
                        "name": f"{visibility}.png",
                        "mimeType": "image/png",
                        "buffer": png(),
                    },
                    "visibility": visibility,
                },
                headers={"X-CSRF-Token": owner.request.get("/api/auth/me").json()["csrf_token"]},
            )
            assert r.status == 200, r.text()
        user_id = owner.request.get("/api/auth/me").json()["user"]["id"]
    finally:
        owner.close()
    visitor = browser.new_context(
        base_url=live_server, java_script_enabled=False, **VIEWPORTS[viewport]
    )
    try:
        page = visitor.new_page()
        page.goto(f"/u/{user_id}")
        assert page.locator("h1").inner_text() == "imgtree user"
        assert page.locator(".tile").count() == 1  # the public image only
        assert "1 public image" in page.locator("main").inner_text()
        screenshot(page, f"visibility profile {viewport}")
    finally:
        visitor.close()

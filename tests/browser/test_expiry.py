"""Expiry in headless Chromium (issue 17 item 2): pick "Delete after: 1 hour" on the upload
page, see "Expires in …" in the upload's result, on the gallery tile and on the image page;
the owner's tools set it back to Never. Desktop and phone viewports; screenshots kept."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from PIL import Image

from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 80, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pick_one_hour_on_upload_and_see_when_it_expires(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    try:
        email = f"{uuid.uuid4().hex[:10]}@example.com"
        r = ctx.request.post("/api/auth/signup", data={"email": email, "password": PASSWORD})
        assert r.status == 201, r.text()
        page = ctx.new_page()
        page.goto("/")
        select = page.locator("select[data-expiry-select]")
        assert select.locator("option").all_inner_texts() == [
            "Never",
            "1 hour",
            "1 day",
            "1 week",
            "1 month",
            "1 year",
        ]
        select.select_option(label="1 hour")
        page.set_input_files(
            "[data-file-input]", [{"name": "soon.png", "mimeType": "image/png", "buffer": png()}]
        )
        expect(page.locator("[data-batch-count]")).to_have_text("1 of 1 uploaded", timeout=20000)
        expect(page.locator("[data-expires]").first).to_have_text("Expires in 59 minutes")
        screenshot(page, f"expiry upload result {viewport}")

        page.goto("/gallery")
        tile = page.locator(".tile").first
        expect(tile).to_contain_text("Expires in 59 minutes")
        screenshot(page, f"expiry gallery tile {viewport}")

        (image,) = page.request.get("/api/images").json()["images"]
        assert image["expires_at"] is not None
        page.goto(f"/i/{image['slug']}")
        expect(page.locator("[data-expires]")).to_have_text("Expires in 59 minutes")
        screenshot(page, f"expiry image page {viewport}")
        page.locator("[data-edit-form] select[name=expiresIn]").select_option(label="Never")
        page.locator("[data-edit-form] button[type=submit]").click()
        page.wait_for_load_state("load")
        expect(page.locator("[data-expires]")).to_have_count(0)
        (after,) = page.request.get("/api/images").json()["images"]
        assert after["expires_at"] is None
    finally:
        ctx.close()

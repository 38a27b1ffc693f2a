"""Placeholders in headless Chromium (issue 16 item 4): with the media routes blocked, so no
picture ever loads, the gallery tile (built from JSON), the profile tile and the image page
(server-rendered attributes) show the picture's dominant colour and its BlurHash as their
background; once the picture loads the placeholder goes. No CSP violation on the way."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from imgtree.adapters.imaging import blurhash
from tests.support.browser import Shot

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"
RED = "rgb(255, 0, 0)"


def _red_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (255, 0, 0)).save(out, "PNG")
    return out.getvalue()


def _background(img: Any) -> tuple[str, str]:
    return img.evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).backgroundImage]"
    )


def test_placeholder_shows_until_the_picture_loads(
    browser: Any, live_server: str, screenshot: Shot
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server)
    try:
        signup = context.request.post(
            "/api/auth/signup", data={"email": "colour@example.com", "password": PASSWORD}
        )
        assert signup.status == 201, signup.text()
        csrf = {"X-CSRF-Token": signup.json()["csrf_token"]}
        upload = context.request.post(
            "/api/upload",
            headers=csrf,
            multipart={
                "files": {"name": "red.png", "mimeType": "image/png", "buffer": _red_png()},
                "visibility": "public",
            },
        )
        assert upload.status == 200, upload.text()
        image = upload.json()["images"][0]
        assert image["dominant_color"] == "#ff0000"
        user_id = context.request.get("/api/auth/me").json()["user"]["id"]

        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.route("**/media/**", lambda route: route.abort())

        page.goto("/gallery")
        thumb = page.locator(".tile .tile-thumb img").first
        expect(thumb).to_be_attached()
        expect(thumb).to_have_css("background-color", RED)
        _colour, picture = _background(thumb)
        assert picture.startswith('url("data:image/png'), picture
        screenshot(page, "gallery placeholder")

        for path, selector in ((f"/u/{user_id}", ".tile img"), (f"/i/{image['id']}", ".view img")):
            page.goto(path)
            img = page.locator(selector).first
            expect(img).to_have_css("background-color", RED)
            _colour, picture = _background(img)
            assert picture.startswith('url("data:image/png'), (path, picture)
        # The page's decoder (static/blurhash.js) draws what the Python one does.
        drawn = page.evaluate(
            "h => Array.from(window.imgtreePlaceholder.decode(h, 8, 6))", image["blurhash"]
        )
        expected = blurhash.decode(image["blurhash"], 8, 6)
        got = [tuple(drawn[k : k + 3]) for k in range(0, len(drawn), 4)]
        assert len(got) == len(expected)
        assert all(
            abs(a - b) <= 1
            for p, q in zip(got, expected, strict=True)
            for a, b in zip(p, q, strict=True)
        )
        assert page.evaluate("() => window.imgtreePlaceholder.decode('<b>x</b>', 4, 3)") is None
        theme = page.locator('meta[name="theme-color"]')
        expect(theme).to_have_attribute("content", "#ff0000")
        screenshot(page, "image page placeholder")

        # Unblocked, the picture loads and its placeholder goes (nothing shows through a
        # transparent picture).
        page.unroute("**/media/**")
        page.goto(f"/i/{image['id']}")
        img = page.locator(".view img")
        page.wait_for_function(
            "() => { const i = document.querySelector('.view img'); "
            "return i.complete && i.naturalWidth > 0; }"
        )
        expect(img).not_to_have_css("background-color", RED)
        assert img.evaluate("el => el.style.backgroundImage") == ""
        assert violations == []
    finally:
        context.close()

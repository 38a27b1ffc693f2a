"""The image page's picture in headless Chromium: a phone (390x844 CSS px at 3 device pixels per
CSS px, touch) and a desktop (1280x800) load the medium rendition of a large image as AVIF (the
page's first <source>; Chromium decodes AVIF), never the original, and it fills the width it is
shown at. Screenshots: test-artifacts/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import imagegen
from tests.support.browser import Shot

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 3,
    },
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_large_image_page_loads_the_medium_rendition(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    context = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    try:
        signup = context.request.post(
            "/api/auth/signup",
            data={"email": f"renditions-{viewport}@example.com", "password": PASSWORD},
        )
        assert signup.status == 201, signup.text()
        csrf = {"X-CSRF-Token": signup.json()["csrf_token"]}
        upload = context.request.post(
            "/api/upload",
            headers=csrf,
            multipart={
                "files": {
                    "name": "wide.png",
                    "mimeType": "image/png",
                    "buffer": imagegen.png(3000, 2000),
                }
            },
        )
        assert upload.ok, upload.text()
        slug = upload.json()["images"][0]["id"]

        page = context.new_page()
        media: list[str] = []
        page.on(
            "request",
            lambda request: media.append(request.url) if "/media/" in request.url else None,
        )
        page.goto(f"/i/{slug}")
        img = page.locator("figure img")
        page.wait_for_function(
            "() => { const i = document.querySelector('figure img');"
            " return i.complete && i.naturalWidth > 0; }"
        )
        medium = f"{live_server}/media/medium/{slug}.avif"
        assert medium in media, media
        assert f"{live_server}/media/{slug}.png" not in media, media  # not the 3000 px original
        assert img.evaluate("i => i.currentSrc") == medium
        fetched = context.request.get(medium)
        assert fetched.headers["content-type"] == "image/avif"
        assert len(fetched.body()) < 200 * 1024
        box = img.bounding_box()
        width = VIEWPORTS[viewport]["viewport"]["width"]  # type: ignore[index]
        assert box is not None and 0 < box["width"] <= width
        screenshot(page, f"image page rendition {viewport}")
    finally:
        context.close()


def test_twelve_megapixel_photo_page_on_a_phone_downloads_under_200_kb(
    browser: Any, live_server: str, screenshot: Shot
) -> None:
    """Issue 16's bar: a phone opening a 12-MP photo's page fetches a rendition, and every
    image byte the page pulls adds up to under 200 KB (the original is ~2.4 MB)."""
    original = imagegen.photo()
    assert len(original) > 2_000_000
    context = browser.new_context(base_url=live_server, **VIEWPORTS["phone"])
    try:
        signup = context.request.post(
            "/api/auth/signup", data={"email": "twelve-mp@example.com", "password": PASSWORD}
        )
        assert signup.status == 201, signup.text()
        upload = context.request.post(
            "/api/upload",
            headers={"X-CSRF-Token": signup.json()["csrf_token"]},
            multipart={
                "files": {"name": "IMG_1234.JPG", "mimeType": "image/jpeg", "buffer": original}
            },
        )
        assert upload.ok, upload.text()
        slug = upload.json()["images"][0]["id"]
        page = context.new_page()
        images: dict[str, int] = {}

        def count(response: Any) -> None:
            if response.request.resource_type == "image":
                images[response.url] = len(response.body())

        page.on("response", count)
        page.goto(f"/i/{slug}")
        page.wait_for_function(
            "() => { const i = document.querySelector('figure img');"
            " return i.complete && i.naturalWidth > 0; }"
        )
        page.wait_for_load_state("networkidle")
        assert images, "the page loaded no image"
        assert f"{live_server}/media/{slug}.jpg" not in images  # never the original
        assert sum(images.values()) < 200_000, images
        screenshot(page, "12-MP photo page phone")
    finally:
        context.close()

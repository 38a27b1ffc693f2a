"""A guest keeps their links and claims them after sign-up (issue 15, items 3 and 8), in
headless Chromium at a desktop and a phone viewport. Screenshots: test-artifacts/screenshots/.

A guest uploads three files, opens an image page from a result (a new tab), reloads the upload
page and still sees all three with their delete links; "Forget" drops one; after signing up in
the same browser the gallery offers to add the other two, and adding them fills the gallery.
A claim with a wrong token is refused through the API and moves nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support import imagegen
from tests.support.browser import VIEWPORTS, Shot

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"
FILES = [
    {"name": "first.png", "mimeType": "image/png", "buffer": imagegen.png(320, 200)},
    {"name": "second.jpg", "mimeType": "image/jpeg", "buffer": imagegen.jpeg(300, 300)},
    {"name": "third.png", "mimeType": "image/png", "buffer": imagegen.png(200, 320)},
]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_guest_links_survive_and_are_claimed_after_sign_up(
    browser: Any, live_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    recent = page.locator("[data-recent]")
    expect(recent).to_be_hidden()  # nothing kept yet
    page.locator("input[type=file]").set_input_files(FILES)
    items = page.locator(".upload-item")
    expect(items).to_have_count(3)
    for i in range(3):
        expect(items.nth(i)).to_have_attribute("data-state", "done")
    expect(recent.locator(".recent-item")).to_have_count(3)
    delete_urls = recent.get_by_label("Delete link", exact=True).evaluate_all(
        "inputs => inputs.map(i => i.value)"
    )
    assert len(delete_urls) == 3 and all("/api/images/" in u for u in delete_urls)

    # "Open image page" opens a new tab; the upload page stays where it was.
    with context.expect_page() as opened:
        items.nth(0).get_by_role("link", name="Open image page").click()
    image_tab = opened.value
    image_tab.wait_for_load_state()
    assert urlsplit(image_tab.url).path.startswith("/i/")
    image_tab.close()

    page.reload()
    expect(recent).to_be_visible()
    expect(recent.locator(".recent-item")).to_have_count(3)
    names = recent.locator(".recent-name").all_text_contents()
    assert names == ["third.png", "second.jpg", "first.png"]  # newest first
    assert sorted(
        recent.get_by_label("Delete link", exact=True).evaluate_all(
            "inputs => inputs.map(i => i.value)"
        )
    ) == sorted(delete_urls)
    screenshot(page, f"guest-recent-uploads-{viewport}")

    # Forget one: it leaves this browser's list; the image stays online.
    forgotten = recent.locator(".recent-item").filter(has_text="second.jpg")
    forgotten_slug = forgotten.get_attribute("data-slug")
    forgotten.get_by_role("button", name="Forget second.jpg (the image stays online)").click()
    expect(recent.locator(".recent-item")).to_have_count(2)
    assert context.request.get(f"/i/{forgotten_slug}").status == 200
    page.reload()
    expect(recent.locator(".recent-item")).to_have_count(2)

    # A corrupt value in storage is ignored, not a crash; the real list comes back.
    kept = page.evaluate("localStorage.getItem('imgtree.recent.v1')")
    page.evaluate("localStorage.setItem('imgtree.recent.v1', '{not json')")
    page.reload()
    expect(recent).to_be_hidden()
    page.evaluate("v => localStorage.setItem('imgtree.recent.v1', v)", kept)
    page.reload()
    expect(recent.locator(".recent-item")).to_have_count(2)

    # Sign up in the same browser: the gallery offers the two guest uploads.
    page.goto("/signup")
    page.locator("input[name=email]").fill(f"claim-{viewport}@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/gallery")
    prompt = page.locator("[data-claim]")
    expect(prompt).to_be_visible()
    expect(prompt).to_have_attribute("role", "status")
    expect(prompt).to_contain_text(
        "You uploaded 2 images as a guest in this browser. Add them to your account?"
    )
    expect(page.locator("[data-images] .tile")).to_have_count(0)
    screenshot(page, f"guest-claim-prompt-{viewport}")

    # "Not now" hides it for this browser session, on every page; the list is kept.
    prompt.get_by_role("button", name="Not now").click()
    expect(prompt).to_be_hidden()
    page.goto("/")
    expect(page.locator("[data-upload]")).to_be_visible()
    expect(page.locator("[data-claim]")).to_be_hidden()
    expect(page.locator("[data-recent]")).to_have_count(0)  # guests only
    page.evaluate("sessionStorage.clear()")
    page.reload()
    expect(page.locator("[data-claim]")).to_contain_text("You uploaded 2 images")
    page.goto("/gallery")

    # A wrong token through the API is refused and changes nothing.
    csrf = context.request.get("/api/auth/me").json()["csrf_token"]
    stored = page.evaluate("JSON.parse(localStorage.getItem('imgtree.recent.v1')).items")
    image_id = urlsplit(stored[0]["delete_url"]).path.rsplit("/", 1)[1]
    wrong = context.request.post(
        "/api/images/claim",
        headers={"X-CSRF-Token": csrf},
        data={"items": [{"image_id": image_id, "delete_token": "not-the-token"}]},
    )
    assert wrong.status == 200, wrong.text()
    assert wrong.json()["results"][0]["status"] == "not_found"
    assert context.request.get("/api/images").json()["total"] == 0

    prompt.get_by_role("button", name="Add them").click()
    expect(prompt).to_contain_text("Added 2 images to your account.")
    tiles = page.locator("[data-images] .tile")
    expect(tiles).to_have_count(2)
    claimed = sorted(tiles.evaluate_all("ts => ts.map(t => t.dataset.slug)"))
    assert claimed == sorted(i["id"] for i in stored)
    assert forgotten_slug not in claimed
    assert page.evaluate("localStorage.getItem('imgtree.recent.v1')") is None
    screenshot(page, f"guest-claimed-gallery-{viewport}")

    # Reloading offers nothing more; the owner sees them in the API listing too.
    page.reload()
    expect(page.locator("[data-images] .tile")).to_have_count(2)
    expect(prompt).to_be_hidden()
    assert context.request.get("/api/images").json()["total"] == 2
    assert errors == []
    context.close()

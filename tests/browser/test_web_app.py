"""The browser app end to end in headless Chromium, against a real server over a socket.

One journey, in order: a guest drops a file; sign up, sign out, sign in (through a protected
page's redirect); upload two files through the file input and one by drag-and-drop, with
per-file progress; copy an embed code to the clipboard; create an album and move an image
into it; create and revoke an API key; download the ShareX config and upload with it exactly
as ShareX would; delete through the DeletionURL's confirmation page; a phone-sized viewport;
sign out. Every page visited is saved as a screenshot under test-artifacts/screenshots/.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import pytest
import requests

from tests.support import imagegen
from tests.support.browser import Shot
from tests.support.servers import eventually_status

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"

_EXPRESSION = re.compile(r"\{json:([^{}]+)\}")
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def resolve_sharex(template: str, doc: Any) -> str:
    """ShareX 14 syntax: replace each {json:a.b[0].c} with that value of the response JSON."""

    def one(match: re.Match[str]) -> str:
        value = doc
        for name, index in _STEP.findall(match.group(1)):
            value = value[int(index)] if index else value[name]
        return str(value)

    return _EXPRESSION.sub(one, template)


def test_resolve_sharex() -> None:
    doc = {"images": [{"url": "u", "n": {"k": [1, 2]}}], "error": "e"}
    assert resolve_sharex("{json:images[0].url}", doc) == "u"
    assert resolve_sharex("x {json:images[0].n.k[1]} {json:error}", doc) == "x 2 e"


def drop_files(page: Any, files: list[tuple[str, str, bytes]]) -> None:
    """Dispatch dragenter/dragover/drop on the drop zone with a DataTransfer built in the page."""
    payload = [
        {"name": name, "type": kind, "b64": base64.b64encode(data).decode()}
        for name, kind, data in files
    ]
    page.evaluate(
        """(files) => {
          const dt = new DataTransfer();
          for (const f of files) {
            const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], f.name, { type: f.type }));
          }
          const zone = document.querySelector("[data-dropzone]");
          for (const type of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(
              new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true })
            );
          }
        }""",
        payload,
    )


def nav(page: Any) -> Any:
    return page.get_by_role("navigation", name="Main")


def test_browser_app_journey(browser: Any, live_server: str, screenshot: Shot) -> None:
    from playwright.sync_api import expect

    base = live_server
    email = f"web-{uuid.uuid4().hex[:8]}@example.com"
    context = browser.new_context(
        base_url=base, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )

    assert requests.get(f"{base}/login", timeout=10).status_code == 200, (
        "the web pages are not routed: app.py must call register_pages()"
    )

    # A guest drops a file on the upload page and gets the codes and a delete link.
    page.goto("/")
    expect(page.get_by_role("heading", name="Upload images")).to_be_visible()
    screenshot(page, "upload guest empty")
    drop_files(page, [("guest drop.png", "image/png", imagegen.png(120, 80))])
    guest_item = page.locator(".upload-item").first
    expect(guest_item).to_have_attribute("data-state", "done")
    expect(guest_item.get_by_label("Delete link", exact=True)).to_have_value(
        re.compile(r"/api/images/.+token=")
    )
    screenshot(page, "upload guest done")

    # Sign up (a too-short password is refused in the page first), landing on the gallery.
    nav(page).get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(f"{base}/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("[data-error]")).to_contain_text("at least 8")
    screenshot(page, "signup error")
    page.get_by_label("Name").fill("Web <b>Tester</b>")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{base}/gallery")
    expect(page.locator("[data-summary]")).to_contain_text("No images yet")
    screenshot(page, "gallery empty")

    # Sign out; a protected page then redirects to sign-in, and back after it.
    nav(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/")
    expect(nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/settings")
    expect(page).to_have_url(f"{base}/login?next=/settings")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-error]")).to_have_text("Invalid email or password")
    screenshot(page, "login error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/settings")
    expect(page.get_by_text("Web <b>Tester</b>")).to_be_visible()  # escaped, not markup

    # Two files through the file input: each gets a progress bar that reaches done.
    nav(page).get_by_role("link", name="Upload").click()
    expect(page).to_have_url(f"{base}/")
    page.locator("input[type=file]").set_input_files(
        [
            {"name": "one.png", "mimeType": "image/png", "buffer": imagegen.png(640, 480)},
            {"name": "two.jpg", "mimeType": "image/jpeg", "buffer": imagegen.jpeg(800, 600)},
        ]
    )
    items = page.locator(".upload-item")
    expect(items).to_have_count(2)
    for i in range(2):
        expect(items.nth(i)).to_have_attribute("data-state", "done")
        assert items.nth(i).locator("progress").evaluate("p => p.value") == 100
        expect(items.nth(i).locator("img.thumb")).to_be_visible()
        expect(items.nth(i).get_by_label("Delete link", exact=True)).to_have_count(
            0
        )  # signed in: gallery
    assert page.locator("img.thumb").evaluate_all("imgs => imgs.every(i => i.naturalWidth > 0)")
    screenshot(page, "upload two files done")

    # Drag-and-drop while signed in.
    drop_files(page, [("dropped.gif", "image/gif", imagegen.gif(48, 48, frames=2))])
    expect(items).to_have_count(3)
    dropped = items.last  # results in selection order: the newest file comes last
    expect(dropped).to_have_attribute("data-state", "done")
    expect(dropped.locator(".name")).to_have_text("dropped.gif")
    dropped.get_by_role("button", name="Share dropped.gif").click()  # the share panel

    # Copy buttons put the code on the clipboard.
    markdown = dropped.get_by_label("Markdown", exact=True).input_value()
    assert markdown.startswith("![dropped.gif](") and markdown.endswith(".gif)")
    copy = dropped.get_by_role("button", name="Copy Markdown", exact=True)
    copy.click()
    expect(copy).to_have_text("Copied!")
    assert page.evaluate("navigator.clipboard.readText()") == markdown
    dropped.get_by_role("button", name="Copy Direct link", exact=True).click()
    assert (
        page.evaluate("navigator.clipboard.readText()")
        == dropped.get_by_label("Direct link", exact=True).input_value()
    )
    screenshot(page, "upload drop and copy")

    # Create an album (its title is text, never markup), then rename it.
    nav(page).get_by_role("link", name="Albums").click()
    expect(page).to_have_url(f"{base}/albums")
    title = "Trip <i>2026</i>"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Pictures & more")
    page.get_by_role("button", name="Create album").click()
    album = page.locator("li.album").first
    expect(album.locator(".album-title")).to_have_text(title)
    expect(album).to_contain_text("0 images · Public")
    album.get_by_text("Edit").click()
    album.locator("input[name=title]").fill("Trip 2026")
    album.get_by_role("button", name="Save").click()
    expect(album.locator(".album-title")).to_have_text("Trip 2026")
    album_href = album.locator(".album-title").get_attribute("href")
    assert album_href and album_href.startswith("/albums/")
    screenshot(page, "albums")

    # Move an image into the album from the gallery's menu.
    nav(page).get_by_role("link", name="Gallery").click()
    expect(page.locator(".tile")).to_have_count(3)
    tile = page.locator(".tile", has_text="two.jpg")
    tile.get_by_text("Actions").click()
    tile.get_by_label("Album for two.jpg").select_option(label="Trip 2026")
    screenshot(page, "gallery menu open")
    tile.get_by_role("button", name="Move").click()
    expect(page.locator("[data-status]")).to_contain_text("Moved")
    page.reload()
    expect(
        page.locator(".tile", has_text="two.jpg").get_by_label("Album for two.jpg")
    ).to_have_value(album_href.rsplit("/", 1)[1])

    # The album page lists it; a signed-out visitor sees the public album too.
    page.goto(album_href)
    expect(page.get_by_role("heading", name="Trip 2026")).to_be_visible()
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.locator(".tile")).to_contain_text("two.jpg")
    screenshot(page, "album")
    visitor = browser.new_context(base_url=base)
    other = visitor.new_page()
    other.goto(album_href)
    expect(other.locator(".tile")).to_have_count(1)
    screenshot(other, "album as visitor")
    visitor.close()

    # API keys: the secret shows once; after a reload only metadata remains; revoke it.
    nav(page).get_by_role("link", name="Settings").click()
    expect(page).to_have_url(f"{base}/settings")
    page.get_by_label("Key name").fill("laptop")
    page.get_by_label("Delete your images").uncheck()
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create key").click()
    secret_box = page.locator("[data-secret]")
    expect(secret_box).to_be_visible()
    secret = page.get_by_label("New API key").input_value()
    assert secret.startswith("imgt_")
    row = page.locator("tr", has_text="laptop")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("upload, images:read, albums")
    listed = requests.get(
        f"{base}/api/v1/upload", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    ).json()
    assert listed["scopes"] == ["upload", "images:read", "albums"]
    assert listed["key_expires_at"] and listed["key_expires_at"][:4] >= "2026"
    screenshot(page, "settings key created")
    page.reload()
    expect(secret_box).to_be_hidden()
    assert secret not in page.content()
    row.get_by_role("button", name="Revoke laptop").click()
    row.get_by_role("button", name="Confirm revoke").click()
    expect(row).to_contain_text("Revoked")
    r = requests.post(
        f"{base}/api/v1/upload",
        headers={"Authorization": f"Bearer {secret}"},
        files={"file": ("x.png", imagegen.png(8, 8), "image/png")},
        timeout=10,
    )
    assert r.status_code == 401
    screenshot(page, "settings key revoked")

    # The ShareX config: downloaded as a file, then used exactly as ShareX would.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download ShareX config").click()
    download = download_info.value
    host = base.split("://", 1)[1]
    assert download.suggested_filename == f"{host.replace(':', '_')}.sxcu"
    config = json.loads(download.path().read_text())
    assert config["Name"] == host
    expect(page.locator("tr", has_text="ShareX")).to_contain_text("Active")
    expect(page.locator("tr", has_text="ShareX")).to_contain_text("upload")
    assert config["RequestMethod"] == "POST" and config["Body"] == "MultipartFormData"
    assert config["RequestURL"] == f"{base}/api/v1/upload"
    sharex = requests.request(
        config["RequestMethod"],
        config["RequestURL"],
        headers=config["Headers"],
        files={config["FileFormName"]: ("Screenshot.png", imagegen.png(300, 200), "image/png")},
        timeout=30,
    )
    assert sharex.status_code == 200, sharex.text
    answer = sharex.json()
    url = resolve_sharex(config["URL"], answer)
    thumb = resolve_sharex(config["ThumbnailURL"], answer)
    deletion = resolve_sharex(config["DeletionURL"], answer)
    assert url.startswith(f"{base}/i/") and "{" not in thumb + deletion
    assert requests.get(url, timeout=10).status_code == 200
    got = requests.get(thumb, timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("image/")
    direct = answer["images"][0]["direct_url"]
    assert requests.get(direct, timeout=10).status_code == 200

    # ShareX opens the DeletionURL in a browser: confirm there, and the file is gone.
    page.goto(deletion)
    expect(page.get_by_role("heading", name="Delete this image?")).to_be_visible()
    screenshot(page, "delete confirm")
    page.get_by_role("button", name="Delete image").click()
    expect(page.get_by_role("heading", name="Deleted")).to_be_visible()
    screenshot(page, "deleted")
    assert eventually_status(direct, 404) == 404  # other workers: within the media cache TTL

    # A public image page, with the signed-in nav.
    page.goto(url.replace(answer["images"][0]["id"], "nothing1"))
    screenshot(page, "image not found")
    page.goto("/gallery")
    first_page = page.locator(".tile a.tile-thumb").first.get_attribute("href")
    page.goto(first_page)
    expect(nav(page).get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "image page")

    # Phone width: no page scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    phone_pages = {
        "upload": "/",
        "gallery": "/gallery",
        "albums": "/albums",
        "album": album_href,
        "settings": "/settings",
        "image page": first_page,
    }
    for name, path in phone_pages.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide at 390px"
        screenshot(page, f"phone {name}")

    page.goto("/")
    drop_files(page, [("phone.webp", "image/webp", imagegen.webp(200, 150))])
    expect(page.locator(".upload-item").first).to_have_attribute("data-state", "done")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone upload done")

    # Sign out from the phone-sized page.
    page.goto("/settings")
    nav(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/")
    expect(nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/gallery")
    expect(page).to_have_url(f"{base}/login?next=/gallery")
    screenshot(page, "phone signed out")

    context.close()
    assert not problems, problems

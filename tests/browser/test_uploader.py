"""The uploader in headless Chromium against a real server with the DEFAULT rate limits (this
module starts its own; conftest's `live_server` raises them): a guest's 14 files and a signed-in
user's 35 (one over 8 MiB, through presign -> PUT -> complete) all land without anyone doing
anything; a 429/503 is waited out (Retry-After) and retried by itself; Cancel and Retry work;
"Copy all links" copies page links, Markdown or BBCode one per line; leaving mid-upload is
warned; files over this visitor's limit or of another type are refused in the browser.
Desktop (1280x800) and phone (390x844) viewports; screenshots in test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from tests.support.browser import VIEWPORTS, Shot
from tests.support.servers import local_env, serve

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`imgtree serve` with every limit at its default (guest 5 MB and 10 requests a minute,
    accounts 20 MB and 30 a minute, 20 files a batch)."""
    root = tmp_path_factory.mktemp("uploader")
    with serve(local_env(root), root / "server.log") as base:
        yield base


def small_png(i: int) -> bytes:
    rng = random.Random(i)
    im = Image.new("RGB", (32, 24), (rng.randrange(256), rng.randrange(256), i % 256))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def large_png() -> bytes:
    """A noise PNG just over 8 MiB (noise does not compress): the presign path's file."""
    rng = random.Random(7)
    side = 1720
    im = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=1)
    data = out.getvalue()
    assert 8 * MIB < len(data) < 20 * MIB, len(data)
    return data


def files(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {"name": f"{prefix}-{i:02d}.png", "mimeType": "image/png", "buffer": small_png(i)}
        for i in range(count)
    ]


def new_page(browser: Any, base: str, viewport: str, email: str | None = None) -> Any:
    context = browser.new_context(base_url=base, **VIEWPORTS[viewport])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    if email:
        r = context.request.post("/api/auth/signup", data={"email": email, "password": PASSWORD})
        assert r.status == 201, r.text()
    page = context.new_page()
    page.goto("/")
    return page


def wait_finished(page: Any, total: int, timeout: float = 45_000) -> None:
    from playwright.sync_api import expect

    batch = page.locator("[data-batch]")
    expect(batch).to_have_attribute("data-busy", "false", timeout=timeout)
    expect(batch).to_have_attribute("data-total", str(total))


def names_in_order(page: Any) -> list[str]:
    return page.locator("li.upload-item .name").evaluate_all(
        "nodes => nodes.map(n => n.textContent)"
    )


def codes_in_order(page: Any, key: str) -> list[str]:
    return page.evaluate(
        """key => Array.from(document.querySelectorAll('li.upload-item[data-state=done]'))
            .map(li => li.querySelector('button.copy[data-copy=' + key + ']')
                         .previousElementSibling.value)""",
        key,
    )


def beforeunload_armed(page: Any) -> bool:
    return bool(
        page.evaluate(
            """() => { const e = new Event('beforeunload', {cancelable: true});
                       window.dispatchEvent(e); return e.defaultPrevented; }"""
        )
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_guest_drops_14_files_and_every_one_lands(
    browser: Any, default_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, default_server, viewport)
    try:
        form = page.locator("[data-upload]")
        assert form.get_attribute("data-max-bytes") == str(5 * MIB)
        expect(page.locator("[data-limits]")).to_have_text(
            "JPEG, PNG, GIF, WebP, HEIC, HEIF or AVIF, up to 5 MB each, 20 per batch."
        )
        picked = files(14, f"guest-{viewport}")
        page.set_input_files("[data-file-input]", picked)
        wait_finished(page, 14)
        expect(page.locator("[data-batch-count]")).to_have_text("14 of 14 uploaded")
        assert page.locator("[data-batch]").get_attribute("data-failed") == "0"
        assert names_in_order(page) == [f["name"] for f in picked]  # selection order
        assert page.locator("li.upload-item[data-state=done]").count() == 14
        # Sizes in KB/MB, never raw bytes; result links open in a new tab (delete links kept).
        sizes = page.locator("li.upload-item .size").all_inner_texts()
        assert all(s.endswith((" B", " KB", " MB")) for s in sizes), sizes
        link = page.get_by_role("link", name="Open image page").first
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener"
        assert page.locator(".delete-link").count() == 14
        assert not beforeunload_armed(page)
        screenshot(page, f"uploader guest 14 {viewport}")
        # Copy all links: the page links, one per line, in selection order.
        page.get_by_role("button", name="Copy all links").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == "\n".join(codes_in_order(page, "page"))
        assert len(copied.splitlines()) == 14
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_signed_in_user_drops_35_files_one_large(
    browser: Any, default_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, default_server, viewport, email=f"up35-{viewport}@example.com")
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {r.url.split('?')[0]}"))
    try:
        assert page.locator("[data-upload]").get_attribute("data-max-bytes") == str(20 * MIB)
        # Slow the upload link so the large file's byte progress is observable.
        cdp = page.context.new_cdp_session(page)
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": 12 * MIB,
            },
        )
        page.evaluate(
            """() => { window.__progress = [];
              new MutationObserver(() => document.querySelectorAll('.upload-item .state')
                .forEach(s => { if (/^\\d+% of/.test(s.textContent))
                                  window.__progress.push(s.textContent); }))
              .observe(document.querySelector('[data-uploads]'),
                       {subtree: true, childList: true, characterData: true}); }"""
        )
        picked = files(34, f"user-{viewport}")
        picked.insert(
            17, {"name": f"large-{viewport}.png", "mimeType": "image/png", "buffer": large_png()}
        )
        page.set_input_files("[data-file-input]", picked)
        expect(page.locator("[data-batch-count]")).to_contain_text("of 35 uploaded")
        assert beforeunload_armed(page)  # leaving now would lose files: the page asks
        screenshot(page, f"uploader 35 in flight {viewport}")
        wait_finished(page, 35, timeout=55_000)
        expect(page.locator("[data-batch-count]")).to_have_text("35 of 35 uploaded")
        assert names_in_order(page) == [f["name"] for f in picked]
        assert page.locator("li.upload-item[data-state=done]").count() == 35
        assert not beforeunload_armed(page)
        # Batches, not one request per file; the large file went presign -> PUT -> complete.
        posts = [s for s in seen if s.endswith("/api/upload") and s.startswith("POST")]
        assert len(posts) == 2, seen
        assert any(s.startswith("POST") and s.endswith("/api/upload/presign") for s in seen)
        assert any(s.startswith("PUT") and "/api/v1/upload/put/" in s for s in seen)
        assert any(s.startswith("POST") and s.endswith("/api/upload/complete") for s in seen)
        progress = page.evaluate("window.__progress")
        partial = [p for p in progress if not p.startswith("100%") and "MB" in p]
        assert partial, progress  # real byte progress of the large PUT
        # The large file's size is shown in MB.
        large = page.locator("li.upload-item").nth(17)
        megabytes = f"{len(picked[17]['buffer']) / MIB:.1f}".removesuffix(".0")
        expect(large.locator(".size")).to_have_text(f"{megabytes} MB")
        screenshot(page, f"uploader 35 done {viewport}")

        api = json.loads(page.context.request.get("/api/images?limit=100").text())
        assert len(api["images"]) == 35
        for fmt, key in (("page", "page"), ("markdown", "markdown"), ("bbcode", "bbcode")):
            page.locator("[data-copy-format]").select_option(fmt)
            page.locator("[data-copy-all]").click()
            expect(page.locator("[data-copy-all]")).to_have_text("Copied 35 links")
            expected = codes_in_order(page, key)
            assert page.evaluate("navigator.clipboard.readText()") == "\n".join(expected)
            assert set(expected) == {image["codes"][key] for image in api["images"]}
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_429_is_waited_out_and_retried(
    browser: Any, default_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, default_server, viewport)
    calls: list[int] = []

    def once_too_many(route: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            route.fulfill(
                status=429,
                headers={"Retry-After": "2", "Content-Type": "application/json"},
                body=json.dumps({"success": False, "error": "Too many requests"}),
            )
        else:
            route.continue_()

    page.route("**/api/upload/guest", once_too_many)
    try:
        page.set_input_files("[data-file-input]", files(3, f"retry-{viewport}"))
        expect(page.locator(".upload-item .state").first).to_contain_text("(rate limit)")
        expect(page.locator(".upload-item .state").first).to_have_text("Waiting 2s (rate limit)…")
        assert beforeunload_armed(page)
        screenshot(page, f"uploader waiting 429 {viewport}")
        wait_finished(page, 3)
        expect(page.locator("[data-batch-count]")).to_have_text("3 of 3 uploaded")
        assert len(calls) == 2
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_cancel_and_retry(
    browser: Any, default_server: str, screenshot: Shot, viewport: str
) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, default_server, viewport, email=f"cancel-{viewport}@example.com")
    calls: list[int] = []

    def busy_then_broken(route: Any) -> None:
        calls.append(1)
        if len(calls) == 1:  # wait 3 s: time to cancel a file before it goes again
            route.fulfill(
                status=503,
                headers={"Retry-After": "3", "Content-Type": "application/json"},
                body=json.dumps({"success": False, "error": "Busy"}),
            )
        elif len(calls) == 2:  # a failure that is not "later": the files wait for Retry
            route.fulfill(
                status=500,
                headers={"Content-Type": "application/json"},
                body=json.dumps({"success": False, "error": "Something broke"}),
            )
        else:
            route.continue_()

    page.route("**/api/upload", busy_then_broken)
    try:
        picked = files(3, f"cancel-{viewport}")
        page.set_input_files("[data-file-input]", picked)
        second = page.locator("li.upload-item").nth(1)
        expect(second.locator(".state")).to_contain_text("(server busy)")
        second.get_by_role("button", name=f"Cancel {picked[1]['name']}").click()
        expect(second).to_have_attribute("data-state", "cancelled")
        expect(page.locator("[data-batch-count]")).to_contain_text("of 2 uploaded")
        # The two others go again by themselves, meet the 500 and fail with Retry.
        expect(page.locator("[data-batch]")).to_have_attribute("data-failed", "2")
        first = page.locator("li.upload-item").first
        expect(first.locator(".error")).to_have_text("Something broke")
        screenshot(page, f"uploader failed with retry {viewport}")
        for i in (0, 2):
            page.get_by_role("button", name=f"Retry {picked[i]['name']}").click()
        wait_finished(page, 2)
        expect(page.locator("[data-batch-count]")).to_have_text("2 of 2 uploaded")
        expect(second).to_have_attribute("data-state", "cancelled")
        api = json.loads(page.context.request.get("/api/images").text())
        assert sorted(i["original_name"] for i in api["images"]) == [
            picked[0]["name"],
            picked[2]["name"],
        ]
    finally:
        page.context.close()


def test_files_over_the_limit_or_of_another_type_are_never_sent(
    browser: Any, default_server: str, screenshot: Shot
) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, default_server, "phone")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/upload" in r.url else None)
    try:
        page.set_input_files(
            "[data-file-input]",
            [
                {"name": "big.png", "mimeType": "image/png", "buffer": b"\x89PNG" + bytes(6 * MIB)},
                {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"},
            ],
        )
        items = page.locator("li.upload-item")
        expect(items.nth(0)).to_have_attribute("data-state", "refused")
        expect(items.nth(0).locator(".error")).to_have_text(
            "Not sent: 6 MB is over the 5 MB limit."
        )
        expect(items.nth(1).locator(".error")).to_have_text(
            "Not sent: text/plain is not JPEG, PNG, GIF, WebP, HEIC, HEIF or AVIF."
        )
        expect(page.locator("[data-batch-count]")).to_have_text("0 of 0 uploaded · 2 not sent")
        screenshot(page, "uploader refused phone")
        assert sent == []
    finally:
        page.context.close()

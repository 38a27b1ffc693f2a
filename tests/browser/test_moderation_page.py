"""Moderation end to end in headless Chromium against a real server (SQLite + local disk), at
desktop and phone widths: a visitor reports a guest image from its page, the admin finds it
in the Reports queue (the visitor's text shown as text), deletes it with block, and the
guest's re-upload of the same file is refused with 451. Screenshots go to
test-artifacts/screenshots/moderation-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.browser.test_admin_page import PASSWORD, sign_in, watch
from tests.support import imagegen
from tests.support.browser import SCREENSHOTS
from tests.support.servers import cli, local_env, serve

pytestmark = [pytest.mark.browser]

ADMIN = "moderator@example.com"
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def moderation_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("moderation")
    env = local_env(
        root,
        IMGTREE_RATE_LIMIT_PER_MINUTE="1000",
        IMGTREE_GUEST_RATE_LIMIT_PER_MINUTE="1000",
        IMGTREE_ADDRESS_HASH_KEY="m" * 32,
    )
    with serve(env, root / "server.log") as base:
        cli(env, "users", "create", ADMIN, "--password", PASSWORD, "--admin")
        yield base, env


def guest_upload(base: str, data: bytes) -> requests.Response:
    return requests.post(
        f"{base}/api/upload/guest", files={"files": ("g.png", data, "image/png")}, timeout=30
    )


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_report_then_delete_with_block(
    browser: Any, moderation_server: tuple[str, dict[str, str]], viewport: str
) -> None:
    from playwright.sync_api import expect

    base, _ = moderation_server
    width, height = VIEWPORTS[viewport]
    data = imagegen.png(40 + width % 97, 30)  # a different file per viewport
    r = guest_upload(base, data)
    assert r.status_code == 200, r.text
    slug = r.json()["images"][0]["id"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # A visitor reports it from the image page.
    visitor = browser.new_context(base_url=base, viewport={"width": width, "height": height})
    visitor.set_default_timeout(10_000)
    page = visitor.new_page()
    problems = watch(page)
    page.goto(f"/i/{slug}")
    page.get_by_text("Report this image").click()
    page.get_by_label("Reason").select_option("spam")
    hostile = '<img src=x onerror="document.title=1">'
    page.get_by_label("Details (optional)").fill(hostile)
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("[data-report-status]")).to_contain_text("Thank you")
    page.screenshot(path=str(SCREENSHOTS / f"moderation-{viewport}-1-reported.png"), full_page=True)
    visitor.close()

    # The admin sees it in the queue, the text as text, and deletes it with block.
    admin = browser.new_context(base_url=base, viewport={"width": width, "height": height})
    admin.set_default_timeout(10_000)
    page = admin.new_page()
    problems += watch(page)
    sign_in(page, ADMIN)
    row = page.locator(f"[data-report-rows] tr[data-slug='{slug}']")
    expect(row).to_have_count(1)
    expect(row.locator(".report-text")).to_have_text(hostile)
    assert page.locator("[data-report-rows] img[onerror]").count() == 0
    page.screenshot(path=str(SCREENSHOTS / f"moderation-{viewport}-2-queue.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete + block").click()
    expect(page.locator(f"[data-report-rows] tr[data-slug='{slug}']")).to_have_count(0)
    expect(page.locator("[data-audit-rows] tr").first).to_contain_text("image.delete")
    page.screenshot(path=str(SCREENSHOTS / f"moderation-{viewport}-3-removed.png"), full_page=True)
    admin.close()

    assert requests.get(f"{base}/i/{slug}", timeout=10).status_code == 404
    again = guest_upload(base, data)
    assert again.status_code == 451, again.text
    assert again.json()["success"] is False
    assert not problems, problems

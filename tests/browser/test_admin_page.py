"""The /admin page end to end in headless Chromium, against a real server over a socket.

An admin made with the CLI, a user who uploads with an API key, a guest upload and an open
presign; then, signed in as the admin: the statistics and both SVG charts; searching users;
an inline edit (quota and deactivation) that the API then enforces and the audit log shows;
the last admin failing to demote themselves; keyboard-only editing; phone width; a non-admin
getting the 403 page. Screenshots go to test-artifacts/screenshots/admin-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import imagegen
from tests.support.browser import SCREENSHOTS
from tests.support.servers import cli, local_env, serve

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"
ADMIN = "admin@example.com"
USER = "user@example.com"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh `imgtree serve` (SQLite + local disk); yields its base URL and the CLI's env."""
    root = tmp_path_factory.mktemp("admin")
    env = local_env(
        root,
        IMGTREE_RATE_LIMIT_PER_MINUTE="1000",
        IMGTREE_GUEST_RATE_LIMIT_PER_MINUTE="1000",
    )
    with serve(env, root / "server.log") as base:
        yield base, env


class Shots:
    """shot(page, "name"): a full-page PNG test-artifacts/screenshots/admin-NN-name.png."""

    def __init__(self) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page: Any, name: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = SCREENSHOTS / f"admin-{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def format_bytes(n: float) -> str:
    """The page's Imgtree.formatBytes."""
    units = ["B", "KB", "MB", "GB"]
    i = 0
    while n >= 1024 and i < len(units) - 1:
        n /= 1024
        i += 1
    return f"{int(n)} {units[i]}" if i == 0 else f"{n:.1f} {units[i]}"


def new_key(env: dict[str, str], email: str) -> str:
    return cli(env, "keys", "create", "--email", email, "--name", "script").strip().splitlines()[-1]


def watch(page: Any) -> list[str]:
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
    return problems


def sign_in(page: Any, email: str, next_path: str = "/admin") -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_admin_page(browser: Any, admin_server: tuple[str, dict[str, str]]) -> None:
    from playwright.sync_api import expect

    base, env = admin_server
    shot = Shots()

    # An admin and a user from the command line; the user uploads two images with a key.
    cli(env, "users", "create", ADMIN, "--password", PASSWORD, "--admin")
    cli(env, "users", "create", USER, "--password", PASSWORD)
    user_key = new_key(env, USER)
    admin_key = new_key(env, ADMIN)
    bearer = {"Authorization": f"Bearer {user_key}"}
    for name, kind, data in [
        ("one.png", "image/png", imagegen.png(320, 240)),
        ("two.jpg", "image/jpeg", imagegen.jpeg(400, 300)),
    ]:
        r = requests.post(
            f"{base}/api/v1/upload", headers=bearer, files={"file": (name, data, kind)}, timeout=30
        )
        assert r.status_code == 200, r.text
    assert requests.get(f"{base}/api/v1/images", headers=bearer, timeout=10).status_code == 200
    # A guest upload, and a presign that is never completed.
    r = requests.post(
        f"{base}/api/upload/guest",
        files={"files": ("guest.png", imagegen.png(64, 64), "image/png")},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    r = requests.post(
        f"{base}/api/v1/upload/presign",
        headers=bearer,
        json={"filename": "later.png", "contentType": "image/png", "sizeBytes": 1000},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    stats = requests.get(
        f"{base}/api/admin/stats", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    ).json()
    assert stats["images"] == 3 and stats["pending_presigns"] == 1, stats

    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = watch(page)

    # Signed out, /admin asks to sign in first, then comes back.
    r = requests.get(f"{base}/admin", allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"] == "/login?next=/admin"
    sign_in(page, ADMIN)
    expect(page).to_have_url(f"{base}/admin")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Admin")).to_have_attribute("aria-current", "page")

    # The numbers.
    stat = page.locator("[data-stats]")

    def value(name: str) -> Any:
        return stat.locator(f"[data-stat={name}]")

    expect(value("users")).to_have_text("2")
    expect(value("active_users")).to_have_text("(2 active)")
    expect(value("images")).to_have_text("3")
    expect(value("bytes_stored")).to_have_text(format_bytes(stats["bytes_stored"]))
    expect(value("last_24h")).to_have_text("3")
    expect(value("last_7d")).to_have_text("3")
    expect(value("last_30d")).to_have_text("3")
    expect(value("guest_uploads")).to_have_text("1")
    expect(value("account_uploads")).to_have_text("2")
    expect(value("pending_presigns")).to_have_text("1")
    by_type = stat.locator("[data-by-type] tr")
    expect(by_type).to_have_count(2)
    expect(by_type.first).to_contain_text("image/png")
    expect(by_type.first).to_contain_text("2")
    top = stat.locator("[data-top-uploaders] tr")
    expect(top).to_have_count(1)
    expect(top.first).to_contain_text(USER)

    # The charts: one bar and one point per day, accessible, with the same numbers as text.
    days = len(stats["uploads_per_day"])
    assert days == 30
    uploads_chart = page.locator("[data-chart=uploads] svg")
    expect(uploads_chart).to_have_attribute("role", "img")
    expect(uploads_chart.locator("rect.bar")).to_have_count(days)
    assert uploads_chart.locator("title").first.text_content() == "Uploads per day, last 30 days"
    per_day = [d["uploads"] for d in stats["uploads_per_day"]]
    assert sum(per_day) == 3 and per_day[-1] > 0
    expect(uploads_chart.locator("rect.bar").last).to_have_attribute("data-value", str(per_day[-1]))
    storage_chart = page.locator("[data-chart=storage] svg")
    expect(storage_chart.locator("circle.point")).to_have_count(len(stats["storage_over_time"]))
    expect(storage_chart.locator("path.line")).to_have_count(1)
    expect(page.locator("[data-chart=uploads] [data-chart-table] tbody tr")).to_have_count(days)
    expect(page.locator("[data-chart=storage] [data-chart-table] tbody tr")).to_have_count(days)
    heights = uploads_chart.locator("rect.bar").evaluate_all(
        "bars => bars.map(b => Number(b.getAttribute('height')))"
    )
    assert [h > 0 for h in heights] == [n > 0 for n in per_day], heights
    expect(page.locator("[data-audit-summary]")).to_have_text("No changes recorded yet.")
    expect(page.locator("[data-users-summary]")).to_have_text("2 users")
    shot(page, "dashboard")

    # Find the user by email.
    users = page.locator("[data-users]")
    users.get_by_label("Search by email or name").fill("USER@example")
    users.get_by_role("button", name="Search").click()
    expect(page.locator("[data-users-summary]")).to_have_text("1 user matching “USER@example”")
    rows = users.locator("[data-user-rows] tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text(USER)
    expect(row.get_by_label(f"Role for {USER}")).to_have_value("user")
    expect(row.get_by_label(f"Active: {USER}")).to_be_checked()
    expect(row.get_by_label(f"Quota for {USER} (empty for unlimited)")).to_have_value("")
    shot(page, "search")

    # Inline edit: a 50 MB quota, and deactivated.
    row.get_by_label(f"Quota for {USER} (empty for unlimited)").fill("50")
    row.get_by_label(f"Quota unit for {USER}").select_option("MB")
    row.get_by_label(f"Active: {USER}").uncheck()
    row.get_by_role("button", name=f"Save {USER}").click()
    expect(row.locator(".row-status")).to_have_text("Saved.")
    expect(row.locator(".badge", has_text="inactive")).to_be_visible()

    # The API agrees: the user's key is refused, the new quota is stored.
    r = requests.get(f"{base}/api/v1/images", headers=bearer, timeout=10)
    assert r.status_code == 403, r.text
    listed = requests.get(
        f"{base}/api/admin/users",
        params={"q": USER},
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=10,
    ).json()["users"]
    assert [(u["email"], u["active"], u["quota_bytes"]) for u in listed] == [(USER, False, 50 * MB)]

    # The audit log shows it, and the numbers follow.
    audit = page.locator("[data-audit-rows] tr")
    expect(audit).to_have_count(1)
    entry = audit.first
    expect(entry.locator("td").nth(1)).to_contain_text(ADMIN)
    expect(entry.locator("td").nth(2)).to_have_text(USER)
    expect(entry).to_contain_text("Quota: unlimited → 50 MB")
    expect(entry).to_contain_text("Active: yes → no")
    expect(value("active_users")).to_have_text("(1 active)")
    shot(page, "user deactivated")

    # The last admin cannot demote themselves: the 409 message shows on the row.
    users.get_by_label("Search by email or name").fill("admin@")
    users.get_by_label("Search by email or name").press("Enter")
    expect(rows).to_have_count(1)
    me = rows.first
    expect(me.locator(".badge", has_text="you")).to_be_visible()
    me.get_by_label(f"Role for {ADMIN}").select_option("user")
    me.get_by_role("button", name=f"Save {ADMIN}").click()
    expect(me.locator(".row-status")).to_have_text(
        "The last active admin cannot be demoted or deactivated"
    )
    expect(me.locator(".row-status")).to_have_class(re.compile(r"\berror\b"))
    expect(audit).to_have_count(1)
    shot(page, "last admin refused")

    # By keyboard only: put the role back, give the admin a 2 GB quota, Enter saves it.
    me.get_by_label(f"Role for {ADMIN}").select_option("admin")
    quota = me.get_by_label(f"Quota for {ADMIN} (empty for unlimited)")
    quota.focus()
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        f"Quota unit for {ADMIN}"
    )
    me.get_by_label(f"Quota unit for {ADMIN}").select_option("GB")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(me.locator(".row-status")).to_have_text("Saved.")
    expect(audit).to_have_count(2)
    expect(audit.first).to_contain_text("Quota: unlimited → 2 GB")
    expect(audit.first.locator("td").nth(2)).to_have_text(ADMIN)
    # A bad quota is refused in the page before any request.
    quota.fill("-1")
    me.get_by_role("button", name=f"Save {ADMIN}").click()
    expect(me.locator(".row-status")).to_contain_text("must be a number")
    expect(audit).to_have_count(2)

    # Back to everyone; a reload keeps the saved values.
    page.reload()
    expect(page.locator("[data-users-summary]")).to_have_text("2 users")
    expect(rows).to_have_count(2)
    user_row = rows.filter(has_text=USER)
    expect(user_row.get_by_label(f"Quota for {USER} (empty for unlimited)")).to_have_value("50")
    expect(user_row.get_by_label(f"Active: {USER}")).not_to_be_checked()
    expect(audit).to_have_count(2)
    shot(page, "after reload")

    # Phone width: the page itself never scrolls sideways; the wide tables scroll in place.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(rows).to_have_count(2)
    expect(page.locator("[data-chart=uploads] svg rect.bar")).to_have_count(days)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"/admin is {width}px wide at 390px"
    wrap = page.locator("[data-users] .table-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    svg_width = page.locator("[data-chart=uploads] svg").evaluate(
        "s => s.getBoundingClientRect().width"
    )
    assert svg_width <= 390
    shot(page, "phone")
    page.emulate_media(color_scheme="dark")
    shot(page, "phone dark")
    context.close()
    assert not problems, problems

    # Someone without the admin role gets a 403 page (and no Admin link).
    other = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    other.set_default_timeout(10_000)
    visitor = other.new_page()
    other_problems = watch(visitor)
    visitor.goto("/signup")
    visitor.get_by_label("Email").fill("viewer@example.com")
    visitor.get_by_label("Name").fill("Eve <b>viewer</b>")
    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_role("button", name="Sign up").click()
    expect(visitor).to_have_url(f"{base}/gallery")
    visitor_nav = visitor.get_by_role("navigation", name="Main")
    expect(visitor_nav.get_by_role("link", name="Gallery")).to_be_visible()
    expect(visitor_nav.get_by_role("link", name="Admin")).to_have_count(0)
    response = visitor.goto("/admin")
    assert response is not None and response.status == 403
    expect(visitor.get_by_role("heading", name="Admins only")).to_be_visible()
    assert visitor.locator("[data-admin]").count() == 0
    shot(visitor, "not an admin")
    other.close()
    assert not [p for p in other_problems if "403" not in p], other_problems

    # The admin sees the new user's name as text, never markup.
    again = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    again.set_default_timeout(10_000)
    page = again.new_page()
    sign_in(page, ADMIN)
    expect(page).to_have_url(f"{base}/admin")
    expect(page.locator("[data-users-summary]")).to_have_text("3 users")
    expect(page.get_by_text("Eve <b>viewer</b>")).to_be_visible()
    again.close()

"""Accounts in headless Chromium against a real server: the sessions list in Settings (this
device marked, another device signed out from here, a hostile User-Agent shown as text), and
two-factor sign-in (enrolment with the QR code, recovery codes, sign-in asking for a code)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.browser import Shot

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"
HOSTILE_UA = 'Mozilla/5.0 <img src=x onerror="window.pwned=1"> Evil/1.0'


def _context(browser: Any, base: str, **kwargs: Any) -> Any:
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, **kwargs)
    context.set_default_timeout(10_000)
    return context


def _watch(page: Any, problems: list[str]) -> None:
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )


def _sign_up(page: Any, email: str) -> None:
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/gallery")


def _sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sessions_list_and_sign_out_another_device(
    browser: Any, live_server: str, screenshot: Shot
) -> None:
    from playwright.sync_api import expect

    email = f"sess-{uuid.uuid4().hex[:8]}@example.com"
    problems: list[str] = []
    laptop = _context(browser, live_server)
    phone = _context(browser, live_server, user_agent=HOSTILE_UA)
    page = laptop.new_page()
    _watch(page, problems)
    _sign_up(page, email)
    other = phone.new_page()
    _sign_in(other, email)
    other.wait_for_url("**/gallery")

    page.goto("/settings")
    rows = page.locator("[data-session-rows] tr")
    expect(rows).to_have_count(2)
    mine = page.locator("[data-session-rows] tr[data-current=true]")
    expect(mine.get_by_text("this device")).to_be_visible()
    expect(mine).to_contain_text("127.0.0.1")
    theirs = page.locator("[data-session-rows] tr[data-current=false]")
    expect(theirs).to_contain_text("Unknown browser")
    assert theirs.locator(".device").get_attribute("title") == HOSTILE_UA  # text, not markup
    assert page.evaluate("window.pwned") is None
    screenshot(page, "settings sessions")

    theirs.get_by_role("button", name="Sign out").click()
    theirs.get_by_role("button", name="Confirm sign out").click()
    expect(page.locator("[data-sessions] [data-status]")).to_contain_text("Signed out")
    expect(rows).to_have_count(1)
    assert other.request.get("/api/auth/me").status == 401

    # Sign out everywhere else: a third sign-in ends, this one stays.
    third = _context(browser, live_server).new_page()
    _sign_in(third, email)
    third.wait_for_url("**/gallery")
    page.reload()
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(page.locator("[data-sessions] [data-status]")).to_have_text(
        "Signed out 1 other session."
    )
    expect(rows).to_have_count(1)
    assert third.request.get("/api/auth/me").status == 401
    assert page.request.get("/api/auth/me").status == 200
    assert not problems, problems
    for context in (laptop, phone, third.context):
        context.close()


def test_two_factor_enrolment_and_sign_in_with_a_code(
    browser: Any, live_server: str, screenshot: Shot
) -> None:
    import time

    import pyotp
    from playwright.sync_api import expect

    email = f"totp-{uuid.uuid4().hex[:8]}@example.com"
    problems: list[str] = []
    context = _context(browser, live_server)
    page = context.new_page()
    _watch(page, problems)
    _sign_up(page, email)

    page.goto("/settings")
    section = page.locator("[data-two-factor]")
    expect(section).to_have_attribute("data-enabled", "false")
    section.get_by_role("button", name="Set up two-factor sign-in").click()
    qr = section.get_by_role("img", name="QR code of your two-factor key")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the CSP let it load
    secret = section.get_by_label("Two-factor key").input_value()
    assert len(secret) == 32
    screenshot(page, "settings two-factor setup")
    section.locator("[data-2fa-enable]").get_by_label("Code from the app").fill("000000x")
    section.get_by_role("button", name="Turn on").click()
    expect(section.locator("[data-error]")).to_have_text("Invalid two-factor code")
    totp = pyotp.TOTP(secret)
    section.locator("[data-2fa-enable]").get_by_label("Code from the app").fill(totp.now())
    section.get_by_role("button", name="Turn on").click()
    expect(section).to_have_attribute("data-enabled", "true")
    codes = section.locator("[data-2fa-code-list] li")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text().strip()
    screenshot(page, "settings two-factor recovery codes")

    # Sign out, then in: the password alone is not enough, the page asks for the code.
    page.locator("nav").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/")
    _sign_in(page, email)
    code_input = page.get_by_label("Two-factor code")
    expect(code_input).to_be_visible()
    expect(page.locator("[data-error]")).to_contain_text("authenticator app")
    screenshot(page, "login asks for the code")
    # The enrolment spent this step's code: the next step's (accepted one step early).
    code_input.fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/gallery")

    # A recovery code works once, typed in capitals.
    other = _context(browser, live_server).new_page()
    _watch(other, problems)
    _sign_in(other, email)
    other.get_by_label("Two-factor code").fill(recovery.upper())
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url("**/gallery")
    assert not problems, problems
    context.close()
    other.context.close()

"""Two-factor sign-in over HTTP (issue 14, item 2): /api/auth/2fa/* with session and CSRF,
sign-in asking for the code, /api/auth/me's flag, and IMGTREE_REQUIRE_ADMIN_2FA."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pyotp
import pytest

from imgtree.domain.model import Role
from tests.support.accounts import log_in, promote
from tests.support.app import App
from tests.support.browser import PASSWORD, Browser, sign_up

REQUIRED = {
    "success": False,
    "error": "Two-factor code required",
    "two_factor_required": True,
}


def enrol(browser: Browser) -> tuple[str, list[str]]:
    setup = browser.request("POST", "/api/auth/2fa/setup")
    assert setup.status_code == 200, setup.text
    secret = setup.json["secret"]
    enabled = browser.request(
        "POST", "/api/auth/2fa/enable", json={"code": pyotp.TOTP(secret).now()}
    )
    assert enabled.status_code == 200, enabled.text
    return secret, enabled.json["recovery_codes"]


def login(app: App, email: str, **fields: str):  # type: ignore[no-untyped-def]
    return app.client.simulate_post(
        "/api/auth/login", json={"email": email, "password": PASSWORD, **fields}
    )


def test_setup_returns_secret_uri_and_an_svg_qr_code(app: App) -> None:
    browser = sign_up(app, "qr@example.com")
    r = browser.request("POST", "/api/auth/2fa/setup")
    assert r.status_code == 200 and set(r.json) == {"success", "secret", "otpauth_uri", "qr_svg"}
    assert r.json["otpauth_uri"] == (
        f"otpauth://totp/imgtree:qr%40example.com?secret={r.json['secret']}&issuer=imgtree"
    )
    svg = r.json["qr_svg"]
    assert svg.startswith("<svg") and "<script" not in svg and "href" not in svg
    # Base64 of it is what the page puts in the img's data: URI.
    assert base64.b64encode(svg.encode()).decode()
    assert browser.request("POST", "/api/auth/2fa/setup", csrf=False).status_code == 403
    assert app.client.simulate_post("/api/auth/2fa/setup").status_code == 401


def test_enrol_then_sign_in_needs_the_code(app: App) -> None:
    browser = sign_up(app, "two@example.com")
    me = browser.request("GET", "/api/auth/me").json["user"]
    assert me["two_factor_enabled"] is False
    secret, codes = enrol(browser)
    assert len(codes) == 10
    assert browser.request("GET", "/api/auth/me").json["user"]["two_factor_enabled"] is True

    r = login(app, "two@example.com")
    assert r.status_code == 401 and r.json == REQUIRED
    assert "set-cookie" not in r.headers
    wrong = login(app, "two@example.com", code="12345x")
    assert wrong.status_code == 401
    assert wrong.json == {"success": False, "error": "Invalid two-factor code"}
    # A wrong password with a code is still only "invalid email or password".
    bad = app.client.simulate_post(
        "/api/auth/login",
        json={"email": "two@example.com", "password": "wrong password", "code": "123456"},
    )
    assert bad.status_code == 401 and bad.json["error"] == "Invalid email or password"
    ok = log_in(app, "two@example.com", code=codes[0])
    assert ok.request("GET", "/api/auth/me").status_code == 200
    again = login(app, "two@example.com", code=codes[0])
    assert again.status_code == 401 and again.json["error"] == "Invalid two-factor code"
    assert secret


def test_enable_refuses_a_wrong_code_and_bad_input(app: App) -> None:
    browser = sign_up(app)
    no_setup = browser.request("POST", "/api/auth/2fa/enable", json={"code": "123456"})
    assert no_setup.status_code == 409
    secret = browser.request("POST", "/api/auth/2fa/setup").json["secret"]
    right = pyotp.TOTP(secret).now()
    wrong = "000000" if right != "000000" else "111111"
    r = browser.request("POST", "/api/auth/2fa/enable", json={"code": wrong})
    assert r.status_code == 403 and r.json == {"success": False, "error": "Invalid two-factor code"}
    assert browser.request("POST", "/api/auth/2fa/enable", json={}).status_code == 400
    assert browser.request("POST", "/api/auth/2fa/enable", json={"code": 123456}).status_code == 400


def test_wrong_codes_are_throttled_at_sign_in(app: App) -> None:
    browser = sign_up(app, "thr@example.com")
    enrol(browser)
    statuses = [
        app.client.simulate_post(
            "/api/auth/login",
            json={"email": "thr@example.com", "password": PASSWORD, "code": "not-a-code"},
            remote_addr="203.0.113.9",
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_disable_and_new_recovery_codes(app: App) -> None:
    browser = sign_up(app, "off@example.com")
    _secret, codes = enrol(browser)
    fresh = browser.request("POST", "/api/auth/2fa/recovery-codes", json={"code": codes[0]})
    assert fresh.status_code == 200 and len(fresh.json["recovery_codes"]) == 10
    stale = browser.request("POST", "/api/auth/2fa/recovery-codes", json={"code": codes[1]})
    assert stale.status_code == 403
    new = fresh.json["recovery_codes"]
    wrong_pw = browser.request(
        "POST", "/api/auth/2fa/disable", json={"password": "nope nope", "code": new[0]}
    )
    assert wrong_pw.status_code == 403 and wrong_pw.json["error"] == "Password is wrong"
    missing = browser.request("POST", "/api/auth/2fa/disable", json={"password": PASSWORD})
    assert missing.status_code == 400
    off = browser.request(
        "POST", "/api/auth/2fa/disable", json={"password": PASSWORD, "code": new[0]}
    )
    assert off.status_code == 200 and off.json == {"success": True}
    assert login(app, "off@example.com").status_code == 200


@pytest.mark.parametrize("backend", ["memory"])
def test_admins_without_two_factor_are_kept_from_the_admin_tools(
    make_app: Callable[..., App], backend: str
) -> None:
    app = make_app(backend=backend, require_admin_2fa=True)
    admin = sign_up(app, "root@example.com")
    key = app.key_for(promote(app, admin.user_id, role=Role.ADMIN))
    for r in (
        admin.request("GET", "/api/admin/stats"),
        admin.request("GET", "/api/admin/users"),
        app.client.simulate_get("/api/admin/audit", headers={"Authorization": f"Bearer {key}"}),
        admin.request("DELETE", f"/api/admin/users/{admin.user_id}/sessions"),
    ):
        assert r.status_code == 403
        assert r.json == {
            "success": False,
            "error": "Turn on two-factor sign-in to use the admin tools",
        }
    page = admin.request("GET", "/admin")
    assert page.status_code == 403 and "Turn on two-factor sign-in" in page.text
    assert 'href="/settings#two-factor-h"' in page.text
    enrol(admin)
    assert admin.request("GET", "/api/admin/stats").status_code == 200
    assert admin.request("GET", "/admin").status_code == 200

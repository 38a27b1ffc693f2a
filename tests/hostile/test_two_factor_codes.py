"""Hostile second factors at sign-in: codes that are too long, not digits, full-width digits,
NUL, bidi and HTML, JSON that is not a string. Each is a clean 401 (a `code` that is not a
string counts as none given: "Two-factor code required"), starts no session, and stays within
the per-request cost ceilings."""

from __future__ import annotations

import uuid
from typing import Any

import pyotp
import pytest

from tests.hostile import BACKENDS, assert_clean_error, build_app
from tests.hostile.cost import measure
from tests.support.app import App
from tests.support.browser import PASSWORD, sign_up

HOSTILE_CODES: dict[str, Any] = {
    "10kb": "1" * 10_240,
    "7-digits": "1234567",
    "5-digits": "12345",
    "full-width-digits": "\uff11\uff12\uff13\uff14\uff15\uff16",
    "arabic-indic-digits": "\u0661\u0662\u0663\u0664\u0665\u0666",
    "nul": "123\x00456",
    "bidi": "\u202e654321",
    "html": "<script>alert(1)</script>",
    "sql": "' OR 1=1 --",
    "spaces-only": "      ",
    "number": 123456,
    "list": ["123456"],
    "null": None,
}


@pytest.fixture(scope="module", params=BACKENDS)
def enrolled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[App, str]:
    # A high per-pair limit: this module sends many wrong codes from one address on purpose.
    app = build_app(tmp_path_factory.mktemp(f"2fa-{request.param}"), request.param)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    browser = sign_up(app, email)
    secret = browser.request("POST", "/api/auth/2fa/setup").json["secret"]
    r = browser.request("POST", "/api/auth/2fa/enable", json={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200, r.text
    return app, email


@pytest.mark.parametrize("name", HOSTILE_CODES)
def test_hostile_code_is_refused_cleanly(enrolled: tuple[App, str], name: str) -> None:
    app, email = enrolled
    with measure() as cost:
        r = app.client.simulate_post(
            "/api/auth/login",
            json={"email": email, "password": PASSWORD, "code": HOSTILE_CODES[name]},
            # A fresh address per case: the wrong codes must not throttle each other.
            remote_addr=f"203.0.113.{list(HOSTILE_CODES).index(name) + 1}",
        )
    assert_clean_error(r.status_code, r.json, r.text, 401)
    assert "set-cookie" not in r.headers
    assert cost.over_limits() is None, cost.describe()
    if HOSTILE_CODES[name] is None or not isinstance(HOSTILE_CODES[name], str):
        assert r.json.get("two_factor_required") is True  # not a string: no code given
    elif name == "spaces-only":
        assert r.json["error"] == "Invalid two-factor code"
    else:
        assert r.json == {"success": False, "error": "Invalid two-factor code"}

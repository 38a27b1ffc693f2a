"""Browsers: a signed-in session client for the HTTP tests, and screenshots for Chromium's.

`sign_up(app)` creates an account through /api/auth/signup and returns a `Browser` holding
its session cookie and CSRF token, for the cookie-session API driven through falcon.testing.
`Shot` / `SCREENSHOTS` belong to the headless-Chromium tests (tests/browser), whose
`screenshot` fixture writes full-page PNGs there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import attrs

from tests.support.app import App
from tests.support.multipart import encode

# --- the session API through falcon.testing ----------------------------------------------------

PASSWORD = "correct horse battery"


@attrs.define
class Browser:
    """A signed-in browser: the session cookie plus the CSRF token the app handed out."""

    app: App
    cookie: str
    csrf: str
    user_id: str

    def request(self, method: str, path: str, *, csrf: bool = True, **kwargs):
        headers = {**kwargs.pop("headers", {})}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.app.client.simulate_request(
            method, path, cookies={"imgtree_session": self.cookie}, headers=headers, **kwargs
        )

    def upload(self, *files: tuple[str, str, bytes], field: str = "files", **fields: str):
        body, ctype = encode([(field, n, t, d) for n, t, d in files], fields)
        return self.request("POST", "/api/upload", body=body, headers={"Content-Type": ctype})


def session_cookie(result) -> str:
    jar = SimpleCookie()
    jar.load(result.headers["set-cookie"])
    return jar["imgtree_session"].value


def sign_up(app: App, email: str | None = None) -> Browser:
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    r = app.client.simulate_post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return Browser(app, session_cookie(r), r.json["csrf_token"], r.json["user"]["id"])


# --- headless Chromium ---------------------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

Shot = Callable[[Any, str], Path]


# The two sizes every browser journey runs at: a laptop, and a phone (touch, mobile layout).
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}

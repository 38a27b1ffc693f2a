"""Signing in over falcon.testing with a chosen browser and address, and admin promotion."""

from __future__ import annotations

import uuid
from typing import Any

from imgtree.domain.commands import UserChanges
from imgtree.domain.model import Role, User
from tests.support.app import App
from tests.support.browser import PASSWORD, Browser, session_cookie, sign_up

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def log_in(
    app: App,
    email: str,
    *,
    password: str = PASSWORD,
    user_agent: str = FIREFOX_LINUX,
    remote_addr: str = "198.51.100.7",
    **fields: Any,
) -> Browser:
    r = app.client.simulate_post(
        "/api/auth/login",
        json={"email": email, "password": password, **fields},
        headers={"User-Agent": user_agent},
        remote_addr=remote_addr,
    )
    assert r.status_code == 200, r.text
    return Browser(app, session_cookie(r), r.json["csrf_token"], r.json["user"]["id"])


def promote(app: App, user_id: str | uuid.UUID, **changes: Any) -> User:
    """Change a user as the operator's command line does (no actor)."""
    admin = app.container.use_cases.admin()
    return admin.update_user(None, uuid.UUID(str(user_id)), UserChanges(**changes))


def admin_browser(app: App, email: str | None = None) -> Browser:
    browser = sign_up(app, email)
    promote(app, browser.user_id, role=Role.ADMIN)
    return browser


def use_cheap_argon2(monkeypatch: Any) -> None:
    """Every Argon2PasswordHasher built from now on (in apps made after this call) hashes with
    the cheapest argon2id parameters: still argon2id end to end, at a fraction of the cost."""
    import argon2

    from imgtree.adapters.system import Argon2PasswordHasher

    original = Argon2PasswordHasher.__init__

    def init(self: Argon2PasswordHasher, hasher: argon2.PasswordHasher | None = None) -> None:
        original(self, argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

    monkeypatch.setattr(Argon2PasswordHasher, "__init__", init)

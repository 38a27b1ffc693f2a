"""An account's own sessions over HTTP (issue 14, item 3; ASVS 7.4.5, 7.5.2): listed with
device, address and times, ended one at a time or all but this one; an admin ends them all.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable

from tests.support.accounts import SAFARI_IPHONE, admin_browser, log_in, promote
from tests.support.app import App
from tests.support.browser import sign_up

SESSION_KEYS = {
    "id",
    "device",
    "user_agent",
    "address",
    "created_at",
    "last_seen_at",
    "expires_at",
    "current",
}


def test_sessions_are_listed_with_device_address_and_current_marker(app: App) -> None:
    first = sign_up(app, "s@example.com")
    phone = log_in(app, "s@example.com", user_agent=SAFARI_IPHONE, remote_addr="203.0.113.5")
    r = phone.request("GET", "/api/auth/sessions")
    assert r.status_code == 200 and r.json["success"] is True
    sessions = r.json["sessions"]
    assert len(sessions) == 2 and all(set(s) == SESSION_KEYS for s in sessions)
    newest = sessions[0]  # newest first: the phone
    assert newest["current"] is True and sessions[1]["current"] is False
    assert newest["device"] == "Safari on iOS" and newest["address"] == "203.0.113.5"
    assert newest["user_agent"] == SAFARI_IPHONE
    assert first.request("GET", "/api/auth/sessions").json["sessions"][1]["current"] is True


def test_the_address_is_the_client_behind_a_trusted_proxy(
    make_app: Callable[..., App],
) -> None:
    app = make_app(trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    sign_up(app, "p@example.com")
    r = app.client.simulate_post(
        "/api/auth/login",
        json={"email": "p@example.com", "password": "correct horse battery"},
        headers={"X-Forwarded-For": "2001:db8::1234, 10.0.0.2"},
        remote_addr="10.0.0.1",
    )
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    listed = app.client.simulate_get("/api/auth/sessions", cookies={"imgtree_session": cookie})
    # The address itself, not the /64 the rate limits count.
    assert listed.json["sessions"][0]["address"] == "2001:db8::1234"


def test_ending_one_session_signs_that_browser_out(app: App) -> None:
    laptop = sign_up(app, "e@example.com")
    phone = log_in(app, "e@example.com", user_agent=SAFARI_IPHONE)
    phone_id = next(
        s["id"] for s in phone.request("GET", "/api/auth/sessions").json["sessions"] if s["current"]
    )
    no_csrf = laptop.request("DELETE", f"/api/auth/sessions/{phone_id}", csrf=False)
    assert no_csrf.status_code == 403
    r = laptop.request("DELETE", f"/api/auth/sessions/{phone_id}")
    assert r.status_code == 200 and r.json == {"success": True}
    assert phone.request("GET", "/api/auth/me").status_code == 401
    assert laptop.request("GET", "/api/auth/me").status_code == 200
    again = laptop.request("DELETE", f"/api/auth/sessions/{phone_id}")
    assert again.status_code == 404 and again.json == {
        "success": False,
        "error": "Session not found",
    }
    listed = laptop.request("GET", "/api/auth/sessions").json["sessions"]
    assert [s["current"] for s in listed] == [True]


def test_ending_the_current_session_clears_its_cookie(app: App) -> None:
    browser = sign_up(app)
    own = browser.request("GET", "/api/auth/sessions").json["sessions"][0]["id"]
    r = browser.request("DELETE", f"/api/auth/sessions/{own}")
    assert r.status_code == 200 and r.headers["set-cookie"].startswith('imgtree_session="";')
    assert browser.request("GET", "/api/auth/me").status_code == 401


def test_another_accounts_session_is_not_found(app: App) -> None:
    mallory = sign_up(app)
    victim = sign_up(app)
    victims = victim.request("GET", "/api/auth/sessions").json["sessions"][0]["id"]
    for target in (victims, str(uuid.uuid4())):
        r = mallory.request("DELETE", f"/api/auth/sessions/{target}")
        assert r.status_code == 404 and r.json["success"] is False
    assert mallory.request("DELETE", "/api/auth/sessions/nope").status_code == 400
    assert victim.request("GET", "/api/auth/me").status_code == 200


def test_revoke_others_keeps_only_this_session(app: App) -> None:
    here = sign_up(app, "o@example.com")
    others = [log_in(app, "o@example.com") for _ in range(3)]
    r = here.request("POST", "/api/auth/sessions/revoke-others")
    assert r.status_code == 200 and r.json == {"success": True, "revoked": 3}
    assert all(b.request("GET", "/api/auth/me").status_code == 401 for b in others)
    assert here.request("GET", "/api/auth/me").status_code == 200
    assert here.request("POST", "/api/auth/sessions/revoke-others").json["revoked"] == 0


def test_sessions_need_sign_in(app: App) -> None:
    r = app.client.simulate_get("/api/auth/sessions")
    assert r.status_code == 401 and r.json["success"] is False
    r = app.client.simulate_post("/api/auth/sessions/revoke-others")
    assert r.status_code == 401


def test_admin_ends_a_users_sessions_and_it_is_audited(app: App) -> None:
    admin = admin_browser(app)
    user = sign_up(app, "u@example.com")
    log_in(app, "u@example.com")
    r = admin.request("DELETE", f"/api/admin/users/{user.user_id}/sessions")
    assert r.status_code == 200 and r.json == {"success": True, "revoked": 2}
    assert user.request("GET", "/api/auth/me").status_code == 401
    entry = admin.request("GET", "/api/admin/audit").json["entries"][0]
    assert entry["action"] == "user.sessions.end" and entry["target_id"] == user.user_id
    assert entry["details"] == {"email": "u@example.com", "sessions": 2}
    # Not for a plain user; unknown user 404.
    assert user.request("DELETE", f"/api/admin/users/{admin.user_id}/sessions").status_code == 401
    other = sign_up(app)
    refused = other.request("DELETE", f"/api/admin/users/{admin.user_id}/sessions")
    assert refused.status_code == 403
    missing = admin.request("DELETE", f"/api/admin/users/{uuid.uuid4()}/sessions")
    assert missing.status_code == 404


def test_deactivation_ends_sessions_for_good(app: App) -> None:
    user = sign_up(app, "d@example.com")
    promote(app, user.user_id, active=False)
    promote(app, user.user_id, active=True)
    # Switched back on, the old session does not come back.
    assert user.request("GET", "/api/auth/me").status_code == 401
    log_in(app, "d@example.com")

"""/api/admin/* and storage quotas over HTTP (falcon.testing, memory and SQLite + local disk).

Who may call the admin API (session + CSRF, or an admin's API key), its exact JSON shapes,
PATCHing role/active/quota, the audit log; quota refusals on every upload path; discovery's
`quota`; deactivation taking effect at once; an inactive account's public images.
"""

from __future__ import annotations

import base64
import io
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import argon2
import pytest

from imgtree.adapters.system import Argon2PasswordHasher
from imgtree.domain.commands import UserChanges
from imgtree.domain.errors import human_size
from imgtree.domain.model import Role, User
from imgtree.entrypoints.http.app import MEDIA_CACHE_TTL
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import Browser, sign_up
from tests.support.multipart import encode

ROUTES = ("/api/admin/stats", "/api/admin/users", "/api/admin/audit")
USER_KEYS = {
    "id",
    "email",
    "name",
    "role",
    "active",
    "quota_bytes",
    "used_bytes",
    "remaining_bytes",
    "created_at",
    "two_factor_enabled",
}
PAGE_KEYS = {"success", "page", "limit", "total", "has_more"}


class _QuotaError(str):
    """The quota refusal's sentence: it names the figures and what to do, so it differs per
    case; it equals any such sentence (the figures are checked where they are known)."""

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, str)
            and other.startswith("Storage quota exceeded: this file needs ")
            and other.endswith(
                "Delete images you no longer need, or ask the administrator for a larger quota."
            )
        )

    __hash__ = str.__hash__


QUOTA_ERROR = _QuotaError("Storage quota exceeded")
DATA = imagegen.png(40, 30)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, minimal cost: sign-ups here test admin rules, not password hashing."""

    def init(self: Argon2PasswordHasher, hasher: argon2.PasswordHasher | None = None) -> None:
        self._hasher = hasher or argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

    monkeypatch.setattr(Argon2PasswordHasher, "__init__", init)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def promote(app: App, user_id: str | uuid.UUID, **changes: Any) -> User:
    """Change a user as the operator's command line does (no actor)."""
    admin = app.container.use_cases.admin()
    return admin.update_user(None, uuid.UUID(str(user_id)), UserChanges(**changes))


def admin_browser(app: App) -> Browser:
    browser = sign_up(app)
    promote(app, browser.user_id, role=Role.ADMIN)
    return browser


def published_size(app: App, data: bytes = DATA) -> int:
    processed = app.container.adapters.image_processor().process(io.BytesIO(data))
    processed.published.close()
    processed.thumbnail.close()
    return processed.published_size


def v1_multipart(app: App, headers: dict[str, str], *names: str, data: bytes = DATA):
    body, ctype = encode([("file", n, "image/png", data) for n in names])
    return app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}
    )


def get_user(app: App, user_id: str | uuid.UUID) -> User:
    with app.container.adapters.uow_factory()() as uow:
        user = uow.users.get(uuid.UUID(str(user_id)))
    assert user is not None
    return user


def used(app: App, user_id: str | uuid.UUID) -> int:
    return get_user(app, user_id).used_bytes


def patch(app: App, headers: dict[str, str], user_id: object, doc: object):
    return app.client.simulate_patch(f"/api/admin/users/{user_id}", json=doc, headers=headers)


# --- who may call it -------------------------------------------------------------------------


def test_admin_api_needs_auth_and_the_admin_role(app: App) -> None:
    target = app.user()
    normal = sign_up(app)
    normal_key = bearer(app.key_for(app.user()))
    calls = [("GET", r, {}) for r in ROUTES]
    calls.append(("PATCH", f"/api/admin/users/{target.id}", {"json": {"active": False}}))
    for method, path, kwargs in calls:
        anonymous = app.client.simulate_request(method, path, **kwargs)
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.json["success"] is False
        forged = app.client.simulate_request(
            method, path, headers=bearer("imgt_nope_nope"), **kwargs
        )
        assert forged.status_code == 401
        assert (
            app.client.simulate_request(
                method, path, cookies={"imgtree_session": "forged"}, **kwargs
            ).status_code
            == 401
        )
        by_session = normal.request(method, path, **kwargs)
        assert by_session.status_code == 403 and by_session.json["error"] == "Admin role required"
        by_key = app.client.simulate_request(method, path, headers=normal_key, **kwargs)
        assert by_key.status_code == 403 and by_key.json["error"] == "Admin role required"
    assert used(app, target.id) == 0
    with app.container.adapters.uow_factory()() as uow:
        assert uow.users.get(target.id).active is True  # type: ignore[union-attr]
        assert uow.audit.count() == 0


def test_admin_by_session_needs_csrf_on_writes(app: App) -> None:
    admin = admin_browser(app)
    target = app.user()
    for route in ROUTES:
        assert admin.request("GET", route, csrf=False).status_code == 200
    path = f"/api/admin/users/{target.id}"
    no_csrf = admin.request("PATCH", path, csrf=False, json={"quota_bytes": 10})
    assert no_csrf.status_code == 403 and no_csrf.json["error"] == "Missing or invalid CSRF token"
    wrong = admin.request(
        "PATCH", path, csrf=False, json={"quota_bytes": 10}, headers={"X-CSRF-Token": "x"}
    )
    assert wrong.status_code == 403
    ok = admin.request("PATCH", path, json={"quota_bytes": 10})
    assert ok.status_code == 200 and ok.json["user"]["quota_bytes"] == 10


def test_admin_by_bearer_key(app: App) -> None:
    admin = app.user(role=Role.ADMIN)
    headers = bearer(app.key_for(admin))
    target = app.user()
    for route in ROUTES:
        assert app.client.simulate_get(route, headers=headers).status_code == 200
    r = patch(app, headers, target.id, {"quota_bytes": 5})  # no CSRF for keys
    assert r.status_code == 200 and r.json["user"]["quota_bytes"] == 5
    # A Bearer header wins over a cookie: a normal user's session does not demote the key.
    normal = sign_up(app)
    both = app.client.simulate_get(
        "/api/admin/users", headers=headers, cookies={"imgtree_session": normal.cookie}
    )
    assert both.status_code == 200


def test_a_demoted_or_deactivated_admin_loses_access_at_once(app: App) -> None:
    first = app.user(role=Role.ADMIN)
    second = admin_browser(app)
    key = bearer(app.key_for(first))
    assert second.request("GET", "/api/admin/users").status_code == 200
    assert patch(app, key, second.user_id, {"role": "user"}).status_code == 200
    r = second.request("GET", "/api/admin/users")
    assert r.status_code == 403 and r.json["error"] == "Admin role required"
    assert patch(app, key, second.user_id, {"role": "admin"}).status_code == 200
    assert second.request("GET", "/api/admin/users").status_code == 200
    off = second.request("PATCH", f"/api/admin/users/{first.id}", json={"active": False})
    assert off.status_code == 200, off.text
    assert app.client.simulate_get("/api/admin/stats", headers=key).status_code == 403


# --- JSON shapes ---------------------------------------------------------------------------------


def test_stats_shape_and_numbers(app: App) -> None:
    admin = app.user("root@example.com", role=Role.ADMIN)
    headers = bearer(app.key_for(admin))
    uploader = app.user("up@example.com")
    assert v1_multipart(app, bearer(app.key_for(uploader)), "a.png", "b.png").status_code == 200
    body, ctype = encode([("files", "g.png", "image/png", DATA)])
    guest = app.client.simulate_post(
        "/api/upload/guest", body=body, headers={"Content-Type": ctype}
    )
    assert guest.status_code == 200
    app.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "p.png", "contentType": "image/png", "sizeBytes": 10},
        headers=headers,
    )
    r = app.client.simulate_get("/api/admin/stats", headers=headers)
    assert r.status_code == 200
    doc = r.json
    assert set(doc) == {
        "success",
        "users",
        "active_users",
        "images",
        "bytes_stored",
        "bytes_in_storage",
        "uploads",
        "guest_uploads",
        "account_uploads",
        "by_type",
        "top_uploaders",
        "pending_presigns",
        "uploads_per_day",
        "storage_over_time",
    }
    size = published_size(app)
    assert doc["success"] is True
    assert (doc["users"], doc["active_users"], doc["pending_presigns"]) == (2, 2, 1)
    assert (doc["images"], doc["bytes_stored"]) == (3, 3 * size)
    assert doc["bytes_in_storage"] == size  # the same file three times: stored once
    assert doc["uploads"] == {"last_24h": 3, "last_7d": 3, "last_30d": 3}
    assert (doc["guest_uploads"], doc["account_uploads"]) == (1, 2)
    assert doc["by_type"] == {"image/png": 3}
    assert doc["top_uploaders"] == [
        {"id": str(uploader.id), "email": "up@example.com", "images": 2, "bytes": 2 * size}
    ]
    per_day = doc["uploads_per_day"]
    assert len(per_day) == 30 and all(set(d) == {"day", "uploads", "bytes"} for d in per_day)
    assert per_day[-1]["uploads"] == 3 and per_day[-1]["bytes"] == 3 * size
    assert sum(d["uploads"] for d in per_day) == 3
    growth = doc["storage_over_time"]
    assert [g["day"] for g in growth] == [d["day"] for d in per_day]
    assert all(set(g) == {"day", "bytes_uploaded_cumulative"} for g in growth)
    assert growth[-1]["bytes_uploaded_cumulative"] == 3 * size


def test_users_listing_shape_search_and_paging(app: App) -> None:
    admin = app.user("root@example.com", role=Role.ADMIN)
    headers = bearer(app.key_for(admin))
    for i in range(3):
        app.user(f"cat{i}@pets.org", name=f"Kitty {i}", quota_bytes=1000 * i)
    r = app.client.simulate_get("/api/admin/users", headers=headers)
    assert r.status_code == 200
    assert set(r.json) == PAGE_KEYS | {"users"}
    assert (r.json["total"], r.json["page"], r.json["has_more"]) == (4, 1, False)
    root = r.json["users"][0]
    assert set(root) == USER_KEYS
    assert root == {
        "id": str(admin.id),
        "email": "root@example.com",
        "name": "",
        "role": "admin",
        "active": True,
        "quota_bytes": None,
        "used_bytes": 0,
        "remaining_bytes": None,
        "created_at": admin.created_at.isoformat().replace("+00:00", "Z"),
        "two_factor_enabled": False,
    }
    found = app.client.simulate_get(
        "/api/admin/users", params={"q": "PETS", "page": "2", "limit": "2"}, headers=headers
    ).json
    assert (found["total"], found["page"], found["limit"], found["has_more"]) == (3, 2, 2, False)
    assert [u["email"] for u in found["users"]] == ["cat2@pets.org"]
    assert found["users"][0]["remaining_bytes"] == 2000
    by_name = app.client.simulate_get("/api/admin/users", params={"q": "kitty 1"}, headers=headers)
    assert [u["email"] for u in by_name.json["users"]] == ["cat1@pets.org"]
    for bad in ({"page": "0"}, {"limit": "0"}, {"page": "x"}):
        bad_r = app.client.simulate_get("/api/admin/users", params=bad, headers=headers)
        assert bad_r.status_code == 400, bad


# --- PATCH /api/admin/users/{id} ---------------------------------------------------------------


def test_patch_role_active_quota(app: App) -> None:
    admin = app.user(role=Role.ADMIN)
    headers = bearer(app.key_for(admin))
    target = app.user("t@example.com")
    r = patch(app, headers, target.id, {"role": "admin", "active": False, "quota_bytes": 300})
    assert r.status_code == 200
    assert set(r.json) == {"success", "user"} and r.json["success"] is True
    user = r.json["user"]
    assert set(user) == USER_KEYS
    assert (user["role"], user["active"], user["quota_bytes"]) == ("admin", False, 300)
    assert (user["used_bytes"], user["remaining_bytes"]) == (0, 300)
    back = patch(app, headers, target.id, {"role": "user", "active": True, "quota_bytes": None})
    assert back.status_code == 200
    assert (back.json["user"]["role"], back.json["user"]["quota_bytes"]) == ("user", None)
    assert back.json["user"]["remaining_bytes"] is None
    listed = app.client.simulate_get(
        "/api/admin/users", params={"q": "t@example"}, headers=headers
    ).json["users"]
    assert listed == [back.json["user"]]


BAD_PATCHES: list[object] = [
    {"role": "root"},
    {"role": None},
    {"active": "false"},
    {"active": 1},
    {"quota_bytes": -1},
    {"quota_bytes": True},
    {"quota_bytes": 1.5},
    {"quota_bytes": "100"},
    {},
    {"unknown": 1},
    [],
    "text",
]


def test_patch_refuses_bad_input(app: App) -> None:
    admin = app.user(role=Role.ADMIN)
    headers = bearer(app.key_for(admin))
    target = app.user(quota_bytes=7)
    for doc in BAD_PATCHES:
        r = patch(app, headers, target.id, doc)
        assert r.status_code == 400, (doc, r.text)
        assert r.json["success"] is False and r.json["error"], doc
    assert get_user(app, target.id) == target
    with app.container.adapters.uow_factory()() as uow:
        assert uow.audit.count() == 0


def test_patch_unknown_or_malformed_user_id(app: App) -> None:
    headers = bearer(app.key_for(app.user(role=Role.ADMIN)))
    assert patch(app, headers, uuid.uuid4(), {"active": False}).status_code == 404
    assert patch(app, headers, "not-a-uuid", {"active": False}).status_code == 400
    body = app.client.simulate_patch(
        f"/api/admin/users/{uuid.uuid4()}",
        body=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert body.status_code == 400


@pytest.mark.parametrize("doc", [{"active": False}, {"role": "user"}])
def test_the_last_active_admin_is_kept(app: App, doc: dict[str, Any]) -> None:
    admin = admin_browser(app)
    r = admin.request("PATCH", f"/api/admin/users/{admin.user_id}", json=doc)
    assert r.status_code == 409
    assert r.json == {
        "success": False,
        "error": "The last active admin cannot be demoted or deactivated",
    }
    assert admin.request("GET", "/api/admin/stats").status_code == 200
    other = app.user(role=Role.ADMIN)
    assert admin.request("PATCH", f"/api/admin/users/{other.id}", json=doc).status_code == 200
    assert admin.request("PATCH", f"/api/admin/users/{admin.user_id}", json=doc).status_code == 409


def test_changes_are_audited(app: App) -> None:
    admin = admin_browser(app)
    target = app.user("t@example.com", quota_bytes=100)
    assert (
        admin.request(
            "PATCH", f"/api/admin/users/{target.id}", json={"quota_bytes": 50, "role": "user"}
        ).status_code
        == 200
    )
    promote(app, target.id, active=False)  # the command line: audited without an actor
    r = admin.request("GET", "/api/admin/audit")
    assert r.status_code == 200
    assert set(r.json) == PAGE_KEYS | {"entries"}
    assert (r.json["total"], r.json["has_more"]) == (3, False)  # + admin_browser's promotion
    newest, first, promotion = r.json["entries"]
    assert set(newest) == {"id", "actor_id", "action", "target_id", "details", "created_at"}
    assert newest["actor_id"] is None and newest["target_id"] == str(target.id)
    assert newest["details"] == {
        "email": "t@example.com",
        "changes": {"active": {"from": True, "to": False}},
    }
    assert first["actor_id"] == admin.user_id and first["action"] == "user.update"
    assert first["details"]["changes"] == {"quota_bytes": {"from": 100, "to": 50}}
    assert first["created_at"].endswith("Z")
    assert promotion["target_id"] == admin.user_id
    assert promotion["details"]["changes"] == {"role": {"from": "user", "to": "admin"}}
    paged = admin.request("GET", "/api/admin/audit", params={"limit": "1", "page": "2"}).json
    assert [e["id"] for e in paged["entries"]] == [first["id"]] and paged["has_more"] is True


# --- quotas on every upload path -----------------------------------------------------------------


def quota_user(app: App, images: int) -> tuple[User, dict[str, str]]:
    """A user whose quota fits exactly `images` uploads of DATA, and their key."""
    user = app.user(quota_bytes=images * published_size(app))
    return user, bearer(app.key_for(user))


def test_v1_multipart_batch_reports_quota_per_file(app: App) -> None:
    user, headers = quota_user(app, 1)
    r = v1_multipart(app, headers, "a.png", "b.png")
    assert r.status_code == 200, r.text
    assert r.json["success"] is True
    ok, refused = r.json["images"]
    assert "url" in ok
    assert refused == {"error": QUOTA_ERROR, "status": 413, "filename": "b.png"}
    assert used(app, user.id) == published_size(app)
    assert len(app.stored_keys()) == 2  # one image and its thumbnail, nothing for b.png
    full = v1_multipart(app, headers, "c.png", "d.png")
    assert full.status_code == 413
    assert full.json == {
        "success": False,
        "error": QUOTA_ERROR,
        "images": [
            {"error": QUOTA_ERROR, "status": 413, "filename": "c.png"},
            {"error": QUOTA_ERROR, "status": 413, "filename": "d.png"},
        ],
    }
    assert len(app.stored_keys()) == 2


def test_v1_json_upload_quota(app: App) -> None:
    user, headers = quota_user(app, 0)
    r = app.client.simulate_post(
        "/api/v1/upload",
        json={"filename": "j.png", "file_base64": base64.b64encode(DATA).decode()},
        headers=headers,
    )
    assert r.status_code == 413 and r.json["error"] == QUOTA_ERROR
    assert app.stored_keys() == [] and used(app, user.id) == 0


def put_to(app: App, put_url: str, data: bytes = DATA) -> int:
    parts = urlsplit(put_url)
    return app.client.simulate_put(
        parts.path, query_string=parts.query, body=data, headers={"Content-Type": "image/png"}
    ).status_code


def test_v1_presign_and_complete_quota(app: App) -> None:
    size = published_size(app)
    user, headers = quota_user(app, 1)
    big = app.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "big.png", "contentType": "image/png", "sizeBytes": size + 1},
        headers=headers,
    )
    assert big.status_code == 413 and big.json["error"] == QUOTA_ERROR
    # The figures behind the sentence: nothing used yet, a quota of one image, one byte more.
    assert big.json["quota"] == {
        "used_bytes": 0,
        "quota_bytes": size,
        "needed_bytes": size + 1,
        "reserved_bytes": 0,
    }
    assert (
        f"needs {human_size(size + 1)}, and you use 0 B of your {human_size(size)}"
        in (big.json["error"])
    )
    batch = app.client.simulate_post(
        "/api/v1/upload/presign/batch",
        json={
            "files": [
                {"filename": f"{i}.png", "contentType": "image/png", "sizeBytes": size}
                for i in range(2)
            ]
        },
        headers=headers,
    )
    assert batch.status_code == 200
    first, second = batch.json["uploads"]
    assert "put_url" in first and second == {"error": QUOTA_ERROR, "status": 413}
    # Open presigns reserve their declared bytes: with one open, a second that would not fit
    # beside it is refused at presign time (413), before any byte is sent.
    (token,) = [u["completion_token"] for u in batch.json["uploads"] if "completion_token" in u]
    second = app.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "q.png", "contentType": "image/png", "sizeBytes": len(DATA)},
        headers=headers,
    )
    assert second.status_code == 413 and second.json["error"] == QUOTA_ERROR
    assert put_to(app, first["put_url"]) == 200
    done = app.client.simulate_post(
        "/api/v1/upload/complete", json={"completion_token": token}, headers=headers
    )
    assert done.status_code == 200, done.text
    assert used(app, user.id) == size
    # The room is taken: a presign that would have fitted before is refused too.
    late = app.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "r.png", "contentType": "image/png", "sizeBytes": len(DATA)},
        headers=headers,
    )
    assert late.status_code == 413
    assert len(app.stored_keys()) == 2  # the image and its thumbnail; no raw upload lingers
    assert not [k for k in app.stored_keys() if k.startswith("uploads/")]


def test_session_upload_and_presign_quota(app: App) -> None:
    browser = sign_up(app)
    size = published_size(app)
    promote(app, browser.user_id, quota_bytes=size)
    ok = browser.upload(("a.png", "image/png", DATA))
    assert ok.status_code == 200, ok.text
    r = browser.upload(("b.png", "image/png", DATA))
    assert r.status_code == 413 and r.json["error"] == QUOTA_ERROR
    assert r.json["images"] == [{"error": QUOTA_ERROR, "status": 413, "filename": "b.png"}]
    presign = browser.request(
        "POST",
        "/api/upload/presign",
        json={"filename": "s.png", "contentType": "image/png", "sizeBytes": len(DATA)},
    )
    assert presign.status_code == 413 and presign.json["error"] == QUOTA_ERROR
    # Room made by raising the quota, then taken again before completion.
    promote(app, browser.user_id, quota_bytes=2 * size)
    doc = browser.request(
        "POST",
        "/api/upload/presign",
        json={"filename": "s.png", "contentType": "image/png", "sizeBytes": len(DATA)},
    ).json
    assert put_to(app, doc["put_url"]) == 200
    promote(app, browser.user_id, quota_bytes=size)
    done = browser.request(
        "POST", "/api/upload/complete", json={"completion_token": doc["completion_token"]}
    )
    assert done.status_code == 413 and done.json["images"][0]["status"] == 413
    assert used(app, browser.user_id) == size
    assert len(app.stored_keys()) == 2


def test_deleting_frees_quota(app: App) -> None:
    user, headers = quota_user(app, 1)
    assert v1_multipart(app, headers, "a.png").status_code == 200
    assert v1_multipart(app, headers, "b.png").status_code == 413
    (listed,) = app.client.simulate_get("/api/v1/images", headers=headers).json["images"]
    gone = app.client.simulate_delete(f"/api/v1/images/{listed['id']}", headers=headers)
    assert gone.status_code == 200
    assert used(app, user.id) == 0
    again = v1_multipart(app, headers, "c.png")
    assert again.status_code == 200
    # Deleting by token frees it too.
    parts = urlsplit(again.json["images"][0]["delete_url"])
    assert app.client.simulate_delete(parts.path, query_string=parts.query).status_code == 200
    assert used(app, user.id) == 0
    assert v1_multipart(app, headers, "d.png").status_code == 200


def test_lowering_the_quota_below_usage_refuses_new_uploads_only(app: App) -> None:
    user, headers = quota_user(app, 2)
    assert v1_multipart(app, headers, "a.png", "b.png").status_code == 200
    promote(app, user.id, quota_bytes=1)
    assert v1_multipart(app, headers, "c.png").status_code == 413
    assert app.client.simulate_get("/api/v1/images", headers=headers).json["total"] == 2
    discovery = app.client.simulate_get("/api/v1/upload", headers=headers).json
    assert discovery["quota"] == {
        "used_bytes": 2 * published_size(app),
        "quota_bytes": 1,
        "remaining_bytes": 0,
    }


def test_discovery_shows_the_quota_only_to_a_valid_key(app: App) -> None:
    size = published_size(app)
    user, headers = quota_user(app, 3)
    assert v1_multipart(app, headers, "a.png").status_code == 200
    r = app.client.simulate_get("/api/v1/upload", headers=headers)
    assert r.status_code == 200
    assert r.json["quota"] == {
        "used_bytes": size,
        "quota_bytes": 3 * size,
        "remaining_bytes": 2 * size,
    }
    assert "quota" not in app.client.simulate_get("/api/v1/upload").json
    bad = app.client.simulate_get("/api/v1/upload", headers=bearer("imgt_nope_nope"))
    assert bad.status_code == 200 and "quota" not in bad.json
    unlimited = app.client.simulate_get("/api/v1/upload", headers=app.auth())
    assert unlimited.json["quota"] == {
        "used_bytes": 0,
        "quota_bytes": None,
        "remaining_bytes": None,
    }
    promote(app, user.id, active=False)
    inactive = app.client.simulate_get("/api/v1/upload", headers=headers)
    assert inactive.status_code == 200 and "quota" not in inactive.json


def test_new_accounts_get_the_default_quota(make_app: Callable[..., App]) -> None:
    app = make_app(default_quota_bytes=12345)
    browser = sign_up(app)
    me = browser.request("GET", "/api/auth/me").json["user"]
    assert me["quota_bytes"] == 12345 and me["used_bytes"] == 0


# --- account state -------------------------------------------------------------------------------


def test_deactivation_takes_effect_on_the_next_request(app: App) -> None:
    admin = bearer(app.key_for(app.user(role=Role.ADMIN)))
    browser = sign_up(app)
    key = bearer(app.key_for(get_user(app, browser.user_id)))
    assert app.client.simulate_get("/api/v1/images", headers=key).status_code == 200
    assert browser.request("GET", "/api/images").status_code == 200
    assert patch(app, admin, browser.user_id, {"active": False}).status_code == 200
    for r in (
        app.client.simulate_get("/api/v1/images", headers=key),
        v1_multipart(app, key, "a.png"),
    ):
        assert r.status_code == 403, r.text
        assert r.json["error"] == "Account inactive"
    # Deactivation ends the account's sessions (ASVS 7.4.2): the browser is signed out.
    for r in (
        browser.request("GET", "/api/images"),
        browser.request("GET", "/api/auth/me"),
        browser.upload(("a.png", "image/png", DATA)),
    ):
        assert r.status_code == 401, r.text
    assert app.stored_keys() == []
    assert patch(app, admin, browser.user_id, {"active": True}).status_code == 200
    assert app.client.simulate_get("/api/v1/images", headers=key).status_code == 200
    # Switched back on, the old session stays ended: its owner signs in again.
    assert browser.request("GET", "/api/images").status_code == 401
    assert v1_multipart(app, key, "b.png").status_code == 200


def public_paths(app: App) -> tuple[str, dict[str, str], list[str]]:
    user = app.user()
    headers = bearer(app.key_for(user))
    r = v1_multipart(app, headers, "a.png")
    assert r.status_code == 200
    image = r.json["images"][0]
    return (
        str(user.id),
        headers,
        [urlsplit(image[k]).path for k in ("url", "direct_url", "thumb_url")],
    )


def test_an_inactive_accounts_images_are_hidden_by_default(app: App) -> None:
    user_id, _, paths = public_paths(app)
    assert [app.client.simulate_get(p).status_code for p in paths] == [200, 200, 200]
    promote(app, user_id, active=False)
    # A change made outside this worker (the CLI here) reaches its media cache within its TTL.
    time.sleep(MEDIA_CACHE_TTL + 0.05)
    assert [app.client.simulate_get(p).status_code for p in paths] == [404, 404, 404]
    promote(app, user_id, active=True)
    assert [app.client.simulate_get(p).status_code for p in paths] == [200, 200, 200]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_an_inactive_accounts_images_can_be_kept_online(
    make_app: Callable[..., App], backend: str
) -> None:
    app = make_app(backend=backend, inactive_images="keep")
    user_id, headers, paths = public_paths(app)
    promote(app, user_id, active=False)
    assert [app.client.simulate_get(p).status_code for p in paths] == [200, 200, 200]
    # ...but the account itself is still switched off.
    assert app.client.simulate_get("/api/v1/images", headers=headers).status_code == 403


def test_settings_shows_storage_against_the_quota(app: App) -> None:
    """Issue 17 item 5: Settings says what is used of what quota, with a meter."""
    browser = sign_up(app)
    unlimited = browser.request("GET", "/settings")
    assert "0 B used · no limit" in unlimited.text and "<meter" not in unlimited.text
    size = published_size(app)
    promote(app, browser.user_id, quota_bytes=size * 4)
    assert browser.upload(("a.png", "image/png", DATA)).status_code == 200
    page = browser.request("GET", "/settings").text
    assert f'<meter class="storage" min="0" max="{size * 4}" value="{size}"' in page
    assert f"{human_size(size)} of {human_size(size * 4)} used (25%)" in page
    assert "ask the administrator" not in page  # only said when nearly full
    for name in ("b.png", "c.png", "d.png"):
        assert browser.upload((name, "image/png", DATA)).status_code == 200
    full = browser.request("GET", "/settings").text
    assert "used (100%). Delete images you no longer need" in full

"""The content-hash block list over HTTP: GET /api/admin/blocked lists it, DELETE
/api/admin/blocked/{sha256} takes a digest off it (audited; 404 when absent), after which the
same bytes upload again. Memory, SQLite and Postgres + S3."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from imgtree.domain.commands import UserChanges
from imgtree.domain.model import Role
from tests.http.test_moderation import admin_headers, cheap_argon2, guest_upload, image_id_of
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import sign_up

__all__ = ["cheap_argon2"]  # the autouse fixture, imported so it applies here too

DATA = imagegen.png(29, 17)


@pytest.fixture(params=["memory", "sqlite", "postgres_s3"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param)


def blocked(app: App, headers: dict[str, str], **params: str) -> Any:
    r = app.client.simulate_get("/api/admin/blocked", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json


def remove_with_block(app: App, admin: dict[str, str], data: bytes, reason: str) -> str:
    slug = guest_upload(app, data).json["images"][0]["id"]
    image_id = image_id_of(app, admin, slug)
    r = app.client.simulate_delete(
        f"/api/admin/images/{image_id}", json={"block": True, "reason": reason}, headers=admin
    )
    assert r.status_code == 200, r.text
    return image_id


def test_unblocking_lets_the_content_be_uploaded_again_and_is_audited(app: App) -> None:
    admin = admin_headers(app)
    assert blocked(app, admin)["blocked"] == []
    image_id = remove_with_block(app, admin, DATA, "abusive")
    listing = blocked(app, admin)
    assert listing["total"] == 1 and listing["has_more"] is False
    [row] = listing["blocked"]
    assert row["reason"] == "abusive" and row["image_id"] == image_id
    assert guest_upload(app, DATA, addr="203.0.113.9").status_code == 451

    # Upper-case hex is the same digest.
    r = app.client.simulate_delete(f"/api/admin/blocked/{row['sha256'].upper()}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json == {"success": True, "unblocked": row}
    assert blocked(app, admin)["blocked"] == []
    assert guest_upload(app, DATA, addr="203.0.113.9").status_code == 200

    entry = app.client.simulate_get("/api/admin/audit", headers=admin).json["entries"][0]
    assert entry["action"] == "image.unblock" and entry["target_id"] == image_id
    assert entry["details"]["unblocked"] == [row["sha256"]]
    assert entry["details"]["blocked_reason"] == "abusive"

    # Gone already: 404, and nothing more is audited.
    again = app.client.simulate_delete(f"/api/admin/blocked/{row['sha256']}", headers=admin)
    assert again.status_code == 404 and again.json["success"] is False
    entries = app.client.simulate_get("/api/admin/audit", headers=admin).json["entries"]
    assert [e["action"] for e in entries].count("image.unblock") == 1


def test_the_list_pages_newest_first(app: App) -> None:
    admin = admin_headers(app)
    for n in range(3):
        remove_with_block(app, admin, imagegen.png(30 + n, 11), f"reason {n}")
    first = blocked(app, admin, limit="2")
    assert first["total"] == 3 and first["has_more"] is True
    second = blocked(app, admin, limit="2", page="2")
    assert second["has_more"] is False
    rows = first["blocked"] + second["blocked"]
    assert len({r["sha256"] for r in rows}) == 3
    stamps = [r["created_at"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    assert blocked(app, admin, page="9")["blocked"] == []


def test_bad_digests_and_strangers_change_nothing(app: App) -> None:
    admin = admin_headers(app)
    remove_with_block(app, admin, DATA, "x")
    digest = blocked(app, admin)["blocked"][0]["sha256"]
    for bad in ["abc", "g" * 64, "0" * 63, "0" * 65]:
        r = app.client.simulate_delete(f"/api/admin/blocked/{bad}", headers=admin)
        assert r.status_code == 400 and r.json["success"] is False and "sha256" in r.json["error"]
    absent = hashlib.sha256(b"never blocked").hexdigest()
    r = app.client.simulate_delete(f"/api/admin/blocked/{absent}", headers=admin)
    assert r.status_code == 404 and r.json["success"] is False

    browser = sign_up(app)
    for method, target in [
        ("GET", "/api/admin/blocked"),
        ("DELETE", f"/api/admin/blocked/{digest}"),
    ]:
        assert app.client.simulate_request(method, target).status_code == 401
        assert app.client.simulate_request(method, target, headers=app.auth()).status_code == 403
        assert browser.request(method, target).status_code == 403
    # An admin's session needs the CSRF header to unblock.
    app.container.use_cases.admin().update_user(
        None, uuid.UUID(browser.user_id), UserChanges(role=Role.ADMIN)
    )
    target = f"/api/admin/blocked/{digest}"
    assert browser.request("DELETE", target, csrf=False).status_code == 403
    assert blocked(app, admin)["total"] == 1  # untouched by all of the above
    assert browser.request("DELETE", target).status_code == 200

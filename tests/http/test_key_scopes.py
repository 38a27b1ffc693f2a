"""Scoped, expiring, checksummed API keys over HTTP (issue 14, item 4): created through the
session API with `scopes` and `expires_at`, listed with them, enforced on every /api/v1 and
/api/admin route, shown by discovery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from imgtree.domain.model import Album, Role
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import Browser, sign_up
from tests.support.multipart import encode


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _create(browser: Browser, **body: object) -> dict[str, object]:
    r = browser.request("POST", "/api/keys", json={"name": "k", **body})
    assert r.status_code == 201, r.text
    return dict(r.json)


def _upload(app: App, secret: str, **fields: str):  # type: ignore[no-untyped-def]
    body, ctype = encode([("file", "a.png", "image/png", imagegen.png(6, 6))], fields)
    return app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**_bearer(secret), "Content-Type": ctype}
    )


def test_keys_are_created_and_listed_with_scopes_and_expiry(app: App) -> None:
    browser = sign_up(app)
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    created = _create(browser, scopes=["images:read", "upload"], expires_at=expires.isoformat())
    assert created["scopes"] == ["upload", "images:read"]  # declared order
    assert created["expires_at"] == expires.isoformat().replace("+00:00", "Z")
    default = _create(browser)
    assert default["scopes"] == ["upload", "images:read", "images:delete", "albums"]
    assert default["expires_at"] is None
    listed = {k["id"]: k for k in browser.request("GET", "/api/keys").json["keys"]}
    assert listed[created["id"]]["scopes"] == ["upload", "images:read"]
    assert listed[created["id"]]["expires_at"] == created["expires_at"]
    # camelCase alias, and a time without an offset is UTC
    naive = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, tzinfo=None)
    aliased = _create(browser, expiresAt=naive.isoformat())
    assert aliased["expires_at"] == naive.isoformat() + "Z"


def test_discovery_shows_the_calling_keys_scopes(app: App) -> None:
    browser = sign_up(app)
    secret = str(_create(browser, scopes=["upload"])["key"])
    body = app.client.simulate_get("/api/v1/upload", headers=_bearer(secret)).json
    assert body["scopes"] == ["upload"] and body["key_expires_at"] is None
    anonymous = app.client.simulate_get("/api/v1/upload").json
    assert "scopes" not in anonymous


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"scopes": ["upload", "everything"]}, 400, "Unknown scope"),
        ({"scopes": []}, 400, "at least one scope"),
        ({"scopes": "upload"}, 400, "scopes must be a list"),
        ({"scopes": ["admin"]}, 403, "Only an admin's key"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, 400, "in the future"),
        ({"expires_at": "next tuesday"}, 400, "ISO 8601"),
        ({"expires_at": 1767225600}, 400, "ISO 8601"),
    ],
)
def test_refused_key_requests_change_nothing(
    app: App, body: dict[str, object], status: int, message: str
) -> None:
    browser = sign_up(app)
    r = browser.request("POST", "/api/keys", json={"name": "k", **body})
    assert r.status_code == status and message in r.json["error"], r.text
    assert browser.request("GET", "/api/keys").json["keys"] == []


def test_an_upload_only_key_uploads_and_nothing_else(app: App) -> None:
    admin = app.user(role=Role.ADMIN)
    secret = app.container.use_cases.create_api_key()(admin.id, "sharex", scopes=["upload"]).secret
    up = _upload(app, secret)
    assert up.status_code == 200, up.text
    slug = up.json["images"][0]["id"]
    presign = app.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "b.png", "contentType": "image/png", "sizeBytes": 100},
        headers=_bearer(secret),
    )
    assert presign.status_code == 200, presign.text
    refused = [
        ("GET", "/api/v1/images", "images:read"),
        ("DELETE", f"/api/v1/images/{uuid.uuid4()}", "images:delete"),
        ("GET", "/api/admin/stats", "admin"),
        ("GET", "/api/admin/users", "admin"),
        ("PATCH", f"/api/admin/users/{admin.id}", "admin"),
    ]
    for method, path, scope in refused:
        r = app.client.simulate_request(
            method, path, headers=_bearer(secret), json={"active": False}
        )
        assert r.status_code == 403, (method, path, r.text)
        assert r.json == {"success": False, "error": f"This API key lacks the {scope} scope"}
    # An album target needs the albums scope: refused before anything is stored.
    before = app.stored_keys()
    target = Album(id=uuid.uuid4(), owner_id=admin.id, title="t", created_at=datetime.now(UTC))
    with app.container.adapters.uow_factory()() as uow:
        uow.albums.add(target)
        uow.commit()
    r = _upload(app, secret, albumId=str(target.id))
    assert r.status_code == 403 and "albums scope" in r.text
    assert app.stored_keys() == before
    # the account is untouched and the image is still there
    full = app.container.use_cases.create_api_key()(admin.id, "full").secret
    assert app.client.simulate_get("/api/admin/stats", headers=_bearer(full)).status_code == 200
    listed = app.client.simulate_get("/api/v1/images", headers=_bearer(full)).json
    assert [i["slug"] for i in listed["images"]] == [slug]


def test_an_expired_key_gets_401_and_a_revoked_one_too(app: App) -> None:
    user = app.user()
    cases = app.container.use_cases
    expiring = cases.create_api_key()(
        user.id, "tmp", expires_at=datetime.now(UTC) + timedelta(hours=1)
    )
    assert _upload(app, expiring.secret).status_code == 200
    with app.container.adapters.uow_factory()() as uow:
        uow.api_keys.update(
            attrs.evolve(expiring.key, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    r = app.client.simulate_get("/api/v1/images", headers=_bearer(expiring.secret))
    assert r.status_code == 401 and r.json["error"] == "API key expired"
    revoked = cases.create_api_key()(user.id, "gone")
    cases.revoke_api_key()(revoked.key.id)
    r = app.client.simulate_get("/api/v1/images", headers=_bearer(revoked.secret))
    assert r.status_code == 401 and r.json["error"] == "Invalid API key"


def test_a_mistyped_key_is_401(app: App) -> None:
    secret = app.key_for(app.user())
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for presented in (flipped, secret[:-3], secret + "x"):
        r = app.client.simulate_get("/api/v1/images", headers=_bearer(presented))
        assert r.status_code == 401 and r.json["error"] == "Invalid API key"
    assert app.client.simulate_get("/api/v1/images", headers=_bearer(secret)).status_code == 200

"""Backups (imgtree export / import): a deployment filled with one of everything worth
keeping, and the checks that a restored deployment holds exactly the same.

`populate(app)` drives the app through HTTP (signup, API key, album, uploads by key and as a
guest, a shared file, a deleted image, an expired one, a kept original, a report, a removal
with block) and returns what it made; `assert_same_deployment(source, target, world)`
compares every row of every exported table and every referenced blob's bytes, then checks
through the target's HTTP API that media are served byte for byte, the API key still
authenticates, the password still signs in, the album holds the same images and the blocked
content is still refused.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
from sqlalchemy import Engine, select, update

from imgtree.adapters.backup import verify_export
from imgtree.adapters.backup.format import EXPORTED_TABLES, encode_value
from imgtree.adapters.sql import tables as t
from imgtree.domain.services.shared_blobs import stem_of
from tests.support import imagegen
from tests.support.accounts import admin_browser, log_in
from tests.support.app import App
from tests.support.browser import PASSWORD, sign_up
from tests.support.multipart import encode

EMAIL = "alice@example.com"
BLOCKED = imagegen.png(9, 7)


@attrs.define
class World:
    """What `populate` made, for the checks after a restore."""

    key: str  # the plaintext API key, created before the export
    other_keys: list[str]  # every other live key (the admin's), plaintext
    revoked_key: str  # a key revoked before the export: it must stay revoked
    session_cookie: str  # a browser session of the source (not carried over)
    album_id: str
    uploads: list[dict[str, Any]]  # upload responses of the images still served


def _engine(app: App) -> Engine:
    engine: Engine = app.container.adapters.engine()
    return engine


def v1_upload(app: App, key: str, name: str, ctype: str, data: bytes, **fields: str) -> Any:
    body, multipart = encode([("file", name, ctype, data)], fields)
    r = app.client.simulate_post(
        "/api/v1/upload",
        body=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": multipart},
    )
    assert r.status_code == 200, r.text
    return dict(r.json["images"][0])


def _guest_upload(app: App, data: bytes, addr: str = "203.0.113.5") -> Any:
    body, ctype = encode([("files", "g.png", "image/png", data)])
    return app.client.simulate_post(
        "/api/upload/guest", body=body, headers={"Content-Type": ctype}, remote_addr=addr
    )


def image_id(item: dict[str, Any]) -> str:
    return str(item["delete_url"].split("/api/images/")[1].split("?")[0])


def populate(app: App) -> World:
    """One of everything an export must carry (the app needs `keep_originals=True`)."""
    browser = sign_up(app, EMAIL)
    key = app.container.use_cases.create_api_key()(uuid.UUID(browser.user_id), "laptop").secret
    r = browser.request("POST", "/api/albums", json={"title": "Trip", "isPublic": True})
    assert r.status_code == 201, r.text
    album_id = str(r.json["album"]["id"])
    shared = imagegen.png(12, 10)
    uploads = [
        v1_upload(app, key, "in-album.png", "image/png", imagegen.png(20, 16), albumId=album_id),
        v1_upload(app, key, "shared.png", "image/png", shared),
        v1_upload(app, key, "shared-again.png", "image/png", shared),  # one blob, two rows
        v1_upload(app, key, "IMG_0001.HEIC", "image/heic", imagegen.heic()),  # kept original
    ]
    deleted = v1_upload(app, key, "deleted.png", "image/png", imagegen.png(5, 5))
    r = app.client.simulate_delete(
        f"/api/v1/images/{image_id(deleted)}", headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 200, r.text
    expired = v1_upload(app, key, "expired.png", "image/png", imagegen.png(6, 6), expiresIn="60")
    with _engine(app).begin() as connection:  # its minute has passed
        connection.execute(
            update(t.images)
            .where(t.images.c.id == uuid.UUID(image_id(expired)))
            .values(expires_at=t.images.c.created_at)
        )
    guest = _guest_upload(app, imagegen.png(7, 7))
    assert guest.status_code == 200, guest.text
    uploads.append(dict(guest.json["images"][0]))
    slug = uploads[-1]["url"].rsplit("/", 1)[1]
    r = app.client.simulate_post(
        f"/i/{slug}/report", json={"reason": "abuse"}, remote_addr="198.51.100.7"
    )
    assert r.status_code == 201, r.text
    abusive = _guest_upload(app, BLOCKED, addr="203.0.113.9")
    assert abusive.status_code == 200, abusive.text
    admin = admin_browser(app)
    found = admin.request("GET", "/api/admin/images", params={"search": "g.png"}).json["images"]
    abusive_id = next(
        i["id"] for i in found if i["slug"] == abusive.json["images"][0]["url"].rsplit("/", 1)[1]
    )
    r = admin.request("DELETE", f"/api/admin/images/{abusive_id}", json={"block": True})
    assert r.status_code == 200 and len(r.json["blocked_hashes"]) == 1, r.text
    create_key = app.container.use_cases.create_api_key()
    admin_key = create_key(uuid.UUID(admin.user_id), "admin's").secret
    revoked = create_key(uuid.UUID(browser.user_id), "lost phone")
    app.container.use_cases.revoke_api_key()(revoked.key.id)
    return World(
        key=key,
        other_keys=[admin_key],
        revoked_key=revoked.secret,
        session_cookie=browser.cookie,
        album_id=album_id,
        uploads=uploads,
    )


def table_rows(app: App) -> dict[str, list[dict[str, Any]]]:
    """Every row of every exported table, as portable values, in primary-key order."""
    rows: dict[str, list[dict[str, Any]]] = {}
    with _engine(app).connect() as connection:
        for table in EXPORTED_TABLES:
            result = connection.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [
                {k: encode_value(v) for k, v in row.items()} for row in result.mappings()
            ]
    return rows


def referenced_keys(app: App) -> list[str]:
    keys: set[str] = set()
    with _engine(app).connect() as connection:
        for row in connection.execute(select(t.images)).mappings():
            keys.update(k for k in (row["storage_key"], row["thumb_key"], row["original_key"]) if k)
    return sorted(keys)


def _get(app: App, url: str, **kwargs: Any) -> Any:
    return app.client.simulate_get(urlsplit(url).path, **kwargs)


def assert_same_deployment(
    source: App, target: App, world: World, exported: dict[str, list[dict[str, Any]]]
) -> None:
    """`exported`: `table_rows` of the deployment that was exported, read just before the
    export (using a key afterwards moves its `last_used_at`)."""
    # Every row of every exported table, value for value (counters and hashes included).
    source_rows = exported
    assert table_rows(target) == source_rows
    assert len(source_rows["images"]) == 8 and len(source_rows["blocked_hashes"]) == 1
    assert len(source_rows["reports"]) == 1 and source_rows["audit_log"]
    # Every blob the rows reference, byte for byte (deleted and expired images' too).
    keys = referenced_keys(source)
    assert any(k.startswith("originals/") for k in keys)
    for key in keys:
        with source.storage.open(key) as a, target.storage.open(key) as b:
            assert a.read() == b.read(), key
    # Through the target's HTTP API: media byte for byte, the key, the password, the album.
    bearer = {"Authorization": f"Bearer {world.key}"}
    for item in world.uploads:
        for url in (item["direct_url"], item["thumb_url"]):
            before, after = _get(source, url), _get(target, url)
            assert before.status_code == after.status_code == 200, url
            assert after.content == before.content, url
    listed = target.client.simulate_get("/api/v1/images", headers=bearer)
    assert listed.status_code == 200, listed.text
    for key in world.other_keys:
        r = target.client.simulate_get("/api/v1/images", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
    revoked = {"Authorization": f"Bearer {world.revoked_key}"}
    assert target.client.simulate_get("/api/v1/images", headers=revoked).status_code == 401
    assert listed.json == source.client.simulate_get("/api/v1/images", headers=bearer).json
    kept = f"/api/v1/images/{image_id(world.uploads[3])}/original"  # the HEIC as sent
    r = target.client.simulate_get(kept, headers=bearer)
    assert r.status_code == 200, r.text
    assert r.content == source.client.simulate_get(kept, headers=bearer).content
    browser = log_in(target, EMAIL, password=PASSWORD)
    album = browser.request("GET", f"/api/albums/{world.album_id}")
    assert album.status_code == 200, album.text
    assert [i["url"] for i in album.json["images"]] == [world.uploads[0]["url"]]
    # Sessions are not carried over: the source's cookie signs nobody in on the target.
    me = target.client.simulate_get(
        "/api/auth/me", cookies={"imgtree_session": world.session_cookie}
    )
    assert me.status_code == 401
    # The block list came along: the removed content is refused again.
    assert _guest_upload(target, BLOCKED, addr="203.0.113.77").status_code == 451


def export_rows(directory: Path, table: str) -> list[dict[str, Any]]:
    lines = (directory / "tables" / f"{table}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def assert_consistent_export(directory: Path) -> int:
    """The export verifies and its rows agree with each other and with its blobs; the
    number of images in it."""
    manifest = verify_export(directory)
    images = export_rows(directory, "images")
    assert manifest["missing_blobs"] == []
    for image in images:
        for key in (image["storage_key"], image["thumb_key"]):
            assert f"blobs/{key}" in manifest["files"], key
    live = [i for i in images if i["deleted_at"] is None]
    (user,) = export_rows(directory, "users")
    assert user["image_count"] == len(live)
    assert user["used_bytes"] == sum(i["size_bytes"] + i["original_size_bytes"] for i in live)
    refs = Counter(stem_of(i["storage_key"]) for i in images)
    assert {b["stem"]: b["refs"] for b in export_rows(directory, "blobs")} == refs
    return len(images)

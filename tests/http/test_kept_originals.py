"""Kept originals (issue 16 item 3, IMGTREE_KEEP_ORIGINALS): an account's HEIC/AVIF upload is
published as JPEG, and with the setting on the file as uploaded is kept for its owner.

On memory, SQLite + local disk and Postgres + S3: the owner downloads exactly the bytes they
sent (metadata included: it is theirs), through the session route and an API key's route;
nobody else can; it counts against the owner's quota; deleting and purging the image removes
it; without the setting, or for a file published as uploaded, nothing extra is stored.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable

import pytest

from tests.http.test_phone_photos import MAKERS
from tests.http.test_v1_presign import complete, presign, put
from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.browser import sign_up
from tests.support.multipart import encode

BACKENDS = ["memory", "sqlite", "postgres_s3"]


@pytest.fixture(params=BACKENDS)
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param, keep_originals=True)


def v1_upload(app: App, headers: dict[str, str], name: str, ctype: str, data: bytes) -> dict:  # type: ignore[type-arg]
    body, multipart = encode([("file", name, ctype, data)], {})
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": multipart}
    )
    assert r.status_code == 200, r.text
    return dict(r.json["images"][0])


def image_id(item: dict) -> str:  # type: ignore[type-arg]
    return str(item["delete_url"].split("/api/images/")[1].split("?")[0])


def purge_all(app: App) -> None:
    """Purge with no retention and no grace: everything deleted or orphaned goes now."""
    app.container.use_cases.purge()(retention_seconds=0, orphan_grace_seconds=0)


def originals(app: App) -> list[str]:
    return [k for k in app.stored_keys() if k.startswith("originals/")]


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_owner_downloads_the_bytes_they_sent(app: App, kind: str) -> None:
    data = MAKERS[kind]()
    user = app.user()
    headers = app.auth(user)
    item = v1_upload(app, headers, f"IMG_0001.{kind.upper()}", f"image/{kind}", data)
    assert str(item["direct_url"]).endswith(".jpg")  # what is published is still the JPEG
    r = app.client.simulate_get(f"/api/v1/images/{image_id(item)}/original", headers=headers)
    assert r.status_code == 200, r.text
    assert r.content == data
    assert r.headers["content-type"] == f"image/{kind}"
    assert r.headers["content-disposition"].startswith(f'attachment; filename="IMG_0001.{kind}"')
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert len(originals(app)) == 1
    # Its bytes count against the owner's quota, with the published JPEG's.
    with app.container.adapters.uow_factory()(read_only=True) as uow:
        stored = uow.users.get(user.id)
    assert stored is not None
    listed = app.client.simulate_get("/api/v1/images", headers=headers).json["images"][0]
    assert stored.used_bytes == listed["size_bytes"] + len(data)


def test_nobody_else_gets_it(app: App) -> None:
    headers = app.auth()
    item = v1_upload(app, headers, "a.heic", "image/heic", imagegen.heic())
    path = f"/api/v1/images/{image_id(item)}/original"
    assert app.client.simulate_get(path, headers=app.auth()).status_code == 404
    assert app.client.simulate_get(path).status_code == 401
    stranger = sign_up(app)
    assert stranger.request("GET", f"/api/images/{image_id(item)}/original").status_code == 404
    # ... and the public page never names it
    page = app.client.simulate_get(str(item["url"]).removeprefix(BASE_URL))
    assert page.status_code == 200 and "/original" not in page.text


def test_owner_page_offers_both_downloads(app: App) -> None:
    browser = sign_up(app)
    r = browser.upload(("IMG_0003.HEIC", "image/heic", imagegen.heic()))
    assert r.status_code == 200, r.text
    page = browser.request("GET", str(r.json["images"][0]["url"]).removeprefix(BASE_URL))
    image = browser.request("GET", "/api/images").json["images"][0]
    assert f'href="{image["original_url"]}"' in page.text
    assert "Download original (HEIC)" in page.text


def test_session_route_and_owner_listing(app: App) -> None:
    browser = sign_up(app)
    data = imagegen.heic()
    r = browser.upload(
        ("IMG_0002.HEIC", "image/heic", data), ("p.png", "image/png", imagegen.png())
    )
    assert r.status_code == 200, r.text
    listing = browser.request("GET", "/api/images").json["images"]
    by_type = {i["original_name"]: i for i in listing}
    kept, plain = by_type["IMG_0002.HEIC"], by_type["p.png"]
    assert plain["original_url"] is None  # published as uploaded: nothing more to keep
    assert kept["original_url"] == f"{BASE_URL}/api/images/{kept['id']}/original"
    got = browser.request("GET", kept["original_url"].removeprefix(BASE_URL))
    assert got.status_code == 200 and got.content == data
    assert len(originals(app)) == 1


def test_presigned_upload_keeps_it_too(app: App) -> None:
    headers = app.auth()
    data = imagegen.heic()
    r = presign(app, headers, filename="IMG.heic", contentType="image/heic", sizeBytes=len(data))
    assert r.status_code == 200, r.text
    assert put(app, r.json["put_url"], data, "image/heic") == 200
    done = complete(app, headers, r.json["completion_token"])
    assert done.status_code == 200, done.text
    got = app.client.simulate_get(
        f"/api/v1/images/{image_id(done.json['images'][0])}/original", headers=headers
    )
    assert got.status_code == 200 and got.content == data


def test_delete_then_purge_removes_it(app: App) -> None:
    headers = app.auth()
    item = v1_upload(app, headers, "a.heic", "image/heic", imagegen.heic())
    assert len(originals(app)) == 1
    r = app.client.simulate_delete(f"/api/v1/images/{image_id(item)}", headers=headers)
    assert r.status_code == 200, r.text
    got = app.client.simulate_get(f"/api/v1/images/{image_id(item)}/original", headers=headers)
    assert got.status_code == 404  # deleted: gone for the owner at once
    purge_all(app)
    assert originals(app) == []


def test_orphan_original_is_swept(app: App) -> None:
    """A kept original whose row never landed (a crash between put and commit) is an orphan
    for purge's sweep, like any other blob."""
    v1_upload(app, app.auth(), "kept.heic", "image/heic", imagegen.heic())
    kept = originals(app)
    app.storage.put(f"originals/{uuid.uuid4()}.heic", io.BytesIO(b"x"), "image/heic")
    time.sleep(0.01)
    purge_all(app)
    assert originals(app) == kept  # the live image's original stays


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_setting_off_keeps_nothing(make_app: Callable[..., App], backend: str) -> None:
    app = make_app(backend=backend)
    headers = app.auth()
    item = v1_upload(app, headers, "a.heic", "image/heic", imagegen.heic())
    got = app.client.simulate_get(f"/api/v1/images/{image_id(item)}/original", headers=headers)
    assert got.status_code == 404
    assert originals(app) == []


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_guest_uploads_keep_nothing(make_app: Callable[..., App], backend: str) -> None:
    """A guest upload has no owner who could ever download its original."""
    app = make_app(backend=backend, keep_originals=True, guest_uploads=True)
    body, multipart = encode([("file", "IMG.HEIC", "image/heic", imagegen.heic())], {})
    r = app.client.simulate_post(
        "/api/upload/guest", body=body, headers={"Content-Type": multipart}
    )
    assert r.status_code == 200, r.text
    assert originals(app) == []

"""presign → PUT → complete over HTTP, on memory, SQLite + local disk and Postgres + S3 (moto).

With local storage the put_url is the app's own signed PUT route; with S3 it is a presigned
bucket URL, PUT with `requests` to the moto server, exactly as a client would.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests

from tests.http.test_v1_upload import UPLOADED_IMAGE_FIELDS
from tests.support import imagegen
from tests.support.app import BASE_URL, App

BACKENDS = ["memory", "sqlite", "postgres_s3"]


@pytest.fixture(params=BACKENDS)
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param)


def put(app: App, url: str, data: bytes, content_type: str) -> int:
    if url.startswith(BASE_URL):
        parts = urlsplit(url)
        r = app.client.simulate_put(
            parts.path, query_string=parts.query, body=data, headers={"Content-Type": content_type}
        )
        return r.status_code
    return requests.put(
        url, data=data, headers={"Content-Type": content_type}, timeout=10
    ).status_code


def presign(app: App, headers: dict[str, str], **doc: object):
    body = {"filename": "big.png", "contentType": "image/png", "sizeBytes": 100_000, **doc}
    return app.client.simulate_post("/api/v1/upload/presign", json=body, headers=headers)


def complete(app: App, headers: dict[str, str], token: str, alias: str = "completion_token"):
    return app.client.simulate_post("/api/v1/upload/complete", json={alias: token}, headers=headers)


@pytest.mark.parametrize("alias", ["completion_token", "token"])
def test_presign_put_complete(app: App, alias: str) -> None:
    headers = app.auth()
    data = imagegen.png(120, 80)
    r = presign(app, headers, sizeBytes=len(data))
    assert r.status_code == 200, r.text
    doc = r.json
    assert set(doc) >= {"put_url", "completion_token"}
    assert put(app, doc["put_url"], data, "image/png") == 200
    done = complete(app, headers, doc["completion_token"], alias)
    assert done.status_code == 200, done.text
    (img,) = done.json["images"]
    assert set(img) == UPLOADED_IMAGE_FIELDS
    # The raw upload is gone; the published image and its thumbnail remain.
    assert not [k for k in app.stored_keys() if k.startswith("uploads/")]
    assert len(app.stored_keys()) == 2
    listed = app.client.simulate_get("/api/v1/images", headers=headers).json
    assert listed["total"] == 1
    again = complete(app, headers, doc["completion_token"])
    assert again.status_code == 400
    assert again.json["images"][0]["error"] == "Invalid or expired upload token"


def test_presign_batch_and_complete_batch(app: App) -> None:
    headers = app.auth()
    png, gif = imagegen.png(10, 10), imagegen.gif(12, 12)
    r = app.client.simulate_post(
        "/api/v1/upload/presign/batch",
        json={
            "files": [
                {"filename": "a.png", "contentType": "image/png", "sizeBytes": len(png)},
                {"contentType": "image/png", "sizeBytes": 10},
                {"filename": "c.svg", "contentType": "image/svg+xml", "sizeBytes": 10},
                {"filename": "d.png", "contentType": "image/png", "sizeBytes": 10**12},
                {"filename": "b.gif", "contentType": "image/gif", "sizeBytes": len(gif)},
            ]
        },
        headers=headers,
    )
    assert r.status_code == 200 and r.json["success"] is True
    a, no_name, svg, huge, b = r.json["uploads"]
    assert no_name == {"error": "Filename required", "status": 400}
    assert svg["status"] == 415 and huge["status"] == 413
    assert put(app, a["put_url"], png, "image/png") == 200
    assert put(app, b["put_url"], gif, "image/gif") == 200
    r = app.client.simulate_post(
        "/api/v1/upload/complete/batch",
        json={"tokens": [a["completion_token"], "not-a-token", b["completion_token"]]},
        headers=headers,
    )
    assert r.status_code == 200 and r.json["success"] is True
    first, bad, second = r.json["images"]
    assert first["direct_url"].endswith(".png") or "/images/" in first["direct_url"]
    assert bad == {"error": "Invalid or expired upload token", "status": 400}
    assert "url" in second


def test_upload_counter_counts_finalisations(app: App) -> None:
    user = app.user()
    created = app.container.use_cases.create_api_key()(user.id, "script")
    headers = {"Authorization": f"Bearer {created.secret}"}
    data = imagegen.png(8, 8)
    tokens = []
    for _ in range(2):
        doc = presign(app, headers, sizeBytes=len(data)).json
        assert put(app, doc["put_url"], data, "image/png") == 200
        tokens.append(doc["completion_token"])
    app.client.simulate_post(
        "/api/v1/upload/complete/batch", json={"completion_tokens": [*tokens, "x"]}, headers=headers
    )
    (key,) = app.container.use_cases.list_api_keys()(user.id)
    assert key.upload_count == 2


def test_complete_before_put_keeps_token_usable(app: App) -> None:
    headers = app.auth()
    data = imagegen.png(8, 8)
    doc = presign(app, headers, sizeBytes=len(data)).json
    early = complete(app, headers, doc["completion_token"])
    assert early.status_code == 400 and app.stored_keys() == []
    assert put(app, doc["put_url"], data, "image/png") == 200
    assert complete(app, headers, doc["completion_token"]).status_code == 200


def test_another_accounts_token_is_refused(app: App) -> None:
    data = imagegen.png(8, 8)
    doc = presign(app, app.auth(), sizeBytes=len(data)).json
    assert put(app, doc["put_url"], data, "image/png") == 200
    r = complete(app, app.auth(), doc["completion_token"])
    assert r.status_code == 400
    assert r.json["images"][0]["error"] == "Invalid or expired upload token"
    assert not [k for k in app.stored_keys() if not k.startswith("uploads/")]


def test_put_larger_than_declared_is_refused(app: App) -> None:
    headers = app.auth()
    data = imagegen.png(64, 64)
    doc = presign(app, headers, sizeBytes=len(data) - 10).json
    status = put(app, doc["put_url"], data, "image/png")
    if doc["put_url"].startswith(BASE_URL):
        assert status == 413  # enforced as the bytes arrive
    r = complete(app, headers, doc["completion_token"])
    assert r.status_code in (400, 413)
    assert app.stored_keys() == []


def test_put_of_a_different_type_is_refused(app: App) -> None:
    headers = app.auth()
    jpeg = imagegen.jpeg(32, 32)
    doc = presign(app, headers, sizeBytes=len(jpeg)).json  # declared image/png
    status = put(app, doc["put_url"], jpeg, "image/jpeg")
    if doc["put_url"].startswith(BASE_URL):
        assert status == 415
        assert app.stored_keys() == []
        return
    r = complete(app, headers, doc["completion_token"])  # the bytes are still a JPEG
    assert r.status_code == 415
    assert app.stored_keys() == []


def test_png_header_with_jpeg_bytes_is_refused_on_complete(app: App) -> None:
    headers = app.auth()
    jpeg = imagegen.jpeg(32, 32)
    doc = presign(app, headers, sizeBytes=len(jpeg)).json
    assert put(app, doc["put_url"], jpeg, "image/png") == 200
    r = complete(app, headers, doc["completion_token"])
    assert r.status_code == 415
    assert app.stored_keys() == []


def test_expired_token_is_refused(make_app: Callable[..., App]) -> None:
    app = make_app(backend="sqlite", presign_expires_seconds=30)
    headers = app.auth()
    data = imagegen.png(8, 8)
    doc = presign(app, headers, sizeBytes=len(data)).json
    import datetime as dt

    from dependency_injector import providers

    from imgtree.adapters.memory import FixedClock

    later = FixedClock(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60))
    app.container.adapters.clock.override(providers.Object(later))
    app.container.reset_singletons()
    from falcon.testing import TestClient

    from imgtree.entrypoints.http.app import create_app

    client = TestClient(create_app(app.container))
    parts = urlsplit(doc["put_url"])
    r = client.simulate_put(
        parts.path, query_string=parts.query, body=data, headers={"Content-Type": "image/png"}
    )
    assert r.status_code == 403
    r = client.simulate_post(
        "/api/v1/upload/complete", json={"token": doc["completion_token"]}, headers=headers
    )
    assert r.status_code == 400


def test_app_put_accepts_one_put_only(make_app: Callable[..., App]) -> None:
    app = make_app(backend="sqlite")
    headers = app.auth()
    data = imagegen.png(8, 8)
    doc = presign(app, headers, sizeBytes=len(data)).json
    assert put(app, doc["put_url"], data, "image/png") == 200
    assert put(app, doc["put_url"], data, "image/png") == 409
    wrong = doc["put_url"].split("?token=")[0] + "?token=forged"
    assert put(app, wrong, data, "image/png") == 403


def test_presign_validation_errors(app: App) -> None:
    headers = app.auth()
    assert presign(app, headers, contentType="text/html").status_code == 415
    assert presign(app, headers, sizeBytes=0).status_code == 400
    assert presign(app, headers, sizeBytes="12").status_code == 400
    assert presign(app, headers, sizeBytes=10**12).status_code == 413
    assert presign(app, headers, filename="").json == {
        "success": False,
        "error": "Filename required",
    }
    assert presign(app, headers, albumId="7d3c1f8e-3c0a-4a4e-9a43-0c3d8e3c9b11").status_code == 404
    assert presign(app, {}).status_code == 401
    r = app.client.simulate_post(
        "/api/v1/upload/presign",
        body=b"[]",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    r = app.client.simulate_post(
        "/api/v1/upload/presign", body=b"x", headers={**headers, "Content-Type": "text/plain"}
    )
    assert r.status_code == 415


def test_parallel_completes_of_one_token_make_one_image(app: App) -> None:
    headers = app.auth()
    data = imagegen.png(40, 40)
    doc = presign(app, headers, sizeBytes=len(data)).json
    assert put(app, doc["put_url"], data, "image/png") == 200
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        r = complete(app, headers, doc["completion_token"])
        with lock:
            statuses.append(r.status_code)

    threads = [threading.Thread(target=run) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [400] * 19
    assert app.client.simulate_get("/api/v1/images", headers=headers).json["total"] == 1


def test_failed_put_can_be_retried(make_app: Callable[..., App]) -> None:
    app = make_app(backend="sqlite")
    headers = app.auth()
    data = imagegen.png(16, 16)
    doc = presign(app, headers, sizeBytes=len(data)).json
    assert put(app, doc["put_url"], data + b"\0" * 100, "image/png") == 413
    assert app.stored_keys() == []
    assert put(app, doc["put_url"], data, "image/png") == 200
    assert complete(app, headers, doc["completion_token"]).status_code == 200


# --- open presigns: bounded per account and per guest address; declared bytes reserved --------


def presign_batch(app: App, headers: dict[str, str], n: int, size: int = 1000):
    files = [
        {"filename": f"{i}.png", "contentType": "image/png", "sizeBytes": size} for i in range(n)
    ]
    return app.client.simulate_post(
        "/api/v1/upload/presign/batch", json={"files": files}, headers=headers
    )


def test_an_account_gets_429_past_100_open_presigns(app: App) -> None:
    headers = app.auth()
    data = imagegen.png(8, 8)
    first = presign(app, headers, sizeBytes=len(data)).json
    for n in (20, 20, 20, 20, 19):
        r = presign_batch(app, headers, n)
        assert r.status_code == 200 and all("put_url" in u for u in r.json["uploads"]), r.text
    refused = presign(app, headers)
    assert refused.status_code == 429, refused.text
    assert refused.json["success"] is False
    assert "at most 100" in refused.json["error"]
    assert 890 <= int(refused.headers["Retry-After"]) <= 900  # until the oldest one expires
    # The route's request-rate headers are left as its guard set them (not exhausted).
    assert "RateLimit" in refused.headers and ";r=0;" not in refused.headers["RateLimit"]
    (item,) = presign_batch(app, headers, 1).json["uploads"]
    assert item["status"] == 429 and "at most 100" in item["error"]
    assert presign(app, app.auth()).status_code == 200  # another account has its own
    # Completing one frees its slot.
    assert put(app, first["put_url"], data, "image/png") == 200
    assert complete(app, headers, first["completion_token"]).status_code == 200
    assert presign(app, headers).status_code == 200
    assert presign(app, headers).status_code == 429


def guest_presign(app: App, address: str, size: int = 1000):
    body = {"filename": "g.png", "contentType": "image/png", "sizeBytes": size}
    return app.client.simulate_post("/api/upload/guest/presign", json=body, remote_addr=address)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_guest_address_gets_429_past_20_open_presigns(
    make_app: Callable[..., App], backend: str
) -> None:
    app = make_app(backend=backend, guest_rate_limit_per_minute=1000)
    for _ in range(20):
        assert guest_presign(app, "203.0.113.7").status_code == 200
    refused = guest_presign(app, "203.0.113.7")
    assert refused.status_code == 429, refused.text
    assert "at most 20" in refused.json["error"]
    assert 890 <= int(refused.headers["Retry-After"]) <= 900
    assert "RateLimit" in refused.headers and "RateLimit-Policy" in refused.headers
    # Another address, and accounts, are not affected.
    assert guest_presign(app, "2001:db8::7").status_code == 200
    assert presign(app, app.auth()).status_code == 200


def test_open_presigns_count_against_the_quota(app: App) -> None:
    data = imagegen.png(40, 40)
    user = app.user(quota_bytes=len(data) * 3)
    headers = app.auth(user)
    assert presign(app, headers, sizeBytes=len(data) * 3 - 10).status_code == 200
    over = presign(app, headers, sizeBytes=11)
    assert over.status_code == 413, over.text
    assert over.json["error"].startswith("Storage quota exceeded: this file needs 11 B")
    # A direct upload must fit beside the open presign too.
    r = app.client.simulate_post(
        "/api/v1/upload",
        json={"filename": "a.png", "file_base64": base64.b64encode(data).decode()},
        headers=headers,
    )
    assert r.status_code == 413, r.text
    assert r.json["images"][0]["error"].startswith("Storage quota exceeded: ")
    assert presign(app, headers, sizeBytes=10).status_code == 200  # exactly the rest

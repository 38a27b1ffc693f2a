"""GET /api/v1/images, DELETE /api/v1/images/{uuid} and the delete_url flow."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.multipart import encode


def upload(app: App, headers: dict[str, str], n: int = 1) -> list[dict]:
    files = [("file", f"pic{i}.png", "image/png", imagegen.png(8 + i, 8)) for i in range(n)]
    body, ctype = encode(files)
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    return r.json["images"]


def path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_list_is_paginated_with_totals(app: App) -> None:
    headers = app.auth()
    uploaded = upload(app, headers, 5)
    r = app.client.simulate_get("/api/v1/images", params={"limit": 2}, headers=headers)
    assert r.status_code == 200
    doc = r.json
    assert doc["success"] is True
    assert (doc["page"], doc["limit"], doc["total"], doc["has_more"]) == (1, 2, 5, True)
    item = doc["images"][0]
    for field in ("id", "slug", "url", "direct_url", "thumb_url", "original_name", "created_at"):
        assert field in item
    assert re.fullmatch(r"[0-9a-f-]{36}", item["id"])
    assert item["url"] == f"{BASE_URL}/i/{item['slug']}"
    seen = []
    for page in (1, 2, 3):
        r = app.client.simulate_get(
            "/api/v1/images", params={"limit": 2, "page": page}, headers=headers
        )
        seen += [i["slug"] for i in r.json["images"]]
    assert sorted(seen) == sorted(i["id"] for i in uploaded)
    assert r.json["has_more"] is False


def test_list_defaults_and_caps(app: App) -> None:
    headers = app.auth()
    r = app.client.simulate_get("/api/v1/images", headers=headers)
    assert (r.json["page"], r.json["limit"], r.json["total"]) == (1, 24, 0)
    r = app.client.simulate_get("/api/v1/images", params={"limit": 1000}, headers=headers)
    assert r.json["limit"] == 100
    for bad in ({"page": 0}, {"limit": "abc"}, {"limit": 0}, {"page": "-1"}):
        r = app.client.simulate_get("/api/v1/images", params=bad, headers=headers)
        assert r.status_code == 400 and r.json["success"] is False


def test_list_shows_only_own_images(app: App) -> None:
    upload(app, app.auth())
    r = app.client.simulate_get("/api/v1/images", headers=app.auth())
    assert r.json["total"] == 0
    assert app.client.simulate_get("/api/v1/images").status_code == 401


def test_delete_by_owner_soft_deletes(app: App) -> None:
    headers = app.auth()
    (img,) = upload(app, headers)
    listed = app.client.simulate_get("/api/v1/images", headers=headers).json["images"][0]
    other = app.client.simulate_delete(f"/api/v1/images/{listed['id']}", headers=app.auth())
    assert other.status_code == 404
    r = app.client.simulate_delete(f"/api/v1/images/{listed['id']}", headers=headers)
    assert r.status_code == 200 and r.json["success"] is True
    assert app.client.simulate_get("/api/v1/images", headers=headers).json["total"] == 0
    assert app.client.simulate_get(path(img["direct_url"])).status_code == 404
    assert app.client.simulate_get(path(img["url"])).status_code == 404
    again = app.client.simulate_delete(f"/api/v1/images/{listed['id']}", headers=headers)
    assert again.status_code == 404
    assert (
        app.client.simulate_delete("/api/v1/images/not-a-uuid", headers=headers).status_code == 400
    )


def test_delete_url_get_confirms_and_never_deletes(app: App) -> None:
    (img,) = upload(app, app.auth())
    r = app.client.simulate_get(path(img["delete_url"]))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Delete this image?" in r.text
    assert app.client.simulate_get(path(img["direct_url"])).status_code == 200


def test_delete_url_with_delete_method(app: App) -> None:
    (img,) = upload(app, app.auth())
    image_id = urlsplit(img["delete_url"]).path.rsplit("/", 1)[1]
    wrong = app.client.simulate_delete(f"/api/images/{image_id}", params={"token": "wrong"})
    assert wrong.status_code == 403
    missing = app.client.simulate_delete(f"/api/images/{image_id}")
    assert missing.status_code == 401
    r = app.client.simulate_delete(path(img["delete_url"]))
    assert r.status_code == 200 and r.json["success"] is True
    assert app.client.simulate_get(path(img["direct_url"])).status_code == 404
    assert app.client.simulate_delete(path(img["delete_url"])).status_code == 404


def test_delete_confirmation_form_deletes(app: App) -> None:
    (img,) = upload(app, app.auth())
    image_id = urlsplit(img["delete_url"]).path.rsplit("/", 1)[1]
    token = urlsplit(img["delete_url"]).query.split("=", 1)[1]
    r = app.client.simulate_post(
        f"/delete/{image_id}",
        body=f"token={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and "deleted" in r.text.lower()
    assert app.client.simulate_get(path(img["direct_url"])).status_code == 404


def test_public_page_has_image_codes_and_open_graph(app: App) -> None:
    (img,) = upload(app, app.auth())
    r = app.client.simulate_get(path(img["url"]))
    assert r.status_code == 200
    html = r.text
    assert f'<meta property="og:image" content="{img["direct_url"]}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert f'src="{img["direct_url"]}"' in html
    assert "[img]" in html  # embed codes are on the page
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert app.client.simulate_get("/i/zzzzzzzz").status_code == 404


def test_user_supplied_name_is_escaped_in_pages(app: App) -> None:
    body, ctype = encode(
        [("file", "<img src=x onerror=alert(1)>.png", "image/png", imagegen.png(4, 4))]
    )
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    img = r.json["images"][0]
    page = app.client.simulate_get(path(img["url"])).text
    assert "<img src=x onerror" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in page


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@pytest.mark.parametrize("memory_cache_bytes", [64 << 20, 0], ids=["from-memory", "from-disk"])
def test_media_headers_etag_range_head(
    make_app: Callable[..., App], memory_cache_bytes: int, backend: str
) -> None:
    # Small public files are answered from the worker's memory once looked up; with no
    # budget every answer comes from the file. Both must look the same to a client.
    app = make_app(backend=backend, media_memory_cache_bytes=memory_cache_bytes)
    (img,) = upload(app, app.auth())
    url = path(img["direct_url"])
    r = app.client.simulate_get(url)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (
        "immutable" in r.headers["cache-control"]
        and "max-age=31536000" in r.headers["cache-control"]
    )
    assert r.headers["content-disposition"].startswith("inline;")
    etag = r.headers["etag"]
    full = r.content
    assert full.startswith(b"\x89PNG")
    assert app.client.simulate_get(url, headers={"If-None-Match": etag}).status_code == 304
    part = app.client.simulate_get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.content == full[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(full)}"
    tail = app.client.simulate_get(url, headers={"Range": "bytes=-5"})
    assert tail.content == full[-5:]
    bad = app.client.simulate_get(url, headers={"Range": f"bytes={len(full) + 10}-"})
    assert bad.status_code == 416
    head = app.client.simulate_head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(full)
    thumb = app.client.simulate_get(path(img["thumb_url"]))
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")
    assert app.client.simulate_get(url.replace(".png", ".gif")).status_code == 404
    assert app.client.simulate_get("/media/..%2f..%2fetc%2fpasswd").status_code == 404


def test_unknown_routes_are_json_404(app: App) -> None:
    r = app.client.simulate_get("/api/v1/nope")
    assert r.status_code == 404
    assert r.json["success"] is False


def test_database_down_is_a_retryable_503_and_recovers(tmp_path) -> None:
    import falcon.testing

    from imgtree.adapters.sql.migrate import upgrade
    from imgtree.entrypoints.containers import build_container
    from imgtree.entrypoints.http.app import create_app
    from imgtree.entrypoints.settings import Settings

    db = tmp_path / "db.sqlite3"
    settings = Settings(database_url=f"sqlite:///{db}", media_dir=tmp_path / "media")
    upgrade(settings.database_url)
    container = build_container(settings)
    client = falcon.testing.TestClient(create_app(container))
    cases = container.use_cases
    key = cases.create_api_key()(cases.create_user()("db@example.com").id, "k").secret
    headers = {"Authorization": f"Bearer {key}"}
    assert client.simulate_get("/api/v1/images", headers=headers).status_code == 200
    container.adapters.engine().dispose()
    moved = db.rename(tmp_path / "elsewhere.sqlite3")
    db.mkdir()  # the path now names a directory: SQLite cannot open it
    r = client.simulate_get("/api/v1/images", headers=headers)
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json == {"success": False, "error": "Service temporarily unavailable, please retry"}
    db.rmdir()
    moved.rename(db)
    assert client.simulate_get("/api/v1/images", headers=headers).status_code == 200
    container.shutdown_resources()

"""POST/GET /api/v1/upload through falcon.testing: exact shapes and statuses of the API docs."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest

from imgtree.domain.policies import RatePolicy, UploadPolicy
from imgtree.domain.use_cases.capabilities import DescribeCapabilities
from imgtree.entrypoints.http import presenters
from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.multipart import encode


def post_files(app: App, headers: dict[str, str], *files: tuple[str, str, bytes], **fields: str):
    body, ctype = encode([("file", n, t, d) for n, t, d in files], fields)
    return app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}
    )


def test_discovery_needs_no_auth_and_lists_limits(app: App) -> None:
    r = app.client.simulate_get("/api/v1/upload")
    assert r.status_code == 200
    doc = r.json
    assert doc["max_file_size_bytes"] == 20 * 1024 * 1024
    assert doc["allowed_types"] == [
        *("image/jpeg", "image/png", "image/gif", "image/webp"),
        *("image/heic", "image/heif", "image/avif"),  # pillow-heif and Pillow's AVIF installed
    ]
    assert doc["presign_expires_seconds"] == 900
    assert doc["batch_limit"] == 20
    assert doc["rate_limit"]["per_minute"] == 10_000
    assert isinstance(doc["rate_limit"]["text"], str)
    assert doc["rate_limit"]["text"] == "About 10000 upload requests per minute per client IP."
    routes = {(r["method"], r["path"]) for r in doc["routes"]}
    assert ("POST", "/api/v1/upload") in routes
    assert all(set(r) == {"method", "path", "description"} for r in doc["routes"])


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (RatePolicy(per_minute=12), "About 12 upload requests per minute per client IP."),
        (RatePolicy(per_minute=5, window_seconds=120), "5 requests per 120 seconds."),
    ],
)
def test_discovery_words_the_rate_limit(rate: RatePolicy, text: str) -> None:
    # The domain hands over the numbers; the wording is the presenter's.
    doc = presenters.capabilities(DescribeCapabilities(UploadPolicy(), rate)())
    assert doc["rate_limit"] == {"per_minute": rate.per_minute, "text": text}


# Every field of an uploaded image's object (the upload routes and completes answer it).
UPLOADED_IMAGE_FIELDS = {
    "id",
    "url",
    "direct_url",
    "thumb_url",
    "delete_url",
    "visibility",
    "expires_at",
    "codes",
    "renditions",
    "blurhash",
    "dominant_color",
    "rendition_formats",
    "password_protected",
}


def test_multipart_upload_returns_documented_shape(app: App) -> None:
    r = post_files(app, app.auth(), ("shot.png", "image/png", imagegen.png(40, 30)))
    assert r.status_code == 200, r.text
    assert r.json["success"] is True
    (img,) = r.json["images"]
    assert set(img) == UPLOADED_IMAGE_FIELDS
    assert img["renditions"] == {}  # 40 px: smaller than every rendition
    # ...but offered whole in the other formats (AVIF first)
    assert img["rendition_formats"] == {
        ext: {"full": f"{BASE_URL}/media/full/{img['id']}.{ext}"} for ext in ("avif", "webp")
    }
    assert list(img["rendition_formats"]) == ["avif", "webp"]
    assert re.fullmatch(r"[a-z0-9]{12}", img["id"])  # IMGTREE_SLUG_LENGTH's default
    assert img["url"] == f"{BASE_URL}/i/{img['id']}"
    assert img["direct_url"] == f"{BASE_URL}/media/{img['id']}.png"
    assert img["thumb_url"].startswith(f"{BASE_URL}/media/thumb/{img['id']}.")
    assert re.fullmatch(
        rf"{BASE_URL}/api/images/[0-9a-f-]{{36}}\?token=[A-Za-z0-9_-]{{20,}}", img["delete_url"]
    )
    codes = img["codes"]
    assert list(codes) == [
        "page",
        "direct",
        "markdown",
        "html",
        "bbcode",
        "markdown_thumb",
        "html_thumb",
        "bbcode_thumb",
    ]
    assert codes["page"] == img["url"]
    assert codes["markdown_thumb"] == f"[![shot.png]({img['thumb_url']})]({img['url']})"
    assert codes["html_thumb"] == (
        f'<a href="{img["url"]}"><img src="{img["thumb_url"]}" alt="shot.png" /></a>'
    )
    assert codes["bbcode"] == f"[img]{img['direct_url']}[/img]"
    assert codes["bbcode_thumb"] == f"[url={img['url']}][img]{img['thumb_url']}[/img][/url]"
    assert codes["html"] == f'<img src="{img["direct_url"]}" alt="shot.png" />'
    assert codes["markdown"] == f"![shot.png]({img['direct_url']})"
    assert codes["direct"] == img["direct_url"]


def test_batch_reports_per_file_errors_in_order(app: App) -> None:
    r = post_files(
        app,
        app.auth(),
        ("a.png", "image/png", imagegen.png(10, 10)),
        ("notes.txt", "text/plain", b"just some text"),
        ("b.gif", "image/gif", imagegen.gif(10, 10)),
    )
    assert r.status_code == 200
    a, bad, b = r.json["images"]
    assert "url" in a and "url" in b
    assert bad["status"] == 415 and isinstance(bad["error"], str) and "url" not in bad


def test_declared_type_is_never_trusted(app: App) -> None:
    r = post_files(app, app.auth(), ("fake.png", "image/png", imagegen.jpeg(20, 20)))
    assert r.status_code == 200
    assert r.json["images"][0]["direct_url"].endswith(".jpg")


@pytest.mark.parametrize("alias", ["file_base64", "base64"])
@pytest.mark.parametrize("data_url", [False, True])
def test_json_base64_upload(app: App, alias: str, data_url: bool) -> None:
    encoded = base64.b64encode(imagegen.png(12, 12)).decode()
    if data_url:
        encoded = "data:image/png;base64," + encoded
    r = app.client.simulate_post(
        "/api/v1/upload",
        json={"filename": "x.png", "contentType": "image/png", alias: encoded},
        headers=app.auth(),
    )
    assert r.status_code == 200, r.text
    assert r.json["images"][0]["direct_url"].endswith(".png")


def test_garbage_base64_is_a_clear_400(app: App) -> None:
    r = app.client.simulate_post(
        "/api/v1/upload", json={"file_base64": "@@@not base64!!"}, headers=app.auth()
    )
    assert r.status_code == 400
    assert r.json == {"success": False, "error": "file_base64 is not valid base64"}


@pytest.mark.parametrize("ctype", ["text/plain", "application/octet-stream", "image/png", ""])
def test_other_content_types_get_415(app: App, ctype: str) -> None:
    headers = {**app.auth(), "Content-Type": ctype} if ctype else app.auth()
    r = app.client.simulate_post("/api/v1/upload", body=b"xx", headers=headers)
    assert r.status_code == 415
    assert r.json["success"] is False


def test_no_files_is_400(app: App) -> None:
    body, ctype = encode([], {"albumId": ""})
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    assert r.status_code == 400 and r.json["success"] is False
    r = app.client.simulate_post("/api/v1/upload", json={"filename": "x"}, headers=app.auth())
    assert r.status_code == 400


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Basic abc", "Bearer imgt_nope", "Bearer imgt_aaaaaaaaaaaa_wrong"]
)
def test_missing_or_invalid_key_is_401(app: App, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = post_files(app, headers, ("a.png", "image/png", imagegen.png(4, 4)))
    assert r.status_code == 401
    assert r.json["success"] is False
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_right_prefix_wrong_secret_is_401(app: App) -> None:
    key = app.key_for(app.user())
    r = post_files(
        app, {"Authorization": f"Bearer {key[:-4]}AAAA"}, ("a.png", "image/png", imagegen.png(4, 4))
    )
    assert r.status_code == 401


def test_revoked_key_is_401(app: App) -> None:
    user = app.user()
    created = app.container.use_cases.create_api_key()(user.id, "k")
    app.container.use_cases.revoke_api_key()(created.key.id)
    r = app.client.simulate_get(
        "/api/v1/images", headers={"Authorization": f"Bearer {created.secret}"}
    )
    assert r.status_code == 401


def test_inactive_account_is_403(app: App) -> None:
    import attrs

    user = app.user()
    headers = app.auth(user)
    with app.container.adapters.uow_factory()() as uow:
        uow.users.update(attrs.evolve(user, active=False))
        uow.commit()
    r = post_files(app, headers, ("a.png", "image/png", imagegen.png(4, 4)))
    assert r.status_code == 403
    assert r.json == {"success": False, "error": "Account inactive"}


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("trunc.png", lambda: imagegen.truncated(imagegen.png(200, 200)), 422),
        ("trunc.jpg", lambda: imagegen.truncated(imagegen.jpeg(300, 300)), 422),
        ("bomb.png", lambda: imagegen.png_declaring(60000, 60000), 422),
        ("vector.svg", imagegen.svg, 415),
        ("page.png", imagegen.html, 415),
        ("empty.png", lambda: b"", 400),
    ],
)
def test_hostile_single_files_get_clear_errors(app: App, name: str, data, status: int) -> None:
    r = post_files(app, app.auth(), (name, "image/png", data()))
    assert r.status_code == status, r.text
    assert r.json["success"] is False
    assert r.json["images"][0]["status"] == status
    assert "Traceback" not in r.text
    assert app.stored_keys() == []
    assert app.client.simulate_get("/api/v1/upload").status_code == 200


def test_gif_with_html_appended_is_published_without_it(app: App) -> None:
    payload = b"<html><script>alert(1)</script></html>"
    r = post_files(
        app, app.auth(), ("x.gif", "image/gif", imagegen.with_appended(imagegen.gif(8, 8), payload))
    )
    assert r.status_code == 200
    media = app.client.simulate_get(r.json["images"][0]["direct_url"].removeprefix(BASE_URL))
    assert media.status_code == 200
    assert payload not in media.content
    assert media.headers["content-type"] == "image/gif"


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_too_large_file_is_413_per_file(make_app, backend: str) -> None:
    app = make_app(backend=backend, max_upload_bytes=2000)
    r = post_files(
        app,
        app.auth(),
        ("big.png", "image/png", imagegen.png(300, 300) + b"\0" * 4000),
        ("ok.png", "image/png", imagegen.png(4, 4)),
    )
    assert r.status_code == 200
    big, ok = r.json["images"]
    assert big["status"] == 413 and "url" in ok


def test_more_than_batch_limit_is_400(app: App) -> None:
    files = [(f"{i}.png", "image/png", imagegen.png(2, 2)) for i in range(21)]
    r = post_files(app, app.auth(), *files)
    assert r.status_code == 400
    assert app.stored_keys() == []


def test_album_of_someone_else_is_404(app: App) -> None:
    r = post_files(
        app,
        app.auth(),
        ("a.png", "image/png", imagegen.png(4, 4)),
        albumId="7d3c1f8e-3c0a-4a4e-9a43-0c3d8e3c9b11",
    )
    assert r.status_code == 404
    r = post_files(app, app.auth(), ("a.png", "image/png", imagegen.png(4, 4)), albumId="nope")
    assert r.status_code == 400


def test_malformed_multipart_is_400(app: App) -> None:
    r = app.client.simulate_post(
        "/api/v1/upload",
        body=b"--x\r\nnonsense",
        headers={**app.auth(), "Content-Type": "multipart/form-data; boundary=y"},
    )
    assert r.status_code == 400
    r = app.client.simulate_post(
        "/api/v1/upload", body=b"abc", headers={**app.auth(), "Content-Type": "multipart/form-data"}
    )
    assert r.status_code == 400


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_rate_limit_429_with_headers(make_app, backend: str) -> None:
    app = make_app(backend=backend, rate_limit_per_minute=3)
    headers = app.auth()
    statuses = []
    for _ in range(4):
        r = post_files(app, headers, ("a.png", "image/png", imagegen.png(4, 4)))
        statuses.append(r.status_code)
    assert statuses == [200, 200, 200, 429]
    assert int(r.headers["Retry-After"]) >= 1
    assert "q=3" in r.headers["RateLimit-Policy"] and "r=0" in r.headers["RateLimit"]
    assert r.json == {"success": False, "error": "Too many requests"}


def test_api_key_upload_counter_counts_successes(app: App) -> None:
    user = app.user()
    created = app.container.use_cases.create_api_key()(user.id, "sharex")
    headers = {"Authorization": f"Bearer {created.secret}"}
    post_files(
        app, headers, ("a.png", "image/png", imagegen.png(4, 4)), ("b.txt", "text/plain", b"x")
    )
    (key,) = app.container.use_cases.list_api_keys()(user.id)
    assert key.upload_count == 1


def test_unexpected_errors_are_generic_json_500(app: App) -> None:
    from imgtree.adapters.memory import MemoryBlobStorage

    class Broken(MemoryBlobStorage):  # a whole storage whose writes fail
        def put(self, *a, **k):
            raise RuntimeError("disk on fire at /secret/path")

    from dependency_injector import providers

    broken = Broken(app.container.adapters.clock())
    app.container.adapters.storage.override(providers.Object(broken))
    app.container.reset_singletons()
    import falcon.testing

    from imgtree.entrypoints.http.app import create_app

    client = falcon.testing.TestClient(create_app(app.container))
    body, ctype = encode([("file", "a.png", "image/png", imagegen.png(4, 4))])
    r = client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    assert r.status_code == 500
    assert r.json == {"success": False, "error": "Internal server error"}
    assert "secret" not in r.text


def test_local_disk_uploads_leave_no_staged_files(make_app: Callable[..., App]) -> None:
    """On local disk the published file is written once, into a staged file beside the blobs
    that the put renames into place: nothing of it stays behind, stored or refused."""
    app = make_app(backend="sqlite")
    headers = app.auth()
    png = imagegen.png(300, 200)
    files = [("a.png", "image/png", png), ("b.png", "image/png", b"not an image" * 10)]
    files.append(("c.png", "image/png", imagegen.truncated(png)))
    r = post_files(app, headers, *files)
    statuses = [img.get("status", 200) for img in r.json["images"]]
    assert statuses == [200, 415, 422], r.json
    url = r.json["images"][0]["direct_url"].removeprefix(BASE_URL)
    served = app.client.simulate_get(url)
    assert served.status_code == 200 and served.content[:8] == png[:8]
    root = app.storage.root  # type: ignore[union-attr]
    assert sorted(p.name for p in root.rglob(".*")) == []
    assert len(list(root.rglob("*.png"))) == 1


def test_the_same_file_uploaded_twice_is_stored_once_and_survives_deleting_either(
    app: App,
) -> None:
    """Shared blobs (issue 16 item 5): one stored file, two images; deleting one (and
    purging it) leaves the other serving."""
    headers = app.auth()
    data = imagegen.png(40, 30)
    first, second = (
        post_files(app, headers, (name, "image/png", data)).json["images"][0]
        for name in ("a.png", "b.png")
    )
    assert first["id"] != second["id"]
    assert [k.split("/")[0] for k in app.stored_keys()] == ["images", "thumbs"]
    path, token = first["delete_url"].removeprefix(BASE_URL).split("?token=")
    gone = app.client.simulate_delete(path, params={"token": token})
    assert gone.status_code == 200, gone.text
    app.container.use_cases.purge()(retention_seconds=0)
    assert [k.split("/")[0] for k in app.stored_keys()] == ["images", "thumbs"]
    media = app.client.simulate_get(second["direct_url"].removeprefix(BASE_URL))
    assert media.status_code == 200 and media.content == data

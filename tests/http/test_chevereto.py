"""POST /api/1/upload (Chevereto API v1) driven exactly as its clients drive it: ShareX's
Chevereto preset (key in the form, or in the URL), a ShareX custom uploader (X-API-Key,
`{json:image.url}`), PicGo plugins; base64 sources; every error in Chevereto's shape."""

from __future__ import annotations

import base64
import io
import json
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import falcon.testing
import pytest

from imgtree.domain.model import MAX_EXPIRES_IN, MAX_IMAGE_DESCRIPTION, User
from imgtree.entrypoints.http.chevereto.form import parse_expiration
from tests.hostile import image_rows
from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.chevereto_clients import (
    json_path,
    picgo_header_plugin,
    picgo_plugin,
    sharex_custom,
    sharex_preset,
    sharex_preset_query,
    sxcu,
)
from tests.support.multipart import encode

PNG = imagegen.png(64, 48)
ROUTE = "/api/1/upload"
# Request-level refusals need no database: memory only (the clients run on both backends).
MEMORY_ONLY = pytest.mark.parametrize("app", ["memory"], indirect=True)
# What the upload stores (title, description, album, expiry) on every database.
ALL_BACKENDS = pytest.mark.parametrize("app", ["memory", "sqlite", "postgres_s3"], indirect=True)

# The fields of Chevereto's `image` object this route answers (docs/chevereto.md).
IMAGE_FIELDS = {
    *("name", "extension", "size", "width", "height", "date", "date_gmt", "title"),
    *("description", "nsfw", "storage_mode", "md5", "source_md5", "original_filename"),
    *("views", "expiration_date_gmt", "is_animated", "id_encoded", "filename", "mime"),
    *("ratio", "size_formatted", "url", "url_viewer", "url_short", "image", "thumb"),
    *("medium", "display_url", "display_width", "display_height", "delete_url"),
    *("views_label", "how_long_ago"),
}
FILE_FIELDS = {"filename", "name", "mime", "extension", "url"}


def send(app: App, request: tuple[str, dict[str, str], bytes]) -> falcon.testing.Result:
    path, headers, body = request
    route, _, query = path.partition("?")
    return app.client.simulate_post(route, query_string=query, headers=headers, body=body)


def multipart(app: App, fields: dict[str, str], files: Any = (), **headers: str) -> Any:
    body, ctype = encode(files, fields)
    return app.client.simulate_post(ROUTE, body=body, headers={**headers, "Content-Type": ctype})


def image_count(app: App, user: User) -> int:
    """The user's image rows (deleted ones too): a refusal adds none."""
    del user  # every test's uploads are its one user's
    return image_rows(app)


def assert_error(r: falcon.testing.Result, status: int, code: int | None = None) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json
    assert set(doc) == {"status_code", "error", "status_txt"}, doc
    assert doc["status_code"] == status
    assert (
        doc["status_txt"]
        == {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            411: "Length Required",
            413: "Content Too Large",
            415: "Unsupported Media Type",
            422: "Unprocessable Content",
            429: "Too Many Requests",
        }[status]
    )
    error = doc["error"]
    assert {"message", "code", "context"} <= set(error)
    assert isinstance(error["message"], str) and error["message"]
    assert error["code"] == (status if code is None else code)
    assert error["context"] == "Exception"
    assert "Traceback" not in r.text and ".py" not in r.text
    return str(error["message"])


@pytest.fixture
def user(app: App) -> User:
    return app.user()


@pytest.fixture
def key(app: App, user: User) -> str:
    return app.key_for(user)


def check_uploaded(app: App, doc: dict[str, Any], filename: str = "shot.png") -> dict[str, Any]:
    """The success shape, and every URL in it really serves what it says."""
    assert doc["status_code"] == 200 and doc["status_txt"] == "OK"
    assert doc["success"] == {"message": "image uploaded", "code": 200}
    image = doc["image"]
    assert set(image) == IMAGE_FIELDS
    slug = image["id_encoded"]
    assert image["name"] == slug and image["filename"] == f"{slug}.png"
    assert (image["extension"], image["mime"]) == ("png", "image/png")
    assert (image["width"], image["height"]) == (64, 48)
    assert image["original_filename"] == filename
    assert image["url"] == f"{BASE_URL}/media/{slug}.png"
    assert image["url_viewer"] == f"{BASE_URL}/i/{slug}"
    assert image["thumb"]["url"].startswith(f"{BASE_URL}/media/thumb/{slug}.")
    assert set(image["thumb"]) == FILE_FIELDS and set(image["medium"]) == FILE_FIELDS
    assert set(image["image"]) == FILE_FIELDS | {"size"}
    assert image["image"]["url"] == image["url"] == image["display_url"] == image["medium"]["url"]
    assert image["size"] == image["image"]["size"] > 0
    assert image["md5"] is None and len(image["source_md5"]) == 32
    datetime.strptime(image["date_gmt"], "%Y-%m-%d %H:%M:%S")
    media = app.client.simulate_get(image["url"].removeprefix(BASE_URL))
    assert media.status_code == 200 and media.headers["content-type"] == "image/png"
    assert media.content.startswith(b"\x89PNG")
    assert app.client.simulate_get(image["thumb"]["url"].removeprefix(BASE_URL)).status_code == 200
    assert app.client.simulate_get(image["url_viewer"].removeprefix(BASE_URL)).status_code == 200
    delete_page = app.client.simulate_get(image["delete_url"].removeprefix(BASE_URL))
    assert delete_page.status_code == 200  # the confirmation page a browser opens
    return image


# --- the clients ------------------------------------------------------------------------------


def test_sharex_chevereto_preset_uploads(app: App, user: User, key: str) -> None:
    r = send(app, sharex_preset(key, "shot.png", PNG))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    image = check_uploaded(app, r.json)
    # What ShareX reads: the direct link (or the viewer) and the thumbnail.
    assert image["url"].endswith(".png") and image["thumb"]["url"]
    assert image_count(app, user) == 1
    # The upload counts against the key like any v1 upload.
    listed = app.client.simulate_get("/api/v1/images", headers={"Authorization": f"Bearer {key}"})
    assert [i["slug"] for i in listed.json["images"]] == [image["id_encoded"]]


@MEMORY_ONLY
def test_sharex_preset_with_the_key_in_the_url(app: App, user: User, key: str) -> None:
    r = send(app, sharex_preset_query(key, "shot.png", PNG))
    assert r.status_code == 200, r.text
    check_uploaded(app, r.json)


def test_sharex_custom_uploader(app: App, user: User, key: str) -> None:
    config = sxcu(BASE_URL, key)
    assert config["FileFormName"] == "source" and config["URL"] == "{json:image.url}"
    r = send(app, sharex_custom(config, BASE_URL, "shot.png", PNG))
    assert r.status_code == 200, r.text
    url = json_path(r.json, config["URL"])
    thumb = json_path(r.json, config["ThumbnailURL"])
    deletion = json_path(r.json, config["DeletionURL"])
    assert url.startswith(f"{BASE_URL}/media/") and thumb.startswith(f"{BASE_URL}/media/thumb/")
    assert app.client.simulate_get(url.removeprefix(BASE_URL)).status_code == 200
    # The deletion URL deletes (DELETE with its token, as the web page does).
    gone = app.client.simulate_delete(
        *deletion.removeprefix(BASE_URL).split("?", 1)[:1], query_string=deletion.split("?", 1)[1]
    )
    assert gone.status_code == 200, gone.text
    assert app.client.simulate_get(url.removeprefix(BASE_URL)).status_code == 404
    # Its error line reads Chevereto's error message.
    bad = send(app, sharex_custom(sxcu(BASE_URL, "imgt_wrong"), BASE_URL, "s.png", PNG))
    assert json_path(bad.json, config["ErrorMessage"]) == "Invalid API key"


def test_picgo_plugin_with_the_key_after_the_file(app: App, user: User, key: str) -> None:
    r = send(app, picgo_plugin(key, "clip.png", PNG))
    assert r.status_code == 200, r.text
    check_uploaded(app, r.json, "clip.png")


def test_picgo_plugin_with_an_api_key_header(app: App, user: User, key: str) -> None:
    r = send(app, picgo_header_plugin(key, "clip.png", PNG))
    assert r.status_code == 200, r.text
    check_uploaded(app, r.json, "clip.png")


# --- base64 and URL sources -----------------------------------------------------------------

B64 = base64.b64encode(PNG).decode()


@MEMORY_ONLY
def test_base64_source_in_a_multipart_field(app: App, key: str) -> None:
    r = multipart(app, {"key": key, "source": B64})
    assert r.status_code == 200, r.text
    assert r.json["image"]["extension"] == "png"


def test_base64_source_urlencoded_streams_and_decodes(app: App, key: str) -> None:
    body = urllib.parse.urlencode({"key": key, "source": B64, "title": "Sea & sky"})
    assert "%2B" in body or "+" not in B64  # '+' of base64 sent escaped, as clients do
    r = app.client.simulate_post(
        ROUTE, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 200, r.text
    assert r.json["image"]["title"] == "Sea & sky"
    media = app.client.simulate_get(r.json["image"]["url"].removeprefix(BASE_URL))
    assert media.content.startswith(b"\x89PNG")


@MEMORY_ONLY
def test_base64_data_url_in_a_json_body(app: App, key: str) -> None:
    doc = {"source": f"data:image/png;base64,{B64}", "format": "json"}
    r = app.client.simulate_post(ROUTE, json=doc, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    assert r.json["image"]["mime"] == "image/png"


@MEMORY_ONLY
@pytest.mark.parametrize("how", ["multipart", "urlencoded", "json"])
def test_a_url_source_is_refused_clearly(app: App, user: User, key: str, how: str) -> None:
    url = "https://example.com/cat.png"
    if how == "multipart":
        r = multipart(app, {"key": key, "source": url})
    elif how == "urlencoded":
        r = app.client.simulate_post(
            ROUTE,
            body=urllib.parse.urlencode({"key": key, "source": url}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:
        r = app.client.simulate_post(ROUTE, json={"key": key, "source": url})
    message = assert_error(r, 400)
    assert message.startswith("Uploading from URL is not supported by this server")
    assert image_count(app, user) == 0 and app.stored_keys() == []


@MEMORY_ONLY
def test_a_source_in_the_query_string_is_refused(app: App, key: str) -> None:
    r = app.client.simulate_post(ROUTE, query_string=f"key={key}&source=http://x/y.png")
    assert "not in the URL" in assert_error(r, 400)


@MEMORY_ONLY
@pytest.mark.parametrize(
    ("source", "code"),
    [("@@@ not base64 @@@", 120), ("", 130), ("   ", 130)],
    ids=["garbage", "empty", "blank"],
)
def test_bad_base64_sources(app: App, user: User, key: str, source: str, code: int) -> None:
    r = multipart(app, {"key": key, "source": source})
    assert_error(r, 400, code)
    assert image_count(app, user) == 0


@MEMORY_ONLY
def test_no_source_is_chevereto_130(app: App, key: str) -> None:
    assert assert_error(multipart(app, {"key": key}), 400, 130) == "Empty upload source"
    assert_error(app.client.simulate_post(ROUTE, headers={"X-API-Key": key}), 400, 130)


def test_base64_bigger_than_the_limit_is_413(make_app: Callable[..., App]) -> None:
    app = make_app(max_upload_bytes=2048)
    key = app.key_for(app.user())
    big = base64.b64encode(imagegen.png(200, 200) + b"\0" * 4096).decode()
    r = app.client.simulate_post(
        ROUTE,
        body=urllib.parse.urlencode({"key": key, "source": big}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(r, 413)
    file_too_big = send(app, sharex_preset(key, "big.png", imagegen.png(200, 200) + b"\0" * 4096))
    assert_error(file_too_big, 413)
    assert app.stored_keys() == []


# --- fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT5M", 300),
        ("PT1H30M", 5400),
        ("P1D", 86400),
        ("P2W", 14 * 86400),
        ("P1M", 30 * 86400),
        ("P3Y", 3 * 365 * 86400),
        ("P1DT2H3M4S", 86400 + 7384),
        ("600", 600),
        ("", None),
    ],
)
def test_expiration_durations(value: str, seconds: int | None) -> None:
    assert parse_expiration(value) == seconds


@MEMORY_ONLY
@pytest.mark.parametrize(
    "value",
    [
        "P",
        "PT",
        "P1DT",
        "5M",
        "pt5m",
        "P-1D",
        "P1.5D",
        "PT0S",
        "0",
        "P1H",
        "PT1D",
        " PT5M",
        "P11Y",
        "P1Y2Y",
        "PT5M\n",
        "\uff301D",  # a full-width P
        "P\u0661D",  # an Arabic-Indic digit
        "\u00b2",  # a superscript two: a digit to str.isdigit, not to int()
    ],
)
def test_malformed_expirations_are_400(app: App, user: User, key: str, value: str) -> None:
    r = multipart(app, {"key": key, "expiration": value}, [("source", "a.png", "image/png", PNG)])
    assert "expiration must be an ISO 8601 duration" in assert_error(r, 400)
    assert image_count(app, user) == 0 and app.stored_keys() == []


@ALL_BACKENDS
def test_expiration_sets_the_images_expiry(app: App, key: str) -> None:
    body, ctype = encode(
        [("source", "a.png", "image/png", PNG)], {"key": key, "expiration": "PT5M"}
    )
    r = app.client.simulate_post(ROUTE, body=body, headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text
    image = r.json["image"]
    made = datetime.strptime(image["date_gmt"], "%Y-%m-%d %H:%M:%S")
    expires = datetime.strptime(image["expiration_date_gmt"], "%Y-%m-%d %H:%M:%S")
    assert expires - made == timedelta(minutes=5)
    listed = app.client.simulate_get("/api/v1/images", headers={"Authorization": f"Bearer {key}"})
    mine = {i["slug"]: i for i in listed.json["images"]}
    assert mine[image["id_encoded"]]["expires_at"] is not None
    assert parse_expiration(str(MAX_EXPIRES_IN)) == MAX_EXPIRES_IN


@ALL_BACKENDS
def test_title_description_and_album(app: App, user: User, key: str) -> None:
    album = app.container.use_cases.albums().create(user.id, "Holidays")
    fields = {
        "key": key,
        "title": "  Dune  ",
        "description": "<b>sand</b>",
        "album_id": str(album.id),
        "nsfw": "1",
        "tags": "a,b",
        "width": "100",
        "category_id": "3",
    }
    r = multipart(app, fields, [("source", "a.png", "image/png", PNG)])
    assert r.status_code == 200, r.text
    image = r.json["image"]
    assert (image["title"], image["description"], image["nsfw"]) == ("Dune", "<b>sand</b>", 0)
    assert image["width"] == 64  # width is accepted and ignored: never resized
    with app.container.adapters.uow_factory()(read_only=True) as uow:
        stored = uow.images.get_by_slug(image["id_encoded"])
    assert stored is not None
    assert (stored.title, stored.description, stored.album_id) == ("Dune", "<b>sand</b>", album.id)


@ALL_BACKENDS
@pytest.mark.parametrize("field", ["title", "description"])
def test_a_nul_in_a_title_or_description_is_400(app: App, key: str, field: str) -> None:
    source = [("source", "a.png", "image/png", PNG)]
    r = multipart(app, {"key": key, field: "a\x00b"}, source)
    assert assert_error(r, 400) == f"{field} must not contain NUL characters"
    assert app.stored_keys() == []


@MEMORY_ONLY
def test_medium_is_a_served_rendition(app: App, key: str) -> None:
    r = send(app, sharex_preset(key, "big.png", imagegen.png(1400, 1000)))
    assert r.status_code == 200, r.text
    image = r.json["image"]
    assert image["medium"]["url"] == image["display_url"]
    assert image["display_url"].startswith(f"{BASE_URL}/media/medium/")
    assert (image["display_width"], image["display_height"]) == (1280, 914)
    medium = app.client.simulate_get(image["display_url"].removeprefix(BASE_URL))
    assert medium.status_code == 200 and medium.headers["content-type"] == "image/png"


@MEMORY_ONLY
def test_album_rules(app: App, user: User, key: str) -> None:
    other = app.user()
    theirs = app.container.use_cases.albums().create(other.id, "Not yours")
    source = [("source", "a.png", "image/png", PNG)]
    assert_error(multipart(app, {"key": key, "album_id": str(theirs.id)}, source), 404)
    assert_error(multipart(app, {"key": key, "album_id": str(uuid.uuid4())}, source), 404)
    assert "album_id" in assert_error(multipart(app, {"key": key, "album_id": "L"}, source), 400)
    mine = app.container.use_cases.albums().create(user.id, "Mine")
    no_albums = app.container.use_cases.create_api_key()(user.id, "up", scopes=["upload"]).secret
    r = multipart(app, {"key": no_albums, "album_id": str(mine.id)}, source)
    assert "albums scope" in assert_error(r, 403)
    assert image_count(app, user) == 0


@MEMORY_ONLY
@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"title": "t" * 201}, "title must be text of at most 200"),
        ({"description": "d" * (MAX_IMAGE_DESCRIPTION + 1)}, "description must be text"),
        ({"description": "d" * (MAX_IMAGE_DESCRIPTION * 4 + 1)}, "description is too long"),
        ({"format": "xml"}, "format must be json, txt or redirect"),
        ({"title": "a", "x": "y"}, None),
    ],
)
def test_field_limits(
    app: App, user: User, key: str, fields: dict[str, str], fragment: str | None
) -> None:
    r = multipart(app, {"key": key, **fields}, [("source", "a.png", "image/png", PNG)])
    if fragment is None:  # unknown fields are skipped
        assert r.status_code == 200, r.text
        return
    assert fragment in assert_error(r, 400)
    assert image_count(app, user) == 0


# --- formats --------------------------------------------------------------------------------


@MEMORY_ONLY
def test_format_txt_answers_the_direct_url(app: App, key: str) -> None:
    body, ctype = encode([("source", "a.png", "image/png", PNG)], {"key": key, "format": "txt"})
    r = app.client.simulate_post(ROUTE, body=body, headers={"Content-Type": ctype})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text.startswith(f"{BASE_URL}/media/") and r.text.endswith(".png")
    assert app.client.simulate_get(r.text.removeprefix(BASE_URL)).status_code == 200


@MEMORY_ONLY
def test_format_redirect_goes_to_the_viewer(app: App, key: str) -> None:
    body, ctype = encode([("source", "a.png", "image/png", PNG)])
    r = app.client.simulate_post(
        ROUTE, query_string=f"key={key}&format=redirect", body=body, headers={"Content-Type": ctype}
    )
    assert r.status_code == 302
    assert r.headers["location"].startswith(f"{BASE_URL}/i/")
    assert app.client.simulate_get(r.headers["location"].removeprefix(BASE_URL)).status_code == 200


@MEMORY_ONLY
@pytest.mark.parametrize("fmt", ["txt", "redirect"])
def test_errors_in_text_formats_are_the_message(app: App, fmt: str) -> None:
    # A key in the header is checked before the body: the format then comes from the URL.
    body, ctype = encode([("source", "a.png", "image/png", PNG)])
    r = app.client.simulate_post(
        ROUTE,
        query_string=f"format={fmt}",
        body=body,
        headers={"Content-Type": ctype, "X-API-Key": "imgt_x"},
    )
    assert r.status_code == 401
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "Invalid API key"
    # Refused once the body is read, the body's format says how.
    body, ctype = encode([("source", "a.txt", "text/plain", b"text")], {"format": fmt})
    key = app.key_for(app.user())
    r = app.client.simulate_post(
        ROUTE, body=body, headers={"Content-Type": ctype, "X-API-Key": key}
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text and "location" not in r.headers


# --- keys and errors ------------------------------------------------------------------------


@MEMORY_ONLY
def test_no_key_is_chevereto_400(app: App) -> None:
    r = send(app, sharex_preset("", "a.png", PNG))
    assert assert_error(r, 400, 100) == "No key provided"
    assert app.stored_keys() == []


@MEMORY_ONLY
def test_a_wrong_key_is_401_before_the_body_is_read(app: App) -> None:
    r = app.client.simulate_post(
        ROUTE,
        headers={"X-API-Key": "imgt_wrong", "Content-Type": "multipart/form-data; boundary=x"},
        body=b"not even multipart",
    )
    assert assert_error(r, 401, 100) == "Invalid API key"
    assert r.headers["www-authenticate"] == 'X-API-Key realm="imgtree"'


@MEMORY_ONLY
def test_keys_are_scoped_like_any_key(app: App, user: User) -> None:
    read_only = app.container.use_cases.create_api_key()(user.id, "ro", scopes=["images:read"])
    r = send(app, sharex_preset(read_only.secret, "a.png", PNG))
    assert "upload scope" in assert_error(r, 403)
    assert app.stored_keys() == []


@MEMORY_ONLY
def test_a_revoked_key_is_refused(app: App, user: User) -> None:
    created = app.container.use_cases.create_api_key()(user.id, "gone")
    app.container.use_cases.revoke_api_key()(created.key.id, owner_id=user.id)
    assert_error(send(app, picgo_plugin(created.secret, "a.png", PNG)), 401, 100)


@MEMORY_ONLY
def test_two_different_keys_are_refused(app: App, user: User, key: str) -> None:
    other = app.key_for(user, "other")
    path, headers, body = sharex_preset(key, "a.png", PNG)
    r = send(app, (path, {**headers, "X-API-Key": other}, body))
    assert "different values" in assert_error(r, 400)
    same = send(app, (path, {**headers, "X-API-Key": key}, body))
    assert same.status_code == 200, same.text


@MEMORY_ONLY
@pytest.mark.parametrize(
    ("data", "status"),
    [(b"just text, no image", 415), (imagegen.png(64, 48)[:60], 422)],
    ids=["not-an-image", "truncated-png"],
)
def test_not_an_image(app: App, user: User, key: str, data: bytes, status: int) -> None:
    assert_error(send(app, sharex_preset(key, "a.png", data)), status)
    assert image_count(app, user) == 0 and app.stored_keys() == []


@MEMORY_ONLY
def test_unsupported_content_type_is_415(app: App, key: str) -> None:
    r = app.client.simulate_post(
        ROUTE, body=PNG, headers={"X-API-Key": key, "Content-Type": "image/png"}
    )
    assert_error(r, 415)


@MEMORY_ONLY
def test_chunked_multipart_is_411(app: App, key: str) -> None:
    body, ctype = encode([("source", "a.png", "image/png", PNG)])
    r = app.client.simulate_post(
        ROUTE,
        headers={"X-API-Key": key, "Content-Type": ctype},
        extras={"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
    )
    assert_error(r, 411)


@MEMORY_ONLY
@pytest.mark.parametrize("kind", ["urlencoded", "json"])
def test_a_chunked_base64_body_is_read_to_its_end(app: App, key: str, kind: str) -> None:
    if kind == "json":
        body, ctype = json.dumps({"key": key, "source": B64}).encode(), "application/json"
    else:
        body = urllib.parse.urlencode({"key": key, "source": B64}).encode()
        ctype = "application/x-www-form-urlencoded"
    r = app.client.simulate_post(
        ROUTE,
        headers={"Content-Type": ctype},
        extras={"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
    )
    assert r.status_code == 200, r.text


def test_rate_limited_is_429_with_retry_after(make_app: Callable[..., App]) -> None:
    app = make_app(rate_limit_per_minute=1)
    key = app.key_for(app.user())
    assert send(app, sharex_preset(key, "a.png", PNG)).status_code == 200
    r = send(app, sharex_preset(key, "b.png", PNG))
    assert_error(r, 429)
    assert int(r.headers["retry-after"]) >= 1 and "ratelimit" in r.headers


def test_over_quota_is_413_with_the_figures(make_app: Callable[..., App]) -> None:
    app = make_app(default_quota_bytes=100)
    user = app.user()
    r = send(app, sharex_preset(app.key_for(user), "a.png", PNG))
    assert_error(r, 413)
    assert r.json["error"]["quota"]["quota_bytes"] == 100
    assert image_count(app, user) == 0 and app.stored_keys() == []


@MEMORY_ONLY
def test_discovery_names_the_route(app: App) -> None:
    routes = {
        (r["method"], r["path"]) for r in app.client.simulate_get("/api/v1/upload").json["routes"]
    }
    assert ("POST", ROUTE) in routes


@MEMORY_ONLY
def test_get_is_not_allowed(app: App) -> None:
    assert app.client.simulate_get(ROUTE).status_code == 405


@MEMORY_ONLY
@pytest.mark.parametrize(
    "body",
    [
        b"source=" + b"%" * 10,
        b"&&&=&key&source",
        b"a" * 300 + b"=1",
        b"source=AAAA&source=AAAA",
        b"key=%FF%FE",
    ],
    ids=["percent-run", "empty-pairs", "long-name", "two-sources", "bad-utf8-key"],
)
def test_hostile_urlencoded_bodies(app: App, user: User, body: bytes) -> None:
    r = app.client.simulate_post(
        ROUTE, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_error(r, 400, r.json["error"]["code"])
    assert app.stored_keys() == []


@MEMORY_ONLY
def test_json_body_field_types(app: App, key: str) -> None:
    r = app.client.simulate_post(ROUTE, json={"key": key, "source": B64, "title": ["x"]})
    assert "title must be a string" in assert_error(r, 400)
    r = app.client.simulate_post(ROUTE, json={"key": key, "source": 12})
    assert_error(r, 400, 120)
    r = app.client.simulate_post(
        ROUTE, body=b'{"key": ', headers={"Content-Type": "application/json"}
    )
    assert assert_error(r, 400) == "Body is not valid JSON"

"""Visibility on every upload route, one table: v1 multipart, v1 JSON base64, v1 presign
(single and batch), session multipart and presign, guest multipart and presign each take
`visibility` (or the older `isPublic`), refuse unknown values and both fields at once with
400, and private uploads are 404 to everyone else (page, direct link, thumbnail). Guests
cannot choose private. PATCH /api/images/{id} changes visibility and description, and bad
values change nothing. (tests/http/test_visibility.py covers the shapes route by route.)"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from falcon.testing import Result

from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import Browser, sign_up
from tests.support.multipart import encode

DATA = imagegen.png(8, 8)
ALLOWED = "visibility must be one of public, unlisted, private"
BOTH = "Send visibility or isPublic, not both"


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    return make_app()


def _put_and_complete(app: App, doc: dict[str, Any], complete: str, **kw: Any) -> Result:
    parts = urlsplit(doc["put_url"])
    put = app.client.simulate_put(
        parts.path, query_string=parts.query, body=DATA, headers={"Content-Type": "image/png"}
    )
    assert put.status_code == 200, put.text
    return app.client.simulate_post(complete, json={"token": doc["completion_token"]}, **kw)


def v1_multipart(app: App, fields: dict[str, str]) -> Result:
    body, ctype = encode([("file", "a.png", "image/png", DATA)], fields)
    return app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )


def v1_json(app: App, fields: dict[str, Any]) -> Result:
    doc = {"filename": "a.png", "file_base64": base64.b64encode(DATA).decode(), **fields}
    return app.client.simulate_post("/api/v1/upload", json=doc, headers=app.auth())


def v1_presign(app: App, fields: dict[str, Any]) -> Result:
    headers = app.auth()
    doc = {"filename": "a.png", "contentType": "image/png", "sizeBytes": len(DATA), **fields}
    r = app.client.simulate_post("/api/v1/upload/presign", json=doc, headers=headers)
    if r.status_code != 200:
        return r
    return _put_and_complete(app, r.json, "/api/v1/upload/complete", headers=headers)


def v1_presign_batch(app: App, fields: dict[str, Any]) -> Result:
    headers = app.auth()
    files = [{"filename": "a.png", "contentType": "image/png", "sizeBytes": len(DATA)}]
    r = app.client.simulate_post(
        "/api/v1/upload/presign/batch", json={"files": files, **fields}, headers=headers
    )
    if r.status_code != 200:
        return r
    (doc,) = r.json["uploads"]
    return _put_and_complete(app, doc, "/api/v1/upload/complete", headers=headers)


def session_multipart(app: App, fields: dict[str, str]) -> Result:
    return sign_up(app).upload(("a.png", "image/png", DATA), **fields)


def session_presign(app: App, fields: dict[str, Any]) -> Result:
    browser = sign_up(app)
    doc = {"filename": "a.png", "contentType": "image/png", "sizeBytes": len(DATA), **fields}
    r = browser.request("POST", "/api/upload/presign", json=doc)
    if r.status_code != 200:
        return r
    parts = urlsplit(r.json["put_url"])
    put = app.client.simulate_put(
        parts.path, query_string=parts.query, body=DATA, headers={"Content-Type": "image/png"}
    )
    assert put.status_code == 200, put.text
    return browser.request(
        "POST", "/api/upload/complete", json={"token": r.json["completion_token"]}
    )


def guest_multipart(app: App, fields: dict[str, str]) -> Result:
    body, ctype = encode([("files", "a.png", "image/png", DATA)], fields)
    return app.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})


def guest_presign(app: App, fields: dict[str, Any]) -> Result:
    doc = {"filename": "a.png", "contentType": "image/png", "sizeBytes": len(DATA), **fields}
    r = app.client.simulate_post("/api/upload/guest/presign", json=doc)
    if r.status_code != 200:
        return r
    return _put_and_complete(app, r.json, "/api/upload/guest/complete")


ACCOUNT_ROUTES = [v1_multipart, v1_json, v1_presign, v1_presign_batch, session_multipart]
ACCOUNT_ROUTES += [session_presign]
GUEST_ROUTES = [guest_multipart, guest_presign]


def _landed(r: Result) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    (image,) = r.json["images"]
    return dict(image)


@pytest.mark.parametrize("route", ACCOUNT_ROUTES + GUEST_ROUTES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "unlisted"),
        ({"visibility": "public"}, "public"),
        ({"visibility": "unlisted"}, "unlisted"),
        ({"visibility": "Public"}, "public"),
        ({"isPublic": "true"}, "unlisted"),
    ],
)
def test_every_upload_route_takes_visibility(
    app: App, route: Any, fields: dict[str, str], expected: str
) -> None:
    assert _landed(route(app, fields))["visibility"] == expected


@pytest.mark.parametrize("route", ACCOUNT_ROUTES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "fields", [{"visibility": "private"}, {"isPublic": "false"}, {"is_public": "false"}]
)
def test_private_uploads_are_404_to_everyone_but_the_owner(
    app: App, route: Any, fields: dict[str, str]
) -> None:
    image = _landed(route(app, fields))
    assert image["visibility"] == "private"
    for url in (image["url"], image["direct_url"], image["thumb_url"]):
        assert app.client.simulate_get(urlsplit(url).path).status_code == 404, url


@pytest.mark.parametrize("route", ACCOUNT_ROUTES + GUEST_ROUTES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"visibility": "secret"}, ALLOWED),
        ({"visibility": "private", "isPublic": "true"}, BOTH),
        ({"visibility": "public", "isPublic": "true"}, BOTH),
        ({"visibility": "unlisted", "is_public": "no"}, "Send visibility or is_public, not both"),
    ],
)
def test_unknown_or_doubled_visibility_is_400_and_stores_nothing(
    app: App, route: Any, fields: dict[str, str], message: str
) -> None:
    r = route(app, fields)
    assert r.status_code == 400, r.text
    assert message in r.json["error"]
    assert r.json["success"] is False


@pytest.mark.parametrize("route", GUEST_ROUTES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("fields", [{"visibility": "private"}, {"isPublic": "false"}])
def test_guests_cannot_upload_private_images(app: App, route: Any, fields: dict[str, str]) -> None:
    r = route(app, fields)
    assert r.status_code == 400
    assert "A guest upload cannot be private" in r.json["error"]


def _owned(app: App) -> tuple[Browser, dict[str, Any]]:
    browser = sign_up(app)
    assert browser.upload(("a.png", "image/png", DATA)).status_code == 200
    (image,) = browser.request("GET", "/api/images").json["images"]
    return browser, image


def test_patch_changes_visibility_and_description(app: App) -> None:
    browser, image = _owned(app)
    assert (image["visibility"], image["description"], image["is_public"]) == ("unlisted", "", True)
    path = f"/api/images/{image['id']}"
    r = browser.request(
        "PATCH", path, json={"visibility": "private", "description": "  A <b>cat</b> 猫 "}
    )
    assert r.status_code == 200, r.text
    edited = r.json["image"]
    assert (edited["visibility"], edited["is_public"]) == ("private", False)
    assert edited["description"] == "A <b>cat</b> 猫"
    assert app.client.simulate_get(urlsplit(image["url"]).path).status_code == 404
    assert app.client.simulate_get(urlsplit(image["direct_url"]).path).status_code == 404
    r = browser.request("PATCH", path, json={"visibility": "public"})
    assert (r.json["image"]["visibility"], r.json["image"]["is_public"]) == ("public", True)
    assert app.client.simulate_get(urlsplit(image["url"]).path).status_code == 200
    # The older flag still works: false is private, true is unlisted.
    r = browser.request("PATCH", path, json={"isPublic": False})
    assert r.json["image"]["visibility"] == "private"
    r = browser.request("PATCH", path, json={"is_public": True, "description": ""})
    assert (r.json["image"]["visibility"], r.json["image"]["description"]) == ("unlisted", "")
    listed = browser.request("GET", "/api/images").json["images"][0]
    assert (listed["visibility"], listed["description"]) == ("unlisted", "")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"visibility": "hidden"}, ALLOWED),
        ({"visibility": None}, ALLOWED),
        ({"visibility": 1}, ALLOWED),
        ({"visibility": "private", "isPublic": True}, BOTH),
        ({"visibility": "public", "is_public": False}, "Send visibility or is_public, not both"),
        ({"description": 5}, "description must be text of at most 2000 characters"),
        ({"description": "x" * 2001}, "description must be text of at most 2000 characters"),
        ({"isPublic": None}, "isPublic must be true or false"),
    ],
)
def test_patch_refuses_bad_visibility_and_description_changing_nothing(
    app: App, doc: dict[str, Any], message: str
) -> None:
    browser, image = _owned(app)
    path = f"/api/images/{image['id']}"
    r = browser.request("PATCH", path, json={**doc, "title": "Changed?"})
    assert r.status_code == 400, r.text
    assert message in r.json["error"]
    (after,) = browser.request("GET", "/api/images").json["images"]
    assert after == image


def test_another_user_cannot_change_visibility(app: App) -> None:
    browser, image = _owned(app)
    other = sign_up(app)
    path = f"/api/images/{image['id']}"
    assert other.request("PATCH", path, json={"visibility": "public"}).status_code == 404
    (after,) = browser.request("GET", "/api/images").json["images"]
    assert after["visibility"] == "unlisted"


def test_v1_listing_carries_visibility(app: App) -> None:
    headers = app.auth()
    body, ctype = encode([("file", "a.png", "image/png", DATA)], {"visibility": "private"})
    up = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}
    )
    assert up.status_code == 200
    (image,) = app.client.simulate_get("/api/v1/images", headers=headers).json["images"]
    assert image["visibility"] == "private"

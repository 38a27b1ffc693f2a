"""Visibility (issue 15, item 5): public / unlisted / private on every upload route and on
PATCH /api/images/{id}, returned on every image object, with the first API's `isPublic`
still meaning what it meant (true: anyone with the link, false: only the owner)."""

from __future__ import annotations

import base64

import pytest

from tests.http.test_v1_presign import put
from tests.http.test_v1_upload import post_files
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import sign_up
from tests.support.multipart import encode

PNG = imagegen.png(40, 30)


def _slug_status(app: App, slug: str) -> tuple[int, int]:
    """(page, media) status for an anonymous visitor."""
    page = app.client.simulate_get(f"/i/{slug}").status_code
    media = app.client.simulate_get(f"/media/{slug}.png").status_code
    return page, media


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "unlisted"),
        ({"visibility": "public"}, "public"),
        ({"visibility": "UNLISTED"}, "unlisted"),
        ({"visibility": "private"}, "private"),
        ({"isPublic": "true"}, "unlisted"),
        ({"isPublic": "false"}, "private"),
        ({"is_public": "false"}, "private"),
    ],
)
def test_v1_multipart_visibility(app: App, fields: dict[str, str], expected: str) -> None:
    r = post_files(app, app.auth(), ("a.png", "image/png", PNG), **fields)
    assert r.status_code == 200, r.text
    image = r.json["images"][0]
    assert image["visibility"] == expected
    seen = (404, 404) if expected == "private" else (200, 200)
    assert _slug_status(app, image["id"]) == seen


@pytest.mark.parametrize(
    "fields",
    [
        {"visibility": "secret"},
        {"visibility": "private", "isPublic": "false"},
        {"visibility": "public", "is_public": "true"},
        {"isPublic": "maybe"},
    ],
)
def test_bad_visibility_is_400_and_stores_nothing(app: App, fields: dict[str, str]) -> None:
    before = app.stored_keys()
    r = post_files(app, app.auth(), ("a.png", "image/png", PNG), **fields)
    assert r.status_code == 400, r.text
    assert r.json["success"] is False and r.json["error"]
    assert app.stored_keys() == before


def test_json_base64_upload_takes_visibility(app: App) -> None:
    doc = {"filename": "b.png", "file_base64": base64.b64encode(PNG).decode()}
    r = app.client.simulate_post(
        "/api/v1/upload", json={**doc, "visibility": "private"}, headers=app.auth()
    )
    assert r.status_code == 200, r.text
    assert r.json["images"][0]["visibility"] == "private"
    assert _slug_status(app, r.json["images"][0]["id"]) == (404, 404)
    r = app.client.simulate_post(
        "/api/v1/upload", json={**doc, "isPublic": False}, headers=app.auth()
    )
    assert r.json["images"][0]["visibility"] == "private"
    r = app.client.simulate_post(
        "/api/v1/upload", json={**doc, "visibility": "nope"}, headers=app.auth()
    )
    assert r.status_code == 400 and "visibility must be one of" in r.json["error"]


def test_presign_carries_visibility_to_the_image(app: App) -> None:
    headers = app.auth()
    r = app.client.simulate_post(
        "/api/v1/upload/presign",
        json={
            "filename": "c.png",
            "contentType": "image/png",
            "sizeBytes": len(PNG),
            "visibility": "public",
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert put(app, r.json["put_url"], PNG, "image/png") == 200
    done = app.client.simulate_post(
        "/api/v1/upload/complete",
        json={"completion_token": r.json["completion_token"]},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    assert done.json["images"][0]["visibility"] == "public"


def test_session_and_guest_uploads(app: App) -> None:
    me = sign_up(app)
    r = me.upload(("d.png", "image/png", PNG), visibility="private")
    assert r.status_code == 200, r.text
    assert r.json["images"][0]["visibility"] == "private"
    # A guest's private image could never be seen by anyone: refused, nothing stored.
    before = app.stored_keys()
    body, ctype = encode([("files", "e.png", "image/png", PNG)], {"visibility": "private"})
    r = app.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})
    assert r.status_code == 400 and "guest" in r.json["error"].lower()
    assert app.stored_keys() == before
    body, ctype = encode([("files", "e.png", "image/png", PNG)], {"visibility": "unlisted"})
    r = app.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})
    assert r.status_code == 200 and r.json["images"][0]["visibility"] == "unlisted"


def test_patch_visibility_and_description(app: App) -> None:
    me = sign_up(app)
    slug = me.upload(("f.png", "image/png", PNG)).json["images"][0]["id"]
    (listed,) = me.request("GET", "/api/images").json["images"]
    assert listed["visibility"] == "unlisted" and listed["is_public"] is True
    path = f"/api/images/{listed['id']}"

    r = me.request("PATCH", path, json={"visibility": "private", "description": "At dusk"})
    assert r.status_code == 200, r.text
    assert r.json["image"]["visibility"] == "private"
    assert r.json["image"]["is_public"] is False
    assert r.json["image"]["description"] == "At dusk"
    assert _slug_status(app, slug) == (404, 404)
    assert me.request("GET", f"/i/{slug}").status_code == 200  # the owner still sees it

    # isPublic true makes a private image unlisted, and leaves a public one public.
    r = me.request("PATCH", path, json={"isPublic": True})
    assert r.json["image"]["visibility"] == "unlisted"
    me.request("PATCH", path, json={"visibility": "public"})
    r = me.request("PATCH", path, json={"isPublic": True})
    assert r.json["image"]["visibility"] == "public"
    page = app.client.simulate_get(f"/i/{slug}").text
    assert '<meta property="og:description" content="At dusk">' in page

    for bad in (
        {"visibility": "everyone"},
        {"visibility": "public", "isPublic": True},
        {"description": "x" * 2001},
        {"description": 5},
    ):
        r = me.request("PATCH", path, json=bad)
        assert r.status_code == 400, (bad, r.text)
    assert me.request("GET", "/api/images").json["images"][0]["visibility"] == "public"

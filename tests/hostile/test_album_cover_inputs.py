"""Hostile values for an album's cover (PATCH /api/albums/{id} coverImageId, issue 15 item 6)
and order (PUT /api/albums/{id}/order: stale, partial, repeated, foreign and malformed lists):
someone else's image, a deleted one, one outside the album, wrong types, huge and odd strings,
both spellings at once, duplicated keys. Each is a clean JSON 400 that changes nothing: the
album keeps the cover it had, on memory and on SQLite.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile import BACKENDS, Harness, assert_clean_error, make_harness
from tests.support import imagegen
from tests.support.browser import sign_up


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return make_harness(tmp_path_factory.mktemp(f"cover-{request.param}"), request.param)


def _image_in(harness: Harness, album_id: str | None, name: str) -> str:
    fields = {"albumId": album_id} if album_id else {}
    r = harness.browser.upload((name, "image/png", imagegen.png(16, 16)), **fields)
    assert r.status_code == 200, r.text
    listed = harness.browser.request("GET", "/api/images").json["images"]
    return next(i["id"] for i in listed if i["original_name"] == name)


def test_hostile_cover_values_are_refused_and_change_nothing(harness: Harness) -> None:
    browser = harness.browser
    album = browser.request("POST", "/api/albums", json={"title": "Cover"}).json["album"]
    path = f"/api/albums/{album['id']}"
    inside = _image_in(harness, album["id"], "inside.png")
    outside = _image_in(harness, None, "outside.png")
    deleted = _image_in(harness, album["id"], "deleted.png")
    assert browser.request("DELETE", f"/api/images/{deleted}").status_code == 200
    other = sign_up(harness.app)
    up = other.upload(("theirs.png", "image/png", imagegen.png(16, 16)))
    theirs = other.request("GET", "/api/images").json["images"][0]["id"]
    assert up.status_code == 200
    assert browser.request("PATCH", path, json={"coverImageId": inside}).status_code == 200

    before = harness.snapshot()
    values: list[Any] = [
        outside,
        deleted,
        theirs,
        "",
        " " + inside,
        inside.upper() + "0",
        "x" * 60_000,
        "../" + inside,
        0,
        True,
        [inside],
        {"id": inside},
        inside.replace("-", "\u2011"),
    ]
    for value in values:
        r = browser.request("PATCH", path, json={"coverImageId": value})
        assert_clean_error(r.status_code, r.json, r.text, 400)
    for body in (
        {"coverImageId": inside, "cover_image_id": inside},
        {"cover_image_id": outside},
    ):
        r = browser.request("PATCH", path, json=body)
        assert_clean_error(r.status_code, r.json, r.text, 400)
    dup = browser.request(
        "PATCH",
        path,
        body=f'{{"coverImageId": "{inside}", "coverImageId": "{outside}"}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_clean_error(dup.status_code, dup.json, dup.text, 400)
    # Another user naming their own image as the cover of an album that is not theirs.
    r = other.request("PATCH", path, json={"coverImageId": theirs})
    assert_clean_error(r.status_code, r.json, r.text, 404)
    assert harness.snapshot() == before
    assert browser.request("GET", path).json["album"]["cover_image_id"] == inside
    assert harness.answering()


def test_hostile_orders_are_refused_and_change_nothing(harness: Harness) -> None:
    browser = harness.browser
    album = browser.request("POST", "/api/albums", json={"title": "Order"}).json["album"]
    path = f"/api/albums/{album['id']}"
    a = _image_in(harness, album["id"], "order-a.png")
    b = _image_in(harness, album["id"], "order-b.png")
    loose = _image_in(harness, None, "order-loose.png")
    order = [i["id"] for i in browser.request("GET", path).json["images"]]
    assert set(order) == {a, b}
    before = harness.snapshot()
    bodies: list[tuple[Any, int]] = [
        ({"image_ids": [a]}, 409),
        ({"image_ids": [a, b, loose]}, 409),
        ({"image_ids": [a, loose]}, 409),
        ({"image_ids": [a, b, a]}, 400),
        ({"image_ids": [a, b.upper() + "0"]}, 400),
        ({"image_ids": [a, None]}, 400),
        ({"image_ids": [a, [b]]}, 400),
        ({"image_ids": {"0": a, "1": b}}, 400),
        ({"image_ids": [a] * 1001}, 400),
        ({"image_ids": [a, b], "imageIds": [b, a]}, 400),
        ([a, b], 400),
        ("x", 400),
    ]
    for body, status in bodies:
        r = browser.request("PUT", f"{path}/order", json=body)
        assert_clean_error(r.status_code, r.json, r.text, status)
    dup = browser.request(
        "PUT",
        f"{path}/order",
        body=f'{{"image_ids": ["{a}", "{b}"], "image_ids": ["{b}", "{a}"]}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_clean_error(dup.status_code, dup.json, dup.text, 400)
    other = sign_up(harness.app)
    r = other.request("PUT", f"{path}/order", json={"image_ids": [b, a]})
    assert_clean_error(r.status_code, r.json, r.text, 404)
    assert harness.snapshot() == before
    assert [i["id"] for i in browser.request("GET", path).json["images"]] == order
    assert harness.answering()

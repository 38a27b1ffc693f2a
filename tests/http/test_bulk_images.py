"""POST /api/images/bulk/{delete,move,visibility} (issue 17 item 1): one request acts on up to
100 of the signed-in owner's images and answers one result per id; someone else's image reads
`not_found` and is left alone; a bad request changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import Browser, sign_up


@pytest.fixture(params=["memory", "sqlite", "postgres_s3"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param)


def upload_ids(browser: Browser, count: int) -> list[str]:
    files = [(f"p{n}.png", "image/png", imagegen.png(8 + n, 8)) for n in range(count)]
    r = browser.upload(*files)
    assert r.status_code == 200, r.text
    slugs = {image["id"] for image in r.json["images"]}  # the upload answer's id is the slug
    return [i["id"] for i in listing(browser).values() if i["slug"] in slugs]


def listing(browser: Browser, **params: str) -> dict[str, dict]:
    r = browser.request("GET", "/api/images", params={"limit": "100", **params})
    assert r.status_code == 200, r.text
    return {image["id"]: image for image in r.json["images"]}


def test_bulk_move_visibility_and_delete_report_each_id(app: App) -> None:
    owner, other = sign_up(app), sign_up(app)
    mine = upload_ids(owner, 3)
    theirs = upload_ids(other, 1)
    album = owner.request("POST", "/api/albums", json={"title": "Trip"}).json["album"]["id"]
    ids = [*mine, theirs[0], str(uuid.uuid4())]

    r = owner.request("POST", "/api/images/bulk/move", json={"ids": ids, "albumId": album})
    assert r.status_code == 200, r.text
    assert r.json == {
        "results": [{"id": i, "status": "moved"} for i in mine]
        + [{"id": i, "status": "not_found"} for i in ids[3:]],
        "succeeded": 3,
        "failed": 2,
    }
    assert set(listing(owner, albumId=album)) == set(mine)

    r = owner.request(
        "POST", "/api/images/bulk/visibility", json={"ids": ids, "visibility": "private"}
    )
    assert [x["status"] for x in r.json["results"]] == ["updated"] * 3 + ["not_found"] * 2
    assert {i["visibility"] for i in listing(owner).values()} == {"private"}

    r = owner.request("POST", "/api/images/bulk/move", json={"ids": mine[:1], "album_id": None})
    assert r.json["succeeded"] == 1
    assert set(listing(owner, albumId=album)) == set(mine[1:])

    r = owner.request("POST", "/api/images/bulk/delete", json={"ids": [*mine[:2], theirs[0]]})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json["results"]] == ["deleted", "deleted", "not_found"]
    assert set(listing(owner)) == {mine[2]}
    # the other account's image is untouched by all of it
    (untouched,) = listing(other).values()
    assert untouched["visibility"] == "unlisted" and untouched["album_id"] is None
    # deleting again: already gone reads not_found
    r = owner.request("POST", "/api/images/bulk/delete", json={"ids": mine[:1]})
    assert r.json == {
        "results": [{"id": mine[0], "status": "not_found"}],
        "succeeded": 0,
        "failed": 1,
    }


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("delete", {"ids": []}, "at least one"),
        ("delete", {}, "ids must be a list"),
        ("delete", {"ids": "abc"}, "ids must be a list"),
        ("delete", {"ids": ["not-a-uuid"]}, "ids[] must be a UUID"),
        ("delete", {"ids": [None]}, "ids[] must be a UUID"),
        ("visibility", {"ids": ["ID", "ID"], "visibility": "public"}, "repeat"),
        ("visibility", {"ids": ["ID"]}, "visibility is required"),
        ("visibility", {"ids": ["ID"], "visibility": "secret"}, "visibility must be one of"),
        ("move", {"ids": ["ID"]}, "albumId is required"),
        ("move", {"ids": ["ID"], "albumId": "x"}, "albumId must be a UUID"),
        ("move", {"ids": ["ID"], "albumId": None, "album_id": None}, "not both"),
    ],
)
def test_bad_requests_are_400_and_change_nothing(
    app: App, path: str, body: dict, message: str
) -> None:
    owner = sign_up(app)
    (image_id,) = upload_ids(owner, 1)
    before = listing(owner)
    if "ids" in body and isinstance(body["ids"], list):
        body = {**body, "ids": [image_id if i == "ID" else i for i in body["ids"]]}
    r = owner.request("POST", f"/api/images/bulk/{path}", json=body)
    assert r.status_code == 400, r.text
    assert message in r.json["error"]
    assert listing(owner) == before


def test_more_than_100_ids_is_400_before_any_lookup(app: App) -> None:
    owner = sign_up(app)
    (image_id,) = upload_ids(owner, 1)
    ids = [image_id] + [str(uuid.uuid4()) for _ in range(100)]
    r = owner.request("POST", "/api/images/bulk/delete", json={"ids": ids})
    assert r.status_code == 400 and "at most 100" in r.json["error"]
    assert image_id in listing(owner)
    # a huge list of junk is refused by its length, not parsed item by item
    r = owner.request("POST", "/api/images/bulk/delete", json={"ids": ["x"] * 10_000})
    assert r.status_code == 400 and "at most 100" in r.json["error"]
    # exactly 100 is fine
    r = owner.request("POST", "/api/images/bulk/delete", json={"ids": ids[:100]})
    assert r.status_code == 200 and r.json["succeeded"] == 1 and r.json["failed"] == 99


def test_moving_into_someone_elses_album_is_404_and_moves_nothing(app: App) -> None:
    owner, other = sign_up(app), sign_up(app)
    (image_id,) = upload_ids(owner, 1)
    album = other.request("POST", "/api/albums", json={"title": "Theirs"}).json["album"]["id"]
    r = owner.request("POST", "/api/images/bulk/move", json={"ids": [image_id], "albumId": album})
    assert r.status_code == 404, r.text
    assert listing(owner)[image_id]["album_id"] is None


@pytest.mark.parametrize("path", ["delete", "move", "visibility"])
def test_csrf_and_a_session_are_required(app: App, path: str) -> None:
    owner = sign_up(app)
    (image_id,) = upload_ids(owner, 1)
    body = {"ids": [image_id], "albumId": None, "visibility": "private"}
    body = {k: v for k, v in body.items() if k == "ids" or path in ("move", "visibility")}
    if path == "move":
        body.pop("visibility", None)
    if path == "visibility":
        body.pop("albumId", None)
    r = owner.request("POST", f"/api/images/bulk/{path}", csrf=False, json=body)
    assert r.status_code == 403, r.text
    r = app.client.simulate_post(f"/api/images/bulk/{path}", json=body)
    assert r.status_code == 401, r.text
    assert listing(owner)[image_id]["visibility"] == "unlisted"

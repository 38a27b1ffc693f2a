"""Hostile bulk bodies (issue 17 item 1): POST /api/images/bulk/{delete,move,visibility} must
refuse anything but 1-100 distinct image UUIDs (and a valid album or visibility) with a clean
400, change nothing, and stay cheap however long the list; other people's images are
`not_found` and untouched."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.hostile import BACKENDS, Harness, assert_clean_error, make_harness, multipart
from tests.hostile.corpus import IMAGES
from tests.hostile.cost import measure
from tests.support.browser import sign_up


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return make_harness(tmp_path_factory.mktemp(f"bulk-{request.param}"), request.param)


def _gallery(harness: Harness) -> list[dict[str, Any]]:
    return harness.browser.request("GET", "/api/images?limit=100").json["images"]


def _own_image(harness: Harness) -> str:
    body, ctype = multipart("files", "b.png", "image/png", IMAGES["png"]())
    r = harness.browser.request("POST", "/api/upload", body=body, headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text
    return str(_gallery(harness)[0]["id"])


HOSTILE = {
    "ids missing": ("delete", {}),
    "ids null": ("delete", {"ids": None}),
    "ids an object": ("delete", {"ids": {"0": "OWN"}}),
    "ids a string": ("delete", {"ids": "OWN"}),
    "empty": ("delete", {"ids": []}),
    "101 ids": ("delete", {"ids": ["OWN"] + [str(uuid.uuid4()) for _ in range(100)]}),
    "a repeat": ("delete", {"ids": ["OWN", "OWN"]}),
    "a path": ("delete", {"ids": ["OWN", "../../etc/passwd"]}),
    "a number": ("delete", {"ids": ["OWN", 7]}),
    "a nested list": ("delete", {"ids": ["OWN", ["OWN"]]}),
    "move without albumId": ("move", {"ids": ["OWN"]}),
    "move to a number": ("move", {"ids": ["OWN"], "albumId": 3}),
    "move with both spellings": ("move", {"ids": ["OWN"], "albumId": None, "album_id": None}),
    "visibility missing": ("visibility", {"ids": ["OWN"]}),
    "visibility unknown": ("visibility", {"ids": ["OWN"], "visibility": "everyone"}),
    "visibility a flag": ("visibility", {"ids": ["OWN"], "visibility": True}),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_malformed_bulk_bodies_are_400_and_change_nothing(harness: Harness, name: str) -> None:
    own = _own_image(harness)
    action, body = HOSTILE[name]
    if isinstance(body.get("ids"), list):
        body = {**body, "ids": [own if i == "OWN" else i for i in body["ids"]]}
    before, gallery = harness.snapshot(), _gallery(harness)
    r = harness.browser.request("POST", f"/api/images/bulk/{action}", json=body)
    assert_clean_error(r.status_code, r.json, r.text, 400)
    assert harness.snapshot() == before and _gallery(harness) == gallery


@pytest.mark.parametrize("count", [10_000, 200_000])
def test_a_long_list_is_refused_by_its_length_cheaply(harness: Harness, count: int) -> None:
    before = harness.snapshot()
    with measure() as cost:
        r = harness.browser.request("POST", "/api/images/bulk/delete", json={"ids": ["x"] * count})
    assert r.status_code in (400, 413), r.text[:300]
    assert_clean_error(r.status_code, r.json, r.text, r.status_code)
    assert cost.over_limits() is None, cost.describe()
    assert harness.snapshot() == before


def test_other_peoples_images_are_not_found_and_untouched(harness: Harness) -> None:
    someone = sign_up(harness.app)
    body, ctype = multipart("files", "o.png", "image/png", IMAGES["png"]())
    assert (
        someone.request(
            "POST", "/api/upload", body=body, headers={"Content-Type": ctype}
        ).status_code
        == 200
    )
    theirs = someone.request("GET", "/api/images").json["images"][0]
    before = harness.snapshot()
    for action, extra in (
        ("visibility", {"visibility": "private"}),
        ("move", {"albumId": None}),
        ("delete", {}),
    ):
        r = harness.browser.request(
            "POST", f"/api/images/bulk/{action}", json={"ids": [theirs["id"]], **extra}
        )
        assert r.status_code == 200, r.text
        assert r.json == {
            "results": [{"id": theirs["id"], "status": "not_found"}],
            "succeeded": 0,
            "failed": 1,
        }
    assert harness.snapshot() == before
    assert someone.request("GET", "/api/images").json["images"] == [theirs]

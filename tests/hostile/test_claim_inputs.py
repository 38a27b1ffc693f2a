"""Hostile claim bodies (issue 15, item 3): POST /api/images/claim must refuse what is not a
bounded list of {image_id, delete_token} with a clean 400 and move nothing, and must never
hand over an image whose token the caller does not hold.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.hostile import BACKENDS, Harness, assert_clean_error, make_harness, multipart
from tests.hostile.corpus import IMAGES
from tests.support.browser import sign_up


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return make_harness(
        tmp_path_factory.mktemp(f"claim-{request.param}"), request.param, miss_limit=1000
    )


def _guest_item(harness: Harness) -> dict[str, str]:
    body, ctype = multipart("files", "g.png", "image/png", IMAGES["png"]())
    r = harness.client.simulate_post(
        "/api/upload/guest", body=body, headers={"Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    parts = urlsplit(r.json["images"][0]["delete_url"])
    return {
        "image_id": parts.path.rsplit("/", 1)[1],
        "delete_token": parts.query.split("token=", 1)[1],
    }


def _gallery(harness: Harness) -> list[str]:
    return [i["id"] for i in harness.browser.request("GET", "/api/images").json["images"]]


def _claim(harness: Harness, body: Any) -> Any:
    return harness.browser.request("POST", "/api/images/claim", json=body)


HOSTILE_BODIES = {
    "no items": {},
    "items not a list": {"items": {"image_id": str(uuid.uuid4())}},
    "empty list": {"items": []},
    "201 items": {
        "items": [{"image_id": str(uuid.uuid4()), "delete_token": "x"} for _ in range(201)]
    },
    "item is a string": {"items": ["/api/images/x?token=y"]},
    "item is null": {"items": [None]},
    "image_id not a uuid": {"items": [{"image_id": "../../etc", "delete_token": "x"}]},
    "image_id a number": {"items": [{"image_id": 7, "delete_token": "x"}]},
    "token a number": {"items": [{"image_id": str(uuid.uuid4()), "delete_token": 12}]},
    "token a list": {"items": [{"image_id": str(uuid.uuid4()), "delete_token": ["x"]}]},
    "token empty": {"items": [{"image_id": str(uuid.uuid4()), "delete_token": ""}]},
    "token huge": {"items": [{"image_id": str(uuid.uuid4()), "delete_token": "x" * 5000}]},
    "unknown field in an item": {
        "items": [{"image_id": str(uuid.uuid4()), "delete_token": "x", "owner_id": "me"}]
    },
    "unknown top-level field": {"items": [], "owner": "me"},
    "both spellings": {
        "items": [
            {"image_id": str(uuid.uuid4()), "imageId": str(uuid.uuid4()), "delete_token": "x"}
        ]
    },
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_malformed_claims_are_400_and_move_nothing(harness: Harness, name: str) -> None:
    item = _guest_item(harness)
    before, gallery = harness.snapshot(), _gallery(harness)
    r = _claim(harness, HOSTILE_BODIES[name])
    assert_clean_error(r.status_code, r.json, r.text, 400)
    # a valid item riding in a refused body is not claimed either
    body = HOSTILE_BODIES[name]
    if isinstance(body.get("items"), list) and body["items"]:
        r = _claim(harness, {**body, "items": [item, *body["items"]]})
        assert_clean_error(r.status_code, r.json, r.text, 400)
    assert harness.snapshot() == before and _gallery(harness) == gallery


def test_a_duplicated_item_is_claimed_once(harness: Harness) -> None:
    item = _guest_item(harness)
    wrong = {"image_id": item["image_id"], "delete_token": "guess"}
    before = harness.snapshot()
    r = _claim(harness, {"items": [item, wrong, item]})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json["results"]] == ["claimed", "not_found", "already_yours"]
    assert r.json["claimed"] == 1
    after = harness.snapshot()
    size = r.json["results"][0]["image"]["size_bytes"]
    assert after.used_bytes == before.used_bytes + size  # charged once


def test_a_huge_body_is_413(harness: Harness) -> None:
    before = harness.snapshot()
    items = [{"image_id": str(uuid.uuid4()), "delete_token": "t" * 250} for _ in range(400)]
    r = _claim(harness, {"items": items})
    assert_clean_error(r.status_code, r.json, r.text, 413)
    assert harness.snapshot() == before


def test_tokens_of_other_peoples_images_claim_nothing(harness: Harness) -> None:
    someone = sign_up(harness.app)
    body, ctype = multipart("files", "o.png", "image/png", IMAGES["png"]())
    r = someone.request("POST", "/api/upload", body=body, headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text
    theirs = urlsplit(r.json["images"][0]["delete_url"])
    theirs_item = {
        "image_id": theirs.path.rsplit("/", 1)[1],
        "delete_token": theirs.query.split("token=", 1)[1],
    }
    guest = _guest_item(harness)
    swapped = {"image_id": guest["image_id"], "delete_token": theirs_item["delete_token"]}
    before, gallery = harness.snapshot(), _gallery(harness)
    r = _claim(harness, {"items": [theirs_item, swapped]})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json["results"]] == ["not_found", "not_found"]
    assert r.json["claimed"] == 0 and all(x["image"] is None for x in r.json["results"])
    assert harness.snapshot() == before and _gallery(harness) == gallery
    assert len(someone.request("GET", "/api/images").json["images"]) == 1


def test_guessing_tokens_spends_the_miss_budget(tmp_path_factory: pytest.TempPathFactory) -> None:
    harness = make_harness(tmp_path_factory.mktemp("claim-budget"), "memory", miss_limit=3)
    good = _guest_item(harness)
    guesses = [{"image_id": good["image_id"], "delete_token": "guess"}]
    guesses += [{"image_id": str(uuid.uuid4()), "delete_token": f"guess{n}"} for n in range(4)]
    r = _claim(harness, {"items": guesses})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json["results"]] == ["not_found"] * 4 + ["rate_limited"]
    # over budget: the next claim is 429 before any item is checked, even a right one
    r = _claim(harness, {"items": [good]})
    assert_clean_error(r.status_code, r.json, r.text, 429)
    assert r.headers.get("Retry-After")
    assert _gallery(harness) == []


def test_a_right_token_moves_the_image_into_the_gallery(harness: Harness) -> None:
    item = _guest_item(harness)
    before = harness.snapshot()
    r = _claim(
        harness, {"items": [{"imageId": item["image_id"], "deleteToken": item["delete_token"]}]}
    )
    assert r.status_code == 200, r.text
    assert r.json["claimed"] == 1 and r.json["results"][0]["status"] == "claimed"
    assert r.json["results"][0]["image"]["id"] in _gallery(harness)
    assert harness.snapshot().used_bytes > before.used_bytes
    again = _claim(harness, {"items": [item]})
    assert again.json["results"][0]["status"] == "already_yours"

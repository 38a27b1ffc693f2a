"""Search, sort and filter on the listings (issue 17 item 1): GET /api/v1/images and the
web app's GET /api/images take the same optional `search`, `sort`, `visibility` and `type`;
`page`/`limit` and the plain newest-first listing are unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import sign_up
from tests.support.multipart import encode


@pytest.fixture(params=["memory", "sqlite", "postgres_s3"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param)


def upload(app: App, headers: dict[str, str], name: str, data: bytes, **fields: str) -> None:
    ctype = "image/gif" if name.endswith(".gif") else "image/png"
    body, multipart = encode([("file", name, ctype, data)], fields)
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": multipart}
    )
    assert r.status_code == 200, r.text


def names(app: App, headers: dict[str, str], **params: str) -> list[str]:
    r = app.client.simulate_get("/api/v1/images", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json["total"] == len(r.json["images"])
    return [i["original_name"] for i in r.json["images"]]


def test_v1_listing_searches_sorts_and_filters(app: App) -> None:
    headers = app.auth()
    upload(app, headers, "Holiday-beach.png", imagegen.png(60, 40))
    upload(app, headers, "receipt.png", imagegen.png(10, 10), visibility="private")
    upload(app, headers, "cat.gif", imagegen.gif(20, 20, frames=2), visibility="public")
    assert names(app, headers) == ["cat.gif", "receipt.png", "Holiday-beach.png"]
    assert names(app, headers, sort="oldest") == ["Holiday-beach.png", "receipt.png", "cat.gif"]
    assert names(app, headers, sort="name") == ["cat.gif", "Holiday-beach.png", "receipt.png"]
    by_size = app.client.simulate_get(
        "/api/v1/images", params={"sort": "size"}, headers=headers
    ).json["images"]
    sizes = [i["size_bytes"] for i in by_size]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == 3
    assert names(app, headers, search="BEACH") == ["Holiday-beach.png"]
    assert names(app, headers, search="e", type="image/png", sort="name") == [
        "Holiday-beach.png",
        "receipt.png",
    ]
    assert names(app, headers, visibility="private") == ["receipt.png"]
    assert names(app, headers, visibility="public") == ["cat.gif"]
    assert names(app, headers, search="\x00beach\u202e") == ["Holiday-beach.png"]
    assert names(app, headers, search="nothing like it") == []
    # paging still walks the filtered list
    r = app.client.simulate_get(
        "/api/v1/images", params={"sort": "name", "limit": 2, "page": 2}, headers=headers
    )
    assert [i["original_name"] for i in r.json["images"]] == ["receipt.png"]
    assert (r.json["total"], r.json["has_more"]) == (3, False)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "random"}, "sort must be one of newest, oldest, size, name"),
        ({"visibility": "secret"}, "visibility must be one of"),
        ({"type": "image/svg+xml"}, "type must be one of"),
        ({"search": "x" * 101}, "search must be at most 100 characters"),
    ],
)
def test_bad_query_values_are_400_and_say_what_is_allowed(
    app: App, params: dict[str, str], message: str
) -> None:
    r = app.client.simulate_get("/api/v1/images", params=params, headers=app.auth())
    assert r.status_code == 400 and r.json["error"].startswith(message), r.text


def test_session_listing_takes_the_same_query(app: App) -> None:
    browser = sign_up(app)
    for name in ("b-sunset.png", "a-sunrise.png", "c-night.png"):
        assert browser.upload((name, "image/png", imagegen.png(12, 12))).status_code == 200
    r = browser.request("GET", "/api/images?search=SUN&sort=name")
    assert r.status_code == 200, r.text
    assert [i["original_name"] for i in r.json["images"]] == ["a-sunrise.png", "b-sunset.png"]
    assert r.json["total"] == 2

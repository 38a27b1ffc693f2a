"""Expiry (issue 17 item 2) over HTTP: every upload route takes `expiresIn` (or
`expires_in`) and answers `expires_at`; PATCH /api/images/{id} sets or clears it; bad values
are 400 and store nothing; from the moment of expiry the page, the direct link, the thumbnail,
the renditions, the listings and the owner's API all answer 404 (the clock is advanced, no
purge runs); `imgtree purge` then removes the rows and the bytes, shared bytes included only
with their last reference.

Done-when: "an image set to expire in a minute is gone for everyone a minute later"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from dependency_injector import providers
from falcon.testing import Result, TestClient

from imgtree.adapters.memory import FixedClock
from imgtree.domain.model import MAX_EXPIRES_IN
from imgtree.entrypoints.http.app import create_app
from tests.http.test_visibility_routes import (
    ACCOUNT_ROUTES,
    DATA,
    GUEST_ROUTES,
    session_multipart,
    v1_multipart,
)
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import sign_up

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BAD = "expiresIn must be a whole number of seconds from 1 to"


@pytest.fixture(params=["memory", "sqlite"])  # Postgres + S3 where marked
def clocked(make_app: Callable[..., App], request: pytest.FixtureRequest) -> tuple[App, FixedClock]:
    """The app on a clock that moves only when the test says."""
    app = make_app(backend=request.param)
    clock = FixedClock(START)
    app.container.adapters.clock.override(providers.Object(clock))
    app.container.reset_singletons()
    app.client = TestClient(create_app(app.container))
    app.storage = app.container.adapters.storage()  # the singletons were built anew
    return app, clock


def _landed(r: Result) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    (image,) = r.json["images"]
    return dict(image)


def _status(app: App, url: str) -> int:
    return app.client.simulate_get(urlsplit(url).path).status_code


@pytest.mark.parametrize("route", ACCOUNT_ROUTES + GUEST_ROUTES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", ["expiresIn", "expires_in"])
def test_every_upload_route_takes_expires_in_and_the_image_is_gone_a_minute_later(
    clocked: tuple[App, FixedClock], route: Any, name: str
) -> None:
    app, clock = clocked
    value: Any = "60" if route.__name__.endswith("multipart") else 60
    image = _landed(route(app, {name: value, "visibility": "public"}))
    assert image["expires_at"] == "2026-06-01T12:01:00Z"
    urls = [image["url"], image["direct_url"], image["thumb_url"]]
    assert [_status(app, u) for u in urls] == [200, 200, 200]
    clock.advance(59)
    assert [_status(app, u) for u in urls] == [200, 200, 200]
    clock.advance(1)  # at the moment of expiry: gone for everyone
    assert [_status(app, u) for u in urls] == [404, 404, 404]


@pytest.mark.parametrize("route", ACCOUNT_ROUTES + GUEST_ROUTES, ids=lambda f: f.__name__)
def test_no_expires_in_is_never(clocked: tuple[App, FixedClock], route: Any) -> None:
    app, clock = clocked
    image = _landed(route(app, {}))
    assert image["expires_at"] is None
    clock.advance(20 * 365 * 86400)
    assert _status(app, image["direct_url"]) == 200


@pytest.mark.parametrize("route", ACCOUNT_ROUTES + GUEST_ROUTES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expiresIn": 0}, BAD),
        ({"expiresIn": -5}, BAD),
        ({"expiresIn": MAX_EXPIRES_IN + 1}, BAD),
        ({"expiresIn": 1.5}, BAD),
        ({"expiresIn": "soon"}, BAD),
        ({"expiresIn": 60, "expires_in": 60}, "Send expiresIn or expires_in, not both"),
    ],
)
def test_bad_expires_in_is_400_on_every_upload_route_and_stores_nothing(
    clocked: tuple[App, FixedClock], route: Any, fields: dict[str, Any], message: str
) -> None:
    app, _ = clocked
    if route.__name__.endswith("multipart"):
        fields = {k: str(v) for k, v in fields.items()}
    before = app.stored_keys()
    r = route(app, fields)
    assert r.status_code == 400, r.text
    assert message in r.json["error"]
    assert app.stored_keys() == before


def test_a_json_string_or_bool_is_refused_where_json_is_sent(
    clocked: tuple[App, FixedClock],
) -> None:
    app, _ = clocked
    for value in (True, "60", ""):
        r = app.client.simulate_post(
            "/api/v1/upload/presign",
            json={
                "filename": "a.png",
                "contentType": "image/png",
                "sizeBytes": len(DATA),
                "expiresIn": value,
            },
            headers=app.auth(),
        )
        assert r.status_code == 400, (value, r.text)
        assert BAD in r.json["error"]


@pytest.mark.parametrize(
    "clocked", ["memory", "sqlite", "postgres_s3"], indirect=True, ids=lambda b: str(b)
)
def test_expired_images_leave_the_owners_listings_and_api(
    clocked: tuple[App, FixedClock],
) -> None:
    app, clock = clocked
    browser = sign_up(app)
    keep = _landed(browser.upload(("a.png", "image/png", DATA)))
    going = _landed(browser.upload(("b.png", "image/png", DATA), expiresIn="3600"))
    listed = browser.request("GET", "/api/images").json
    assert listed["total"] == 2
    clock.advance(3600)
    listed = browser.request("GET", "/api/images").json
    assert [i["url"] for i in listed["images"]] == [keep["url"]]
    assert listed["total"] == 1
    (mine,) = browser.request("GET", "/api/images").json["images"]
    going_id = urlsplit(going["delete_url"]).path.split("/")[-1]
    assert going_id != mine["id"]
    # The owner included: their own page, link and edits are gone too.
    assert browser.request("GET", urlsplit(going["url"]).path).status_code == 404
    assert browser.request("GET", urlsplit(going["direct_url"]).path).status_code == 404


def test_patch_sets_and_clears_the_expiry(clocked: tuple[App, FixedClock]) -> None:
    app, clock = clocked
    browser = sign_up(app)
    _landed(browser.upload(("a.png", "image/png", DATA)))
    (image,) = browser.request("GET", "/api/images").json["images"]
    assert image["expires_at"] is None
    path = f"/api/images/{image['id']}"
    r = browser.request("PATCH", path, json={"expiresIn": 3600})
    assert r.status_code == 200, r.text
    assert r.json["image"]["expires_at"] == "2026-06-01T13:00:00Z"
    clock.advance(1800)
    r = browser.request("PATCH", path, json={"expires_in": None})  # never again
    assert r.status_code == 200, r.text
    assert r.json["image"]["expires_at"] is None
    clock.advance(7200)
    assert _status(app, image["direct_url"]) == 200
    r = browser.request("PATCH", path, json={"expiresIn": 60})
    assert r.json["image"]["expires_at"] == "2026-06-01T14:31:00Z"
    clock.advance(60)
    assert _status(app, image["direct_url"]) == 404
    # Expired: gone for its owner's edits as well (it cannot be brought back).
    assert browser.request("PATCH", path, json={"expiresIn": None}).status_code == 404


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"expiresIn": 0}, BAD),
        ({"expiresIn": True}, BAD),
        ({"expiresIn": "60"}, BAD),
        ({"expiresIn": 2.5}, BAD),
        ({"expiresIn": MAX_EXPIRES_IN + 1}, BAD),
        ({"expiresIn": 60, "expires_in": None}, "Send expiresIn or expires_in, not both"),
    ],
)
def test_patch_refuses_bad_expiry_changing_nothing(
    clocked: tuple[App, FixedClock], doc: dict[str, Any], message: str
) -> None:
    app, _ = clocked
    browser = sign_up(app)
    _landed(browser.upload(("a.png", "image/png", DATA)))
    (image,) = browser.request("GET", "/api/images").json["images"]
    r = browser.request("PATCH", f"/api/images/{image['id']}", json={**doc, "title": "Changed?"})
    assert r.status_code == 400, r.text
    assert message in r.json["error"]
    (after,) = browser.request("GET", "/api/images").json["images"]
    assert after == image


def test_media_of_an_expiring_image_is_cached_only_until_its_expiry(
    clocked: tuple[App, FixedClock],
) -> None:
    app, clock = clocked
    image = _landed(v1_multipart(app, {"expiresIn": "600", "visibility": "public"}))
    r = app.client.simulate_get(urlsplit(image["direct_url"]).path)
    assert r.headers["cache-control"] == "public, max-age=600"
    forever = _landed(v1_multipart(app, {}))
    r = app.client.simulate_get(urlsplit(forever["direct_url"]).path)
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    clock.advance(600)  # the lookup cached a moment ago must not serve it now
    assert _status(app, image["direct_url"]) == 404


@pytest.mark.parametrize(
    "clocked", ["memory", "sqlite", "postgres_s3"], indirect=True, ids=lambda b: str(b)
)
def test_purge_removes_expired_images_and_their_bytes_at_once(
    clocked: tuple[App, FixedClock],
) -> None:
    """No retention for expiry; shared bytes stay while another image still uses them."""
    app, clock = clocked
    browser = sign_up(app)
    going = _landed(session_multipart(app, {"expiresIn": "60"}))
    same_bytes = _landed(browser.upload(("b.png", "image/png", DATA)))
    other = imagegen.png(9, 9)
    alone = _landed(browser.upload(("c.png", "image/png", other), expiresIn="60"))
    before = app.stored_keys()
    clock.advance(60)
    report = app.container.use_cases.purge()(retention_seconds=30 * 86400)
    assert report.expired_images == 2
    after = app.stored_keys()
    assert len(after) < len(before)
    assert _status(app, same_bytes["direct_url"]) == 200  # its bytes were shared: kept
    assert _status(app, going["direct_url"]) == 404
    assert _status(app, alone["direct_url"]) == 404
    gone = [k for k in before if k not in after]
    assert gone and all(not k.startswith("uploads/") for k in gone)
    # Purging again finds nothing more to do.
    assert app.container.use_cases.purge()(retention_seconds=30 * 86400).expired_images == 0


def test_the_web_app_offers_delete_after_and_the_image_page_says_when(
    clocked: tuple[App, FixedClock],
) -> None:
    app, clock = clocked
    browser = sign_up(app)
    for page in (app.client.simulate_get("/"), browser.request("GET", "/")):
        assert 'name="expiresIn"' in page.text
        for label in ("Never", "1 hour", "1 day", "1 week", "1 month", "1 year"):
            assert f">{label}</option>" in page.text
    image = _landed(browser.upload(("a.png", "image/png", DATA), expiresIn="259200"))
    page = app.client.simulate_get(urlsplit(image["url"]).path)
    assert "Expires in 3 days" in page.text
    clock.advance(2 * 86400 + 1)
    own = browser.request("GET", urlsplit(image["url"]).path)
    assert "Expires in 23 hours" in own.text
    assert 'name="expiresIn" data-expiry-select' in own.text  # the owner's tools

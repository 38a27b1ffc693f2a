"""Enumeration resistance on the public links (issue 14, item 5): misses on /i/{slug},
/media/{filename}, /media/thumb/{filename} and delete links count against a per-address
budget; past it the address gets 429 (with Retry-After, in the route's own shape) for hits
and misses alike. Hits never touch the shared limiter; an old 8-character slug still works
after the default length grew."""

from __future__ import annotations

import io
import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import attrs
import falcon.testing
import pytest

from imgtree.adapters.memory import FixedClock, MemoryRateLimiter
from imgtree.domain.ports import RateDecision, RateLimiter
from imgtree.domain.use_cases.misses import MissBudget
from imgtree.entrypoints.http import misses as misses_module
from tests.support import imagegen
from tests.support.app import App
from tests.support.factories import make_image
from tests.support.multipart import encode

LIMIT = 3
MakeApp = Callable[..., App]
Result = falcon.testing.Result


def upload(app: App) -> dict[str, str]:
    body, ctype = encode([("file", "pic.png", "image/png", imagegen.png(12, 9))])
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    image: dict[str, str] = r.json["images"][0]
    return image


def path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def delete_link(image: dict[str, str]) -> tuple[str, str]:
    parts = urlsplit(image["delete_url"])
    return parts.path.rsplit("/", 1)[1], parts.query.split("=", 1)[1]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@attrs.frozen
class Route:
    """One public link: a request that misses, one that hits, and how a miss is answered."""

    name: str
    miss: Callable[[App, str, int], Result]  # (app, address, n): the n-th distinct miss
    hit: Callable[[App, dict[str, str], str], Result]
    miss_status: int
    html: bool


ROUTES = [
    Route(
        "page",
        lambda app, ip, n: app.client.simulate_get(f"/i/nosuch{n:06d}", remote_addr=ip),
        lambda app, img, ip: app.client.simulate_get(path(img["url"]), remote_addr=ip),
        404,
        html=True,
    ),
    Route(
        "media",
        lambda app, ip, n: app.client.simulate_get(f"/media/nosuch{n:06d}.png", remote_addr=ip),
        lambda app, img, ip: app.client.simulate_get(path(img["direct_url"]), remote_addr=ip),
        404,
        html=False,
    ),
    Route(
        "thumb",
        lambda app, ip, n: app.client.simulate_get(
            f"/media/thumb/nosuch{n:06d}.webp", remote_addr=ip
        ),
        lambda app, img, ip: app.client.simulate_get(path(img["thumb_url"]), remote_addr=ip),
        404,
        html=False,
    ),
    Route(
        "delete-confirm",
        lambda app, ip, n: app.client.simulate_get(
            f"/api/images/00000000-0000-4000-8000-{n:012d}", params={"token": "x"}, remote_addr=ip
        ),
        lambda app, img, ip: app.client.simulate_get(path(img["delete_url"]), remote_addr=ip),
        404,
        html=True,
    ),
    Route(
        "delete-method",
        lambda app, ip, n: app.client.simulate_delete(
            f"/api/images/00000000-0000-4000-8000-{n:012d}", params={"token": "x"}, remote_addr=ip
        ),
        lambda app, img, ip: app.client.simulate_delete(path(img["delete_url"]), remote_addr=ip),
        404,
        html=False,
    ),
    Route(
        "delete-form",
        lambda app, ip, n: app.client.simulate_post(
            f"/delete/00000000-0000-4000-8000-{n:012d}",
            body="token=x",
            headers=FORM,
            remote_addr=ip,
        ),
        lambda app, img, ip: app.client.simulate_post(
            f"/delete/{delete_link(img)[0]}",
            body=f"token={delete_link(img)[1]}",
            headers=FORM,
            remote_addr=ip,
        ),
        404,
        html=True,
    ),
]


def assert_too_many(r: Result, *, html: bool) -> None:
    assert r.status_code == 429, (r.status_code, r.text[:200])
    assert 1 <= int(r.headers["retry-after"]) <= 600
    assert r.headers["ratelimit-policy"] == f'"misses";q={LIMIT};w=600'
    if html:
        assert r.headers["content-type"].startswith("text/html")
        assert "Too many requests" in r.text
        assert r.headers["cache-control"] == "no-store"
    else:
        assert r.json["success"] is False and "Too many requests" in r.json["error"]


def spend(app: App, route: Route, ip: str, start: int = 0) -> None:
    """The whole budget of misses, each answered as a miss normally is."""
    for n in range(start, start + LIMIT):
        r = route.miss(app, ip, n)
        assert r.status_code == route.miss_status, (route.name, n, r.text[:200])


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_past_the_budget_hits_and_misses_are_429(
    make_app: MakeApp, backend: str, route: Route
) -> None:
    app = make_app(backend=backend, miss_limit=LIMIT)
    image = upload(app)
    spend(app, route, "203.0.113.7")
    assert_too_many(route.miss(app, "203.0.113.7", LIMIT), html=route.html)
    # A hit from the same address is refused the same way: it cannot tell hits from misses.
    assert_too_many(route.hit(app, image, "203.0.113.7"), html=route.html)
    # Every public link shares the one budget.
    assert_too_many(
        app.client.simulate_get(path(image["url"]), remote_addr="203.0.113.7"), html=True
    )
    # Another address is unaffected, for hits and misses.
    assert route.miss(app, "198.51.100.1", 0).status_code == route.miss_status
    assert route.hit(app, image, "198.51.100.1").status_code == 200


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_an_ipv6_client_is_counted_per_64(make_app: MakeApp, route: Route) -> None:
    app = make_app(miss_limit=LIMIT)
    image = upload(app)
    for n in range(LIMIT):  # a fresh address of the same /64 for every miss
        assert route.miss(app, f"2001:db8:0:7::{n + 1:x}", n).status_code == route.miss_status
    assert_too_many(route.miss(app, "2001:db8:0:7::ffff", LIMIT), html=route.html)
    assert_too_many(route.hit(app, image, "2001:db8:0:7:abcd::1"), html=route.html)
    assert route.hit(app, image, "2001:db8:0:8::1").status_code == 200  # the next /64


def test_wrong_delete_tokens_count_as_misses(make_app: MakeApp) -> None:
    """A right id with a wrong token is a miss too (403), by every delete-link door."""
    app = make_app(miss_limit=LIMIT)
    image = upload(app)
    image_id, _ = delete_link(image)
    ip, wrong = "203.0.113.8", {"token": "wrong"}
    target = f"/api/images/{image_id}"
    assert app.client.simulate_get(target, params=wrong, remote_addr=ip).status_code == 403
    assert app.client.simulate_delete(target, params=wrong, remote_addr=ip).status_code == 403
    form = app.client.simulate_post(
        f"/delete/{image_id}", body="token=wrong", headers=FORM, remote_addr=ip
    )
    assert form.status_code == 403
    assert_too_many(app.client.simulate_get(target, params=wrong, remote_addr=ip), html=True)
    assert_too_many(app.client.simulate_get(path(image["delete_url"]), remote_addr=ip), html=True)
    # A request without any token is not a guess: 401, never counted.
    for _ in range(LIMIT + 2):
        r = app.client.simulate_delete(target, remote_addr="203.0.113.9")
        assert r.status_code == 401
    assert (
        app.client.simulate_get(path(image["delete_url"]), remote_addr="203.0.113.9").status_code
        == 200
    )


def test_malformed_names_and_private_images_are_misses(make_app: MakeApp) -> None:
    app = make_app(miss_limit=LIMIT)
    hidden = make_image(slug="private1234x", is_public=False, owner_id=app.user().id)
    with app.container.adapters.uow_factory()() as uow:
        uow.images.add(hidden)
        uow.commit()
    ip = "203.0.113.10"
    for target in ("/media/UPPER.png", "/i/private1234x", "/media/private1234x.png"):
        assert app.client.simulate_get(target, remote_addr=ip).status_code == 404
    assert_too_many(app.client.simulate_get("/media/abcdefgh.png", remote_addr=ip), html=False)


def test_trusted_proxies_forward_the_client_counted(make_app: MakeApp) -> None:
    app = make_app(miss_limit=LIMIT, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    image = upload(app)

    def get(target: str, client: str) -> Result:
        return app.client.simulate_get(
            target, remote_addr="10.0.0.2", headers={"X-Forwarded-For": client}
        )

    for n in range(LIMIT + 1):
        expected = 404 if n < LIMIT else 429
        assert get(f"/media/nosuch{n:06d}.png", "198.51.100.20").status_code == expected
    assert get(path(image["direct_url"]), "198.51.100.20").status_code == 429
    # The proxy itself and its other clients are not held responsible.
    assert get(path(image["direct_url"]), "198.51.100.21").status_code == 200
    assert app.client.simulate_get(path(image["url"]), remote_addr="10.0.0.2").status_code == 200


def test_the_block_ends_with_the_window(make_app: MakeApp) -> None:
    app = make_app(miss_limit=LIMIT)
    image = upload(app)
    budget: MissBudget = app.container.use_cases.miss_budget()
    budget.clock = clock = FixedClock(datetime.now(UTC))
    budget.limiter = MemoryRateLimiter(clock)
    spend(app, ROUTES[1], "203.0.113.11")
    r = ROUTES[1].miss(app, "203.0.113.11", LIMIT)
    assert r.status_code == 429
    clock.advance(int(r.headers["retry-after"]) - 1)
    assert (
        app.client.simulate_get(path(image["direct_url"]), remote_addr="203.0.113.11").status_code
        == 429
    )
    clock.advance(1)
    assert (
        app.client.simulate_get(path(image["direct_url"]), remote_addr="203.0.113.11").status_code
        == 200
    )
    spend(app, ROUTES[1], "203.0.113.11", start=100)


# --- hits never pay the shared limiter --------------------------------------------------------


@attrs.define
class CountingLimiter:
    inner: RateLimiter
    hits: int = 0
    peeks: int = 0

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        self.hits += 1
        return self.inner.hit(key, limit=limit, window_seconds=window_seconds)

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        self.peeks += 1
        return self.inner.peek(key, limit=limit, window_seconds=window_seconds)


def counting(app: App) -> CountingLimiter:
    """The app's miss budget, its limiter wrapped so every call is counted."""
    budget: MissBudget = app.container.use_cases.miss_budget()
    limiter = CountingLimiter(budget.limiter)
    budget.limiter = limiter
    return limiter


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@pytest.mark.parametrize("cache_bytes", [0, 1 << 20])
def test_hits_never_call_the_shared_limiter(
    make_app: MakeApp, backend: str, cache_bytes: int
) -> None:
    app = make_app(backend=backend, miss_limit=LIMIT, media_memory_cache_bytes=cache_bytes)
    image = upload(app)
    limiter = counting(app)
    direct, thumb = path(image["direct_url"]), path(image["thumb_url"])
    etag = app.client.simulate_head(direct).headers["etag"]
    ip = "203.0.113.30"
    for _ in range(3 * LIMIT):
        for target in (direct, thumb):
            assert app.client.simulate_get(target, remote_addr=ip).status_code == 200
            assert app.client.simulate_head(target, remote_addr=ip).status_code == 200
            assert (
                app.client.simulate_get(target, remote_addr=ip, headers={"Range": "bytes=0-3"})
            ).status_code == 206
        revalidated = app.client.simulate_get(
            direct, remote_addr=ip, headers={"If-None-Match": etag}
        )
        assert revalidated.status_code == 304
        assert app.client.simulate_get(path(image["url"]), remote_addr=ip).status_code == 200
    assert (limiter.hits, limiter.peeks) == (0, 0)
    # ... and none of them took from the budget: all of it is still there for misses.
    spend(app, ROUTES[1], ip)
    assert limiter.hits == LIMIT
    assert app.client.simulate_get("/media/nosuchxxxxxx.png", remote_addr=ip).status_code == 429
    # Once over budget, a hit is refused from this worker's map: still no limiter call.
    assert app.client.simulate_get(direct, remote_addr=ip).status_code == 429
    assert (limiter.hits, limiter.peeks) == (LIMIT + 1, 0)


def test_an_over_budget_client_keeps_the_limiter_quiet(make_app: MakeApp) -> None:
    """Misses past the budget are refused from the map too: a flood of guesses costs the
    database nothing once the worker knows the address."""
    app = make_app(miss_limit=LIMIT)
    limiter = counting(app)
    spend(app, ROUTES[1], "203.0.113.31")
    assert ROUTES[1].miss(app, "203.0.113.31", LIMIT).status_code == 429
    for n in range(50):
        assert ROUTES[0].miss(app, "203.0.113.31", n).status_code == 429
    assert limiter.hits == LIMIT + 1


# --- slug length -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_new_slugs_are_longer_and_old_8_character_slugs_still_work(
    make_app: MakeApp, backend: str
) -> None:
    app = make_app(backend=backend)
    new = upload(app)
    assert re.fullmatch(r"[a-z0-9]{12}", new["id"])
    # An image published when slugs had 8 characters: its row and blobs as they were then.
    old = make_image(slug="old12345", owner_id=None, is_public=True)
    storage = app.container.adapters.storage()
    storage.put(old.storage_key, io.BytesIO(imagegen.png(10, 20)), "image/png")
    storage.put(old.thumb_key, io.BytesIO(imagegen.png(10, 20)), "image/webp")
    with app.container.adapters.uow_factory()() as uow:
        uow.images.add(old)
        uow.commit()
    assert app.client.simulate_get("/i/old12345").status_code == 200
    for target in (
        "/media/old12345.png",
        f"/media/thumb/old12345.{old.thumb_content_type.extension}",
    ):
        r = app.client.simulate_get(target)
        assert r.status_code == 200, target


def test_the_slug_length_setting_applies_to_new_uploads(make_app: MakeApp) -> None:
    app = make_app(slug_length=20)
    image = upload(app)
    assert re.fullmatch(r"[a-z0-9]{20}", image["id"])
    assert app.client.simulate_get(path(image["direct_url"])).status_code == 200


def test_the_client_memo_is_bounded_and_follows_the_forwarded_chain(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(misses_module, "CLIENT_MEMO_SIZE", 3)
    app = make_app(miss_limit=1000, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    guard = app.client.app._router.find("/media/x.png")[0].misses
    for n in range(10):
        app.client.simulate_get(
            "/media/nosuch.png", remote_addr="10.0.0.2", headers={"X-Forwarded-For": f"192.0.2.{n}"}
        )
        assert len(guard._clients) <= 3
    assert guard._clients[("10.0.0.2", "192.0.2.9")] == "192.0.2.9"

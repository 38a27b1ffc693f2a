"""A hostile walk of the public link space (issue 14, item 5): guesses in every shape the
routes accept or refuse (unknown slugs, wrong extensions, upper case, traversal, NULs,
10 000-character names, HEAD instead of GET, unknown delete ids, wrong tokens), from one
address, from fresh addresses of one IPv6 /64, and behind a forged X-Forwarded-For. Each is
answered as a clean miss until the budget is spent, then as a clean 429 for hits and misses
alike; nothing leaks internals and nothing dodges the count. A path no route matches (a
traversal) is the router's 404 whatever exists, so it is neither counted nor refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import BACKENDS, LEAKS, Harness, assert_clean_error, make_harness
from tests.hostile.corpus import IMAGES
from tests.support.app import BASE_URL

# Small enough to spend in a few requests, large enough to see every shape answered as a miss.
BUDGET = 12

GUESSES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "unknown-slug-page": ("GET", "/i/{n}zzzzzzzzzz", {}),
    "old-length-slug-page": ("GET", "/i/{n}zzzzzz", {}),
    "unknown-media": ("GET", "/media/{n}zzzzzzzzzz.png", {}),
    "unknown-media-head": ("HEAD", "/media/{n}zzzzzzzzzz.jpg", {}),
    "unknown-thumb": ("GET", "/media/thumb/{n}zzzzzzzzzz.webp", {}),
    "upper-case": ("GET", "/media/{n}ZZZZZZZZZZ.PNG", {}),
    "encoded-nul": ("GET", "/media/{n}zzzz%00.png", {}),
    "10000-chars": ("GET", "/i/{n}" + "z" * 10_000, {}),
    "unknown-delete-id": ("DELETE", "/api/images/{uuid}", {"params": {"token": "x"}}),
    "unknown-delete-confirm": ("GET", "/api/images/{uuid}", {"params": {"token": "x"}}),
    "not-a-uuid-delete": ("DELETE", "/api/images/{n}zz", {"params": {"token": "x"}}),
}


@pytest.fixture(params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    return make_harness(tmp_path, request.param, miss_limit=BUDGET)


def guesses() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    n = 0
    while True:
        for name, (method, template, kw) in GUESSES.items():
            n += 1
            yield name, method, template.format(n=n, uuid=uuid.uuid4()), kw


def assert_miss(r: Any, method: str, name: str) -> None:
    assert r.status_code in (400, 404), (name, r.status_code, r.text[:200])
    assert not LEAKS.search(r.text), r.text[:500]
    if method != "HEAD" and r.headers["content-type"].startswith("application/json"):
        assert_clean_error(r.status_code, r.json, r.text, r.status_code)


def assert_429(r: Any, method: str, name: str = "") -> None:
    assert r.status_code == 429, (name, r.text[:200])
    assert 1 <= int(r.headers["retry-after"]) <= 600
    assert not LEAKS.search(r.text), r.text[:500]
    if method != "HEAD" and r.headers["content-type"].startswith("application/json"):
        assert_clean_error(r.status_code, r.json, r.text, 429)


def test_a_walk_of_every_shape_is_stopped_at_the_budget(harness: Harness) -> None:
    walk = guesses()
    addr = "203.0.113.50"
    for _ in range(BUDGET):
        name, method, target, kw = next(walk)
        assert_miss(
            harness.client.simulate_request(method, target, remote_addr=addr, **kw), method, name
        )
    for _ in range(2 * len(GUESSES)):  # every shape now refused, misses and hits alike
        name, method, target, kw = next(walk)
        r = harness.client.simulate_request(method, target, remote_addr=addr, **kw)
        assert_429(r, method, name)
    image = harness.upload("v1-multipart", IMAGES["png"](), "a.png", "image/png").json["images"][0]
    for key in ("url", "direct_url", "thumb_url", "delete_url"):
        r = harness.client.simulate_get(image[key].removeprefix(BASE_URL), remote_addr=addr)
        assert_429(r, "GET")
        assert harness.client.simulate_get(image[key].removeprefix(BASE_URL)).status_code == 200
    assert harness.answering()


def test_fresh_ipv6_addresses_of_one_64_share_one_budget(harness: Harness) -> None:
    walk = guesses()
    for i in range(BUDGET):
        name, method, target, kw = next(walk)
        r = harness.client.simulate_request(
            method, target, remote_addr=f"2001:db8:5:5::{i + 1:x}", **kw
        )
        assert_miss(r, method, name)
    _name, method, target, kw = next(walk)
    assert_429(
        harness.client.simulate_request(
            method, target, remote_addr="2001:db8:5:5:ffff:ffff:ffff:ffff", **kw
        ),
        method,
    )
    # An IPv4-mapped IPv6 peer is its IPv4 address, not a /64 of its own.
    for _ in range(BUDGET):
        name, method, target, kw = next(walk)
        assert_miss(
            harness.client.simulate_request(method, target, remote_addr="198.51.100.60", **kw),
            method,
            name,
        )
    _name, method, target, kw = next(walk)
    assert_429(
        harness.client.simulate_request(method, target, remote_addr="::ffff:198.51.100.60", **kw),
        method,
    )


def test_a_forged_forwarded_for_gets_no_fresh_budget(harness: Harness) -> None:
    """No trusted proxies are configured: X-Forwarded-For is the client's own say, ignored."""
    walk = guesses()
    addr = "203.0.113.51"
    for i in range(BUDGET + 5):
        name, method, target, kw = next(walk)
        headers = {
            "X-Forwarded-For": f"192.0.2.{i}",
            "X-Real-IP": f"192.0.2.{i}",
            "Forwarded": f"for=192.0.2.{i}",
        }
        r = harness.client.simulate_request(method, target, remote_addr=addr, headers=headers, **kw)
        if i < BUDGET:
            assert_miss(r, method, name)
        else:
            assert_429(r, method)


def test_paths_no_route_matches_are_not_counted(harness: Harness) -> None:
    """`/media/..%2f..` decodes to several segments: the router's own 404, which says nothing
    about what exists, so it costs no budget."""
    addr = "203.0.113.52"
    for n in range(2 * BUDGET):
        r = harness.client.simulate_get(f"/media/..%2f{n}..%2fetc%2fpasswd", remote_addr=addr)
        assert r.status_code == 404 and not LEAKS.search(r.text)
    walk = guesses()
    for _ in range(BUDGET):
        name, method, target, kw = next(walk)
        r = harness.client.simulate_request(method, target, remote_addr=addr, **kw)
        assert_miss(r, method, name)

"""A NUL (`\\u0000`) in text imgtree keeps: a clean refusal that changes nothing, on every
backend. Postgres refuses NUL in text columns, so until the domain refused it album titles and
descriptions, key names and sign-in/sign-up emails answered 500 there (found 2026-12-01)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.hostile import ALL_BACKENDS, Harness, assert_clean_error, make_harness
from tests.hostile.cost import measure

NUL = "a\x00b"


@pytest.fixture(scope="module", params=ALL_BACKENDS)
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    extra: dict[str, Any] = {}
    if request.param == "postgres_s3":  # the backend whose text columns refuse NUL
        extra["database_url"] = request.getfixturevalue("postgres_url")
        extra["s3_endpoint"] = request.getfixturevalue("moto_server")
    harness = make_harness(tmp_path_factory.mktemp(f"nul-{request.param}"), request.param, **extra)
    yield harness
    harness.app.container.shutdown_resources()


def _session(method: str, path: str, body: Any) -> Callable[[Harness], Any]:
    return lambda h: h.browser.request(method, path, json=body)


def _anonymous(path: str, body: Any) -> Callable[[Harness], Any]:
    return lambda h: h.client.simulate_post(path, json=body)


# Each text imgtree keeps, with a NUL: the answer its route gives any invalid value. (File
# names are display-only and cleaned instead: tests/hostile/test_upload_paths.py.)
CASES: dict[str, tuple[Callable[[Harness], Any], int]] = {
    "album title": (_session("POST", "/api/albums", {"title": NUL}), 400),
    "album description": (_session("POST", "/api/albums", {"title": "t", "description": NUL}), 400),
    "key name": (_session("POST", "/api/keys", {"name": NUL}), 400),
    "sign-in email": (
        _anonymous("/api/auth/login", {"email": f"{NUL}@example.com", "password": "p" * 12}),
        401,
    ),
    "sign-up email": (
        _anonymous(
            "/api/auth/signup",
            {"email": f"{NUL}@example.com", "password": "a long passphrase here"},
        ),
        400,
    ),
}


def _rows(harness: Harness) -> dict[str, int]:
    """Rows of the tables these routes write (the in-memory backend: its repositories)."""
    if harness.backend == "memory":
        return {"keys": len(harness.browser.request("GET", "/api/keys").json["keys"])} | {
            "albums": len(harness.browser.request("GET", "/api/albums").json["albums"])
        }
    engine = harness.app.container.adapters.engine()
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("users", "api_keys", "albums", "pending_uploads")
        }


@pytest.mark.parametrize("name", list(CASES))
def test_a_nul_in_kept_text_is_refused_and_changes_nothing(harness: Harness, name: str) -> None:
    send, status = CASES[name]
    before, snapshot = _rows(harness), harness.snapshot()
    with measure() as cost:
        r = send(harness)
    assert_clean_error(r.status_code, r.json, r.text, status)
    assert _rows(harness) == before and harness.snapshot() == snapshot
    assert cost.over_limits() is None, cost.describe()
    assert harness.answering()

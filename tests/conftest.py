"""Shared fixtures: an app wired to in-memory adapters, users and API keys.

Fixtures kept in tests/support modules are registered here through `pytest_plugins` (pytest
reads it only in this root conftest); helpers are imported from tests/support, never from a
conftest or a test module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from imgtree.entrypoints.settings import Settings

# Helpers moved out of test modules keep pytest's assertion messages: rewrite tests.support
# before anything imports it (the fixture plugins below are part of it).
pytest.register_assert_rewrite("tests.support")

from tests.support.app import BASE_URL, App, backend_app  # noqa: E402

pytest_plugins = [
    "tests.support.pg",  # postgres_url
    "tests.support.s3",  # moto_server
    "tests.support.sql_fixtures",  # backend, sql, pg (the SQL contract)
]


@pytest.fixture
def make_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., App]]:
    """Build the app on memory adapters, on SQLite + local disk (`backend="sqlite"`) or on
    Postgres + S3 (`backend="postgres_s3"`: a session database and a moto server): a backend
    is an adapters container (tests/support/app.py). Each app's resources (engine, S3
    client) are shut down after the test."""
    default_backend = getattr(request, "param", "memory")
    built: list[App] = []

    def build(backend: str | None = None, **settings_overrides: object) -> App:
        backend = backend or default_backend
        values: dict[str, object] = {
            "base_url": BASE_URL,
            "media_dir": tmp_path / "media",
            "database_url": f"sqlite:///{tmp_path / 'imgtree.sqlite3'}",
            "rate_limit_per_minute": 10_000,
        }
        values.update(settings_overrides)
        settings = Settings(**values)  # type: ignore[arg-type]
        remote: dict[str, str] = {}
        if backend == "postgres_s3":
            remote = {
                "database_url": request.getfixturevalue("postgres_url"),
                "s3_endpoint": request.getfixturevalue("moto_server"),
            }
        app = backend_app(backend, settings, **remote)
        built.append(app)
        return app

    yield build
    for app in built:
        app.container.shutdown_resources()


@pytest.fixture(params=["memory", "sqlite"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    """The HTTP suite runs twice: on memory adapters and on SQLite + local disk."""
    return make_app(backend=request.param)

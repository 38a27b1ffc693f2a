"""Shared fixtures: an app wired to in-memory adapters, users and API keys.

Fixtures kept in tests/support modules are registered here through `pytest_plugins` (pytest
reads it only in this root conftest); helpers are imported from tests/support, never from a
conftest or a test module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import falcon.testing
import pytest
from dependency_injector import providers

from imgtree.adapters.memory import (
    MemoryBlobStorage,
    MemoryRateLimiter,
    MemoryStore,
    memory_uow_factory,
)
from imgtree.adapters.sql.migrate import upgrade
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.storage.s3 import S3BlobStorage
from imgtree.adapters.system import SystemClock
from imgtree.entrypoints.container import Container
from imgtree.entrypoints.http.app import create_app
from imgtree.entrypoints.settings import Settings

# Helpers moved out of test modules keep pytest's assertion messages: rewrite tests.support
# before anything imports it (the fixture plugins below are part of it).
pytest.register_assert_rewrite("tests.support")

from tests.support.app import BASE_URL, App  # noqa: E402
from tests.support.pg import truncate_all  # noqa: E402
from tests.support.s3 import make_s3_storage  # noqa: E402

pytest_plugins = [
    "tests.support.pg",  # postgres_url
    "tests.support.s3",  # moto_server
    "tests.support.sql_fixtures",  # backend, sql, pg (the SQL contract)
]


@pytest.fixture
def make_app(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., App]:
    """Build the app on memory adapters, on SQLite + local disk (`backend="sqlite"`) or on
    Postgres + S3 (`backend="postgres_s3"`: a session database and a moto server)."""
    default_backend = getattr(request, "param", "memory")

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
        container = Container(settings=settings)
        storage: MemoryBlobStorage | LocalBlobStorage | S3BlobStorage
        if backend == "sqlite":
            upgrade(settings.database_url)
            storage = container.storage()
        elif backend == "postgres_s3":
            database_url = request.getfixturevalue("postgres_url")
            settings = attrs.evolve(settings, database_url=database_url)
            container = Container(settings=settings)
            upgrade(database_url)
            truncate_all(container.engine())
            storage = make_s3_storage(request.getfixturevalue("moto_server"))
            container.storage.override(providers.Object(storage))
        else:
            storage = MemoryBlobStorage(SystemClock())
            container.uow_factory.override(providers.Object(memory_uow_factory(MemoryStore())))
            container.storage.override(providers.Object(storage))
            container.rate_limiter.override(providers.Object(MemoryRateLimiter(container.clock())))
        return App(container, falcon.testing.TestClient(create_app(container)), storage)

    return build


@pytest.fixture(params=["memory", "sqlite"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    """The HTTP suite runs twice: on memory adapters and on SQLite + local disk."""
    return make_app(backend=request.param)

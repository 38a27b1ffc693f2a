"""The SQL contract fixtures: each test's unit of work on memory, SQLite or Postgres.

`backend` runs a test on all three, `sql` on the two databases, `pg` on Postgres alone;
each yields a `Backend` (its name, a unit-of-work factory and, on a database, the engine).
A SQLite database is a copy of one migrated template file per test; Postgres is the
session's database (tests/support/pg.py), migrated once and truncated before each test.

A pytest plugin: registered for the suite through `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy import Engine

from imgtree.adapters.memory import MemoryStore, memory_uow_factory
from imgtree.adapters.sql import create_engine_for, sql_uow_factory
from imgtree.adapters.sql.migrate import upgrade
from imgtree.domain.ports import UnitOfWorkFactory
from tests.support.pg import truncate_all


@attrs.frozen
class Backend:
    name: str
    uow: UnitOfWorkFactory
    engine: Engine | None = None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (much faster than migrating each)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "imgtree.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_session_engine(postgres_url: str) -> Iterator[Engine]:
    upgrade(postgres_url)
    engine = create_engine_for(postgres_url, pool_size=12, max_overflow=8)
    yield engine
    engine.dispose()


def sql_engine(request: pytest.FixtureRequest, name: str) -> Engine:
    """A migrated, empty database engine for this test: "sqlite" or "postgres"."""
    if name == "sqlite":
        path: Path = request.getfixturevalue("tmp_path") / "imgtree.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = create_engine_for(f"sqlite:///{path}")
        request.addfinalizer(engine.dispose)
        return engine
    engine = request.getfixturevalue("pg_session_engine")
    truncate_all(engine)
    return engine


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        return Backend("memory", memory_uow_factory(MemoryStore()))
    engine = sql_engine(request, request.param)
    return Backend(request.param, sql_uow_factory(engine), engine)


@pytest.fixture(params=["sqlite", "postgres"])
def sql(request: pytest.FixtureRequest) -> Backend:
    engine = sql_engine(request, request.param)
    return Backend(request.param, sql_uow_factory(engine), engine)


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Backend:
    engine = sql_engine(request, "postgres")
    return Backend("postgres", sql_uow_factory(engine), engine)

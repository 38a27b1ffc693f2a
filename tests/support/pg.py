"""Postgres fixtures: one fresh, throw-away database per test session.

The server comes from IMGTREE_TEST_POSTGRES_URL (default: local trust auth). Each session
creates `imgtree_test_<random>` and drops it at the end, so parallel runs never collide.
Unreachable server: the tests skip locally, but fail under CI=true (CI must never skip).

The `postgres_url` fixture is registered for the whole suite through `pytest_plugins` in
tests/conftest.py; request it by name. Import the helpers (`temporary_database`,
`truncate_all`) from here.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import NoReturn

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from imgtree.adapters.sql.tables import metadata
from imgtree.adapters.sql.uow import normalise_url

ENV_VAR = "IMGTREE_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def server_url() -> URL:
    return normalise_url(os.environ.get(ENV_VAR) or DEFAULT_URL)


def _admin_engine(server: URL) -> Engine:
    return create_engine(
        server.set(database="postgres"),
        isolation_level="AUTOCOMMIT",  # CREATE/DROP DATABASE cannot run in a transaction
        connect_args={"connect_timeout": 5},
        pool_size=1,
        max_overflow=0,
    )


def unavailable(reason: str) -> NoReturn:
    """Skip locally; fail in CI, where a missing Postgres is a broken build, not a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"Postgres is required in CI: {reason}", pytrace=False)
    print(f"skipping Postgres tests: {reason}")
    pytest.skip(f"Postgres unavailable: {reason}")


@contextlib.contextmanager
def temporary_database(server: URL | None = None) -> Iterator[str]:
    """Create an empty database on the server, yield its URL (password included), drop it."""
    server = server or server_url()
    admin = _admin_engine(server)
    name = f"imgtree_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        unavailable(f"{server.render_as_string(hide_password=True)}: {exc}".strip())
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            # Engines a test forgot to dispose must not keep the database alive.
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of an empty Postgres database private to this test session.

    Migrate it with `imgtree.adapters.sql.migrate.upgrade(postgres_url)` (idempotent, so
    several test modules may each call it) and clean between tests with `truncate_all`.
    """
    with temporary_database() as url:
        yield url


def truncate_all(engine: Engine) -> None:
    """Empty every imgtree table (fast per-test isolation inside one session database)."""
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

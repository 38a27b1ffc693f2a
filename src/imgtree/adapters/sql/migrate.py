"""Run the Alembic migrations that ship inside this package (no alembic.ini needed)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from imgtree.adapters.sql.uow import create_engine_for

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: concurrent `imgtree migrate` runs on Postgres queue on this lock.
_PG_MIGRATION_LOCK = 0x1D_7EE


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for imgtree's migrations; with `connection`, env.py runs on it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (idempotent; safe to run on every deploy)."""
    # SQLite foreign keys stay off while migrating: batch migrations rebuild a table by
    # copying it and dropping the original, and with them on that DROP would cascade-delete
    # (or null) rows in the referencing tables. Integrity is checked before committing.
    engine = create_engine_for(url, pool_size=1, max_overflow=0, sqlite_foreign_keys=False)
    try:
        # One transaction for the whole upgrade: it applies completely or not at all (both
        # SQLite and Postgres have transactional DDL). On SQLite BEGIN IMMEDIATE serialises
        # concurrent runs; on Postgres an advisory lock does.
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            command.upgrade(alembic_config(connection), revision)
            if connection.dialect.name == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


def schema_problem(url: str) -> str | None:
    """Why the database at `url` cannot serve this imgtree yet, or None when its schema is at
    this release's head: no schema at all, an older (or newer) revision, or no connection."""
    engine = create_engine_for(url)
    try:
        return engine_problem(engine)
    finally:
        engine.dispose()


def engine_problem(engine: Engine) -> str | None:
    """`schema_problem` through an engine the caller keeps (readiness checks use the worker's
    own pool)."""
    try:
        with engine.connect() as connection:
            return revision_problem(connection)
    except SQLAlchemyError as exc:
        reason = type(getattr(exc, "orig", None) or exc).__name__
        return f"cannot reach the database ({reason})"


@functools.cache
def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def revision_problem(connection: Connection) -> str | None:
    """`schema_problem` on an open connection (readiness probes use the app's own pool):
    None when the schema is at this release's head. SQLAlchemyError when the database fails."""
    current = set(MigrationContext.configure(connection).get_current_heads())
    heads = _heads()
    if current == heads:
        return None
    if not current:
        return "the database has no imgtree schema"
    return (
        f"the database schema is at revision {', '.join(sorted(current))}; "
        f"this imgtree needs {', '.join(sorted(heads))}"
    )

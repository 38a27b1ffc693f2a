"""Engines for SQLite and Postgres, and the SQL unit of work.

SQLite is shared by several gunicorn worker processes, so every transaction starts with
`BEGIN IMMEDIATE`: it takes the write lock up front (waiting up to the busy timeout) instead
of reading first and failing with "database is locked" when it later tries to write after
another process did. Units of work are short, so queueing them (read-only ones too) costs
little on the single host SQLite serves; WAL makes commits cheap and lets outside readers
(backups, the sqlite3 shell) run alongside.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from imgtree.adapters.sql.repositories import (
    SqlAlbumRepository,
    SqlApiKeyRepository,
    SqlAuditLog,
    SqlBlobRepository,
    SqlBlockedHashRepository,
    SqlImageRepository,
    SqlPendingUploadRepository,
    SqlReportRepository,
    SqlSessionRepository,
    SqlStats,
    SqlUserRepository,
)

SQLITE_BUSY_TIMEOUT_MS = 15_000
READ_ONLY_OPTION = "imgtree_read_only"
POSTGRES_DRIVER = "postgresql+psycopg"


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL; bare `postgres://` and `postgresql://` get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    return parsed


def create_engine_for(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, sqlite_foreign_keys: bool = True
) -> Engine:
    """An Engine configured for imgtree's access pattern on SQLite or Postgres.

    `sqlite_foreign_keys=False` is for migrations only (see migrate.upgrade).
    """
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=max_overflow,
            foreign_keys=sqlite_foreign_keys,
        )
    if backend == "postgresql":
        return create_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,  # survive server restarts and idle-connection reaping
        )
    raise ValueError(f"unsupported database {parsed.drivername!r}: use sqlite or postgresql")


def _sqlite_engine(url: URL, *, pool_size: int, max_overflow: int, foreign_keys: bool) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    kwargs: dict[str, Any] = {}
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # File databases use a QueuePool (in-memory ones a per-thread pool without sizes).
        kwargs = {"pool_size": pool_size, "max_overflow": max_overflow}
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it would BEGIN lazily
        # and deferred); SQLAlchemy's "begin" event below issues our own BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough under WAL
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Read-only units of work take no write lock: in WAL mode they neither block writers
        # nor wait for them. Everything else takes the lock up front (see the module doc).
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class SqlUnitOfWork:
    """One database transaction per `with` block; leaving without `commit()` rolls back.

    It holds a Core Connection (the repositories speak Core, and an ORM Session in between
    cost ~40 µs per statement on every request)."""

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        self._connection = self._engine.connect()
        self._bind(self._connection)
        return self

    def _bind(self, connection: Connection) -> None:
        self.users = SqlUserRepository(connection)
        self.api_keys = SqlApiKeyRepository(connection)
        self.albums = SqlAlbumRepository(connection)
        self.images = SqlImageRepository(connection)
        self.pending_uploads = SqlPendingUploadRepository(connection)
        self.blobs = SqlBlobRepository(connection)
        self.blocked_hashes = SqlBlockedHashRepository(connection)
        self.reports = SqlReportRepository(connection)
        self.sessions = SqlSessionRepository(connection)
        self.audit = SqlAuditLog(connection)
        self.stats = SqlStats(connection)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()  # rolls back whatever was not committed

    def commit(self) -> None:
        if self._connection is None:
            raise RuntimeError("commit outside the unit of work")
        if self._read_only:
            raise RuntimeError("commit in a read-only unit of work")
        self._connection.commit()

    def rollback(self) -> None:
        if self._connection is not None:
            self._connection.rollback()
            # Fresh repositories: their snapshots described rows as this transaction saw them.
            self._bind(self._connection)


def sql_uow_factory(engine: Engine) -> Callable[..., SqlUnitOfWork]:
    # Same pool, tagged: the "begin" hook starts these transactions without a write lock.
    readers = engine.execution_options(**{READ_ONLY_OPTION: True})
    if engine.dialect.name == "postgresql":
        # Reads run in autocommit: no BEGIN and ROLLBACK round trips around them (4 of the
        # 10 a listing request made). Each statement then has its own snapshot, so a page's
        # total and its rows may straddle a concurrent upload, which paging tolerates anyway.
        readers = readers.execution_options(isolation_level="AUTOCOMMIT")

    def make(*, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(readers if read_only else engine, read_only=read_only)

    return make

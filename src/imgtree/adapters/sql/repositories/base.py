"""What every SQL repository shares: guarded writes, key lookups built once, row snapshots."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeAlias, TypeVar

from sqlalchemy import Connection, Executable, Row, Select, Table, bindparam, select
from sqlalchemy.exc import IntegrityError

from imgtree.domain.errors import Conflict
from imgtree.domain.model import Album, ApiKey, Image, PendingUpload, Session, User

# A row or SELECT of any width (SQLAlchemy 2.1 types them by their column tuple).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]
AnySelect: TypeAlias = Select[*tuple[Any, ...]]

E = TypeVar("E", User, ApiKey, Album, Image, PendingUpload, Session)


@functools.cache
def select_by(table: Table, columns: tuple[str, ...], live: bool) -> AnySelect:
    """`SELECT * FROM table WHERE col = :col …`, built once per shape: every request looks
    rows up by key (API keys, users, images), and building the statement each time cost more
    than running it."""
    statement = select(table).where(*(table.c[c] == bindparam(c) for c in columns))
    if live:
        statement = statement.where(table.c.deleted_at.is_(None))
    return statement


class Repository(Generic[E]):
    """Shared plumbing: guarded writes, row mapping, and the snapshots `update` diffs against."""

    table: Table
    what: str
    # Columns `update` never writes (kept by other statements, e.g. usage counters).
    readonly: tuple[str, ...] = ()
    to_entity: Callable[[AnyRow], E]
    to_values: Callable[[E], dict[str, Any]]

    def __init__(self, connection: Connection) -> None:
        self._s = connection
        # What this unit of work last read or wrote per id. `update` writes only the columns
        # that differ from it: on Postgres (READ COMMITTED) two units of work that read the
        # same row and change different fields (a revoke and a last-used stamp, say) then
        # both land, instead of the later one writing back the other's stale values.
        self._seen: dict[uuid.UUID, E] = {}

    def _write(self, statement: Executable, params: dict[str, Any] | None = None) -> None:
        try:
            with self._s.begin_nested():
                self._s.execute(statement, params)
        except IntegrityError as exc:
            raise Conflict(f"The {self.what} conflicts with existing data") from exc

    def _one(self, equals: dict[str, Any], *, live: bool = False) -> E | None:
        """The row whose columns equal `equals` (and, with `live`, is not deleted)."""
        statement = select_by(self.table, tuple(equals), live)
        row = self._s.execute(statement, equals).first()
        return None if row is None else self._remember(self.to_entity(row))

    def _many(self, statement: Executable, params: dict[str, Any] | None = None) -> list[E]:
        rows = self._s.execute(statement, params).all()  # one fetchall, not a fetchone per row
        return [self._remember(self.to_entity(row)) for row in rows]

    def _remember(self, entity: E) -> E:
        self._seen[entity.id] = entity
        return entity

    def _add(self, entity: E) -> None:
        # The plain INSERT with parameters compiles once per table (cached by SQLAlchemy);
        # `.values(...)` would build a new statement for every row.
        self._write(self.table.insert(), self.to_values(entity))
        self._remember(entity)

    def _update(self, entity: E) -> None:
        values = self.to_values(entity)
        del values["id"]
        for column in self.readonly:
            del values[column]
        before = self._seen.get(entity.id)
        if before is not None:
            old = self.to_values(before)
            values = {k: v for k, v in values.items() if old[k] != v}
        if values:
            # Updating a row that does not exist changes nothing (the memory adapter would
            # insert it; no use case relies on either).
            self._write(self.table.update().where(self.table.c.id == entity.id).values(values))
        self._remember(entity)

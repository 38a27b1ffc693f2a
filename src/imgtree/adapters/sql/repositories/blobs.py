"""References to shared stored content: one row per content stem, kept under its row lock.

Every write is one statement that locks the row until the transaction ends: the upserts
(`INSERT ... ON CONFLICT DO UPDATE`, which on Postgres also waits for a concurrent inserter
or deleter of the same stem and then sees its outcome) and the conditional UPDATE/DELETE.
On SQLite the write transaction (BEGIN IMMEDIATE) already serialises them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from imgtree.adapters.sql.tables import blobs

_b = blobs.c


def _upsert(dialect: str, initial: int, step: int) -> Any:
    """INSERT (stem, initial) or add `step` to the row's refs; RETURNING the refs."""
    insert: Any = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](blobs)
    return (
        insert.values(stem=bindparam("b_stem"), refs=initial)
        .on_conflict_do_update(index_elements=[_b.stem], set_={"refs": _b.refs + step})
        .returning(_b.refs)
    )


_STATEMENTS = {
    dialect: (_upsert(dialect, 1, 1), _upsert(dialect, 0, 0))
    for dialect in ("sqlite", "postgresql")
}
_DECREMENT = (
    blobs.update()
    .where(_b.stem == bindparam("b_stem"), _b.refs > 0)
    .values(refs=_b.refs - 1)
    .returning(_b.refs)
)
_FORGET = blobs.delete().where(_b.stem == bindparam("b_stem"), _b.refs <= 0)
_REFS = select(_b.refs).where(_b.stem == bindparam("b_stem"))


class SqlBlobRepository:
    def __init__(self, connection: Connection) -> None:
        self._s = connection
        self._acquire, self._lock = _STATEMENTS[connection.dialect.name]

    def acquire(self, stem: str) -> int:
        return int(self._s.execute(self._acquire, {"b_stem": stem}).scalar_one())

    def release(self, stem: str) -> int:
        self.lock(stem)  # the row exists (and is ours) from here on
        left = self._s.execute(_DECREMENT, {"b_stem": stem}).scalar()
        left = 0 if left is None else int(left)
        if left == 0:
            self.forget(stem)
        return left

    def lock(self, stem: str) -> int:
        return int(self._s.execute(self._lock, {"b_stem": stem}).scalar_one())

    def forget(self, stem: str) -> None:
        self._s.execute(_FORGET, {"b_stem": stem})

    def refs(self, stem: str) -> int:
        refs = self._s.execute(_REFS, {"b_stem": stem}).scalar()
        return 0 if refs is None else int(refs)

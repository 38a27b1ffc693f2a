"""The moderators' block list of content digests (see BlockedHashRepository)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from imgtree.adapters.sql.tables import blocked_hashes
from imgtree.domain.model import BlockedHash

_h = blocked_hashes.c
_INSERT: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class SqlBlockedHashRepository:
    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def add(self, sha256: str, *, reason: str, image_id: uuid.UUID | None, at: datetime) -> bool:
        # ON CONFLICT DO NOTHING: two moderators blocking the same bytes at once both succeed.
        insert = _INSERT[self._s.dialect.name](blocked_hashes)
        result = self._s.execute(
            insert.values(sha256=sha256, reason=reason, image_id=image_id, created_at=at)
            .on_conflict_do_nothing(index_elements=[_h.sha256])
            .returning(_h.sha256)
        )
        return result.first() is not None  # no row back: it was on the list already

    def any_of(self, digests: Sequence[str]) -> bool:
        if not digests:
            return False
        found = self._s.execute(select(_h.sha256).where(_h.sha256.in_(list(digests))).limit(1))
        return found.first() is not None

    def count(self) -> int:
        return int(self._s.execute(select(func.count()).select_from(blocked_hashes)).scalar_one())

    def list_page(self, *, offset: int, limit: int) -> list[BlockedHash]:
        rows = self._s.execute(
            select(_h.sha256, _h.reason, _h.image_id, _h.created_at)
            .order_by(_h.created_at.desc(), _h.sha256)
            .offset(offset)
            .limit(limit)
        )
        return [BlockedHash(r.sha256, r.reason, r.image_id, r.created_at) for r in rows]

    def remove(self, sha256: str) -> BlockedHash | None:
        # DELETE ... RETURNING (SQLite 3.35+, Postgres): one statement, so two admins removing
        # the same digest at once see one success and one None.
        row = self._s.execute(
            delete(blocked_hashes)
            .where(_h.sha256 == sha256)
            .returning(_h.sha256, _h.reason, _h.image_id, _h.created_at)
        ).first()
        return (
            None
            if row is None
            else BlockedHash(row.sha256, row.reason, row.image_id, row.created_at)
        )

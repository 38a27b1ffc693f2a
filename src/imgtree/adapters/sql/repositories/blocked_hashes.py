"""The moderators' block list of content digests (see BlockedHashRepository)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from imgtree.adapters.sql.tables import blocked_hashes

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

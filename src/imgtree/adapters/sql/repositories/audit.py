"""The audit log: who changed what, when (append and page through, newest first)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from imgtree.adapters.sql.repositories.mapping import audit_entry_from_row, audit_entry_values
from imgtree.adapters.sql.tables import audit_log
from imgtree.domain.model import AuditEntry


class SqlAuditLog:
    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def add(self, entry: AuditEntry) -> None:
        self._s.execute(audit_log.insert().values(audit_entry_values(entry)))

    def list(self, *, offset: int, limit: int) -> list[AuditEntry]:
        rows = self._s.execute(
            select(audit_log)
            .order_by(audit_log.c.created_at.desc(), audit_log.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [audit_entry_from_row(r) for r in rows]

    def count(self) -> int:
        return int(self._s.execute(select(func.count()).select_from(audit_log)).scalar_one())

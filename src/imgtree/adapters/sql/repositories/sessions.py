"""Browser sessions: looked up by the cookie token's hash, revoked one or all at a time."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, select

from imgtree.adapters.sql.repositories.base import Repository
from imgtree.adapters.sql.repositories.mapping import session_from_row, session_values
from imgtree.adapters.sql.tables import sessions
from imgtree.domain.model import Session


class SqlSessionRepository(Repository[Session]):
    table = sessions
    what = "session"
    to_entity = staticmethod(session_from_row)
    to_values = staticmethod(session_values)

    def add(self, session: Session) -> None:
        self._add(session)

    def get(self, session_id: uuid.UUID) -> Session | None:
        return self._one({"id": session_id})

    def get_by_token_hash(self, token_hash: str) -> Session | None:
        return self._one({"token_hash": token_hash})

    def list_active_for_user(self, user_id: uuid.UUID, now: datetime) -> list[Session]:
        query = (
            select(sessions)
            .where(
                sessions.c.user_id == user_id,
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > now,
            )
            .order_by(sessions.c.created_at.desc(), sessions.c.id)
        )
        return self._many(query)

    def update(self, session: Session) -> None:
        self._update(session)

    def revoke_all_for_user(
        self, user_id: uuid.UUID, at: datetime, *, except_id: uuid.UUID | None = None
    ) -> int:
        where: list[ColumnElement[bool]] = [
            sessions.c.user_id == user_id,
            sessions.c.revoked_at.is_(None),
        ]
        if except_id is not None:
            where.append(sessions.c.id != except_id)
        result = self._s.execute(sessions.update().where(*where).values(revoked_at=at))
        self._seen.clear()
        return int(result.rowcount)

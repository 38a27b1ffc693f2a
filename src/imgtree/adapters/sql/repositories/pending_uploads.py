"""Presigned uploads: received and claimed at most once, open ones counted per uploader."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import attrs
from sqlalchemy import ColumnElement, bindparam, func, select

from imgtree.adapters.sql.repositories.base import AnySelect, Repository
from imgtree.adapters.sql.repositories.mapping import (
    pending_upload_from_row,
    pending_upload_values,
)
from imgtree.adapters.sql.tables import pending_uploads
from imgtree.domain.model import PendingUpload
from imgtree.domain.ports import OpenUploads


def _open_uploads(*where: ColumnElement[bool]) -> AnySelect:
    """Count, declared bytes and first expiry of the open (unclaimed, unexpired) uploads that
    match `where`: one aggregate over a partial index of unclaimed rows."""
    p = pending_uploads.c
    return select(
        func.count(), func.coalesce(func.sum(p.declared_size), 0), func.min(p.expires_at)
    ).where(p.claimed_at.is_(None), p.expires_at > bindparam("now"), *where)


_OPEN_FOR_OWNER = _open_uploads(pending_uploads.c.owner_id == bindparam("owner_id"))
_OPEN_FOR_GUEST = _open_uploads(
    pending_uploads.c.owner_id.is_(None), pending_uploads.c.address == bindparam("address")
)
_OPEN_FOR_ANONYMOUS_GUEST = _open_uploads(
    pending_uploads.c.owner_id.is_(None), pending_uploads.c.address.is_(None)
)


class SqlPendingUploadRepository(Repository[PendingUpload]):
    table = pending_uploads
    what = "pending upload"
    to_entity = staticmethod(pending_upload_from_row)
    to_values = staticmethod(pending_upload_values)

    def add(self, pending: PendingUpload) -> None:
        self._add(pending)

    def get(self, pending_id: uuid.UUID) -> PendingUpload | None:
        return self._one({"id": pending_id})

    def get_by_completion_hash(self, token_hash: str) -> PendingUpload | None:
        return self._one({"completion_token_hash": token_hash})

    def _set_once(
        self, pending_id: uuid.UUID, column: Literal["received_at", "claimed_at"], at: datetime
    ) -> bool:
        # Conditional UPDATE: of racing callers exactly one sees its row change.
        result = self._s.execute(
            pending_uploads.update()
            .where(pending_uploads.c.id == pending_id, pending_uploads.c[column].is_(None))
            .values({column: at})
        )
        if result.rowcount != 1:
            return False
        seen = self._seen.get(pending_id)
        if seen is not None:
            if column == "received_at":
                self._seen[pending_id] = attrs.evolve(seen, received_at=at)
            else:
                self._seen[pending_id] = attrs.evolve(seen, claimed_at=at)
        return True

    def mark_received(self, pending_id: uuid.UUID, at: datetime) -> bool:
        return self._set_once(pending_id, "received_at", at)

    def reset_received(self, pending_id: uuid.UUID) -> None:
        self._s.execute(
            pending_uploads.update()
            .where(pending_uploads.c.id == pending_id)
            .values(received_at=None)
        )
        seen = self._seen.get(pending_id)
        if seen is not None:
            self._seen[pending_id] = attrs.evolve(seen, received_at=None)

    def claim(self, pending_id: uuid.UUID, at: datetime) -> bool:
        return self._set_once(pending_id, "claimed_at", at)

    def set_image(self, pending_id: uuid.UUID, image_id: uuid.UUID) -> None:
        self._s.execute(
            pending_uploads.update()
            .where(pending_uploads.c.id == pending_id)
            .values(image_id=image_id)
        )

    def list_stale(self, before: datetime, *, limit: int) -> list[PendingUpload]:
        return self._many(
            select(pending_uploads)
            .where(pending_uploads.c.expires_at < before)
            .order_by(pending_uploads.c.expires_at, pending_uploads.c.id)
            .limit(limit)
        )

    def remove(self, pending_id: uuid.UUID) -> None:
        self._s.execute(pending_uploads.delete().where(pending_uploads.c.id == pending_id))
        self._seen.pop(pending_id, None)

    def count_open(self, now: datetime) -> int:
        count = (
            select(func.count())
            .select_from(pending_uploads)
            .where(pending_uploads.c.claimed_at.is_(None), pending_uploads.c.expires_at > now)
        )
        return int(self._s.execute(count).scalar_one())

    def open_for_owner(self, owner_id: uuid.UUID, now: datetime) -> OpenUploads:
        return self._open(_OPEN_FOR_OWNER, {"owner_id": owner_id, "now": now})

    def open_for_guest(self, address: str | None, now: datetime) -> OpenUploads:
        if address is None:
            return self._open(_OPEN_FOR_ANONYMOUS_GUEST, {"now": now})
        return self._open(_OPEN_FOR_GUEST, {"address": address, "now": now})

    def _open(self, statement: AnySelect, params: dict[str, Any]) -> OpenUploads:
        count, declared, first_expiry = self._s.execute(statement, params).one()
        return OpenUploads(int(count), int(declared), first_expiry)

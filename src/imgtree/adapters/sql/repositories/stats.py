"""Aggregates for the admin dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Date, case, cast, func, select

from imgtree.adapters.sql.tables import images, users
from imgtree.domain.ports import ImageStats

# Bytes kept per image: the published file plus a kept original (Image.charged_bytes).
_STORED = images.c.size_bytes + images.c.original_size_bytes


class SqlStats:
    """Aggregates for the admin dashboard: a handful of indexed GROUP BY queries."""

    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def _day(self) -> ColumnElement[Any]:
        if self._s.dialect.name == "postgresql":
            return cast(func.timezone("UTC", images.c.created_at), Date)
        return func.date(images.c.created_at)  # SQLite keeps UTC text

    def image_stats(self, now: datetime, *, days: int = 30, top: int = 10) -> ImageStats:
        live = images.c.deleted_at.is_(None)
        count_live, bytes_live = self._s.execute(
            select(func.count(), func.coalesce(func.sum(_STORED), 0)).where(live)
        ).one()

        def since(d: int) -> int:
            q = select(func.count()).where(images.c.created_at > now - timedelta(days=d))
            return int(self._s.execute(q).scalar_one())

        guests, accounts = self._s.execute(
            select(
                func.coalesce(func.sum(case((images.c.owner_id.is_(None), 1), else_=0)), 0),
                func.coalesce(func.sum(case((images.c.owner_id.is_not(None), 1), else_=0)), 0),
            )
        ).one()
        by_type = {
            row[0]: int(row[1])
            for row in self._s.execute(
                select(images.c.content_type, func.count())
                .where(live)
                .group_by(images.c.content_type)
            )
        }
        total_bytes = func.sum(_STORED)
        top_rows = self._s.execute(
            select(users.c.id, users.c.email, func.count(), total_bytes)
            .join(users, users.c.id == images.c.owner_id)
            .where(live)
            .group_by(users.c.id, users.c.email)
            .order_by(total_bytes.desc(), func.count().desc(), users.c.id)
            .limit(top)
        )
        start = (now - timedelta(days=days - 1)).date()
        day = self._day()
        counted = {
            str(row[0]): (int(row[1]), int(row[2]))
            for row in self._s.execute(
                select(day, func.count(), func.coalesce(func.sum(_STORED), 0))
                .where(images.c.created_at >= datetime.combine(start, datetime.min.time(), UTC))
                .group_by(day)
            )
        }
        per_day = []
        for k in range(days):
            key = (start + timedelta(days=k)).isoformat()
            n, b = counted.get(key, (0, 0))
            per_day.append((key, n, b))
        files = (
            select(func.max(images.c.size_bytes).label("size"))
            .group_by(images.c.storage_key)
            .subquery()
        )
        in_storage = self._s.execute(select(func.coalesce(func.sum(files.c.size), 0))).scalar()
        return ImageStats(
            bytes_in_storage=int(in_storage or 0),
            images=int(count_live),
            bytes_stored=int(bytes_live),
            uploads_24h=since(1),
            uploads_7d=since(7),
            uploads_30d=since(30),
            guest_uploads=int(guests),
            account_uploads=int(accounts),
            by_type=by_type,
            top_uploaders=[(r[0], r[1], int(r[2]), int(r[3])) for r in top_rows],
            per_day=per_day,
        )

"""Visitors' reports of images, and the moderators' queue of them (see ReportRepository)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, exists, func, select

from imgtree.adapters.sql.tables import reports
from imgtree.domain.model import Report, ReportReason

_r = reports.c
_OPEN = _r.dismissed_at.is_(None)


def _report(row: Row[Any]) -> Report:
    return Report(
        id=row.id,
        image_id=row.image_id,
        reason=ReportReason(row.reason),
        text=row.text,
        reporter_hash=row.reporter_hash,
        created_at=row.created_at,
        dismissed_at=row.dismissed_at,
    )


class SqlReportRepository:
    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def add(self, report: Report) -> bool:
        # Look, then insert. Two identical reports racing on Postgres may both land (a plain
        # unique index cannot say "open"); the queue then shows one repeat, which is harmless.
        repeat = exists().where(
            _r.image_id == report.image_id, _r.reporter_hash == report.reporter_hash, _OPEN
        )
        if self._s.execute(select(repeat)).scalar():
            return False
        self._s.execute(
            reports.insert().values(
                id=report.id,
                image_id=report.image_id,
                reason=report.reason.value,
                text=report.text,
                reporter_hash=report.reporter_hash,
                created_at=report.created_at,
                dismissed_at=report.dismissed_at,
            )
        )
        return True

    def get(self, report_id: uuid.UUID) -> Report | None:
        row = self._s.execute(select(reports).where(_r.id == report_id)).one_or_none()
        return None if row is None else _report(row)

    def dismiss(self, report_id: uuid.UUID, at: datetime) -> bool:
        result = self._s.execute(
            reports.update().where(_r.id == report_id, _OPEN).values(dismissed_at=at)
        )
        return result.rowcount == 1

    def dismiss_for_image(self, image_id: uuid.UUID, at: datetime) -> int:
        result = self._s.execute(
            reports.update().where(_r.image_id == image_id, _OPEN).values(dismissed_at=at)
        )
        return int(result.rowcount)

    def open_image_ids(self, *, offset: int, limit: int) -> list[uuid.UUID]:
        latest = func.max(_r.created_at)
        rows = self._s.execute(
            select(_r.image_id)
            .where(_OPEN)
            .group_by(_r.image_id)
            .order_by(latest.desc(), _r.image_id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [r.image_id for r in rows]

    def count_open_images(self) -> int:
        counted = select(func.count(func.distinct(_r.image_id))).where(_OPEN)
        return int(self._s.execute(counted).scalar_one())

    def open_for_images(self, image_ids: Sequence[uuid.UUID]) -> list[Report]:
        if not image_ids:
            return []
        rows = self._s.execute(
            select(reports)
            .where(_OPEN, _r.image_id.in_(list(image_ids)))
            .order_by(_r.created_at.desc(), _r.id.desc())
        )
        return [_report(r) for r in rows]

    def open_counts(self, image_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not image_ids:
            return {}
        rows = self._s.execute(
            select(_r.image_id, func.count())
            .where(_OPEN, _r.image_id.in_(list(image_ids)))
            .group_by(_r.image_id)
        )
        return {image_id: int(n) for image_id, n in rows}

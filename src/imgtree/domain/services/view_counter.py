"""Counting views without a write per GET: counts gather in memory and go to the database in
batches.

Each process keeps its own counts (a dict under a lock: a record costs a few hundred
nanoseconds) and flushes them in one transaction (`ImageRepository.add_views`, increments)
when `flush_seconds` have passed since the last flush or `flush_events` views are waiting,
whichever comes first, on the request that notices; and when the process shuts down cleanly
(gunicorn's worker_exit, the WSGI module's atexit, ImgTree.close).

What a crash can lose is bounded and documented (docs/decisions.md, "View counts"): the views
of one process since its last flush, at most `flush_events` and at most `flush_seconds`
worth. A failed flush (database down) keeps the counts and tries again on the next record.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime

import attrs

from imgtree.domain.ports import Clock, UnitOfWorkFactory, ViewCount


@attrs.define
class ViewCounter:
    uow: UnitOfWorkFactory
    clock: Clock
    flush_seconds: float = 10.0
    flush_events: int = 1000
    _pending: dict[str, ViewCount] = attrs.field(factory=dict, init=False)
    _events: int = attrs.field(default=0, init=False)
    _last_flush: datetime | None = attrs.field(default=None, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)
    _flushing: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def page_view(self, slug: str) -> None:
        self._record(slug, 1, 0)

    def media_hit(self, slug: str) -> None:
        self._record(slug, 0, 1)

    def _record(self, slug: str, page: int, media: int) -> None:
        now = self.clock.now()
        with self._lock:
            was = self._pending.get(slug, ViewCount())
            self._pending[slug] = ViewCount(was.page_views + page, was.media_hits + media)
            self._events += 1
            if self._last_flush is None:
                self._last_flush = now
            due = (
                self._events >= self.flush_events
                or (now - self._last_flush).total_seconds() >= self.flush_seconds
            )
        if due:
            # Counting must never fail the read it counts: a flush that cannot reach the
            # database keeps its counts for the next one.
            with contextlib.suppress(Exception):
                self.flush()

    def flush(self) -> int:
        """Write what is waiting; the number of views written. One flush at a time: a
        request that finds another flush running does not wait for it."""
        if not self._flushing.acquire(blocking=False):
            return 0
        try:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._events = 0
                self._last_flush = self.clock.now()
            if not batch:
                return 0
            try:
                with self.uow() as uow:
                    uow.images.add_views(batch)
                    uow.commit()
            except Exception:
                self._restore(batch)  # the database is down: keep them for the next flush
                raise
            return sum(c.page_views + c.media_hits for c in batch.values())
        finally:
            self._flushing.release()

    def _restore(self, batch: dict[str, ViewCount]) -> None:
        with self._lock:
            for slug, count in batch.items():
                was = self._pending.get(slug, ViewCount())
                self._pending[slug] = ViewCount(
                    was.page_views + count.page_views, was.media_hits + count.media_hits
                )
                self._events += count.page_views + count.media_hits

    @property
    def waiting(self) -> int:
        """Views recorded and not yet written."""
        with self._lock:
            return sum(c.page_views + c.media_hits for c in self._pending.values())

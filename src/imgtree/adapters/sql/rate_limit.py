"""A fixed-window rate limiter in the database, shared by every worker process."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from imgtree.adapters.rate_windows import decision, window_at
from imgtree.adapters.sql.tables import rate_limit_windows
from imgtree.domain.ports import Clock, RateDecision

_t = rate_limit_windows


class SqlRateLimiter:
    """Same semantics as MemoryRateLimiter: at most `limit` hits per key per fixed window.

    Each hit is one atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING count), so
    concurrent workers never lose or double a count. Expired windows are swept at most every
    `sweep_interval` seconds per process; rows are kept for `retention_seconds` (and at least
    two of the longest windows seen), so a sweep never drops a window that is still running.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        sweep_interval: int = 60,
        retention_seconds: int = 3600,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._sweep_interval = sweep_interval
        self._retention = retention_seconds
        insert: Any = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[
            engine.dialect.name
        ](_t)
        # One statement for every hit (built once: constructing it cost more than running it).
        self._upsert = (
            insert.values(key=bindparam("key"), window_start=bindparam("window_start"), count=1)
            .on_conflict_do_update(
                index_elements=[_t.c.key, _t.c.window_start],
                set_={"count": _t.c.count + 1},
            )
            .returning(_t.c.count)
        )
        self._count = select(_t.c.count).where(
            _t.c.key == bindparam("key"), _t.c.window_start == bindparam("window_start")
        )
        self._lock = threading.Lock()
        self._longest_window = 0
        self._next_sweep: float | None = None

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        now = self._clock.now().timestamp()
        window, reset_after = window_at(now, window_seconds)
        with self._engine.begin() as conn:
            params = {"key": key, "window_start": window * window_seconds}
            count = int(conn.execute(self._upsert, params).scalar_one())
        self._maybe_sweep(now, window_seconds)
        return decision(count, limit, reset_after, counted=True)

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        window, reset_after = window_at(self._clock.now().timestamp(), window_seconds)
        with self._engine.connect() as conn:
            params = {"key": key, "window_start": window * window_seconds}
            count = int(conn.execute(self._count, params).scalar() or 0)
        return decision(count, limit, reset_after, counted=False)

    def _maybe_sweep(self, now: float, window_seconds: int) -> None:
        with self._lock:
            self._longest_window = max(self._longest_window, window_seconds)
            if self._next_sweep is None:
                self._next_sweep = now + self._sweep_interval
            if now < self._next_sweep:
                return
            self._next_sweep = now + self._sweep_interval
            keep = max(self._retention, 2 * self._longest_window)
        self.sweep(older_than=int(now) - keep)

    def sweep(self, *, older_than: int) -> int:
        """Delete windows that started before `older_than` (epoch seconds); return how many."""
        with self._engine.begin() as conn:
            result = conn.execute(_t.delete().where(_t.c.window_start < older_than))
        return int(result.rowcount)

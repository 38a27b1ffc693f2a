from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FixedClock:
    """A clock that only moves when told to: deterministic tests of expiry and windows."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

from __future__ import annotations

import threading

from imgtree.adapters.rate_windows import decision, window_at
from imgtree.domain.ports import Clock, RateDecision


class MemoryRateLimiter:
    """Fixed-window counter in process memory (one worker; the SQL limiter shares across workers)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window index, count)

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        window, reset_after = window_at(self._clock.now().timestamp(), window_seconds)
        with self._lock:
            count = self._count(key, window) + 1
            self._windows[key] = (window, count)
            if len(self._windows) > 100_000:  # bound memory: drop stale windows
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        return decision(count, limit, reset_after, counted=True)

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        window, reset_after = window_at(self._clock.now().timestamp(), window_seconds)
        with self._lock:
            count = self._count(key, window)
        return decision(count, limit, reset_after, counted=False)

    def _count(self, key: str, window: int) -> int:
        """Hits on `key` in `window` so far (caller holds the lock)."""
        current, count = self._windows.get(key, (window, 0))
        return count if current == window else 0

from __future__ import annotations

import math
import threading

from imgtree.domain.ports import Clock, RateDecision


class MemoryRateLimiter:
    """Fixed-window counter in process memory (one worker; the SQL limiter shares across workers)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window index, count)

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        now = self._clock.now().timestamp()
        window = int(now // window_seconds)
        reset_after = math.ceil((window + 1) * window_seconds - now)
        with self._lock:
            current, count = self._windows.get(key, (window, 0))
            if current != window:
                count = 0
            count += 1
            self._windows[key] = (window, count)
            if len(self._windows) > 100_000:  # bound memory: drop stale windows
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        return RateDecision(
            allowed=count <= limit,
            limit=limit,
            remaining=max(0, limit - count),
            reset_after=max(1, reset_after),
        )

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        now = self._clock.now().timestamp()
        window = int(now // window_seconds)
        reset_after = math.ceil((window + 1) * window_seconds - now)
        with self._lock:
            current, count = self._windows.get(key, (window, 0))
        if current != window:
            count = 0
        return RateDecision(
            allowed=count < limit,
            limit=limit,
            remaining=max(0, limit - count),
            reset_after=max(1, reset_after),
        )

"""A tiny time-bounded cache for the media hot path.

Serving a file should cost little more than answering at all, so the lookup behind a media
URL (image row, owner state, blob size) is kept for a short time per worker. The bound is the
staleness we accept: a deleted, privatised or deactivated image stops being served by every
worker within `ttl` seconds (its page, listings and the API see the change at once), and at
once by the worker that made the change (see ForgetMediaOnChange in app.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(
        self, ttl: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl, self._max, self._clock = ttl, max_entries, clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            with self._lock:
                self._entries.pop(key, None)
            return None
        return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()  # crude but bounded: a burst of misses refills it
            self._entries[key] = (self._clock() + self._ttl, value)

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

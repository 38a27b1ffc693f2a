"""A tiny time-bounded cache for the media hot path.

Serving a file should cost little more than answering at all, so the lookup behind a media
URL (image row, owner state, blob size) is kept for a short time per worker. The bound is the
staleness we accept: a deleted, privatised or deactivated image stops being served by every
worker within `ttl` seconds (its page, listings and the API see the change at once), and at
once by the worker that made the change (see ForgetMediaOnChange in app.py).

Entries may carry a cost (the bytes of a small file kept with its lookup); `max_cost` bounds
their sum, so the cache's memory is bounded whatever the entries are.
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
        self,
        ttl: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        max_cost: int | None = None,
    ) -> None:
        self._ttl, self._max, self._clock = ttl, max_entries, clock
        self._max_cost = max_cost
        self._entries: dict[K, tuple[float, V, int]] = {}
        self._cost = 0
        self._lock = threading.Lock()

    @property
    def cost(self) -> int:
        """The summed cost of the entries held (expired ones included until dropped)."""
        return self._cost

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value, _cost = entry
        if self._clock() >= expires:
            self.discard(key)
            return None
        return value

    def fits(self, cost: int) -> bool:
        """Whether an entry of this cost may be kept at all."""
        return self._max_cost is None or cost <= self._max_cost

    def put(self, key: K, value: V, cost: int = 0) -> None:
        if not self.fits(cost):
            return
        with self._lock:
            self._pop(key)
            over_cost = self._max_cost is not None and self._cost + cost > self._max_cost
            if len(self._entries) >= self._max or over_cost:
                # Crude but bounded: a burst of misses refills it.
                self._entries.clear()
                self._cost = 0
            self._entries[key] = (self._clock() + self._ttl, value, cost)
            self._cost += cost

    def discard(self, key: K) -> None:
        with self._lock:
            self._pop(key)

    def _pop(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._cost -= entry[2]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cost = 0

"""When to try a request again: 429 and 503 after the server's Retry-After (capped), and
connection failures after a short back-off, a bounded number of times."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429, 503})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` sends of one request at most. A 429/503 waits the server's Retry-After
    (`default_wait` when it names none), at most `max_wait` seconds: a longer one is not
    waited out but reported, since retrying sooner than the server asked is pointless.
    A connection failure waits `backoff` seconds, doubling each time, and is tried at most
    `connection_attempts` times (a server that is down rarely comes back within seconds)."""

    attempts: int = 5
    connection_attempts: int = 3
    max_wait: float = 120.0
    default_wait: float = 5.0
    backoff: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def wait_for(self, status: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retrying a 429/503, or None when it should not be retried."""
        wait = self.default_wait if retry_after is None else max(0.0, retry_after)
        return None if wait > self.max_wait else wait

    def backoff_for(self, attempt: int) -> float:
        return float(min(self.backoff * 2 ** (attempt - 1), 30.0))

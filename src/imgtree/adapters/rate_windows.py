"""Fixed-window arithmetic shared by the rate limiter adapters (memory and SQL)."""

from __future__ import annotations

import math

from imgtree.domain.ports import RateDecision


def window_at(now: float, window_seconds: int) -> tuple[int, int]:
    """(index of the fixed window holding `now`, seconds until it ends: at least 1)."""
    window = int(now // window_seconds)
    return window, max(1, math.ceil((window + 1) * window_seconds - now))


def decision(count: int, limit: int, reset_after: int, *, counted: bool) -> RateDecision:
    """`counted`: `count` includes this request (a hit); otherwise it is what the window
    holds, and the decision is whether one more would be allowed (a peek)."""
    return RateDecision(
        allowed=count <= limit if counted else count < limit,
        limit=limit,
        remaining=max(0, limit - count),
        reset_after=reset_after,
    )

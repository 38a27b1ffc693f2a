"""Enumeration resistance: a per-client budget of misses on public links.

A miss is a request for a public link that names nothing the client may see: an unknown or
malformed slug or media file name, an unknown image id or a wrong delete token. Honest
readers rarely miss; someone walking the slug space misses almost every time. Past
`policy.per_minute` misses in `policy.window_seconds`, the client is answered 429 until the
window resets, for hits as well as misses: otherwise an over-budget client could still tell
one from the other.

Only misses touch the shared RateLimiter (one count each, shared by every worker). Hits, the
hot path, consult `over_budget` only: a map in this process of the clients a miss found out
of budget, each until its window resets. A worker that has not yet seen a client's misses
serves its hits until that client misses there once (docs/decisions.md, "Enumeration").
"""

from __future__ import annotations

import attrs

from imgtree.domain.errors import RateLimited
from imgtree.domain.policies import RatePolicy
from imgtree.domain.ports import Clock, RateLimiter

# Clients remembered as over budget per process; past it, expired entries are dropped first.
MAX_TRACKED = 100_000


@attrs.define
class MissBudget:
    limiter: RateLimiter
    clock: Clock
    policy: RatePolicy
    max_tracked: int = MAX_TRACKED
    # What is counted: "miss" (links naming nothing), "unlock" (wrong passwords on images
    # and albums); each name is a budget of its own.
    name: str = "miss"
    # client -> when (epoch seconds) its window resets. Plain dict operations: each is atomic
    # under the GIL, and a rare lost insertion only costs that client one more shared count.
    _over: dict[str, float] = attrs.field(factory=dict, init=False)

    @property
    def anyone_over(self) -> bool:
        """Whether this process knows any client over budget (the hot path's first test:
        when not, nobody needs to know who the client is)."""
        return bool(self._over)

    def over_budget(self, client: str) -> None:
        """RateLimited when `client` is known here to be over budget; counts nothing."""
        until = self._over.get(client)
        if until is None:
            return
        left = until - self.clock.now().timestamp()
        if left <= 0:
            self._over.pop(client, None)
            return
        raise self._limited(left)

    def miss(self, client: str) -> None:
        """Count one miss by `client`; RateLimited when it is past the budget (and from then
        on, until the window resets, `over_budget` says so without asking the limiter)."""
        decision = self.limiter.hit(
            f"{self.name}:{client}",
            limit=self.policy.per_minute,
            window_seconds=self.policy.window_seconds,
        )
        if decision.allowed:
            return
        now = self.clock.now().timestamp()
        if len(self._over) >= self.max_tracked:
            self._over = {c: t for c, t in self._over.items() if t > now}
            if len(self._over) >= self.max_tracked:  # all live: forget the oldest-ending
                del self._over[min(self._over, key=self._over.__getitem__)]
        self._over[client] = now + decision.reset_after
        raise self._limited(decision.reset_after)

    def _limited(self, seconds_left: float) -> RateLimited:
        return RateLimited(
            "Too many wrong passwords"
            if self.name == "unlock"
            else "Too many requests for links that do not exist",
            limit=self.policy.per_minute,
            window_seconds=self.policy.window_seconds,
            retry_after=max(1, int(-(-seconds_left // 1))),
            policy="misses" if self.name == "miss" else self.name,
        )

"""Per-client rate limit on upload routes."""

from __future__ import annotations

import attrs

from imgtree.domain.errors import RateLimited
from imgtree.domain.policies import RatePolicy
from imgtree.domain.ports import RateDecision, RateLimiter


@attrs.define
class EnforceRateLimit:
    limiter: RateLimiter
    policy: RatePolicy

    def __call__(self, client: str, *, scope: str = "upload") -> RateDecision:
        """Count one request from `client`; raise RateLimited past the policy's limit."""
        decision = self.limiter.hit(
            f"{scope}:{client}",
            limit=self.policy.per_minute,
            window_seconds=self.policy.window_seconds,
        )
        if not decision.allowed:
            raise RateLimited(
                "Too many requests",
                limit=decision.limit,
                window_seconds=self.policy.window_seconds,
                retry_after=max(1, decision.reset_after),
            )
        return decision

"""Failed sign-ins, counted per (account, address) and per account: the throttle that sign-in
and every second-factor check share (docs/security.md, "Sign-in throttling")."""

from __future__ import annotations

import attrs

from imgtree.domain.errors import RateLimited
from imgtree.domain.policies import RatePolicy, SessionPolicy
from imgtree.domain.ports import RateDecision, RateLimiter


@attrs.define
class FailedSignIns:
    """Failed sign-ins of one (account, address) pair and of the account from everywhere.

    `check` before the password is looked at: a pair past its limit waits; an account past its
    own (slower, larger) limit hears only addresses that have not failed for it in their
    window, so an attacker spraying one account from many addresses gets one guess per
    address, while its owner signing in from their own address (or any new one) is checked
    as usual. Unknown accounts are throttled the same way (nothing tells them apart).

    A wrong second factor (a TOTP or recovery code) counts as a failed sign-in too, at
    sign-in and wherever a code is asked for again, so codes cannot be brute-forced.
    """

    limiter: RateLimiter
    policy: SessionPolicy
    email: str
    client: str

    @property
    def _pair(self) -> str:
        return f"login-fail-pair:{self.email}|{self.client}"

    @property
    def _account(self) -> str:
        return f"login-fail-account:{self.email}"

    def check(self) -> None:
        pair_policy = self.policy.login_failures_per_pair
        pair = self.limiter.peek(
            self._pair, limit=pair_policy.per_minute, window_seconds=pair_policy.window_seconds
        )
        if not pair.allowed:
            raise _too_many(pair, pair_policy)
        account_policy = self.policy.login_failures_per_account
        account = self.limiter.peek(
            self._account,
            limit=account_policy.per_minute,
            window_seconds=account_policy.window_seconds,
        )
        if not account.allowed and pair.remaining < pair.limit:  # this address failed before
            raise _too_many(account, account_policy)

    def count(self) -> None:
        for key, policy in (
            (self._pair, self.policy.login_failures_per_pair),
            (self._account, self.policy.login_failures_per_account),
        ):
            self.limiter.hit(key, limit=policy.per_minute, window_seconds=policy.window_seconds)


def _too_many(decision: RateDecision, policy: RatePolicy) -> RateLimited:
    wait = max(1, decision.reset_after)
    return RateLimited(
        f"Too many failed sign-ins: try again in {_duration(wait)}",
        limit=decision.limit,
        window_seconds=policy.window_seconds,
        retry_after=wait,
    )


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"

"""The miss budget (enumeration resistance): misses counted in the shared limiter, over-budget
clients remembered in-process until their window resets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgtree.adapters.memory import FixedClock, MemoryRateLimiter
from imgtree.domain.errors import RateLimited
from imgtree.domain.policies import RatePolicy
from imgtree.domain.ports import RateDecision
from imgtree.domain.use_cases.misses import MissBudget

POLICY = RatePolicy(per_minute=5, window_seconds=600)


class CountingLimiter:
    """A RateLimiter that counts how often it is asked (the hit path must never ask)."""

    def __init__(self, inner: MemoryRateLimiter) -> None:
        self.inner, self.hits, self.peeks = inner, 0, 0

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        self.hits += 1
        return self.inner.hit(key, limit=limit, window_seconds=window_seconds)

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        self.peeks += 1
        return self.inner.peek(key, limit=limit, window_seconds=window_seconds)


def budget(clock: FixedClock | None = None, **kw: object) -> tuple[MissBudget, CountingLimiter]:
    clock = clock or FixedClock()
    limiter = CountingLimiter(MemoryRateLimiter(clock))
    return MissBudget(limiter, clock, kw.pop("policy", POLICY), **kw), limiter  # type: ignore[arg-type]


def test_misses_within_budget_pass_then_the_client_is_refused() -> None:
    misses, limiter = budget()
    for _ in range(POLICY.per_minute):
        misses.miss("203.0.113.7")
    assert not misses.anyone_over
    with pytest.raises(RateLimited) as info:
        misses.miss("203.0.113.7")
    assert info.value.policy == "misses" and info.value.limit == POLICY.per_minute
    assert 1 <= info.value.retry_after <= POLICY.window_seconds
    assert limiter.hits == POLICY.per_minute + 1
    # From now on hits are refused too, without asking the limiter.
    with pytest.raises(RateLimited):
        misses.over_budget("203.0.113.7")
    assert limiter.hits == POLICY.per_minute + 1 and limiter.peeks == 0


def test_checking_a_client_never_asks_the_limiter() -> None:
    misses, limiter = budget()
    for _ in range(1000):
        misses.over_budget("203.0.113.7")
    assert (limiter.hits, limiter.peeks) == (0, 0)
    assert not misses.anyone_over


def test_other_clients_are_unaffected() -> None:
    misses, _ = budget()
    for _ in range(POLICY.per_minute):
        misses.miss("203.0.113.7")
    with pytest.raises(RateLimited):
        misses.miss("203.0.113.7")
    misses.over_budget("198.51.100.1")
    misses.miss("198.51.100.1")


def test_the_block_ends_when_the_window_resets() -> None:
    clock = FixedClock()
    misses, _ = budget(clock)
    for _ in range(POLICY.per_minute):
        misses.miss("c")
    with pytest.raises(RateLimited) as info:
        misses.miss("c")
    clock.advance(info.value.retry_after - 1)
    with pytest.raises(RateLimited) as later:
        misses.over_budget("c")
    assert later.value.retry_after == 1
    clock.advance(1)
    misses.over_budget("c")  # the window reset: heard again, and the entry is gone
    assert not misses.anyone_over
    misses.miss("c")


def test_the_map_of_over_budget_clients_is_bounded() -> None:
    clock = FixedClock()
    one = RatePolicy(per_minute=1, window_seconds=60)
    misses, _ = budget(clock, policy=one, max_tracked=3)
    for n in range(5):
        misses.miss(f"c{n}")
        with pytest.raises(RateLimited):
            misses.miss(f"c{n}")
        clock.advance(1)
    assert len(misses._over) == 3
    # The newest are remembered; an older one forgotten here still meets the shared count.
    with pytest.raises(RateLimited):
        misses.over_budget("c4")
    misses.over_budget("c0")
    with pytest.raises(RateLimited):
        misses.miss("c0")


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "2001:db8::/64"]),
            st.sampled_from(["miss", "hit"]),
            st.integers(min_value=0, max_value=120),
        ),
        max_size=80,
    )
)
def test_never_more_than_the_budget_of_misses_answered_per_window(
    steps: list[tuple[str, str, int]],
) -> None:
    """Whatever the order of hits, misses and waiting, no client gets more than `per_minute`
    misses answered (as 404s) within one window, and a client refused a miss is refused hits
    until that window ends."""
    clock = FixedClock()
    misses, limiter = budget(clock)
    answered: dict[tuple[str, int], int] = {}
    refused_until: dict[str, float] = {}
    for client, kind, wait in steps:
        clock.advance(wait)
        now = clock.now().timestamp()
        window = int(now // POLICY.window_seconds)
        asked = limiter.hits
        try:
            misses.over_budget(client)
        except RateLimited:
            assert now < refused_until[client]
            continue
        assert limiter.hits == asked  # the check alone never counts
        assert now >= refused_until.get(client, 0)
        if kind == "hit":
            continue
        try:
            misses.miss(client)
        except RateLimited as exc:
            refused_until[client] = now + exc.retry_after
            continue
        answered[client, window] = answered.get((client, window), 0) + 1
        assert answered[client, window] <= POLICY.per_minute

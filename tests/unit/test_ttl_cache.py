"""The media lookup cache: entries expire, and their summed cost stays within the budget."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from imgtree.entrypoints.http.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(1.0, clock=clock)
    cache.put("a", 1, cost=10)
    assert cache.get("a") == 1
    clock.now = 1.0
    assert cache.get("a") is None
    assert cache.cost == 0


def test_an_entry_costing_more_than_the_budget_is_not_kept() -> None:
    cache: TtlCache[str, int] = TtlCache(1.0, max_cost=100)
    assert not cache.fits(101)
    cache.put("big", 1, cost=101)
    assert cache.get("big") is None and cache.cost == 0


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 60), st.sampled_from("pdc")),
        max_size=60,
    )
)
def test_cost_is_the_sum_of_held_entries_and_never_over_budget(ops) -> None:
    cache: TtlCache[str, int] = TtlCache(60.0, max_entries=5, max_cost=100)
    for key, cost, op in ops:
        if op == "p":
            cache.put(key, cost, cost=cost)
        elif op == "d":
            cache.discard(key)
        else:
            cache.clear()
        held = {k: cache.get(k) for k in "abcdefgh"}
        assert cache.cost == sum(v for v in held.values() if v is not None)
        assert cache.cost <= 100
        assert sum(v is not None for v in held.values()) <= 5

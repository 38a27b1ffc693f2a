"""ViewCounter (issue 17 item 4): views gather in memory and reach the repository in batches,
never one write per view; nothing is lost or counted twice, whatever the interleaving."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgtree.adapters.memory import FixedClock, MemoryStore, memory_uow_factory
from imgtree.domain.model import Image
from imgtree.domain.services import ViewCounter
from tests.support.factories import add_users, make_image, make_user


class CountingUow:
    """The memory unit of work, counting the transactions that write views (and able to
    fail them, as a database that went away would)."""

    def __init__(self, store: MemoryStore) -> None:
        self._make = memory_uow_factory(store)
        self.writes = 0
        self.down = False

    def __call__(self, **kwargs: Any) -> Any:
        if self.down:
            raise ConnectionError("database down")
        self.writes += 1
        return self._make(**kwargs)


def world(images: int = 2) -> tuple[MemoryStore, CountingUow, FixedClock, list[Image]]:
    store, clock = MemoryStore(), FixedClock()
    uow = CountingUow(store)
    user = make_user()
    add_users(memory_uow_factory(store), user)
    made = [make_image(user) for _ in range(images)]
    with memory_uow_factory(store)() as tx:
        for image in made:
            tx.images.add(image)
        tx.commit()
    uow.writes = 0
    return store, uow, clock, made


def counts(store: MemoryStore, image: Image) -> tuple[int, int]:
    with memory_uow_factory(store)(read_only=True) as tx:
        got = tx.images.get(image.id)
    assert got is not None
    return got.page_views, got.media_hits


def test_views_wait_in_memory_until_the_interval_passes() -> None:
    store, uow, clock, (a, b) = world()
    counter = ViewCounter(uow, clock, flush_seconds=10, flush_events=1000)
    for _ in range(3):
        counter.page_view(a.slug)
    counter.media_hit(b.slug)
    assert uow.writes == 0 and counter.waiting == 4 and counts(store, a) == (0, 0)
    clock.advance(10)
    counter.media_hit(a.slug)  # the request that notices the interval flushes everything
    assert uow.writes == 1 and counter.waiting == 0
    assert counts(store, a) == (3, 1) and counts(store, b) == (0, 1)


def test_a_full_batch_flushes_before_the_interval() -> None:
    store, uow, clock, (a, _) = world()
    counter = ViewCounter(uow, clock, flush_seconds=3600, flush_events=50)
    for _ in range(120):
        counter.page_view(a.slug)
    assert uow.writes == 2 and counter.waiting == 20 and counts(store, a) == (100, 0)


def test_a_failed_flush_keeps_the_counts_and_never_fails_the_view() -> None:
    store, uow, clock, (a, _) = world()
    counter = ViewCounter(uow, clock, flush_seconds=1, flush_events=1000)
    counter.page_view(a.slug)
    uow.down = True
    clock.advance(1)
    counter.page_view(a.slug)  # the flush it triggers fails: the view itself does not
    assert counter.waiting == 2
    with pytest.raises(ConnectionError):
        counter.flush()  # an explicit flush says so
    uow.down = False
    assert counter.flush() == 2 and counts(store, a) == (2, 0)


def test_threads_recording_at_once_lose_nothing() -> None:
    store, uow, clock, images = world(3)
    counter = ViewCounter(uow, clock, flush_seconds=3600, flush_events=37)

    def view(i: int) -> None:
        for n in range(500):
            image = images[(i + n) % 3]
            counter.page_view(image.slug) if n % 2 else counter.media_hit(image.slug)

    threads = [threading.Thread(target=view, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counter.flush()
    totals = [counts(store, image) for image in images]
    assert sum(p + m for p, m in totals) == 8 * 500
    assert sum(p for p, _ in totals) == 8 * 250
    assert uow.writes < 8 * 500 // 30  # batched: nowhere near one write per view


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["page", "media", "tick", "flush"]), st.integers(0, 2)),
        max_size=80,
    ),
    st.integers(1, 10),
)
def test_stored_plus_waiting_is_always_what_was_recorded(
    steps: list[tuple[str, int]], flush_events: int
) -> None:
    store, uow, clock, images = world(3)
    counter = ViewCounter(uow, clock, flush_seconds=5, flush_events=flush_events)
    recorded = [[0, 0] for _ in images]
    for action, which in steps:
        if action == "page":
            counter.page_view(images[which].slug)
            recorded[which][0] += 1
        elif action == "media":
            counter.media_hit(images[which].slug)
            recorded[which][1] += 1
        elif action == "tick":
            clock.advance(2)
        else:
            counter.flush()
        stored = sum(sum(counts(store, image)) for image in images)
        assert stored + counter.waiting == sum(p + m for p, m in recorded)
    counter.flush()
    assert [list(counts(store, image)) for image in images] == recorded

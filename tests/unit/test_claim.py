"""Claiming guest uploads into an account (issue 15, item 3), on the memory adapters."""

from __future__ import annotations

import uuid

import pytest

from imgtree.domain.errors import RateLimited
from imgtree.domain.use_cases.claim import ClaimImages, ClaimItem, ClaimOutcome
from imgtree.domain.use_cases.upload import Uploaded
from tests.support.world import World, png


@pytest.fixture
def world() -> World:
    return World()


def claim(world: World) -> ClaimImages:
    return ClaimImages(uow=world.uow, hasher=world.hasher, clock=world.clock)


def test_a_guest_upload_with_its_token_becomes_the_users_own(world: World) -> None:
    user = world.user()
    done = world.upload_one(None)
    [result] = claim(world)(user.id, [ClaimItem(done.image.id, done.delete_token)])
    assert result.outcome is ClaimOutcome.CLAIMED
    stored = world.image(done.image.id)
    assert stored is not None and stored.owner_id == user.id
    assert result.image == stored
    with world.uow() as uow:
        owner = uow.users.get(user.id)
        assert owner is not None and owner.used_bytes == stored.size_bytes
    # The owner deletes it from the gallery; the delete link keeps working until then.
    world.delete().check_token(done.image.id, done.delete_token)
    world.delete().by_owner(user.id, done.image.id)


def test_wrong_tokens_unknown_deleted_and_owned_images_answer_alike_and_change_nothing(
    world: World,
) -> None:
    user, other = world.user(), world.user()
    guest = world.upload_one(None)
    owned = world.upload_one(other)
    gone = world.upload_one(None)
    world.delete().by_token(gone.image.id, gone.delete_token)
    before = world.all_images()
    misses: list[int] = []
    results = claim(world)(
        user.id,
        [
            ClaimItem(guest.image.id, "not-the-token"),
            ClaimItem(guest.image.id, owned.delete_token),
            ClaimItem(uuid.uuid4(), guest.delete_token),
            ClaimItem(gone.image.id, gone.delete_token),
            ClaimItem(owned.image.id, owned.delete_token),
        ],
        on_miss=lambda: misses.append(1),
    )
    assert [r.outcome for r in results] == [ClaimOutcome.NOT_FOUND] * 5
    assert all(r.image is None for r in results)
    assert len(misses) == 5
    assert world.all_images() == before


def test_claiming_again_is_already_yours_and_charges_once(world: World) -> None:
    user = world.user()
    done = world.upload_one(None)
    item = ClaimItem(done.image.id, done.delete_token)
    claim(world)(user.id, [item])
    [again] = claim(world)(user.id, [item])
    assert again.outcome is ClaimOutcome.ALREADY_YOURS
    with world.uow() as uow:
        owner = uow.users.get(user.id)
        assert owner is not None and owner.used_bytes == done.image.size_bytes


def test_an_item_over_the_quota_is_refused_alone(world: World) -> None:
    small, big = world.upload(None, png(40), png(90))
    assert isinstance(small, Uploaded) and isinstance(big, Uploaded)
    assert small.image.size_bytes < big.image.size_bytes
    user = world.user(quota_bytes=small.image.size_bytes + 10)
    results = claim(world)(
        user.id,
        [ClaimItem(big.image.id, big.delete_token), ClaimItem(small.image.id, small.delete_token)],
    )
    assert [r.outcome for r in results] == [ClaimOutcome.OVER_QUOTA, ClaimOutcome.CLAIMED]
    big_now = world.image(big.image.id)
    assert big_now is not None and big_now.owner_id is None


def test_once_the_miss_budget_runs_out_the_rest_is_not_checked(world: World) -> None:
    user = world.user()
    good = world.upload_one(None)
    count = 0

    def on_miss() -> None:
        nonlocal count
        count += 1
        if count >= 2:
            raise RateLimited("over", limit=1, window_seconds=60, retry_after=60)

    items = [ClaimItem(uuid.uuid4(), "x"), ClaimItem(uuid.uuid4(), "y")]
    results = claim(world)(
        user.id, [*items, ClaimItem(good.image.id, good.delete_token)], on_miss=on_miss
    )
    assert [r.outcome for r in results] == [
        ClaimOutcome.NOT_FOUND,
        ClaimOutcome.NOT_FOUND,
        ClaimOutcome.RATE_LIMITED,
    ]
    stored = world.image(good.image.id)
    assert stored is not None and stored.owner_id is None

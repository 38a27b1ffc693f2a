"""BulkImages against the in-memory adapters: one outcome per id, in order; only the owner's
live images change; a bad list or another's album changes nothing."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgtree.domain.errors import InvalidInput, NotFound
from imgtree.domain.model import Visibility
from imgtree.domain.use_cases.bulk import MAX_BULK_IDS, BulkImages, BulkStatus
from imgtree.domain.use_cases.edit_image import EditImage
from tests.support.world import World


def bulk(world: World) -> BulkImages:
    return BulkImages(world.delete(), EditImage(world.uow, clock=world.clock))


def test_move_reports_each_id_and_leaves_others_alone() -> None:
    world = World()
    owner, other = world.user(), world.user()
    mine = [world.upload_one(owner).image.id for _ in range(2)]
    theirs = world.upload_one(other).image.id
    album = world.album(owner)
    ids = [mine[0], theirs, uuid.uuid4(), mine[1]]

    result = bulk(world).move(owner.id, ids, album.id)

    assert [(o.image_id, o.status) for o in result.outcomes] == [
        (mine[0], BulkStatus.MOVED),
        (theirs, BulkStatus.NOT_FOUND),
        (ids[2], BulkStatus.NOT_FOUND),
        (mine[1], BulkStatus.MOVED),
    ]
    assert (result.succeeded, result.failed) == (2, 2)
    assert all(world.image(i).album_id == album.id for i in mine)  # type: ignore[union-attr]
    assert world.image(theirs).album_id is None  # type: ignore[union-attr]


def test_move_into_another_owners_album_is_not_found_and_moves_nothing() -> None:
    world = World()
    owner = world.user()
    image = world.upload_one(owner).image
    with pytest.raises(NotFound):
        bulk(world).move(owner.id, [image.id], world.album(world.user()).id)
    assert world.image(image.id) == image


def test_visibility_and_delete() -> None:
    world = World()
    owner = world.user()
    ids = [world.upload_one(owner).image.id for _ in range(3)]
    result = bulk(world).set_visibility(owner.id, ids, Visibility.PUBLIC)
    assert {o.status for o in result.outcomes} == {BulkStatus.UPDATED}
    assert all(world.image(i).visibility is Visibility.PUBLIC for i in ids)  # type: ignore[union-attr]

    result = bulk(world).delete(owner.id, ids[:2])
    assert [o.status for o in result.outcomes] == [BulkStatus.DELETED] * 2
    assert [world.image(i).deleted for i in ids] == [True, True, False]  # type: ignore[union-attr]
    # a deleted image is not_found from then on, for every action
    assert bulk(world).set_visibility(owner.id, ids[:1], Visibility.PRIVATE).failed == 1
    assert bulk(world).delete(owner.id, ids[:1]).failed == 1


@pytest.mark.parametrize("count", [0, MAX_BULK_IDS + 1])
def test_empty_or_too_long_lists_are_invalid(count: int) -> None:
    world = World()
    with pytest.raises(InvalidInput):
        bulk(world).delete(world.user().id, [uuid.uuid4() for _ in range(count)])


def test_a_repeated_id_is_invalid_and_nothing_changes() -> None:
    world = World()
    owner = world.user()
    image = world.upload_one(owner).image
    with pytest.raises(InvalidInput):
        bulk(world).delete(owner.id, [image.id, image.id])
    assert not world.image(image.id).deleted  # type: ignore[union-attr]


@settings(max_examples=25, deadline=None)
@given(picks=st.lists(st.sampled_from(["mine", "theirs", "missing"]), min_size=1, max_size=8))
def test_succeeded_counts_exactly_the_owners_live_images(picks: list[str]) -> None:
    world = World()
    owner, other = world.user(), world.user()
    ids = [
        world.upload_one(owner if pick == "mine" else other).image.id
        if pick != "missing"
        else uuid.uuid4()
        for pick in picks
    ]
    result = bulk(world).set_visibility(owner.id, ids, Visibility.PRIVATE)
    assert result.succeeded == picks.count("mine")
    assert [o.image_id for o in result.outcomes] == ids
    for pick, image_id in zip(picks, ids, strict=True):
        image = world.image(image_id)
        if image is not None:
            assert (image.visibility is Visibility.PRIVATE) == (pick == "mine")

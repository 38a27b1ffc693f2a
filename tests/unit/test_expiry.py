"""Expiry in the domain (issue 17 item 2), on the memory adapters and a FixedClock: an image
uploaded with `expires_in` is seen until its expiry and NotFound from that moment for every
reader and use case (page, owner edits, delete link, album, profile, gallery listing and
count); purge then marks it deleted and removes it at once, releasing its bytes only with the
last reference."""

from __future__ import annotations

import pytest

from imgtree.domain.commands import ImageChanges
from imgtree.domain.errors import InvalidInput, NotFound
from imgtree.domain.model import MAX_EXPIRES_IN, Visibility
from imgtree.domain.use_cases.albums import Albums
from imgtree.domain.use_cases.edit_image import EditImage
from imgtree.domain.use_cases.list_images import ListImages
from imgtree.domain.use_cases.profile import ViewProfile
from imgtree.domain.use_cases.purge import Purge
from imgtree.domain.use_cases.view_image import ViewImage
from tests.support.world import World, png


@pytest.fixture
def world() -> World:
    return World()


def test_an_expiring_image_is_gone_for_every_use_case_at_its_expiry(world: World) -> None:
    owner = world.user()
    album = world.album(owner)
    done = world.upload_one(owner, expires_in=60, album_id=album.id, visibility=Visibility.PUBLIC)
    kept = world.upload_one(owner, album_id=album.id, visibility=Visibility.PUBLIC)
    image = done.image
    assert image.expires_at is not None
    assert (image.expires_at - image.created_at).total_seconds() == 60
    view = ViewImage(world.uow, clock=world.clock)
    listing = ListImages(world.uow, clock=world.clock)
    albums = Albums(world.uow, world.clock, world.random)
    profile = ViewProfile(world.uow, clock=world.clock)
    edit = EditImage(world.uow, clock=world.clock)

    world.clock.advance(59)
    assert view(image.slug) == image
    assert view(image.slug, viewer_id=owner.id) == image
    assert listing(owner.id).total == 2
    assert albums.view(album.id, viewer_id=None).images.total == 2
    assert profile(owner.id).images.total == 2

    world.clock.advance(1)  # the moment of expiry
    for attempt in (
        lambda: view(image.slug),
        lambda: view(image.slug, viewer_id=owner.id),
        lambda: edit(owner.id, image.id, ImageChanges(title="back?")),
        lambda: edit(owner.id, image.id, ImageChanges(expires_in=None)),
        lambda: world.delete().by_owner(owner.id, image.id),
        lambda: world.delete().by_token(image.id, done.delete_token),
    ):
        with pytest.raises(NotFound):
            attempt()
    page = listing(owner.id)
    assert ([i.id for i in page.items], page.total) == ([kept.image.id], 1)
    shown = albums.view(album.id, viewer_id=owner.id)
    assert ([i.id for i in shown.images.items], shown.images.total) == ([kept.image.id], 1)
    assert shown.cover is not None and shown.cover.id == kept.image.id
    (summary,) = albums.list(owner.id)
    assert summary.image_count == 1
    assert [i.id for i in profile(owner.id).images.items] == [kept.image.id]


def test_edit_sets_the_expiry_from_now_and_none_clears_it(world: World) -> None:
    owner = world.user()
    image = world.upload_one(owner).image
    edit = EditImage(world.uow, clock=world.clock)
    world.clock.advance(100)
    edited = edit(owner.id, image.id, ImageChanges(expires_in=3600))
    assert edited.expires_at is not None
    assert (edited.expires_at - world.clock.now()).total_seconds() == 3600
    assert edit(owner.id, image.id, ImageChanges(expires_in=None)).expires_at is None
    for bad in (0, -1, MAX_EXPIRES_IN + 1):
        with pytest.raises(InvalidInput):
            edit(owner.id, image.id, ImageChanges(expires_in=bad))
    stored = world.image(image.id)
    assert stored is not None and stored.expires_at is None  # the refused edits changed nothing


def test_an_upload_with_a_bad_expiry_stores_nothing(world: World) -> None:
    owner = world.user()
    with pytest.raises(InvalidInput):
        world.upload(owner, png(), expires_in=0)
    assert world.all_images() == []
    assert list(world.storage.iter_keys()) == []


def test_purge_removes_expired_images_at_once_keeping_shared_bytes(world: World) -> None:
    owner = world.user()
    going = world.upload_one(owner, expires_in=60).image
    twin = world.upload_one(owner).image  # the same bytes: one stored file for both
    assert twin.storage_key == going.storage_key
    alone = world.upload(owner, png(size=77), expires_in=60)[0].image  # type: ignore[union-attr]
    world.clock.advance(60)
    report = Purge(world.uow, world.storage, world.clock)(retention_seconds=30 * 86400)
    assert report.expired_images == 2
    assert [i.id for i in world.all_images()] == [twin.id]
    keys = set(world.storage.iter_keys())
    assert twin.storage_key in keys and twin.thumb_key in keys
    assert alone.storage_key not in keys and alone.thumb_key not in keys
    with world.uow() as uow:
        user = uow.users.get(owner.id)
    assert user is not None and user.used_bytes == twin.charged_bytes  # the quota is freed


def test_arranging_an_album_names_only_its_unexpired_images(world: World) -> None:
    owner = world.user()
    album = world.album(owner)
    going = world.upload_one(owner, expires_in=60, album_id=album.id).image
    first = world.upload(owner, png(size=61), album_id=album.id)[0].image  # type: ignore[union-attr]
    second = world.upload(owner, png(size=62), album_id=album.id)[0].image  # type: ignore[union-attr]
    world.clock.advance(60)
    albums = Albums(world.uow, world.clock, world.random)
    assert albums.arrange(owner.id, album.id, [second.id, first.id]) == (second.id, first.id)
    shown = albums.view(album.id, viewer_id=owner.id).images.items
    assert [i.id for i in shown] == [second.id, first.id]
    assert going.id not in {i.id for i in shown}

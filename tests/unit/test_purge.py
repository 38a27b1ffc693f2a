"""Purge (expired uploads, old soft-deleted images, orphan blobs) and storage-aware delete."""

from __future__ import annotations

import io
import uuid

import pytest

from imgtree.domain.model import Image, User
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.purge import Purge, PurgeReport
from imgtree.domain.use_cases.upload import IncomingFile, Uploaded, Uploader
from tests.support import imagegen
from tests.support.world import PresignWorld

DAY = 86_400
RETENTION = 7 * DAY
GRACE = 3600


@pytest.fixture
def world() -> PresignWorld:
    return PresignWorld()


def purge(world: PresignWorld) -> PurgeReport:
    return Purge(world.uow, world.storage, world.clock)(
        retention_seconds=RETENTION, orphan_grace_seconds=GRACE
    )


def upload(world: PresignWorld, owner: User | None = None) -> Image:
    (outcome,) = world.uploads()(
        Uploader(user=owner),
        [IncomingFile(io.BytesIO(imagegen.png(16, 16)), "a.png")],
    )
    assert isinstance(outcome, Uploaded), outcome
    return outcome.image


def delete(world: PresignWorld, image: Image) -> None:
    assert image.owner_id is not None
    DeleteImage(world.uow, world.hasher, world.clock, world.storage).by_owner(
        image.owner_id, image.id
    )


def put_blob(world: PresignWorld, key: str) -> None:
    world.storage.put(key, io.BytesIO(b"orphan"), "application/octet-stream")


# --- expired pending uploads ---------------------------------------------------------------------


def test_purge_removes_expired_uploads_with_their_objects(world: PresignWorld) -> None:
    data = imagegen.png()
    received = world.presign_one(None, data)  # PUT, never completed
    world.put(received, data)
    completed = world.presign_one(None, data)
    world.put(completed, data)
    outcome = world.complete_one(None, completed.completion_token)
    assert isinstance(outcome, Uploaded)
    never_put = world.presign_one(None, data)
    world.clock.advance(900 + GRACE + 1)  # all three expired more than the grace period ago
    fresh = world.presign_one(None, data)
    world.put(fresh, data)
    live_keys = {outcome.image.storage_key, outcome.image.thumb_key}

    report = purge(world)

    assert report == PurgeReport(expired_uploads=3)
    assert set(world.store.tables.pending_uploads) == {fresh.pending.id}
    assert set(world.storage.keys()) == live_keys | {fresh.pending.object_key}
    assert world.images() == [outcome.image]  # completing then purging keeps the image
    for gone in (received, completed, never_put):
        assert world.pending(gone.pending.id) is None


def test_purge_keeps_uploads_that_expired_within_the_grace_period(world: PresignWorld) -> None:
    """A PUT accepted just before expiry may still be streaming its bytes."""
    data = imagegen.png()
    done = world.presign_one(None, data)
    world.put(done, data)
    world.clock.advance(900 + GRACE - 1)
    assert purge(world) == PurgeReport()
    assert world.pending(done.pending.id) is not None
    assert world.storage.keys() == [done.pending.object_key]
    world.clock.advance(2)
    assert purge(world) == PurgeReport(expired_uploads=1)
    assert world.storage.keys() == []


# --- soft-deleted images -------------------------------------------------------------------------


def test_purge_removes_images_deleted_before_the_retention(world: PresignWorld) -> None:
    owner = world.user()
    old, recent, live = upload(world, owner), upload(world, owner), upload(world, owner)
    delete(world, old)
    world.clock.advance(RETENTION - 10)
    delete(world, recent)
    world.clock.advance(11)  # old: deleted RETENTION + 1 ago; recent: 11 s ago

    report = purge(world)

    assert report == PurgeReport(purged_images=1)
    assert world.image_ids() == {recent.id, live.id}
    assert set(world.storage.keys()) == {
        recent.storage_key,
        recent.thumb_key,
        live.storage_key,
        live.thumb_key,
    }


# --- orphan blobs --------------------------------------------------------------------------------


def test_purge_removes_old_orphans_and_keeps_young_or_referenced_blobs(
    world: PresignWorld,
) -> None:
    owner = world.user()
    image = upload(world, owner)
    data = imagegen.png()
    pending = world.presign_one(None, data, size=len(data))
    world.put(pending, data)
    old_orphans = [
        f"images/{uuid.uuid4()}.png",
        f"thumbs/{uuid.uuid4()}.webp",
        f"uploads/{uuid.uuid4()}.png",
        f"images/{image.id}.gif",  # the right id, but not the image's key
        "images/not-a-uuid.png",
    ]
    for key in old_orphans:
        put_blob(world, key)
    world.clock.advance(GRACE + 1)
    young = [f"images/{uuid.uuid4()}.png", f"thumbs/{uuid.uuid4()}.png"]  # an upload in flight
    for key in young:
        put_blob(world, key)
    put_blob(world, "elsewhere/not-ours.bin")  # outside imgtree's prefixes

    report = purge(world)

    assert report == PurgeReport(orphan_blobs=len(old_orphans))
    assert set(world.storage.keys()) == {
        image.storage_key,
        image.thumb_key,
        pending.pending.object_key,  # the upload has not expired
        *young,
        "elsewhere/not-ours.bin",
    }
    assert world.image_ids() == {image.id}


def test_purge_twice_is_idempotent(world: PresignWorld) -> None:
    owner = world.user()
    gone, kept = upload(world, owner), upload(world, owner)
    delete(world, gone)
    data = imagegen.png()
    expired = world.presign_one(None, data)
    world.put(expired, data)
    put_blob(world, f"images/{uuid.uuid4()}.png")
    world.clock.advance(RETENTION + 1)

    first = purge(world)
    keys_after_first = world.storage.keys()
    second = purge(world)

    assert first == PurgeReport(expired_uploads=1, purged_images=1, orphan_blobs=1)
    assert second == PurgeReport()
    assert world.storage.keys() == keys_after_first == sorted([kept.storage_key, kept.thumb_key])
    assert world.image_ids() == {kept.id}
    assert world.store.tables.pending_uploads == {}


def test_purge_of_an_empty_store(world: PresignWorld) -> None:
    assert purge(world) == PurgeReport()


# --- DeleteImage and the storage -----------------------------------------------------------------


def test_delete_on_a_public_bucket_removes_the_blobs_at_once() -> None:
    world = PresignWorld(bucket=True)
    owner = world.user()
    image, other = upload(world, owner), upload(world, owner)

    delete(world, image)

    assert world.storage.keys() == sorted([other.storage_key, other.thumb_key])
    got = world.image(image.id)
    assert got is not None and got.deleted  # the row stays until purge
    world.clock.advance(RETENTION + 1)
    assert purge(world) == PurgeReport(purged_images=1)
    assert world.image_ids() == {other.id}


def test_delete_on_app_served_storage_keeps_the_blobs_until_purge(world: PresignWorld) -> None:
    owner = world.user()
    image = upload(world, owner)
    delete(world, image)
    assert world.storage.keys() == sorted([image.storage_key, image.thumb_key])
    world.clock.advance(RETENTION + 1)
    assert purge(world) == PurgeReport(purged_images=1)
    assert world.storage.keys() == []
    assert world.image(image.id) is None


def test_delete_without_a_storage_keeps_the_blobs(world: PresignWorld) -> None:
    owner = world.user()
    image = upload(world, owner)
    DeleteImage(world.uow, world.hasher, world.clock).by_owner(owner.id, image.id)
    assert world.storage.keys() == sorted([image.storage_key, image.thumb_key])

"""Shared blobs on the memory adapters: the same published bytes are stored once, counted,
and deleted only with their last reference (domain/services/shared_blobs.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from imgtree.adapters.memory import MemoryBlobStorage
from imgtree.domain.model import Image, User
from imgtree.domain.ports import BlobInfo
from imgtree.domain.services.shared_blobs import stem_of
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.purge import Purge, PurgeReport
from imgtree.domain.use_cases.upload import IncomingFile, Uploaded, Uploader
from tests.support import imagegen
from tests.support.world import PresignWorld

RETENTION = 7 * 86_400
CONTENTS = [imagegen.png(16, 16), imagegen.png(17, 16), imagegen.png(16, 17)]


def upload(world: PresignWorld, owner: User | None, data: bytes = CONTENTS[0]) -> Image:
    (outcome,) = world.uploads()(Uploader(user=owner), [IncomingFile(io.BytesIO(data), "a.png")])
    assert isinstance(outcome, Uploaded), outcome
    return outcome.image


def delete(world: PresignWorld, image: Image) -> None:
    assert image.owner_id is not None
    DeleteImage(world.uow, world.hasher, world.clock, world.storage).by_owner(
        image.owner_id, image.id
    )


def purge(world: PresignWorld) -> PurgeReport:
    world.clock.advance(RETENTION + 1)
    return Purge(world.uow, world.storage, world.clock)(retention_seconds=RETENTION)


def serves(world: PresignWorld, image: Image) -> bool:
    try:
        with world.storage.open(image.storage_key) as f:
            published = f.read()
    except KeyError:
        return False
    return world.storage.stat(image.thumb_key) is not None and len(published) > 0


def refs(world: PresignWorld, image: Image) -> int:
    return world.store.tables.blobs.get(stem_of(image.storage_key), 0)


def test_the_same_file_twice_is_stored_once_and_both_serve() -> None:
    world = PresignWorld()
    ann, bob = world.user(), world.user()
    first, second = upload(world, ann), upload(world, bob)
    assert first.id != second.id and first.slug != second.slug
    assert (first.storage_key, first.thumb_key) == (second.storage_key, second.thumb_key)
    assert world.storage.keys() == sorted([first.storage_key, first.thumb_key])
    assert refs(world, first) == 2
    assert serves(world, first) and serves(world, second)


def test_quota_charges_each_owner_their_own_images() -> None:
    """Dedupe saves the operator storage; it is no discount (and reveals nothing)."""
    world = PresignWorld()
    ann, bob = world.user(), world.user()
    first, second = upload(world, ann), upload(world, bob)
    third = upload(world, ann)
    with world.uow() as uow:
        assert uow.users.get(ann.id).used_bytes == first.size_bytes + third.size_bytes  # type: ignore[union-attr]
        assert uow.users.get(bob.id).used_bytes == second.size_bytes  # type: ignore[union-attr]


@pytest.mark.parametrize("deleted_first", [0, 1])
def test_deleting_either_copy_keeps_the_bytes_of_the_other(deleted_first: int) -> None:
    world = PresignWorld()
    owner = world.user()
    copies = [upload(world, owner), upload(world, owner)]
    gone, kept = copies[deleted_first], copies[1 - deleted_first]

    delete(world, gone)
    assert serves(world, kept)
    assert purge(world) == PurgeReport(purged_images=1)

    assert world.image_ids() == {kept.id}
    assert serves(world, kept) and refs(world, kept) == 1

    delete(world, kept)
    assert purge(world) == PurgeReport(purged_images=1)
    assert world.storage.keys() == [] and world.store.tables.blobs == {}


def test_the_last_reference_takes_thumbnails_and_renditions_with_it() -> None:
    world = PresignWorld()
    owner = world.user()
    a, b = upload(world, owner), upload(world, owner)
    stem = stem_of(a.storage_key)
    rendition = f"renditions/{stem}.8.png"
    world.storage.put(rendition, io.BytesIO(imagegen.png(8, 8)), "image/png")
    delete(world, a)
    purge(world)
    assert world.storage.stat(rendition) is not None  # shared: b still uses it
    delete(world, b)
    purge(world)
    assert world.storage.keys() == []


def test_different_files_are_counted_apart() -> None:
    world = PresignWorld()
    owner = world.user()
    a, b = upload(world, owner, CONTENTS[0]), upload(world, owner, CONTENTS[1])
    assert a.storage_key != b.storage_key
    delete(world, a)
    purge(world)
    assert world.storage.keys() == sorted([b.storage_key, b.thumb_key])


def test_public_bucket_delete_keeps_bytes_another_live_image_shows() -> None:
    world = PresignWorld(bucket=True)
    owner = world.user()
    a, b = upload(world, owner), upload(world, owner)
    delete(world, a)
    assert serves(world, b)  # b is live: the bytes stay public
    delete(world, b)
    assert world.storage.keys() == []  # no live image shows them: gone at once
    assert refs(world, a) == 2  # the rows keep their references until purge
    again = upload(world, owner)  # the same file once more is stored again
    assert serves(world, again) and refs(world, again) == 3
    purge(world)
    assert serves(world, again) and refs(world, again) == 1


class _RacingStorage(MemoryBlobStorage):
    """Runs `race` right after the uploader's first look at a published key: the last
    reference is released between "the bytes are stored, skip the put" and the transaction."""

    race: Any = None

    def stat(self, key: str) -> BlobInfo | None:
        info = super().stat(key)
        race, self.race = self.race, None
        if race is not None and key.startswith("images/"):
            race()
        return info


def test_bytes_deleted_after_the_uploader_looked_are_put_again_under_the_lock() -> None:
    world = PresignWorld()
    world.storage = _RacingStorage(world.clock)
    owner = world.user()
    old = upload(world, owner)
    delete(world, old)
    world.clock.advance(RETENTION + 1)
    world.storage.race = lambda: Purge(world.uow, world.storage, world.clock)(
        retention_seconds=RETENTION
    )
    new = upload(world, owner)  # saw the bytes, skipped its put; purge then deleted them
    assert world.image_ids() == {new.id}
    assert serves(world, new) and refs(world, new) == 1


def test_a_failed_upload_keeps_bytes_another_image_uses() -> None:
    world = PresignWorld()
    owner, capped = world.user(), world.user(quota_bytes=0)
    kept = upload(world, owner)
    (refused,) = world.uploads()(
        Uploader(user=capped), [IncomingFile(io.BytesIO(CONTENTS[0]), "a.png")]
    )
    assert not isinstance(refused, Uploaded)
    assert serves(world, kept) and refs(world, kept) == 1


# --- any sequence of uploads, deletes and purges --------------------------------------------


class SharedBlobsMachine(RuleBasedStateMachine):
    images = Bundle("images")

    @initialize(bucket=st.booleans())
    def setup(self, bucket: bool) -> None:
        self.world = PresignWorld(bucket=bucket)
        self.owners = [self.world.user(), self.world.user()]

    @rule(target=images, content=st.integers(0, len(CONTENTS) - 1), owner=st.integers(0, 1))
    def upload(self, content: int, owner: int) -> Image:
        return upload(self.world, self.owners[owner], CONTENTS[content])

    @rule(image=images)
    def delete(self, image: Image) -> None:
        current = self.world.image(image.id)
        if current is not None and not current.deleted:
            delete(self.world, image)

    @rule()
    def purge(self) -> None:
        purge(self.world)

    @invariant()
    def every_kept_image_is_stored_and_every_reference_counted(self) -> None:
        if not hasattr(self, "world"):
            return
        rows = self.world.images()  # live and soft-deleted
        stored = set(self.world.storage.keys())
        using: dict[str, int] = {}
        for image in rows:
            using[stem_of(image.storage_key)] = using.get(stem_of(image.storage_key), 0) + 1
            if not image.deleted or not self.world.bucket:
                assert {image.storage_key, image.thumb_key} <= stored, image
        assert self.world.store.tables.blobs == using
        for key in stored:
            assert key.startswith(("images/", "thumbs/"))
            assert using.get(stem_of(key), 0) > 0, f"stored but unreferenced: {key}"


SharedBlobsMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSharedBlobsMachine = SharedBlobsMachine.TestCase

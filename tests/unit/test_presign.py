"""Presign -> PUT -> complete, against the memory adapters and the real Pillow processor.

Pillow on 64x48 test images is fast, and it is what tells a JPEG from a PNG for real.
`PresignWorld` lives in tests/support/world.py (test_purge.py uses it too).
"""

from __future__ import annotations

import io
import re
import threading
import uuid
from collections.abc import Sequence
from typing import BinaryIO

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgtree.adapters.memory import MemoryBlobStorage
from imgtree.domain.errors import (
    Conflict,
    DomainError,
    FileTooLarge,
    Forbidden,
    InvalidInput,
    NoFiles,
    NotFound,
    NotUploaded,
    QuotaExceeded,
    TooManyOpenUploads,
    UnsupportedMediaType,
)
from imgtree.domain.model import Image, ImageFormat, Visibility
from imgtree.domain.use_cases.presign import (
    INVALID_TOKEN,
    Presigned,
    PresignFailed,
    PresignOutcome,
    PresignRequest,
)
from imgtree.domain.use_cases.upload import (
    IncomingFile,
    Uploaded,
    Uploader,
    UploadFailed,
)
from tests.support import imagegen
from tests.support.world import MAX_BYTES, BucketStorage, PresignWorld

OBJECT_KEY_RE = re.compile(r"^uploads/[0-9a-f-]{36}\.(png|jpg|gif|webp)$")


class Unreadable(io.BytesIO):
    """A request body that must not be read."""

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body was read")


def failed(outcome: object, error: type[DomainError], message: str | None = None) -> DomainError:
    assert isinstance(outcome, PresignFailed | UploadFailed), outcome
    assert type(outcome.error) is error, outcome.error
    if message is not None:
        assert outcome.error.message == message
    return outcome.error


def presigned(outcomes: Sequence[PresignOutcome]) -> list[Presigned]:
    return [o for o in outcomes if isinstance(o, Presigned)]


@pytest.fixture
def world() -> PresignWorld:
    return PresignWorld()


# --- PresignUploads ------------------------------------------------------------------------------


def test_presign_reports_one_outcome_per_item_in_order(world: PresignWorld) -> None:
    user = world.user()
    outcomes = world.presign()(
        Uploader(user=user),
        [
            PresignRequest("a.png", "image/png", 100),
            PresignRequest("   ", "image/png", 100),
            PresignRequest("b.txt", "text/plain", 100),
            PresignRequest("c.jpg", "Image/JPEG; charset=binary", 200),
        ],
    )
    assert [type(o) for o in outcomes] == [Presigned, PresignFailed, PresignFailed, Presigned]
    failed(outcomes[1], InvalidInput, "Filename required")
    failed(outcomes[2], UnsupportedMediaType)
    first, second = presigned(outcomes)
    assert (first.pending.filename, first.pending.declared_type, first.pending.declared_size) == (
        "a.png",
        ImageFormat.PNG,
        100,
    )
    assert (second.pending.declared_type, second.pending.declared_size) == (ImageFormat.JPEG, 200)
    for p in (first, second):
        assert OBJECT_KEY_RE.match(p.pending.object_key)
        assert p.pending.object_key.startswith(f"uploads/{p.pending.id}.")
        assert p.pending.owner_id == user.id
        assert p.pending.created_at == world.clock.now()
        assert (p.pending.expires_at - p.pending.created_at).total_seconds() == 900
        assert world.pending(p.pending.id) == p.pending
        assert p.direct_put_url is None  # memory storage cannot presign
    assert second.pending.object_key.endswith(".jpg")
    assert len(world.store.tables.pending_uploads) == 2
    assert world.storage.keys() == []  # nothing is written before the PUT


# Wire values of the wrong type (42, b"cat.png", a size of "100") reach the domain as None:
# tests/http/test_commands.py.
@pytest.mark.parametrize("filename", [None, "", "   ", "\t\n"])
def test_presign_requires_a_filename(world: PresignWorld, filename: str | None) -> None:
    (outcome,) = world.presign()(Uploader(), [PresignRequest(filename, "image/png", 10)])
    failed(outcome, InvalidInput, "Filename required")
    assert world.store.tables.pending_uploads == {}


@pytest.mark.parametrize(
    "content_type", [None, "", "text/plain", "image/svg+xml", "image/tiff", "image/"]
)
def test_presign_refuses_types_that_are_not_images(
    world: PresignWorld, content_type: str | None
) -> None:
    (outcome,) = world.presign()(Uploader(), [PresignRequest("x.png", content_type, 10)])
    failed(outcome, UnsupportedMediaType)


def test_presign_refuses_a_type_the_deployment_does_not_allow(world: PresignWorld) -> None:
    world.policy = attrs.evolve(world.policy, allowed_types=(ImageFormat.PNG,))
    outcomes = world.presign()(
        Uploader(),
        [PresignRequest("x.jpg", "image/jpeg", 10), PresignRequest("x.png", "image/png", 10)],
    )
    failed(outcomes[0], UnsupportedMediaType)
    assert isinstance(outcomes[1], Presigned)


@pytest.mark.parametrize("size", [None, 0, -1])
def test_presign_requires_a_positive_integer_size(world: PresignWorld, size: int | None) -> None:
    (outcome,) = world.presign()(Uploader(), [PresignRequest("x.png", "image/png", size)])
    failed(outcome, InvalidInput)


def test_presign_size_limit(world: PresignWorld) -> None:
    outcomes = world.presign()(
        Uploader(),
        [
            PresignRequest("big.png", "image/png", MAX_BYTES + 1),
            PresignRequest("max.png", "image/png", MAX_BYTES),
        ],
    )
    failed(outcomes[0], FileTooLarge)
    assert isinstance(outcomes[1], Presigned)


def test_presign_counts_quota_room_across_the_batch(world: PresignWorld) -> None:
    user = world.user(quota_bytes=1000)
    # 300 bytes already used by a live image (a deleted one does not count).
    with world.uow() as uow:
        for deleted_at in (None, world.clock.now()):
            image_id = uuid.uuid4()
            uow.images.add(
                Image(
                    id=image_id,
                    slug=image_id.hex[:8],
                    owner_id=user.id,
                    original_name="x.png",
                    content_type=ImageFormat.PNG,
                    size_bytes=300,
                    width=1,
                    height=1,
                    storage_key=f"images/{image_id}.png",
                    thumb_key=f"thumbs/{image_id}.png",
                    thumb_content_type=ImageFormat.PNG,
                    delete_token_hash="x",
                    created_at=world.clock.now(),
                    deleted_at=deleted_at,
                )
            )
        uow.commit()
    outcomes = world.presign()(
        Uploader(user=user),
        [
            PresignRequest("a.png", "image/png", 400),  # 700 of 1000
            PresignRequest("b.png", "image/png", 400),  # 1100: over
            PresignRequest("c.png", "image/png", 300),  # 1000: a failed item reserved nothing
            PresignRequest("d.png", "image/png", 1),  # 1001: over
        ],
    )
    assert [type(o) for o in outcomes] == [Presigned, PresignFailed, Presigned, PresignFailed]
    failed(outcomes[1], QuotaExceeded)
    failed(outcomes[3], QuotaExceeded)
    # Guests and unlimited accounts have no quota.
    assert isinstance(world.presign_one(None, size=MAX_BYTES), Presigned)
    assert isinstance(world.presign_one(world.user(), size=MAX_BYTES), Presigned)


def test_presign_into_an_album(world: PresignWorld) -> None:
    owner = world.user()
    album = world.album(owner)
    done = world.presign_one(owner, album_id=album.id, visibility=Visibility.PRIVATE)
    assert (done.pending.album_id, done.pending.is_public) == (album.id, False)


def test_presign_into_someone_elses_or_a_missing_album_fails_the_whole_call(
    world: PresignWorld,
) -> None:
    album = world.album(world.user())
    for who, album_id in ((world.user(), album.id), (None, album.id), (world.user(), uuid.uuid4())):
        with pytest.raises(NotFound):
            world.presign()(
                Uploader(user=who), [PresignRequest("a.png", "image/png", 10)], album_id=album_id
            )
    assert world.store.tables.pending_uploads == {}


def test_presign_batch_limits(world: PresignWorld) -> None:
    with pytest.raises(NoFiles):
        world.presign()(Uploader(), [])
    with pytest.raises(InvalidInput):
        world.presign()(Uploader(), [PresignRequest("a.png", "image/png", 10)] * 7)
    assert world.store.tables.pending_uploads == {}
    assert len(world.presign()(Uploader(), [PresignRequest("a.png", "image/png", 10)] * 6)) == 6


def test_presign_with_a_storage_that_presigns_gives_a_direct_url() -> None:
    world = PresignWorld(bucket=True)
    done = world.presign_one(None, content_type="image/webp", size=10, filename="a.webp")
    assert done.direct_put_url == f"https://bucket.test/{done.pending.object_key}?signed=1"
    assert isinstance(world.storage, BucketStorage)
    # The declared size goes to the storage, which signs it with the type.
    assert world.storage.presigned == [(done.pending.object_key, "image/webp", 10, 900)]


def test_presign_stores_only_hashes_of_the_tokens(world: PresignWorld) -> None:
    done = world.presign_one(world.user())
    stored = world.pending(done.pending.id)
    assert stored is not None
    assert done.completion_token != done.put_token
    for token in (done.completion_token, done.put_token):
        assert len(token) >= 43
        assert token not in repr(stored)
    assert world.hasher.verify(done.completion_token, stored.completion_token_hash)
    assert world.hasher.verify(done.put_token, stored.put_token_hash)


@pytest.mark.parametrize("filename", ["../../etc/passwd.png", "a/b\\c.png", "\u202egnp.exe"])
def test_presign_object_key_never_contains_the_filename(world: PresignWorld, filename: str) -> None:
    done = world.presign_one(None, filename=filename)
    assert done.pending.object_key == f"uploads/{done.pending.id}.png"
    assert "/" not in done.pending.filename and "\\" not in done.pending.filename


# --- open presigns: a cap per uploader, and an account's declared bytes reserved ----------------


def capped(world: PresignWorld, cap: int) -> PresignWorld:
    world.policy = attrs.evolve(world.policy, max_open_presigns=cap)
    return world


def test_an_account_holds_at_most_the_cap_of_open_presigns(world: PresignWorld) -> None:
    capped(world, 3)
    user, other = world.user(), world.user()
    outcomes = world.presign()(Uploader(user=user), [PresignRequest("a.png", "image/png", 10)] * 4)
    assert [type(o) for o in outcomes] == [Presigned, Presigned, Presigned, PresignFailed]
    error = failed(outcomes[3], TooManyOpenUploads)
    assert isinstance(error, TooManyOpenUploads)
    assert (error.limit, error.retry_after) == (3, 900)  # until the oldest one expires
    assert "at most 3" in error.message and "900 seconds" in error.message
    world.clock.advance(100.5)
    (again,) = world.presign()(Uploader(user=user), [PresignRequest("a.png", "image/png", 10)])
    assert failed(again, TooManyOpenUploads).retry_after == 800  # rounded up, never 0
    # The cap is per account: another one (or a guest) is not affected.
    world.presign_one(other, size=10)
    world.presign_one(None, size=10)
    assert len(world.store.tables.pending_uploads) == 5


def test_a_completed_or_expired_presign_frees_its_slot(world: PresignWorld) -> None:
    capped(world, 2)
    user = world.user()
    data = imagegen.png()
    first = world.presign_one(user, data)
    world.clock.advance(60)
    world.presign_one(user, data)
    (refused,) = world.presign()(Uploader(user=user), [PresignRequest("a.png", "image/png", 10)])
    failed(refused, TooManyOpenUploads)
    # Completing claims the upload: its slot is free at once.
    world.put(first, data)
    assert isinstance(world.complete_one(user, first.completion_token), Uploaded)
    third = world.presign_one(user, data)
    failed(
        world.presign()(Uploader(user=user), [PresignRequest("a.png", "image/png", 1)])[0],
        TooManyOpenUploads,
    )
    # A claim that fails (here: not an image) frees the slot too.
    world.put(third, b"not an image")
    failed(world.complete_one(user, third.completion_token), UnsupportedMediaType)
    world.presign_one(user, data)
    # Expiry frees the rest.
    world.clock.advance(900)
    for _ in range(2):
        world.presign_one(user, data)


def test_guests_hold_at_most_the_cap_of_open_presigns_per_address(world: PresignWorld) -> None:
    capped(world, 2)
    here, there = Uploader(address="203.0.113.7"), Uploader(address="2001:db8::7")
    outcomes = world.presign()(here, [PresignRequest("a.png", "image/png", 10)] * 3)
    assert [type(o) for o in outcomes] == [Presigned, Presigned, PresignFailed]
    failed(outcomes[2], TooManyOpenUploads)
    assert all(p.pending.address == "203.0.113.7" for p in presigned(outcomes))
    # Another address has its own slots; guests without an address share one set.
    assert len(presigned(world.presign()(there, [PresignRequest("a.png", "image/png", 1)] * 2)))
    nowhere = world.presign()(Uploader(), [PresignRequest("a.png", "image/png", 1)] * 3)
    assert [type(o) for o in nowhere] == [Presigned, Presigned, PresignFailed]
    # An account's presigns neither count against an address nor record one.
    user = world.user()
    done = world.presign_one(Uploader(user=user, address="203.0.113.7"), size=10)
    assert done.pending.address is None
    failed(world.presign()(here, [PresignRequest("a.png", "image/png", 1)])[0], TooManyOpenUploads)


def test_open_presigns_reserve_their_declared_bytes(world: PresignWorld) -> None:
    data = imagegen.png()
    user = world.user(quota_bytes=len(data) * 3)
    open_one = world.presign_one(user, data, size=len(data) * 2)
    # Presigning again must fit beside the reservation...
    (refused,) = world.presign()(
        Uploader(user=user), [PresignRequest("b.png", "image/png", len(data) + 1)]
    )
    error = failed(refused, QuotaExceeded)
    # It says the figures: what the file needs, what is used, the quota, what presigns hold.
    assert isinstance(error, QuotaExceeded)
    assert (error.used_bytes, error.quota_bytes, error.needed_bytes, error.reserved_bytes) == (
        0,
        len(data) * 3,
        len(data) + 1,
        len(data) * 2,
    )
    assert "held by unfinished uploads" in error.message
    world.presign_one(user, data, size=len(data))  # exactly the rest
    # ...and so must a direct upload.
    (direct,) = world.uploads()(Uploader(user=user), [IncomingFile(io.BytesIO(data), "c.png")])
    failed(direct, QuotaExceeded)
    assert world.images() == []
    # Expired presigns hold nothing.
    world.clock.advance(900)
    (direct,) = world.uploads()(Uploader(user=user), [IncomingFile(io.BytesIO(data), "c.png")])
    assert isinstance(direct, Uploaded), direct
    assert world.pending(open_one.pending.id) is not None  # still there, for purge


def test_completing_a_presign_swaps_its_reservation_for_the_published_bytes(
    world: PresignWorld,
) -> None:
    data = imagegen.png()
    # Reserved and used together would not fit: the claimed upload is not counted twice.
    user = world.user(quota_bytes=len(data) * 2)
    done = world.presign_one(user, data, size=len(data) * 2)
    world.put(done, data)
    outcome = world.complete_one(user, done.completion_token)
    assert isinstance(outcome, Uploaded), outcome
    with world.uow() as uow:
        current = uow.users.get(user.id)
        assert uow.pending_uploads.open_for_owner(user.id, world.clock.now()).count == 0
    assert current is not None and current.used_bytes == outcome.image.size_bytes


def test_unlimited_accounts_and_guests_reserve_nothing(world: PresignWorld) -> None:
    for who in (world.user(), None):
        for _ in range(3):
            world.presign_one(who, size=MAX_BYTES)


# --- ReceiveUpload -------------------------------------------------------------------------------


def test_receive_stores_the_bytes_at_the_object_key(world: PresignWorld) -> None:
    data = imagegen.png()
    done = world.presign_one(world.user(), data)
    received = world.receive()(
        done.pending.id, done.put_token, "image/png; charset=binary", io.BytesIO(data), None
    )
    assert received.id == done.pending.id
    assert world.storage.keys() == [done.pending.object_key]
    with world.storage.open(done.pending.object_key) as blob:
        assert blob.read() == data
    info = world.storage.stat(done.pending.object_key)
    assert info is not None and info.content_type == "image/png"
    stored = world.pending(done.pending.id)
    assert stored is not None and stored.received_at == world.clock.now()


def test_receive_accepts_a_body_shorter_than_declared(world: PresignWorld) -> None:
    done = world.presign_one(None, size=1000)
    world.put(done, b"x" * 10)
    info = world.storage.stat(done.pending.object_key)
    assert info is not None and info.size == 10


@pytest.mark.parametrize("token", [None, "", "wrong", "completion"])
def test_receive_with_a_wrong_or_missing_token_is_forbidden(
    world: PresignWorld, token: str | None
) -> None:
    done = world.presign_one(None)
    if token == "completion":
        token = done.completion_token  # the other token opens nothing here
    with pytest.raises(Forbidden):
        world.receive()(done.pending.id, token, "image/png", io.BytesIO(b"x"), 1)
    with pytest.raises(Forbidden):
        world.receive()(uuid.uuid4(), done.put_token, "image/png", io.BytesIO(b"x"), 1)
    assert world.storage.keys() == []
    world.put(done, b"x")  # nothing was used up


def test_receive_after_expiry_is_forbidden(world: PresignWorld) -> None:
    done = world.presign_one(None)
    world.clock.advance(900)
    with pytest.raises(Forbidden):
        world.put(done, b"x")
    assert world.storage.keys() == []


@pytest.mark.parametrize("content_type", [None, "", "image/jpeg", "application/octet-stream"])
def test_receive_needs_the_declared_content_type(
    world: PresignWorld, content_type: str | None
) -> None:
    done = world.presign_one(None)
    with pytest.raises(UnsupportedMediaType):
        world.receive()(done.pending.id, done.put_token, content_type, io.BytesIO(b"x"), 1)
    assert world.storage.keys() == []
    world.put(done, b"x")  # the refused PUT did not use the upload up


def test_receive_refuses_a_content_length_over_declared_without_reading(
    world: PresignWorld,
) -> None:
    done = world.presign_one(None, size=100)
    with pytest.raises(FileTooLarge):
        world.receive()(done.pending.id, done.put_token, "image/png", Unreadable(), 101)
    assert world.storage.keys() == []
    world.put(done, b"x" * 100)  # not used up either


def test_receive_refuses_a_body_longer_than_declared(world: PresignWorld) -> None:
    done = world.presign_one(None, size=100)
    with pytest.raises(FileTooLarge):
        world.receive()(done.pending.id, done.put_token, "image/png", io.BytesIO(b"x" * 101), None)
    assert world.storage.keys() == []


def test_receive_accepts_one_put_only(world: PresignWorld) -> None:
    done = world.presign_one(None, size=10)
    world.put(done, b"first")
    with pytest.raises(Conflict):
        world.put(done, b"second")
    with world.storage.open(done.pending.object_key) as blob:
        assert blob.read() == b"first"


def test_receive_after_a_direct_complete_is_a_conflict(world: PresignWorld) -> None:
    data = imagegen.png()
    done = world.presign_one(None, data)
    world.storage.put(done.pending.object_key, io.BytesIO(data), "image/png")  # straight in
    assert isinstance(world.complete_one(None, done.completion_token), Uploaded)
    with pytest.raises(Conflict):
        world.put(done, data)
    assert world.storage.stat(done.pending.object_key) is None


# --- CompleteUploads -----------------------------------------------------------------------------


def test_complete_publishes_the_image(world: PresignWorld) -> None:
    user = world.user()
    key = world.api_key(user)
    album = world.album(user)
    uploader = Uploader(user=user, api_key_id=key.id)
    data = imagegen.png(64, 48)
    done = world.presign_one(
        uploader, data, album_id=album.id, visibility=Visibility.PRIVATE, filename="c.png"
    )
    world.put(done, data)
    world.clock.advance(5)

    outcome = world.complete_one(uploader, done.completion_token)

    assert isinstance(outcome, Uploaded), outcome
    image = outcome.image
    assert world.images() == [image]
    assert (image.owner_id, image.api_key_id, image.album_id, image.is_public) == (
        user.id,
        key.id,
        album.id,
        False,
    )
    assert (image.original_name, image.content_type, image.width, image.height) == (
        "c.png",
        ImageFormat.PNG,
        64,
        48,
    )
    assert image.created_at == world.clock.now()
    assert world.hasher.verify(outcome.delete_token, image.delete_token_hash)
    # Published bytes and thumbnail stored; the raw object is gone.
    assert world.storage.keys() == sorted([image.storage_key, image.thumb_key])
    stored = world.pending(done.pending.id)
    assert stored is not None
    assert (stored.image_id, stored.claimed_at) == (image.id, world.clock.now())
    with world.uow() as uow:
        got = uow.api_keys.get(key.id)
    assert got is not None and got.upload_count == 1


def test_complete_before_the_put_keeps_the_token_usable(world: PresignWorld) -> None:
    data = imagegen.png()
    done = world.presign_one(None, data)
    early = world.complete_one(None, done.completion_token)
    assert "upload the file" in failed(early, NotUploaded).message
    world.put(done, data)
    assert isinstance(world.complete_one(None, done.completion_token), Uploaded)


def test_complete_after_expiry_is_an_invalid_token(world: PresignWorld) -> None:
    data = imagegen.png()
    done = world.presign_one(None, data)
    world.put(done, data)
    world.clock.advance(900)
    failed(world.complete_one(None, done.completion_token), InvalidInput, INVALID_TOKEN)
    assert world.images() == []


def test_complete_someone_elses_token_is_an_invalid_token(world: PresignWorld) -> None:
    owner = world.user()
    data = imagegen.png()
    done = world.presign_one(owner, data)
    world.put(done, data)
    for who in (world.user(), None):
        failed(world.complete_one(who, done.completion_token), InvalidInput, INVALID_TOKEN)
    guest = world.presign_one(None, data)
    world.put(guest, data)
    failed(world.complete_one(owner, guest.completion_token), InvalidInput, INVALID_TOKEN)
    assert world.images() == []
    # Nothing was used up by the failed attempts.
    assert isinstance(world.complete_one(owner, done.completion_token), Uploaded)
    assert isinstance(world.complete_one(None, guest.completion_token), Uploaded)


@pytest.mark.parametrize("token", ["", "nope", "x" * 201, "put"])
def test_complete_with_an_unknown_token(world: PresignWorld, token: str) -> None:
    done = world.presign_one(None)
    if token == "put":
        token = done.put_token
    failed(world.complete_one(None, token), InvalidInput, INVALID_TOKEN)


def test_complete_twice_is_an_error(world: PresignWorld) -> None:
    data = imagegen.png()
    done = world.presign_one(None, data)
    world.put(done, data)
    first = world.complete()(Uploader(), [done.completion_token, done.completion_token])
    assert isinstance(first[0], Uploaded)
    failed(first[1], InvalidInput, INVALID_TOKEN)
    failed(world.complete_one(None, done.completion_token), InvalidInput, INVALID_TOKEN)
    assert len(world.images()) == 1


def test_complete_an_object_larger_than_declared(world: PresignWorld) -> None:
    data = imagegen.png()
    done = world.presign_one(None, data, size=len(data) - 1)
    # A direct bucket PUT is not size-checked by the app: complete must catch it.
    world.storage.put(done.pending.object_key, io.BytesIO(data), "image/png")
    failed(world.complete_one(None, done.completion_token), FileTooLarge)
    assert world.images() == []
    assert world.storage.keys() == []


class RePutStorage(MemoryBlobStorage):
    """Simulates a second direct PUT to the presigned URL landing between stat and open."""

    replacement: bytes | None = None

    def open(self, key: str) -> BinaryIO:
        if self.replacement is not None:
            self.put(key, io.BytesIO(self.replacement), "image/png")
        return super().open(key)


def test_complete_checks_the_size_of_the_bytes_it_actually_reads(world: PresignWorld) -> None:
    storage = RePutStorage(world.clock)
    world.storage = storage
    small, big = imagegen.png(8, 8), imagegen.png(64, 48)
    assert len(small) < len(big) < MAX_BYTES
    done = world.presign_one(None, small)
    world.put(done, small)
    storage.replacement = big
    failed(world.complete_one(None, done.completion_token), FileTooLarge)
    assert world.images() == []
    assert storage.keys() == []


@pytest.mark.parametrize(
    ("declared", "data"),
    [
        ("image/png", imagegen.jpeg()),
        ("image/jpeg", imagegen.png()),
        ("image/gif", imagegen.webp()),
    ],
)
def test_complete_refuses_bytes_of_another_type_than_declared(
    world: PresignWorld, declared: str, data: bytes
) -> None:
    done = world.presign_one(None, data, content_type=declared)
    world.put(done, data)
    failed(world.complete_one(None, done.completion_token), UnsupportedMediaType)
    assert world.images() == []
    assert world.storage.keys() == []  # raw object deleted, nothing published


@pytest.mark.parametrize("data", [b"not an image at all", imagegen.png()[:40]])
def test_complete_refuses_garbage_and_deletes_the_object(world: PresignWorld, data: bytes) -> None:
    done = world.presign_one(None, data)
    world.put(done, data)
    outcome = world.complete_one(None, done.completion_token)
    assert isinstance(outcome, UploadFailed) and isinstance(outcome.error, DomainError)
    assert world.images() == []
    assert world.storage.keys() == []


def test_complete_keeps_order_and_fails_bad_items_alone(world: PresignWorld) -> None:
    data = imagegen.png()
    first, second = world.presign_one(None, data), world.presign_one(None, data)
    for done in (first, second):
        world.put(done, data)
    tokens = ["", first.completion_token, "5", "x" * 201, second.completion_token, "nope"]
    outcomes = world.complete()(Uploader(), tokens)
    assert [type(o) for o in outcomes] == [
        UploadFailed,
        Uploaded,
        UploadFailed,
        UploadFailed,
        Uploaded,
        UploadFailed,
    ]
    for i in (0, 2, 3, 5):
        failed(outcomes[i], InvalidInput, INVALID_TOKEN)
    ids = [o.image.id for o in outcomes if isinstance(o, Uploaded)]
    pendings = [world.pending(p.pending.id) for p in (first, second)]
    assert [p.image_id if p else None for p in pendings] == ids


def test_complete_batch_limits(world: PresignWorld) -> None:
    with pytest.raises(NoFiles):
        world.complete()(Uploader(), [])
    with pytest.raises(InvalidInput):
        world.complete()(Uploader(), ["x"] * 7)
    assert len(world.complete()(Uploader(), ["x"] * 6)) == 6


def test_complete_checks_the_quota_on_the_published_size(world: PresignWorld) -> None:
    data = imagegen.png()
    user = world.user(quota_bytes=len(data) * 2)
    first, second = world.presign_one(user, data), world.presign_one(user, data)
    for done in (first, second):
        world.put(done, data)
    with world.uow() as uow:
        uow.users.update(attrs.evolve(user, quota_bytes=len(data)))
        uow.commit()
    user = attrs.evolve(user, quota_bytes=len(data))
    outcomes = world.complete()(
        Uploader(user=user), [first.completion_token, second.completion_token]
    )
    # The second upload, still open, holds its declared bytes while the first completes;
    # the first, claimed (failed or not), no longer holds any when the second completes.
    failed(outcomes[0], QuotaExceeded)
    assert isinstance(outcomes[1], Uploaded)
    assert world.storage.keys() == sorted(
        [outcomes[1].image.storage_key, outcomes[1].image.thumb_key]
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(threads=st.integers(min_value=1, max_value=20))
def test_concurrent_completes_of_one_token_publish_exactly_one_image(threads: int) -> None:
    world = PresignWorld()
    user = world.user()
    key = world.api_key(user)
    uploader = Uploader(user=user, api_key_id=key.id)
    data = imagegen.png(16, 16)
    done = world.presign_one(uploader, data)
    world.put(done, data)
    barrier = threading.Barrier(threads)
    outcomes: list[object] = []
    errors: list[BaseException] = []

    def complete() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.extend(world.complete()(uploader, [done.completion_token]))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=complete) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=30)
    assert not errors, errors
    assert len(outcomes) == threads
    winners = [o for o in outcomes if isinstance(o, Uploaded)]
    assert len(winners) == 1
    assert all(isinstance(o, UploadFailed) for o in outcomes if o not in winners)
    (image,) = world.images()
    assert image == winners[0].image
    assert world.storage.keys() == sorted([image.storage_key, image.thumb_key])
    with world.uow() as uow:
        got = uow.api_keys.get(key.id)
    assert got is not None and got.upload_count == 1

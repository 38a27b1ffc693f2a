"""Use cases against the in-memory adapters and a fake image processor (no Pillow, no I/O).

The fakes and the `World` that wires them live in tests/support/world.py.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgtree.adapters.memory import (
    FixedClock,
    MemoryRateLimiter,
    MemoryStore,
    MemoryUnitOfWork,
    memory_uow_factory,
)
from imgtree.adapters.system import Argon2PasswordHasher, SystemRandom
from imgtree.domain.errors import (
    AccountInactive,
    Conflict,
    FileTooLarge,
    Forbidden,
    InvalidImage,
    InvalidInput,
    NoFiles,
    NotFound,
    QuotaExceeded,
    RateLimited,
    StorageUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
)
from imgtree.domain.model import (
    SLUG_ALPHABET,
    SLUG_LENGTH,
    SLUG_MAX_LENGTH,
    SLUG_MIN_LENGTH,
    Image,
    ImageFormat,
    User,
    Visibility,
)
from imgtree.domain.policies import PagePolicy, RatePolicy, UploadPolicy
from imgtree.domain.ports import RateDecision, UnitOfWorkFactory
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.capabilities import DescribeCapabilities
from imgtree.domain.use_cases.keys import (
    ListApiKeys,
    RevokeApiKey,
)
from imgtree.domain.use_cases.list_images import ListImages
from imgtree.domain.use_cases.rate_limit import EnforceRateLimit
from imgtree.domain.use_cases.upload import (
    IncomingFile,
    Uploaded,
    Uploader,
    UploadFailed,
)
from imgtree.domain.use_cases.view_image import ViewImage
from tests.support.factories import make_image
from tests.support.world import PNG_MAGIC, World, jpeg, png, text

KEY_RE = re.compile(r"^imgt_[a-z0-9]{12}_[A-Za-z0-9]{49}$")
# Content-addressed: the SHA-256 (hex) of the published bytes.
STORAGE_KEY_RE = re.compile(r"^(images|thumbs)/[0-9a-f]{64}\.(png|jpg|gif)$")

# --- fakes -------------------------------------------------------------------------------------


class ScriptedRandom(SystemRandom):
    """SystemRandom whose choice_string returns scripted values first (to force collisions)."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = list(strings)

    def choice_string(self, alphabet: str, length: int) -> str:
        if self.strings:
            return self.strings.pop(0)
        return super().choice_string(alphabet, length)


class FailingCommitUow:
    """A unit of work that reads and writes normally but whose commit fails."""

    def __init__(self, inner: MemoryUnitOfWork, error: BaseException) -> None:
        self._inner = inner
        self._error = error

    def __enter__(self) -> Self:
        self._inner.__enter__()
        self.users = self._inner.users
        self.api_keys = self._inner.api_keys
        self.albums = self._inner.albums
        self.images = self._inner.images
        self.blobs = self._inner.blobs
        self.blocked_hashes = self._inner.blocked_hashes
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        raise self._error

    def rollback(self) -> None:
        self._inner.rollback()


@pytest.fixture
def world() -> World:
    return World()


# --- CreateUser ----------------------------------------------------------------------------------


def test_create_user_normalises_email(world: World) -> None:
    user = world.user("  Alice@Example.COM ", "correct horse", name="  Alice  ")

    assert user.email == "alice@example.com"
    assert user.name == "Alice"
    assert user.created_at == world.clock.now()
    with world.uow() as uow:
        assert uow.users.get_by_email("alice@example.com") == user


def test_create_user_duplicate_email_is_a_conflict_whatever_the_case(world: World) -> None:
    world.user("bob@example.com")
    with pytest.raises(Conflict):
        world.user("BOB@example.com ")
    assert len(world.store.tables.users) == 1


@pytest.mark.parametrize("email", ["", "no-at-sign", "two@@example.com", "a b@example.com"])
def test_create_user_rejects_invalid_email(world: World, email: str) -> None:
    with pytest.raises(InvalidInput):
        world.user(email)


@pytest.mark.parametrize("password", ["", "1234567", "x" * 1025])
def test_create_user_rejects_bad_password_length(world: World, password: str) -> None:
    with pytest.raises(InvalidInput):
        world.user("carol@example.com", password)
    assert world.store.tables.users == {}


def test_create_user_hashes_the_password(world: World) -> None:
    user = world.user("dan@example.com", "12345678")
    assert user.password_hash is not None
    assert "12345678" not in user.password_hash
    assert world.passwords.verify("12345678", user.password_hash)


def test_create_user_without_password(world: World) -> None:
    assert world.user("erin@example.com").password_hash is None


def test_create_user_with_argon2(world: World) -> None:
    passwords = Argon2PasswordHasher()
    user = CreateUser(world.uow, passwords, world.clock, world.random)(
        "f@example.com", "s3cret-pass"
    )
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert passwords.verify("s3cret-pass", user.password_hash)
    assert not passwords.verify("wrong-pass", user.password_hash)


# --- API keys ------------------------------------------------------------------------------------


def test_create_api_key_shows_the_secret_once_and_stores_only_a_hash(world: World) -> None:
    user = world.user()

    created = world.create_key()(user.id, "  ci  ")

    assert KEY_RE.match(created.secret), created.secret
    assert created.key.name == "ci"
    assert created.secret.startswith(f"imgt_{created.key.prefix}_")
    stored = world.key(created.key.id)
    assert stored == created.key
    assert created.secret not in repr(stored)
    assert created.key.secret_hash != created.secret
    assert world.hasher.verify(created.secret, created.key.secret_hash)
    assert (created.key.upload_count, created.key.last_used_at, created.key.revoked_at) == (
        0,
        None,
        None,
    )


def test_api_keys_are_unique(world: World) -> None:
    user = world.user()
    keys = [world.create_key()(user.id, f"k{i}") for i in range(5)]
    assert len({k.secret for k in keys}) == len({k.key.prefix for k in keys}) == 5


def test_create_api_key_retries_a_taken_prefix(world: World) -> None:
    user = world.user()
    first = world.create_key()(user.id, "one")
    world.random = ScriptedRandom([first.key.prefix, "zzzzzzzzzzzz"])

    second = world.create_key()(user.id, "two")

    assert second.key.prefix == "zzzzzzzzzzzz"


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_api_key_validates_the_name(world: World, name: str) -> None:
    with pytest.raises(InvalidInput):
        world.create_key()(world.user().id, name)


def test_create_api_key_for_unknown_user(world: World) -> None:
    with pytest.raises(NotFound):
        world.create_key()(uuid.uuid4(), "ci")


def test_list_api_keys_newest_first_and_only_own(world: World) -> None:
    alice, bob = world.user(), world.user()
    old = world.create_key()(alice.id, "old")
    world.clock.advance(10)
    new = world.create_key()(alice.id, "new")
    world.create_key()(bob.id, "bob's")

    assert ListApiKeys(world.uow)(alice.id) == [new.key, old.key]
    assert ListApiKeys(world.uow)(uuid.uuid4()) == []


def test_revoke_api_key(world: World) -> None:
    user = world.user()
    created = world.create_key()(user.id, "ci")
    revoke = RevokeApiKey(world.uow, world.clock)

    revoked = revoke(created.key.id, owner_id=user.id)
    world.clock.advance(60)
    again = revoke(created.key.id)  # idempotent: keeps the first revocation time

    assert revoked.revoked_at == again.revoked_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert not revoked.active
    assert world.key(created.key.id) == revoked


def test_revoke_someone_elses_or_missing_key_is_not_found(world: World) -> None:
    created = world.create_key()(world.user().id, "ci")
    revoke = RevokeApiKey(world.uow, world.clock)
    with pytest.raises(NotFound):
        revoke(created.key.id, owner_id=world.user().id)
    with pytest.raises(NotFound):
        revoke(uuid.uuid4())
    key = world.key(created.key.id)
    assert key is not None and key.active


def test_authenticate_api_key(world: World) -> None:
    user = world.user()
    created = world.create_key()(user.id, "ci")

    auth = world.authenticate()(created.secret)

    assert auth.user == user
    assert auth.key.id == created.key.id
    assert auth.key.last_used_at == world.clock.now()


@pytest.mark.parametrize(
    "presented",
    [
        None,
        "",
        "Bearer x",
        "imgt_",
        "imgt_short_secret",
        "imgt_ABCDEFGHIJKL_x",
        "imgt_" + "a" * 300,
    ],
)
def test_authenticate_rejects_missing_or_malformed_keys(
    world: World, presented: str | None
) -> None:
    world.create_key()(world.user().id, "ci")
    with pytest.raises(Unauthenticated):
        world.authenticate()(presented)


def test_authenticate_rejects_a_wrong_secret_with_a_real_prefix(world: World) -> None:
    created = world.create_key()(world.user().id, "ci")
    forged = f"imgt_{created.key.prefix}_{'A' * 43}"
    with pytest.raises(Unauthenticated):
        world.authenticate()(forged)
    with pytest.raises(Unauthenticated):
        world.authenticate()(created.secret[:-1])
    with pytest.raises(Unauthenticated):
        world.authenticate()(created.secret.replace(created.key.prefix, "a" * 12))


def test_authenticate_rejects_a_revoked_key(world: World) -> None:
    created = world.create_key()(world.user().id, "ci")
    RevokeApiKey(world.uow, world.clock)(created.key.id)
    with pytest.raises(Unauthenticated):
        world.authenticate()(created.secret)


def test_authenticate_inactive_user(world: World) -> None:
    user = world.user()
    created = world.create_key()(user.id, "ci")
    world.update_user(user, active=False)
    with pytest.raises(AccountInactive):
        world.authenticate()(created.secret)


def test_authenticate_refreshes_last_used_at_at_most_once_a_minute(world: World) -> None:
    created = world.create_key()(world.user().id, "ci")
    start = world.clock.now()

    def stored_last_used() -> datetime | None:
        key = world.key(created.key.id)
        assert key is not None
        return key.last_used_at

    world.authenticate()(created.secret)
    assert stored_last_used() == start
    world.clock.advance(59)
    assert world.authenticate()(created.secret).key.last_used_at == start
    assert stored_last_used() == start
    world.clock.advance(1)
    world.authenticate()(created.secret)
    assert stored_last_used() == start + timedelta(seconds=60)


# --- UploadImages ----------------------------------------------------------------------------------


def test_upload_reports_one_outcome_per_file_in_order(world: World) -> None:
    user = world.user()

    outcomes = world.upload(user, png(filename="a.png"), text("notes.txt"), jpeg(filename="b.jpg"))

    first, failed, third = outcomes
    assert isinstance(first, Uploaded) and first.image.original_name == "a.png"
    assert isinstance(failed, UploadFailed) and isinstance(failed.error, UnsupportedMediaType)
    assert failed.filename == "notes.txt"
    assert isinstance(third, Uploaded) and third.image.original_name == "b.jpg"
    assert {i.id for i in world.all_images()} == {first.image.id, third.image.id}
    assert len(world.storage.keys()) == 4


def test_upload_stores_sanitised_bytes_thumbnail_and_a_hashed_delete_token(world: World) -> None:
    user = world.user()
    incoming = png(80)
    data = incoming.source.getvalue()  # type: ignore[attr-defined]

    (done,) = world.upload(user, incoming)

    assert isinstance(done, Uploaded)
    image = done.image
    assert world.image(image.id) == image
    assert (image.owner_id, image.content_type, image.size_bytes) == (user.id, ImageFormat.PNG, 80)
    assert (image.width, image.height, image.thumb_content_type) == (80, 1, ImageFormat.JPEG)
    # Content-addressed: the SHA-256 of the published bytes (here, the uploaded ones).
    assert image.storage_key == f"images/{hashlib.sha256(data).hexdigest()}.png"
    assert image.thumb_key == f"thumbs/{hashlib.sha256(data).hexdigest()}.jpg"
    assert image.filename == f"{image.slug}.png"
    assert image.created_at == world.clock.now()
    with world.storage.open(image.storage_key) as f:
        assert f.read() == data
    blob = world.storage.stat(image.storage_key)
    thumb = world.storage.stat(image.thumb_key)
    assert blob is not None and blob.content_type == "image/png"
    assert thumb is not None and thumb.content_type == "image/jpeg"
    assert done.delete_token not in image.delete_token_hash
    assert world.hasher.verify(done.delete_token, image.delete_token_hash)


def test_upload_trusts_the_bytes_not_the_declared_type(world: World) -> None:
    (done,) = world.upload(world.user(), png(filename="photo.jpg", declared_type="image/jpeg"))
    assert isinstance(done, Uploaded)
    assert done.image.content_type is ImageFormat.PNG
    assert done.image.storage_key.endswith(".png")


@pytest.mark.parametrize(
    "filename", ["../../etc/passwd.png", "evil name.png", "C:\\x\\y.png", "a/../images/x.png", None]
)
def test_storage_keys_never_contain_the_users_filename(world: World, filename: str | None) -> None:
    (done,) = world.upload(world.user(), png(filename=filename))
    assert isinstance(done, Uploaded)
    keys = world.storage.keys()
    assert len(keys) == 2
    for key in keys:
        assert STORAGE_KEY_RE.match(key), key
    assert "/" not in done.image.original_name and "\\" not in done.image.original_name


def test_upload_gives_every_image_the_title_and_description(world: World) -> None:
    outcomes = world.upload(world.user(), png(), png(), title="  Dune ", description=" sand ")
    assert [(o.image.title, o.image.description) for o in outcomes if isinstance(o, Uploaded)] == [
        ("Dune", "sand"),
        ("Dune", "sand"),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "t" * 201}, "title must be text of at most 200 characters"),
        ({"description": "d" * 2001}, "description must be text of at most 2000 characters"),
    ],
)
def test_upload_refuses_a_long_title_or_description_before_any_file(
    world: World, fields: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        world.upload(world.user(), png(), **fields)
    assert world.all_images() == [] and world.storage.keys() == []


def test_upload_without_files(world: World) -> None:
    with pytest.raises(NoFiles):
        world.upload(world.user())


def test_upload_over_the_batch_limit_stores_nothing(world: World) -> None:
    user = world.user()
    with pytest.raises(InvalidInput) as excinfo:
        world.upload(user, *[png() for _ in range(world.policy.batch_limit + 1)])
    assert not isinstance(excinfo.value, NoFiles)
    assert world.all_images() == [] and world.storage.keys() == []
    outcomes = world.upload(user, *[png() for _ in range(world.policy.batch_limit)])
    assert all(isinstance(o, Uploaded) for o in outcomes)


def test_upload_too_large_and_empty_files_fail_alone(world: World) -> None:
    limit = world.policy.max_file_bytes
    empty = IncomingFile(io.BytesIO(b""), filename="empty.png")
    outcomes = world.upload(world.user(), png(limit + 1), png(limit), empty)
    assert isinstance(outcomes[0], UploadFailed) and isinstance(outcomes[0].error, FileTooLarge)
    assert isinstance(outcomes[1], Uploaded)
    assert isinstance(outcomes[2], UploadFailed) and type(outcomes[2].error) is InvalidInput


def test_upload_undecodable_image(world: World) -> None:
    corrupt = IncomingFile(io.BytesIO(PNG_MAGIC + b"CORRUPT"), filename="broken.png")
    (failed,) = world.upload(world.user(), corrupt)
    assert isinstance(failed, UploadFailed) and isinstance(failed.error, InvalidImage)
    assert world.storage.keys() == []


def test_upload_into_own_album(world: World) -> None:
    user = world.user()
    album = world.album(user)
    assert world.upload_one(user, album_id=album.id).image.album_id == album.id


def test_upload_into_someone_elses_or_a_missing_album_is_not_found(world: World) -> None:
    owner, other = world.user(), world.user()
    album = world.album(owner)
    for uploader, album_id in ((other, album.id), (None, album.id), (owner, uuid.uuid4())):
        with pytest.raises(NotFound):
            world.upload(uploader, png(), album_id=album_id)
    assert world.all_images() == [] and world.storage.keys() == []


def test_guest_upload(world: World) -> None:
    done = world.upload_one(None)
    assert done.image.owner_id is None and done.image.api_key_id is None


def test_private_upload(world: World) -> None:
    assert world.upload_one(world.user(), visibility=Visibility.PRIVATE).image.is_public is False


def test_upload_quota(world: World) -> None:
    user = world.user(quota_bytes=100)

    outcomes = world.upload(user, png(60), png(60), png(40))

    assert [type(o) for o in outcomes] == [Uploaded, UploadFailed, Uploaded]
    assert isinstance(outcomes[1], UploadFailed) and isinstance(outcomes[1].error, QuotaExceeded)
    assert len(world.storage.keys()) == 4  # nothing stored for the refused file
    # Deleted images no longer count against the quota.
    assert isinstance(outcomes[0], Uploaded)
    world.delete().by_owner(user.id, outcomes[0].image.id)
    assert isinstance(world.upload(user, png(60))[0], Uploaded)


def test_upload_counts_successes_on_the_api_key(world: World) -> None:
    user = world.user()
    created = world.create_key()(user.id, "ci")
    uploader = Uploader(user=user, api_key_id=created.key.id)

    outcomes = world.upload(uploader, png(), text(), jpeg())
    world.upload(uploader, png())

    key = world.key(created.key.id)
    assert key is not None and key.upload_count == 3
    assert {o.image.api_key_id for o in outcomes if isinstance(o, Uploaded)} == {created.key.id}


def test_upload_closes_the_processed_streams(world: World) -> None:
    world.upload(world.user(quota_bytes=60), png(50), png(50))  # one stored, one over quota
    assert len(world.processor.handed_out) == 4
    assert all(s.closed for s in world.processor.handed_out)


def failing_commit_factory(world: World, error: BaseException) -> UnitOfWorkFactory:
    return lambda **_: FailingCommitUow(MemoryUnitOfWork(world.store), error)


def test_a_failed_commit_deletes_the_blobs_and_propagates(world: World) -> None:
    user = world.user()
    upload = world.upload_images(failing_commit_factory(world, RuntimeError("database down")))

    with pytest.raises(RuntimeError):
        upload(Uploader(user=user), [png()])

    assert world.storage.keys() == []
    assert world.all_images() == []


def test_a_failed_commit_with_a_domain_error_is_a_per_file_outcome(world: World) -> None:
    user = world.user()
    upload = world.upload_images(failing_commit_factory(world, StorageUnavailable("busy")))

    (outcome,) = upload(Uploader(user=user), [png()])

    assert isinstance(outcome, UploadFailed) and isinstance(outcome.error, StorageUnavailable)
    assert world.storage.keys() == []
    assert world.all_images() == []


def test_upload_picks_a_fresh_slug_on_collision(world: World) -> None:
    user = world.user()
    world.random = ScriptedRandom(["taken111"])
    first = world.upload_one(user)
    assert first.image.slug == "taken111"

    world.random = ScriptedRandom(["taken111", "fresh222"])
    assert world.upload_one(user).image.slug == "fresh222"

    # Ten collisions in a row: the slug grows rather than failing.
    world.random = ScriptedRandom(["taken111"] * 10)
    assert len(world.upload_one(user).image.slug) == SLUG_LENGTH + 4


def test_new_slugs_take_the_policy_length(world: World) -> None:
    user = world.user()
    assert len(world.upload_one(user).image.slug) == SLUG_LENGTH == 12
    world.policy = UploadPolicy(max_file_bytes=1000, batch_limit=5, slug_length=20)
    slug = world.upload_one(user).image.slug
    assert len(slug) == 20 and set(slug) <= set(SLUG_ALPHABET)


def test_a_crowded_slug_space_grows_within_the_column() -> None:
    world = World(policy=UploadPolicy(max_file_bytes=1000, batch_limit=5, slug_length=30))
    user = world.user()
    world.random = ScriptedRandom(["a" * 30])
    world.upload_one(user)
    world.random = ScriptedRandom(["a" * 30] * 10)
    assert len(world.upload_one(user).image.slug) == SLUG_MAX_LENGTH  # not 34


@pytest.mark.parametrize("length", [SLUG_MIN_LENGTH - 1, SLUG_MAX_LENGTH + 1, 0])
def test_slug_length_is_bounded(length: int) -> None:
    with pytest.raises(ValueError, match="slug_length"):
        UploadPolicy(slug_length=length)


# --- ListImages ------------------------------------------------------------------------------------


def all_pages(
    list_images: ListImages, owner_id: uuid.UUID, limit: int
) -> Iterator[tuple[Image, ...]]:
    page = 1
    while True:
        result = list_images(owner_id, page=page, limit=limit)
        yield result.items
        if not result.has_more:
            return
        assert len(result.items) == result.limit  # only the last page may be short
        page += 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    # (seconds after the epoch, deleted?) per image; few distinct times so ties are common
    specs=st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=30),
    limit=st.integers(1, 15),
)
def test_paging_yields_every_live_image_once_newest_first(
    specs: list[tuple[int, bool]], limit: int
) -> None:
    store = MemoryStore()
    uow_factory = memory_uow_factory(store)
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    times = [(start + timedelta(seconds=s), d) for s, d in specs]
    images = [
        make_image(owner_id=owner, created_at=t, deleted_at=t if d else None) for t, d in times
    ]
    with uow_factory() as uow:
        for user_id in (owner, stranger):  # images need existing owners, as in SQL
            uow.users.add(User(id=user_id, email=f"{user_id.hex}@example.com", created_at=start))
        for image in [*images, make_image(owner_id=stranger, created_at=start)]:
            uow.images.add(image)
        uow.commit()
    policy = PagePolicy(default_limit=5, max_limit=10)
    list_images = ListImages(uow_factory, policy, clock=FixedClock())

    pages = list(all_pages(list_images, owner, limit))

    listed = [i for page in pages for i in page]
    live = {i.id for i in images if not i.deleted}
    assert sorted(i.id for i in listed) == sorted(live)  # each live image exactly once
    assert all(a.created_at >= b.created_at for a, b in itertools.pairwise(listed))
    assert all(len(p) <= min(limit, policy.max_limit) for p in pages)
    assert len(pages) == max(1, -(-len(live) // min(limit, policy.max_limit)))
    first = list_images(owner, limit=limit)
    assert first.total == len(live)


def test_a_deleted_image_never_lists(world: World) -> None:
    user = world.user()
    keep, gone = world.upload_one(user), world.upload_one(user)
    world.delete().by_owner(user.id, gone.image.id)

    page = ListImages(world.uow, clock=world.clock)(user.id)

    assert [i.id for i in page.items] == [keep.image.id]
    assert page.total == 1 and not page.has_more


def test_list_images_paging_arguments() -> None:
    world = World()
    list_images = ListImages(world.uow, PagePolicy(default_limit=3, max_limit=4), clock=world.clock)
    owner = uuid.uuid4()
    assert list_images(owner).limit == 3
    assert list_images(owner, limit=50).limit == 4
    beyond = list_images(owner, page=9)
    assert beyond.items == () and not beyond.has_more
    for bad in ({"page": 0}, {"page": -1}, {"limit": 0}):
        with pytest.raises(InvalidInput):
            list_images(owner, **bad)  # type: ignore[arg-type]


# --- DeleteImage -----------------------------------------------------------------------------------


def test_delete_by_owner(world: World) -> None:
    user = world.user()
    done = world.upload_one(user)
    world.clock.advance(5)

    deleted = world.delete().by_owner(user.id, done.image.id)

    assert deleted.deleted_at == world.clock.now()
    stored = world.image(done.image.id)
    assert stored is not None and stored.deleted
    with world.uow() as uow:
        assert uow.images.get_by_slug(done.image.slug) is None
    # Soft delete: the blobs stay until `purge`, so in-flight downloads finish.
    assert world.storage.stat(done.image.storage_key) is not None


def test_delete_someone_elses_image_is_not_found(world: World) -> None:
    done = world.upload_one(world.user())
    with pytest.raises(NotFound):
        world.delete().by_owner(world.user().id, done.image.id)
    assert world.image(done.image.id) == done.image


def test_delete_by_token(world: World) -> None:
    done = world.upload_one(None)
    deleted = world.delete().by_token(done.image.id, done.delete_token)
    assert deleted.deleted


def test_delete_with_a_wrong_or_missing_token(world: World) -> None:
    done = world.upload_one(None)
    other = world.upload_one(None)
    with pytest.raises(Forbidden):
        world.delete().by_token(done.image.id, "not-the-token")
    with pytest.raises(Forbidden):
        world.delete().by_token(done.image.id, other.delete_token)
    for missing in (None, ""):
        with pytest.raises(Unauthenticated):
            world.delete().by_token(done.image.id, missing)
    assert world.image(done.image.id) == done.image


@pytest.mark.parametrize("how", ["owner", "token"])
def test_delete_twice_is_not_found(world: World, how: str) -> None:
    user = world.user()
    done = world.upload_one(user)

    def delete() -> Image:
        if how == "owner":
            return world.delete().by_owner(user.id, done.image.id)
        return world.delete().by_token(done.image.id, done.delete_token)

    first = delete()
    world.clock.advance(10)
    with pytest.raises(NotFound):
        delete()
    stored = world.image(done.image.id)
    assert stored is not None and stored.deleted_at == first.deleted_at


def test_delete_a_missing_image(world: World) -> None:
    with pytest.raises(NotFound):
        world.delete().by_owner(uuid.uuid4(), uuid.uuid4())
    with pytest.raises(NotFound):
        world.delete().by_token(uuid.uuid4(), "token")


def test_check_token_deletes_nothing(world: World) -> None:
    done = world.upload_one(None)
    check = world.delete().check_token

    assert check(done.image.id, done.delete_token) == done.image
    assert world.image(done.image.id) == done.image
    with pytest.raises(Forbidden):
        check(done.image.id, "wrong")
    with pytest.raises(Unauthenticated):
        check(done.image.id, None)
    world.delete().by_token(done.image.id, done.delete_token)
    with pytest.raises(NotFound):
        check(done.image.id, done.delete_token)


# --- ViewImage -------------------------------------------------------------------------------------


def test_view_public_image(world: World) -> None:
    done = world.upload_one(None)
    assert ViewImage(world.uow, clock=world.clock)(done.image.slug) == done.image


def test_view_hides_deleted_and_unknown_images(world: World) -> None:
    user = world.user()
    done = world.upload_one(user)
    world.delete().by_owner(user.id, done.image.id)
    for slug in (done.image.slug, "nosuchslug"):
        with pytest.raises(NotFound):
            ViewImage(world.uow, clock=world.clock)(slug, viewer_id=user.id)


def test_view_private_image_only_for_its_owner(world: World) -> None:
    owner = world.user()
    done = world.upload_one(owner, visibility=Visibility.PRIVATE)
    view = ViewImage(world.uow, clock=world.clock)
    assert view(done.image.slug, viewer_id=owner.id) == done.image
    with pytest.raises(NotFound):
        view(done.image.slug)
    with pytest.raises(NotFound):
        view(done.image.slug, viewer_id=world.user().id)


# --- EnforceRateLimit --------------------------------------------------------------------------------


def rate_limit(
    per_minute: int = 3, window_seconds: int = 60
) -> tuple[EnforceRateLimit, FixedClock]:
    clock = FixedClock()  # starts on a window boundary
    policy = RatePolicy(per_minute=per_minute, window_seconds=window_seconds)
    return EnforceRateLimit(MemoryRateLimiter(clock), policy), clock


def test_rate_limit_allows_exactly_n_per_window() -> None:
    enforce, clock = rate_limit(per_minute=3)

    decisions = [enforce("1.2.3.4") for _ in range(3)]
    clock.advance(20)
    with pytest.raises(RateLimited) as excinfo:
        enforce("1.2.3.4")

    assert [d.remaining for d in decisions] == [2, 1, 0]
    error = excinfo.value
    assert (error.limit, error.window_seconds) == (3, 60)
    assert error.retry_after == 40


def test_rate_limit_window_reset() -> None:
    enforce, clock = rate_limit(per_minute=2)
    enforce("c")
    enforce("c")
    clock.advance(59.5)
    with pytest.raises(RateLimited) as excinfo:
        enforce("c")
    assert excinfo.value.retry_after >= 1  # half a second left still says "retry in 1"
    clock.advance(0.5)
    assert enforce("c").remaining == 1


def test_rate_limit_is_per_client_and_scope() -> None:
    enforce, _ = rate_limit(per_minute=1)
    enforce("a")
    enforce("b")
    enforce("a", scope="login")
    with pytest.raises(RateLimited):
        enforce("a")


def test_rate_limited_retry_after_is_at_least_one() -> None:
    class Exhausted:
        def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
            return RateDecision(allowed=False, limit=limit, remaining=0, reset_after=0)

    with pytest.raises(RateLimited) as excinfo:
        EnforceRateLimit(Exhausted(), RatePolicy())("x")
    assert excinfo.value.retry_after == 1


# --- DescribeCapabilities ------------------------------------------------------------------------------


def test_describe_capabilities() -> None:
    upload = UploadPolicy(max_file_bytes=1234, batch_limit=7, presign_expires_seconds=60)
    caps = DescribeCapabilities(
        upload, RatePolicy(per_minute=12), PagePolicy(default_limit=10, max_limit=50)
    )()

    assert caps.max_file_size_bytes == 1234
    assert caps.batch_limit == 7
    assert caps.presign_expires_seconds == 60
    assert caps.allowed_types == (
        ImageFormat.JPEG,
        ImageFormat.PNG,
        ImageFormat.GIF,
        ImageFormat.WEBP,
    )
    assert caps.rate_limit_per_minute == 12
    assert caps.rate_limit_window_seconds == 60  # the wording is the presenter's (test_v1_upload)
    assert (caps.page_default_limit, caps.page_max_limit) == (10, 50)


def test_describe_capabilities_defaults() -> None:
    caps = DescribeCapabilities(UploadPolicy(), RatePolicy())()
    assert caps.page_default_limit == PagePolicy().default_limit
    assert caps.max_file_size_bytes == 20 * 1024 * 1024

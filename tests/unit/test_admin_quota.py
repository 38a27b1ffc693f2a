"""The operator's use cases (Admin) and storage quotas, on the in-memory adapters.

Admin.update_user validation, the last-admin guard, audit entries, user search and stats;
CreateUser's default quota; and a rule-based property: whatever the interleaving of uploads
and deletes, a user's stored bytes never pass their quota and `used_bytes` always equals the
bytes of their live images.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from imgtree.adapters.memory import FixedClock
from imgtree.domain.commands import UserChanges
from imgtree.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    NothingToChange,
    QuotaExceeded,
    UnsupportedMediaType,
)
from imgtree.domain.model import ImageFormat, PendingUpload, Role, User
from imgtree.domain.policies import PagePolicy, UploadPolicy
from imgtree.domain.ports import ImageInfo, ProcessedImage
from imgtree.domain.services import Publisher
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.admin import Admin
from imgtree.domain.use_cases.upload import (
    IncomingFile,
    Uploaded,
    Uploader,
    UploadFailed,
    UploadImages,
)
from tests.support.factories import make_image
from tests.support.world import FakePasswordHasher, World, png

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@attrs.define
class AdminWorld:
    """A World (memory adapters, fixed clock) plus the Admin use case."""

    world: World = attrs.Factory(lambda: World(clock=FixedClock(NOW)))

    @property
    def admin(self) -> Admin:
        return Admin(self.world.uow, self.world.clock, self.world.random)

    def user(self, email: str | None = None, **kwargs: Any) -> User:
        return self.world.user(email, **kwargs)

    def get(self, user: User) -> User:
        with self.world.uow() as uow:
            found = uow.users.get(user.id)
        assert found is not None
        return found

    def audit(self) -> list[dict[str, Any]]:
        return [
            {**attrs.asdict(e), "details": json.loads(e.details)}
            for e in self.world.store.tables.audit
        ]


@pytest.fixture
def aw() -> AdminWorld:
    return AdminWorld()


# --- update_user: validation ---------------------------------------------------------------


@pytest.mark.parametrize("changes", [UserChanges(quota_bytes=-1), UserChanges()])
def test_update_user_refuses_bad_values_and_changes_nothing(
    aw: AdminWorld, changes: UserChanges
) -> None:
    """What a wire format can get wrong (a role named "root", "false" for a flag) is refused
    by the entrypoints' mappers: tests/http/test_commands.py."""
    actor = aw.user(role=Role.ADMIN)
    target = aw.user(quota_bytes=10)
    with pytest.raises(InvalidInput):
        aw.admin.update_user(actor, target.id, changes)
    assert aw.get(target) == target
    assert aw.audit() == []


def test_update_user_nothing_to_change_message(aw: AdminWorld) -> None:
    actor = aw.user(role=Role.ADMIN)
    with pytest.raises(NothingToChange, match="Nothing to change"):
        aw.admin.update_user(actor, aw.user().id, UserChanges())


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"role": Role.ADMIN}, {"role": Role.ADMIN}),
        ({"role": Role.ADMIN}, {"role": Role.ADMIN}),
        ({"active": False}, {"active": False}),
        ({"quota_bytes": 0}, {"quota_bytes": 0}),
        ({"quota_bytes": 5_000_000_000_000}, {"quota_bytes": 5_000_000_000_000}),
        ({"quota_bytes": None}, {"quota_bytes": None}),
        (
            {"role": "admin", "active": False, "quota_bytes": 7},
            {"role": Role.ADMIN, "active": False, "quota_bytes": 7},
        ),
    ],
)
def test_update_user_applies_valid_changes(
    aw: AdminWorld, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    actor = aw.user(role=Role.ADMIN)
    target = aw.user(quota_bytes=10)
    updated = aw.admin.update_user(actor, target.id, UserChanges(**changes))
    assert updated == attrs.evolve(target, **expected)
    assert aw.get(target) == updated


def test_update_user_unknown_user_is_not_found(aw: AdminWorld) -> None:
    with pytest.raises(NotFound):
        aw.admin.update_user(aw.user(role=Role.ADMIN), uuid.uuid4(), UserChanges(active=False))


def test_update_user_never_touches_used_bytes(aw: AdminWorld) -> None:
    target = aw.user(quota_bytes=1000)
    aw.world.upload_one(target)  # 50 bytes
    stale = target  # used_bytes 0 as far as this object knows
    aw.admin.update_user(None, stale.id, UserChanges(quota_bytes=500))
    assert aw.get(target).used_bytes == 50


# --- update_user: who may, and the last admin ---------------------------------------------------


def test_only_an_active_admin_may_update(aw: AdminWorld) -> None:
    target = aw.user()
    normal = aw.user()
    inactive_admin = aw.user(role=Role.ADMIN)
    inactive_admin = attrs.evolve(inactive_admin, active=False)
    for actor in (normal, inactive_admin):
        with pytest.raises(Forbidden):
            aw.admin.update_user(actor, target.id, UserChanges(active=False))
        with pytest.raises(Forbidden):
            aw.admin.users(actor)
        with pytest.raises(Forbidden):
            aw.admin.stats(actor)
        with pytest.raises(Forbidden):
            aw.admin.audit_log(actor)
    with pytest.raises(Forbidden):
        aw.admin.users(None)  # reads need an actor; only update_user trusts the CLI's None
    assert aw.get(target).active is True
    assert aw.audit() == []


def test_forbidden_is_checked_before_validation(aw: AdminWorld) -> None:
    with pytest.raises(Forbidden):
        aw.admin.update_user(aw.user(), aw.user().id, UserChanges(quota_bytes=-1))


@pytest.mark.parametrize("change", [{"role": Role.USER}, {"active": False}])
def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    aw: AdminWorld, change: dict[str, Any]
) -> None:
    only = aw.user(role=Role.ADMIN)
    other = aw.user(role=Role.ADMIN)
    # An inactive admin does not count as someone who could undo the change.
    aw.admin.update_user(None, other.id, UserChanges(active=False))
    for actor in (only, None):
        with pytest.raises(Conflict, match="last active admin"):
            aw.admin.update_user(actor, only.id, UserChanges(**change))
    assert aw.get(only).is_admin and aw.get(only).active
    # Changes that keep them an active admin are fine.
    aw.admin.update_user(only, only.id, UserChanges(quota_bytes=10, role=Role.ADMIN, active=True))


@pytest.mark.parametrize("change", [{"role": Role.USER}, {"active": False}])
def test_an_admin_can_be_demoted_while_another_active_admin_remains(
    aw: AdminWorld, change: dict[str, Any]
) -> None:
    first = aw.user(role=Role.ADMIN)
    second = aw.user(role=Role.ADMIN)
    updated = aw.admin.update_user(first, second.id, UserChanges(**change))
    assert not (updated.is_admin and updated.active)
    # Now `first` is the last one: even demoting themselves is refused.
    with pytest.raises(Conflict):
        aw.admin.update_user(first, first.id, UserChanges(**change))


def test_a_non_admin_can_always_be_deactivated(aw: AdminWorld) -> None:
    admin = aw.user(role=Role.ADMIN)
    user = aw.user()
    assert aw.admin.update_user(admin, user.id, UserChanges(active=False)).active is False
    assert aw.admin.update_user(admin, user.id, UserChanges(active=True)).active is True


# --- audit ---------------------------------------------------------------------------------------


def test_update_writes_an_audit_entry_with_the_diff_and_the_actor(aw: AdminWorld) -> None:
    admin = aw.user("boss@example.com", role=Role.ADMIN)
    target = aw.user("t@example.com", quota_bytes=100)
    aw.admin.update_user(
        admin, target.id, UserChanges(role=Role.ADMIN, active=False, quota_bytes=None)
    )
    aw.world.clock.advance(60)
    # Only fields that really changed are in the diff; the CLI is audited with no actor.
    aw.admin.update_user(None, target.id, UserChanges(role=Role.ADMIN, quota_bytes=5))
    first, second = aw.audit()
    assert first["actor_id"] == admin.id and first["target_id"] == target.id
    assert first["action"] == "user.update" and first["created_at"] == NOW
    assert first["details"] == {
        "email": "t@example.com",
        "changes": {
            "role": {"from": "user", "to": "admin"},
            "active": {"from": True, "to": False},
            "quota_bytes": {"from": 100, "to": None},
        },
    }
    assert second["actor_id"] is None and second["created_at"] == NOW + timedelta(seconds=60)
    assert second["details"]["changes"] == {"quota_bytes": {"from": None, "to": 5}}

    page = aw.admin.audit_log(admin, limit=1)
    assert (page.total, page.limit, page.has_more) == (2, 1, True)
    assert page.items[0].created_at == NOW + timedelta(seconds=60)  # newest first
    assert aw.admin.audit_log(admin, page=2, limit=1).items[0].actor_id == admin.id


def test_refused_updates_write_no_audit(aw: AdminWorld) -> None:
    admin = aw.user(role=Role.ADMIN)
    with pytest.raises(Conflict):
        aw.admin.update_user(admin, admin.id, UserChanges(active=False))
    with pytest.raises(NotFound):
        aw.admin.update_user(admin, uuid.uuid4(), UserChanges(active=False))
    assert aw.audit() == []


# --- users search ------------------------------------------------------------------------------


def test_users_search_by_email_or_name_with_paging(aw: AdminWorld) -> None:
    admin = aw.user("root@example.com", role=Role.ADMIN)
    made = []
    for i in range(5):
        aw.world.clock.advance(1)
        made.append(aw.user(f"cat{i}@pets.org", name=f"Kitty {i}"))
    aw.world.clock.advance(1)
    dog = aw.user("rex@example.com", name="Good CATherine")
    everyone = aw.admin.users(admin)
    assert everyone.total == 7 and everyone.items[0].email == "root@example.com"
    by_email = aw.admin.users(admin, query="  PETS.org ")
    assert by_email.total == 5 and [u.id for u in by_email.items] == [u.id for u in made]
    by_name = aw.admin.users(admin, query="cat")
    assert by_name.total == 6 and by_name.items[-1].id == dog.id  # oldest first
    page2 = aw.admin.users(admin, query="cat", page=2, limit=4)
    assert (page2.page, page2.limit, page2.total, page2.has_more) == (2, 4, 6, False)
    assert [u.id for u in page2.items] == [made[4].id, dog.id]
    assert aw.admin.users(admin, query="kitty 3").items[0].id == made[3].id
    assert aw.admin.users(admin, query="nobody").total == 0
    assert aw.admin.users(admin, query="%").total == 0  # no wildcard semantics
    capped = Admin(aw.world.uow, aw.world.clock, aw.world.random, PagePolicy(2, 3))
    assert capped.users(admin, limit=50).limit == 3
    assert capped.users(admin).limit == 2
    with pytest.raises(InvalidInput):
        aw.admin.users(admin, page=0)
    with pytest.raises(InvalidInput):
        aw.admin.users(admin, limit=0)


# --- stats ----------------------------------------------------------------------------------------


def test_stats_numbers(aw: AdminWorld) -> None:
    admin = aw.user("root@example.com", role=Role.ADMIN)
    bob = aw.user("bob@example.com")
    carol = aw.user("carol@example.com")
    aw.admin.update_user(admin, aw.user().id, UserChanges(active=False))
    h = timedelta(hours=1)
    d = timedelta(days=1)
    deleted = make_image(
        carol, size_bytes=70, created_at=NOW - 3 * h, content_type=ImageFormat.JPEG
    )
    with aw.world.uow() as uow:
        for image in (
            make_image(bob, size_bytes=300, created_at=NOW - h),
            make_image(bob, size_bytes=200, created_at=NOW - 2 * d, content_type=ImageFormat.JPEG),
            make_image(carol, size_bytes=1000, created_at=NOW - 10 * d),
            make_image(None, size_bytes=50, created_at=NOW - 20 * d, content_type=ImageFormat.GIF),
            make_image(bob, size_bytes=400, created_at=NOW - 40 * d),
            deleted,
        ):
            uow.images.add(image)
        uow.images.mark_deleted(deleted.id, NOW)
        for expires in (NOW + h, NOW - h):  # one open presign, one expired
            pid = uuid.uuid4()
            uow.pending_uploads.add(
                PendingUpload(
                    id=pid,
                    owner_id=None,
                    filename="a.png",
                    declared_type=ImageFormat.PNG,
                    declared_size=10,
                    object_key=f"uploads/{pid}.png",
                    completion_token_hash=pid.hex,
                    put_token_hash=pid.hex,
                    created_at=NOW - 2 * h,
                    expires_at=expires,
                )
            )
        uow.commit()

    stats = aw.admin.stats(admin)
    assert (stats.users, stats.active_users, stats.pending_presigns) == (4, 3, 1)
    s = stats.images
    assert (s.images, s.bytes_stored) == (5, 1950)
    assert (s.uploads_24h, s.uploads_7d, s.uploads_30d) == (2, 3, 5)  # deleted ones count
    assert (s.guest_uploads, s.account_uploads) == (1, 5)
    assert s.by_type == {"image/png": 3, "image/jpeg": 1, "image/gif": 1}
    assert s.top_uploaders == [
        (carol.id, "carol@example.com", 1, 1000),
        (bob.id, "bob@example.com", 3, 900),
    ]
    assert len(s.per_day) == 30
    assert s.per_day[0][0] == "2026-02-09" and s.per_day[-1][0] == "2026-03-10"
    nonzero = {day: (n, b) for day, n, b in s.per_day if n}
    assert nonzero == {
        "2026-03-10": (2, 370),
        "2026-03-08": (1, 200),
        "2026-02-28": (1, 1000),
        "2026-02-18": (1, 50),
    }
    week = aw.admin.stats(admin, days=7).images.per_day
    assert [day for day, _, _ in week] == [f"2026-03-{n:02}" for n in range(4, 11)]


def test_stats_of_an_empty_instance(aw: AdminWorld) -> None:
    admin = aw.user(role=Role.ADMIN)
    s = aw.admin.stats(admin).images
    assert (s.images, s.bytes_stored, s.uploads_30d, s.by_type, s.top_uploaders) == (
        0,
        0,
        0,
        {},
        [],
    )
    assert all(n == 0 and b == 0 for _, n, b in s.per_day) and len(s.per_day) == 30


# --- CreateUser's default quota ---------------------------------------------------------------


def test_create_user_takes_the_default_quota_unless_told_otherwise(aw: AdminWorld) -> None:
    w = aw.world
    create = CreateUser(w.uow, FakePasswordHasher(), w.clock, w.random, default_quota_bytes=1234)
    assert create("a@example.com").quota_bytes == 1234
    assert create("b@example.com", quota_bytes=None).quota_bytes is None  # explicit: unlimited
    assert create("c@example.com", quota_bytes=0).quota_bytes == 0
    with pytest.raises(InvalidInput):
        create("d@example.com", quota_bytes=-1)
    unlimited = CreateUser(w.uow, FakePasswordHasher(), w.clock, w.random)
    assert unlimited("e@example.com").quota_bytes is None
    with w.uow() as uow:
        stored = uow.users.get_by_email("a@example.com")
    assert stored is not None and stored.quota_bytes == 1234 and stored.used_bytes == 0


def test_quota_refusal_happens_before_anything_is_stored(aw: AdminWorld) -> None:
    user = aw.user(quota_bytes=100)
    (outcome,) = aw.world.upload(user, png(101))
    assert isinstance(outcome, UploadFailed) and isinstance(outcome.error, QuotaExceeded)
    assert outcome.error.message.startswith("Storage quota exceeded: ")
    assert aw.world.storage.keys() == [] and aw.world.all_images() == []
    # Exactly the quota fits; a zero quota takes nothing.
    (fits,) = aw.world.upload(user, png(100))
    assert isinstance(fits, Uploaded) and aw.get(user).used_bytes == 100
    zero = aw.user(quota_bytes=0)
    assert isinstance(aw.world.upload(zero, png(10))[0], UploadFailed)


def test_the_binding_check_refuses_even_when_the_early_one_passed(aw: AdminWorld) -> None:
    """A concurrent upload can fill the room between check_quota and ImageRepository.add."""
    user = aw.user(quota_bytes=100)
    w = aw.world

    class Racing(Publisher):
        def check_quota(self, who: User | None, extra_bytes: int) -> None:
            super().check_quota(who, extra_bytes)
            with w.uow() as uow:  # another request lands 60 bytes meanwhile
                uow.images.add(make_image(user, size_bytes=60, created_at=NOW))
                uow.commit()

    upload = UploadImages(
        Racing(w.uow, w.storage, w.processor, w.hasher, w.clock, w.random, w.policy)
    )
    (outcome,) = upload(Uploader(user), [png(50)])
    assert isinstance(outcome, UploadFailed) and isinstance(outcome.error, QuotaExceeded)
    assert aw.world.storage.keys() == []  # compensated: both blobs removed
    assert aw.get(user).used_bytes == 60


# --- property: uploads and deletes never overshoot, usage always adds up -------------------------


class SizedProcessor:
    """Accepts b"SIZE:<n>" and publishes exactly n bytes (as if sanitising changed the size)."""

    def inspect(self, source: BinaryIO) -> ImageInfo:
        raise NotImplementedError

    def process(self, source: BinaryIO) -> ProcessedImage:
        data = source.read()
        if not data.startswith(b"SIZE:"):
            raise UnsupportedMediaType("Not a supported image type")
        size = int(data[5:])
        return ProcessedImage(
            info=ImageInfo(format=ImageFormat.PNG, width=1, height=1),
            published=io.BytesIO(b"p" * size),
            published_size=size,
            thumbnail=io.BytesIO(b"t"),
            thumbnail_format=ImageFormat.JPEG,
        )


def sized(n: int) -> IncomingFile:
    return IncomingFile(io.BytesIO(b"SIZE:%d" % n), filename=f"{n}.png")


class QuotaMachine(RuleBasedStateMachine):
    images = Bundle("images")

    @initialize(quota=st.integers(min_value=0, max_value=2000))
    def setup(self, quota: int) -> None:
        self.world = World(
            processor=SizedProcessor(),  # type: ignore[arg-type]
            policy=UploadPolicy(max_file_bytes=10_000, batch_limit=5),
        )
        self.quota = quota
        self.user = self.world.user(quota_bytes=quota)
        self.live: dict[uuid.UUID, int] = {}  # the model: live image id -> size
        self.ever: set[uuid.UUID] = set()

    def _stored_user(self) -> User:
        with self.world.uow() as uow:
            user = uow.users.get(self.user.id)
        assert user is not None
        return user

    @rule(target=images, sizes=st.lists(st.integers(1, 900), min_size=1, max_size=5))
    def upload(self, sizes: list[int]) -> Any:
        outcomes = self.world.upload(self.user, *[sized(n) for n in sizes])
        landed = []
        for n, outcome in zip(sizes, outcomes, strict=True):
            fits = sum(self.live.values()) + n <= self.quota
            if fits:
                assert isinstance(outcome, Uploaded), outcome
                assert outcome.image.size_bytes == n
                self.live[outcome.image.id] = n
                self.ever.add(outcome.image.id)
                landed.append(outcome.image.id)
            else:
                assert isinstance(outcome, UploadFailed)
                assert isinstance(outcome.error, QuotaExceeded)
        return multiple(*landed)

    @rule(image_id=images)
    def delete(self, image_id: uuid.UUID) -> None:
        if image_id in self.live:
            self.world.delete().by_owner(self.user.id, image_id)
            del self.live[image_id]
        else:  # deleted already: refused, and usage is not freed twice
            with pytest.raises(NotFound):
                self.world.delete().by_owner(self.user.id, image_id)

    @invariant()
    def usage_adds_up_and_stays_within_the_quota(self) -> None:
        if not hasattr(self, "user"):
            return
        user = self._stored_user()
        live = [i for i in self.world.all_images() if not i.deleted]
        assert user.used_bytes == sum(i.size_bytes for i in live) == sum(self.live.values())
        assert user.used_bytes <= self.quota
        assert {i.id for i in live} == set(self.live)

    @invariant()
    def refused_uploads_leave_no_blobs(self) -> None:
        if not hasattr(self, "user"):
            return
        # Soft-deleted images keep their blobs until purge; nothing else may exist.
        expected = set()
        for image in self.world.all_images():
            expected |= {image.storage_key, image.thumb_key}
        assert set(self.world.storage.keys()) == expected
        assert {i.id for i in self.world.all_images()} == self.ever


QuotaMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestQuotaMachine = QuotaMachine.TestCase

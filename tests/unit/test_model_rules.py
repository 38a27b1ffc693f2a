"""The rules on the model (ownership, liveness, visibility, quota room, completing a presign)
and the one NotFound helper the use cases call (domain/rules.py). Each rule is tested here once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imgtree.domain import rules
from imgtree.domain.errors import InvalidInput, NotFound
from imgtree.domain.model import (
    MAX_EXPIRES_IN,
    Album,
    ApiKey,
    Image,
    ImageFormat,
    PendingUpload,
    Role,
    User,
    expiry_after,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ANN, BOB = uuid.uuid4(), uuid.uuid4()
viewers = st.one_of(st.none(), st.uuids())


def image(owner: uuid.UUID | None = ANN, **kw: object) -> Image:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "slug": "abcd1234",
        "owner_id": owner,
        "original_name": "x.png",
        "content_type": ImageFormat.PNG,
        "size_bytes": 1,
        "width": 1,
        "height": 1,
        "storage_key": "images/x.png",
        "thumb_key": "thumbs/x.png",
        "thumb_content_type": ImageFormat.PNG,
        "delete_token_hash": "h",
        "created_at": NOW,
    }
    return Image(**{**fields, **kw})  # type: ignore[arg-type]


def album(owner: uuid.UUID = ANN, *, is_public: bool = True) -> Album:
    return Album(uuid.uuid4(), owner, "Holidays", NOW, is_public=is_public)


# Image.is_live / owned_by


def test_an_image_is_live_until_deleted() -> None:
    assert image().is_live
    assert not image(deleted_at=NOW).is_live


@given(user=viewers)
def test_only_the_owner_owns_an_image_and_nobody_owns_a_guest_upload(
    user: uuid.UUID | None,
) -> None:
    assert image(ANN).owned_by(ANN)
    assert image(ANN).owned_by(user) == (user == ANN)
    assert not image(None).owned_by(user)


# Image.visible_to


@given(is_public=st.booleans())
def test_the_owner_sees_their_live_image_whatever_its_visibility(is_public: bool) -> None:
    assert image(ANN, is_public=is_public).visible_to(ANN, NOW)


@given(viewer=viewers, owner=st.one_of(st.none(), st.just(ANN)))
def test_anyone_sees_a_live_public_image(viewer: uuid.UUID | None, owner: uuid.UUID | None) -> None:
    assert image(owner).visible_to(viewer, NOW)


@given(viewer=viewers, owner=st.one_of(st.none(), st.just(ANN)))
def test_only_the_owner_sees_a_private_image(
    viewer: uuid.UUID | None, owner: uuid.UUID | None
) -> None:
    private = image(owner, is_public=False)
    assert private.visible_to(viewer, NOW) == (owner is not None and viewer == owner)


@given(viewer=viewers, is_public=st.booleans(), owner_active=st.booleans())
def test_nobody_sees_a_deleted_image(
    viewer: uuid.UUID | None, is_public: bool, owner_active: bool
) -> None:
    gone = image(ANN, is_public=is_public, deleted_at=NOW)
    assert not gone.visible_to(viewer, NOW, owner_active=owner_active)
    assert not gone.visible_to(ANN, NOW, owner_active=owner_active)


@given(viewer=viewers, is_public=st.booleans())
def test_a_hidden_inactive_owner_hides_the_image_from_everyone(
    viewer: uuid.UUID | None, is_public: bool
) -> None:
    assert not image(ANN, is_public=is_public).visible_to(viewer, NOW, owner_active=False)
    assert not image(ANN, is_public=is_public).visible_to(ANN, NOW, owner_active=False)


@given(
    viewer=viewers,
    is_public=st.booleans(),
    left=st.integers(min_value=-(10**6), max_value=10**6),
)
def test_an_expiring_image_is_seen_until_its_expiry_and_by_nobody_from_then(
    viewer: uuid.UUID | None, is_public: bool, left: int
) -> None:
    """At `expires_at` exactly and after, it is gone for every reader, its owner included."""
    expiring = image(ANN, is_public=is_public, expires_at=NOW + timedelta(seconds=left))
    before_expiry = left > 0
    assert expiring.alive(NOW) == before_expiry
    assert expiring.visible_to(ANN, NOW) == before_expiry
    assert expiring.visible_to(viewer, NOW) == (before_expiry and (is_public or viewer == ANN))
    for attempt in (
        lambda: rules.owned_image(expiring, ANN, NOW),
        lambda: rules.live_image(expiring, NOW),
        lambda: rules.visible_image(expiring, ANN, NOW),
    ):
        if before_expiry:
            assert attempt() is expiring
        else:
            with pytest.raises(NotFound, match=r"^Image not found$"):
                attempt()


@given(seconds=st.integers(min_value=1, max_value=MAX_EXPIRES_IN))
def test_expiry_after_counts_whole_seconds_from_now(seconds: int) -> None:
    assert expiry_after(NOW, seconds) == NOW + timedelta(seconds=seconds)
    assert expiry_after(NOW, None) is None


@pytest.mark.parametrize("bad", [0, -1, MAX_EXPIRES_IN + 1, True, False, 1.5, "60"])
def test_expiry_after_refuses_what_is_not_one_to_ten_years_of_whole_seconds(bad: object) -> None:
    with pytest.raises(InvalidInput, match="expiry"):
        expiry_after(NOW, bad)  # type: ignore[arg-type]


# Album.owned_by / visible_to


@given(user=viewers)
def test_only_the_owner_owns_an_album(user: uuid.UUID | None) -> None:
    assert album(ANN).owned_by(user) == (user == ANN)


@given(viewer=viewers, is_public=st.booleans())
def test_an_album_is_seen_by_anyone_when_public_and_by_its_owner_always(
    viewer: uuid.UUID | None, is_public: bool
) -> None:
    assert album(ANN, is_public=is_public).visible_to(ANN)
    assert album(ANN, is_public=is_public).visible_to(viewer) == (is_public or viewer == ANN)


# User.has_room_for / unlimited


@given(used=st.integers(0, 10**12), reserved=st.integers(0, 10**12), extra=st.integers(0, 10**12))
def test_an_unlimited_user_always_has_room(used: int, reserved: int, extra: int) -> None:
    user = User(ANN, "a@example.com", NOW, quota_bytes=None, used_bytes=used)
    assert user.unlimited
    assert user.has_room_for(extra, reserved_bytes=reserved)


@given(
    quota=st.integers(0, 10**6),
    used=st.integers(0, 10**6),
    reserved=st.integers(0, 10**6),
    extra=st.integers(0, 10**6),
)
def test_room_is_the_quota_minus_used_and_reserved_bytes(
    quota: int, used: int, reserved: int, extra: int
) -> None:
    user = User(ANN, "a@example.com", NOW, quota_bytes=quota, used_bytes=used)
    assert not user.unlimited
    assert user.has_room_for(extra, reserved_bytes=reserved) == (used + reserved + extra <= quota)


# User.is_active_admin / ApiKey.owned_by


@given(role=st.sampled_from(Role), active=st.booleans())
def test_only_an_active_admin_may_administer(role: Role, active: bool) -> None:
    user = User(ANN, "a@example.com", NOW, role=role, active=active)
    assert user.is_active_admin == (role is Role.ADMIN and active)


@given(user=viewers)
def test_an_api_key_is_owned_by_its_user_only(user: uuid.UUID | None) -> None:
    key = ApiKey(uuid.uuid4(), ANN, "ci", "abcdefabcdef", "h", NOW)
    assert key.owned_by(user) == (user == ANN)


# PendingUpload.completable_by


@pytest.mark.parametrize("owner", [ANN, None])
def test_a_pending_upload_is_completable_by_its_uploader_while_open(
    owner: uuid.UUID | None,
) -> None:
    pending = PendingUpload(
        id=uuid.uuid4(),
        owner_id=owner,
        filename="x.png",
        declared_type=ImageFormat.PNG,
        declared_size=1,
        object_key="uploads/x.png",
        completion_token_hash="c",
        put_token_hash="p",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=5),
    )
    assert pending.completable_by(owner, NOW)
    assert not pending.completable_by(BOB, NOW)
    assert not pending.completable_by(owner, NOW + timedelta(minutes=5))  # expired
    assert not attrs.evolve(pending, claimed_at=NOW).completable_by(owner, NOW)


# The NotFound helper


def test_found_returns_the_entity_or_raises_not_found_with_the_given_message() -> None:
    assert rules.found(1, lambda n: n == 1, "Nope") == 1
    with pytest.raises(NotFound, match=r"^Nope$"):
        rules.found(None, lambda n: True, "Nope")
    with pytest.raises(NotFound, match=r"^Nope$"):
        rules.found(2, lambda n: n == 1, "Nope")


def test_the_named_helpers_answer_one_not_found_per_kind() -> None:
    mine, gone, private = image(ANN), image(ANN, deleted_at=NOW), image(ANN, is_public=False)
    assert rules.owned_image(mine, ANN, NOW) is mine
    assert rules.live_image(mine, NOW) is mine
    assert rules.visible_image(private, ANN, NOW) is private
    for attempt in (
        lambda: rules.owned_image(None, ANN, NOW),
        lambda: rules.owned_image(gone, ANN, NOW),
        lambda: rules.owned_image(mine, BOB, NOW),
        lambda: rules.owned_image(mine, None, NOW),
        lambda: rules.live_image(gone, NOW),
        lambda: rules.visible_image(private, BOB, NOW),
        lambda: rules.visible_image(mine, ANN, NOW, owner_active=False),
    ):
        with pytest.raises(NotFound, match=r"^Image not found$"):
            attempt()
    own, closed = album(ANN), album(ANN, is_public=False)
    assert rules.owned_album(own, ANN) is own
    assert rules.visible_album(closed, ANN) is closed
    for attempt_album in (
        lambda: rules.owned_album(None, ANN),
        lambda: rules.owned_album(own, BOB),
        lambda: rules.visible_album(closed, None),
    ):
        with pytest.raises(NotFound, match=r"^Album not found$"):
            attempt_album()

"""API keys with scopes, an expiry and a checksum (issue 14, item 4), on the memory adapters.

The checksum is a property: every single-character change and every truncation of a real
key is refused by its shape alone, before any lookup.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import NoReturn

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgtree.domain.commands import Uploader
from imgtree.domain.errors import Forbidden, InvalidInput, Unauthenticated
from imgtree.domain.model import ALL_SCOPES, ApiKey, Role, Scope
from imgtree.domain.use_cases.keys import (
    BASE62,
    AuthenticateApiKey,
    checksum,
    split_key,
)
from tests.support.world import World, png

USER_SCOPES = ["upload", "images:read", "images:delete", "albums"]


@pytest.fixture
def world() -> World:
    return World()


def _no_database() -> NoReturn:
    raise AssertionError("the database was consulted for a key refused by its shape")


def test_a_new_key_carries_a_checksum_scanners_can_verify(world: World) -> None:
    secret = world.create_key()(world.user().id, "ci").secret
    assert len(secret) == len("imgt_") + 12 + 1 + 43 + 6
    assert checksum(secret[:-6]) == secret[-6:]
    assert split_key(secret) is not None


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from(BASE62 + "_-"))
def test_any_mistyped_character_is_refused_without_a_lookup(
    position: int, replacement: str
) -> None:
    world = World()
    secret = world.create_key()(world.user().id, "ci").secret
    i = position % len(secret)
    mistyped = secret[:i] + replacement + secret[i + 1 :]
    if mistyped == secret:
        return
    # CRC-32 catches every single-character change; the shape catches the rest.
    assert split_key(mistyped) is None
    authenticate = AuthenticateApiKey(_no_database, world.hasher, world.clock)  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated, match="Invalid API key"):
        authenticate(mistyped)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=1, max_value=60))
def test_a_truncated_key_is_refused_without_a_lookup(cut: int) -> None:
    world = World()
    secret = world.create_key()(world.user().id, "ci").secret
    if cut == 6:
        # Exactly the legacy length (keys made before the checksum): looked up, and refused
        # by the hash comparison instead.
        with pytest.raises(Unauthenticated, match="Invalid API key"):
            world.authenticate()(secret[:-cut])
        return
    assert split_key(secret[:-cut]) is None


def test_keys_made_before_the_checksum_still_authenticate(world: World) -> None:
    user = world.user()
    legacy = f"imgt_abcdefabcdef_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        id=uuid.uuid4(),
        user_id=user.id,
        name="old",
        prefix="abcdefabcdef",
        secret_hash=world.hasher.hash(legacy),
        created_at=world.clock.now(),
    )
    with world.uow() as uow:
        uow.api_keys.add(key)
        uow.commit()
    auth = world.authenticate()(legacy)
    assert auth.key.id == key.id
    assert auth.scopes == USER_SCOPES  # every scope its owner's role allows


def test_scopes_default_to_what_the_role_allows(world: World) -> None:
    user, admin = world.user(), world.user(role=Role.ADMIN)
    assert world.create_key()(user.id, "u").key.scopes == ALL_SCOPES - {Scope.ADMIN}
    assert world.create_key()(admin.id, "a").key.scopes == ALL_SCOPES


@pytest.mark.parametrize(
    ("scopes", "error", "message"),
    [
        (["upload", "root"], InvalidInput, "Unknown scope 'root'"),
        ([], InvalidInput, "at least one scope"),
        ([7], InvalidInput, "Unknown scope"),
        (["admin"], Forbidden, "Only an admin's key"),
    ],
)
def test_refused_scopes(
    world: World, scopes: list[object], error: type[Exception], message: str
) -> None:
    user = world.user()
    with pytest.raises(error, match=message):
        world.create_key()(user.id, "k", scopes=scopes)
    with world.uow(read_only=True) as uow:
        assert uow.api_keys.list_for_user(user.id) == []


def test_a_key_acts_only_within_its_scopes(world: World) -> None:
    admin = world.user(role=Role.ADMIN)
    created = world.create_key()(admin.id, "sharex", scopes=["upload"])
    auth = world.authenticate()(created.secret)
    assert auth.scopes == ["upload"]
    assert auth.require(Scope.UPLOAD) is auth
    for scope in (Scope.IMAGES_READ, Scope.IMAGES_DELETE, Scope.ALBUMS, Scope.ADMIN):
        with pytest.raises(Forbidden, match=f"lacks the {scope.value} scope"):
            auth.require(scope)


def test_admin_scope_lapses_with_the_admin_role(world: World) -> None:
    admin = world.user(role=Role.ADMIN)
    secret = world.create_key()(admin.id, "ops").secret
    assert world.authenticate()(secret).require(Scope.ADMIN)
    world.update_user(admin, role=Role.USER)
    auth = world.authenticate()(secret)
    assert "admin" not in auth.scopes
    with pytest.raises(Forbidden, match="Admin role required"):
        auth.require(Scope.ADMIN)


def test_an_expired_key_is_refused(world: World) -> None:
    user = world.user()
    expires = world.clock.now() + timedelta(days=30)
    created = world.create_key()(user.id, "tmp", expires_at=expires)
    assert created.key.expires_at == expires
    world.authenticate()(created.secret)
    world.clock.advance(timedelta(days=30).total_seconds() - 1)
    world.authenticate()(created.secret)
    world.clock.advance(1)
    with pytest.raises(Unauthenticated, match="API key expired"):
        world.authenticate()(created.secret)


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=-1), timedelta(days=-400)])
def test_an_expiry_must_lie_ahead(world: World, offset: timedelta) -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        world.create_key()(world.user().id, "k", expires_at=world.clock.now() + offset)


UploaderFor = Callable[[frozenset[Scope] | None], Uploader]


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (None, True),  # a browser session: bounded by the account alone
        (frozenset({Scope.UPLOAD, Scope.ALBUMS}), True),
        (frozenset({Scope.UPLOAD}), False),
    ],
)
def test_an_album_target_needs_the_albums_scope(
    world: World, scopes: frozenset[Scope] | None, allowed: bool
) -> None:
    user = world.user()
    album = world.album(user)
    uploader = attrs.evolve(Uploader(user=user), scopes=scopes)
    if allowed:
        world.upload_one(uploader, album_id=album.id)
        return
    with pytest.raises(Forbidden, match="lacks the albums scope"):
        world.upload(uploader, png(), album_id=album.id)
    world.upload_one(uploader)  # without an album target the same key uploads
    assert world.storage.iter_keys()

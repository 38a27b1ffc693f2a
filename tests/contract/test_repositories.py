"""The repository / unit-of-work contract, run against memory, SQLite and Postgres.

Most tests speak only the domain ports, so every adapter must pass them unchanged. Tests
named `test_sql_*` cover what only a database has: constraint violations (raised as
`Conflict`; the memory adapter enforces no uniqueness), concurrent transactions, the shared
rate limiter, and the migrated schema matching `tables.metadata`.

SQLite databases are copies of one migrated template file per test; Postgres uses one
migrated database per session (tests/support/pg.py), truncated before each test. The
`backend`, `sql` and `pg` fixtures come from tests/support/sql_fixtures.py.
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select

from imgtree.adapters.memory import FixedClock, MemoryRateLimiter
from imgtree.adapters.sql import SqlRateLimiter, create_engine_for, sql_uow_factory
from imgtree.adapters.sql.migrate import upgrade
from imgtree.adapters.sql.repositories.mapping import image_values
from imgtree.adapters.sql.tables import images as images_table
from imgtree.adapters.sql.tables import metadata, rate_limit_windows
from imgtree.domain.commands import ImageQuery, ImageSort, UserChanges
from imgtree.domain.errors import Conflict
from imgtree.domain.model import (
    Image,
    ImageFormat,
    PendingUpload,
    Role,
    Scope,
    Session,
    User,
    Visibility,
)
from imgtree.domain.ports import OpenUploads, RateLimiter, UnitOfWorkFactory, ViewCount
from tests.support.factories import T0, add_users, make_album, make_image, make_key, make_user
from tests.support.pg import temporary_database
from tests.support.sql_fixtures import Backend, sql_engine

# --- helpers ---------------------------------------------------------------------------------


def run_threads(n: int, target: Callable[[int], None]) -> None:
    """Run target(i) on n threads; re-raise the first failure (threads swallow them)."""
    errors: list[BaseException] = []

    def wrapped(i: int) -> None:
        try:
            target(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


# --- users -----------------------------------------------------------------------------------


def test_user_round_trip(backend: Backend) -> None:
    user = make_user(
        name="Ann",
        password_hash="$argon2id$x",
        role=Role.ADMIN,
        active=False,
        quota_bytes=5 * 1024**3,
    )
    add_users(backend.uow, user)
    with backend.uow() as uow:
        assert uow.users.get(user.id) == user
        assert uow.users.get(uuid.uuid4()) is None


def test_get_by_email_ignores_case_and_surrounding_space(backend: Backend) -> None:
    ann, bob = make_user("ann@example.com"), make_user("bob@example.com")
    add_users(backend.uow, ann, bob)
    with backend.uow() as uow:
        assert uow.users.get_by_email("ann@example.com") == ann
        assert uow.users.get_by_email("  ANN@Example.COM ") == ann
        assert uow.users.get_by_email("carol@example.com") is None


def test_user_update(backend: Backend) -> None:
    user = make_user(quota_bytes=10)
    add_users(backend.uow, user)
    changed = attrs.evolve(
        user, name="New", role=Role.ADMIN, active=False, quota_bytes=None, password_hash="h"
    )
    with backend.uow() as uow:
        uow.users.update(changed)
        uow.commit()
    with backend.uow() as uow:
        assert uow.users.get(user.id) == changed


# --- api keys --------------------------------------------------------------------------------


def test_api_key_round_trip_and_prefix_lookup(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    key = make_key(user, last_used_at=T0 + timedelta(seconds=5), upload_count=7)
    with backend.uow() as uow:
        uow.api_keys.add(key)
        uow.commit()
    with backend.uow() as uow:
        assert uow.api_keys.get(key.id) == key
        assert uow.api_keys.get_by_prefix(key.prefix) == key
        assert uow.api_keys.get_by_prefix("nosuchprefix") is None
        assert uow.api_keys.get(uuid.uuid4()) is None


@pytest.mark.parametrize(
    "scopes",
    [frozenset({Scope.UPLOAD}), frozenset({Scope.ADMIN, Scope.IMAGES_DELETE}), frozenset(Scope)],
)
def test_api_key_scopes_and_expiry_round_trip(backend: Backend, scopes: frozenset[Scope]) -> None:
    user = make_user()
    add_users(backend.uow, user)
    key = make_key(user, scopes=scopes, expires_at=T0 + timedelta(days=90, microseconds=7))
    never = make_key(user, scopes=scopes)
    with backend.uow() as uow:
        uow.api_keys.add(key)
        uow.api_keys.add(never)
        uow.commit()
    with backend.uow() as uow:
        assert uow.api_keys.get(key.id) == key
        assert uow.api_keys.get_by_prefix(never.prefix) == never


def test_list_for_user_is_newest_first_with_ties_by_id(backend: Backend) -> None:
    ann, bob = make_user(), make_user()
    add_users(backend.uow, ann, bob)
    keys = [make_key(ann, created_at=T0) for _ in range(3)]
    keys += [make_key(ann, created_at=T0 + timedelta(seconds=1)), make_key(ann)]
    with backend.uow() as uow:
        for key in [*keys, make_key(bob)]:
            uow.api_keys.add(key)
        uow.commit()
    expected = sorted(keys, key=lambda k: (k.created_at, k.id), reverse=True)
    with backend.uow() as uow:
        assert uow.api_keys.list_for_user(ann.id) == expected
        assert uow.api_keys.list_for_user(uuid.uuid4()) == []


def test_api_key_update(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    key = make_key(user)
    with backend.uow() as uow:
        uow.api_keys.add(key)
        uow.commit()
    with backend.uow() as uow:
        loaded = uow.api_keys.get(key.id)
        assert loaded is not None
        revoked = attrs.evolve(loaded, revoked_at=T0 + timedelta(hours=1), name="old")
        uow.api_keys.update(revoked)
        uow.commit()
    with backend.uow() as uow:
        got = uow.api_keys.get(key.id)
        assert got == revoked
        assert got is not None and not got.active


def test_increment_uploads(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    key = make_key(user)
    with backend.uow() as uow:
        uow.api_keys.add(key)
        uow.commit()
    with backend.uow() as uow:
        uow.api_keys.increment_uploads(key.id, 1)
        uow.api_keys.increment_uploads(key.id, 4)
        uow.api_keys.increment_uploads(uuid.uuid4(), 1)  # unknown key: nothing happens
        uow.commit()
    with backend.uow() as uow:
        got = uow.api_keys.get(key.id)
        assert got is not None and got.upload_count == 5


def test_increment_uploads_from_ten_threads_loses_nothing(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    key = make_key(user)
    with backend.uow() as uow:
        uow.api_keys.add(key)
        uow.commit()

    def upload(_i: int) -> None:
        for _ in range(5):
            with backend.uow() as uow:
                uow.api_keys.increment_uploads(key.id, 1)
                uow.commit()

    run_threads(10, upload)
    with backend.uow() as uow:
        got = uow.api_keys.get(key.id)
        assert got is not None and got.upload_count == 50


# --- view counts -----------------------------------------------------------------------------


def test_add_views_increments_and_update_never_writes_the_counts(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    first, second = make_image(user), make_image(user)
    with backend.uow() as uow:
        uow.images.add(first)
        uow.images.add(second)
        uow.commit()
    with backend.uow() as uow:
        stale = uow.images.get(first.id)  # read before the counts move
        uow.images.add_views(
            {
                first.slug: ViewCount(2, 5),
                second.slug: ViewCount(0, 1),
                "nosuchslug": ViewCount(9, 9),
            }
        )
        uow.images.add_views({first.slug: ViewCount(1, 0)})
        uow.commit()
    assert stale is not None
    with backend.uow() as uow:
        uow.images.update(attrs.evolve(stale, title="Renamed"))  # its counts are 0
        uow.commit()
    with backend.uow() as uow:
        got, other = uow.images.get(first.id), uow.images.get(second.id)
    assert got is not None and other is not None
    assert (got.title, got.page_views, got.media_hits) == ("Renamed", 3, 5)
    assert (other.page_views, other.media_hits) == (0, 1)


def test_add_views_from_ten_threads_loses_nothing(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    images = [make_image(user) for _ in range(3)]
    with backend.uow() as uow:
        for image in images:
            uow.images.add(image)
        uow.commit()

    def flush(i: int) -> None:
        for _ in range(5):
            with backend.uow() as uow:  # every batch names the images in another order
                uow.images.add_views(
                    {img.slug: ViewCount(1, 2) for img in images[i % 3 :] + images[: i % 3]}
                )
                uow.commit()

    run_threads(10, flush)
    with backend.uow() as uow:
        for image in images:
            got = uow.images.get(image.id)
            assert got is not None and (got.page_views, got.media_hits) == (50, 100)


# --- gallery queries (search, sort, filter) ---------------------------------------------------


def _gallery(backend: Backend) -> tuple[User, dict[str, Image]]:
    """Five live images of one owner (plus a deleted one and someone else's that match
    every query), named so every database's collation orders them alike."""
    owner, other = make_user(), make_user()
    add_users(backend.uow, owner, other)
    made = {
        "alpha": make_image(owner, original_name="alpha.png", size_bytes=300, created_at=T0),
        "bravo": make_image(
            owner,
            original_name="Bravo.JPG",
            content_type=ImageFormat.JPEG,
            size_bytes=900,
            title="Beach day",
            created_at=T0 + timedelta(seconds=1),
        ),
        "charlie": make_image(
            owner,
            original_name="charlie.png",
            size_bytes=50,
            is_public=False,
            created_at=T0 + timedelta(seconds=2),
        ),
        "delta": make_image(
            owner,
            original_name="delta_100%.png",
            size_bytes=900,
            listed=True,
            title="the BEACH again",
            created_at=T0 + timedelta(seconds=3),
        ),
        "echo": make_image(
            owner,
            original_name="echo.gif",
            content_type=ImageFormat.GIF,
            size_bytes=10,
            created_at=T0 + timedelta(seconds=4),
        ),
    }
    gone = make_image(owner, original_name="beach-gone.png", deleted_at=T0)
    theirs = make_image(other, original_name="beach.png", title="beach")
    with backend.uow() as uow:
        for image in [*made.values(), gone, theirs]:
            uow.images.add(image)
        uow.commit()
    return owner, made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (ImageQuery(), ["echo", "delta", "charlie", "bravo", "alpha"]),
        (ImageQuery(sort=ImageSort.OLDEST), ["alpha", "bravo", "charlie", "delta", "echo"]),
        # ties (bravo and delta, 900 bytes) by id, as every order: stable pages
        (ImageQuery(sort=ImageSort.SIZE), ["<900>", "<900>", "alpha", "charlie", "echo"]),
        (ImageQuery(sort=ImageSort.NAME), ["alpha", "bravo", "charlie", "delta", "echo"]),
        (ImageQuery(search="  BEACH "), ["delta", "bravo"]),  # titles, any case, trimmed
        (ImageQuery(search="png", sort=ImageSort.NAME), ["alpha", "charlie", "delta"]),
        (ImageQuery(search="100%"), ["delta"]),  # LIKE's wildcards are literal
        (ImageQuery(search="_1"), ["delta"]),
        (ImageQuery(search="%"), ["delta"]),
        (ImageQuery(visibility=Visibility.PRIVATE), ["charlie"]),
        (ImageQuery(visibility=Visibility.PUBLIC), ["delta"]),
        (ImageQuery(visibility=Visibility.UNLISTED), ["echo", "bravo", "alpha"]),
        (ImageQuery(content_type=ImageFormat.PNG), ["delta", "charlie", "alpha"]),
        (
            ImageQuery(search="a", content_type=ImageFormat.PNG, sort=ImageSort.SIZE),
            ["delta", "alpha", "charlie"],
        ),
        (ImageQuery(search="zulu"), []),
    ],
)
def test_gallery_query_searches_filters_and_orders(
    backend: Backend, query: ImageQuery, expected: list[str]
) -> None:
    owner, made = _gallery(backend)
    names = {image.id: name for name, image in made.items()}
    with backend.uow(read_only=True) as uow:
        found = uow.images.list_for_owner(owner.id, offset=0, limit=50, query=query)
        total = uow.images.count_for_owner(owner.id, query=query)
        paged = [
            uow.images.list_for_owner(owner.id, offset=k, limit=2, query=query)
            for k in range(0, 6, 2)
        ]
    got = [names[image.id] for image in found]
    if expected[:2] == ["<900>", "<900>"]:
        ties = sorted([made["bravo"], made["delta"]], key=lambda i: i.id, reverse=True)
        expected = [names[ties[0].id], names[ties[1].id], *expected[2:]]
    assert got == expected
    assert total == len(expected)
    assert [image for page in paged for image in page] == found  # pages tile the list


# --- albums ----------------------------------------------------------------------------------


def test_album_round_trip(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    album = make_album(user, description="Summer", is_public=False)
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.commit()
    with backend.uow() as uow:
        assert uow.albums.get(album.id) == album
        assert uow.albums.get(uuid.uuid4()) is None


# --- images ----------------------------------------------------------------------------------


def test_image_round_trip_with_every_field(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    album, key = make_album(user), make_key(user)
    image = make_image(
        user,
        content_type=ImageFormat.GIF,
        thumb_content_type=ImageFormat.PNG,
        size_bytes=12_345_678_901,  # beyond 32 bits
        album_id=album.id,
        api_key_id=key.id,
        animated=True,
        is_public=False,
        title="A cat",
        description="Ünïcödé <b>description</b> 猫",
        original_name="Ünïcödé 猫.gif",
    )
    guest = make_image(None)
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.api_keys.add(key)
        uow.images.add(image)
        uow.images.add(guest)
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.get(image.id) == image
        assert uow.images.get(guest.id) == guest
        assert uow.images.get_by_slug(image.slug) == image
        assert uow.images.get(uuid.uuid4()) is None


def test_slug_lookups_see_live_images_and_exists_sees_all(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    live, gone = make_image(user), make_image(user, deleted_at=T0 + timedelta(minutes=1))
    with backend.uow() as uow:
        uow.images.add(live)
        uow.images.add(gone)
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.get_by_slug(live.slug) == live
        assert uow.images.get_by_slug(gone.slug) is None
        assert uow.images.get(gone.id) == gone  # get sees deleted images
        assert uow.images.slug_exists(live.slug)
        assert uow.images.slug_exists(gone.slug)  # a deleted image's slug is never reused
        assert not uow.images.slug_exists("zzzzzzzz")


def test_list_for_owner_pages_newest_first_with_stable_ties(backend: Backend) -> None:
    owner, other = make_user(), make_user()
    add_users(backend.uow, owner, other)
    # Several images share a timestamp: the id breaks the tie, so pages never overlap.
    stamps = [T0, T0, T0, T0 + timedelta(seconds=1), T0 + timedelta(microseconds=1), T0, T0]
    mine = [
        make_image(owner, created_at=at, size_bytes=10 * (i + 1)) for i, at in enumerate(stamps)
    ]
    noise = [
        make_image(owner, deleted_at=T0 + timedelta(hours=1), created_at=T0 + timedelta(days=1)),
        make_image(other, created_at=T0 + timedelta(days=1)),
        make_image(None, created_at=T0 + timedelta(days=1)),
    ]
    with backend.uow() as uow:
        for image in [*mine, *noise]:
            uow.images.add(image)
        uow.commit()
    expected = sorted(mine, key=lambda i: (i.created_at, i.id), reverse=True)
    with backend.uow() as uow:
        pages = [uow.images.list_for_owner(owner.id, offset=o, limit=3) for o in (0, 3, 6, 9)]
        assert [len(p) for p in pages] == [3, 3, 1, 0]
        assert [i for page in pages for i in page] == expected
        assert uow.images.list_for_owner(owner.id, offset=2, limit=2) == expected[2:4]
        assert uow.images.list_for_owner(uuid.uuid4(), offset=0, limit=10) == []


def test_count_and_bytes_cover_only_live_images(backend: Backend) -> None:
    owner, other = make_user(), make_user()
    add_users(backend.uow, owner, other)
    with backend.uow() as uow:
        uow.images.add(make_image(owner, size_bytes=100))
        uow.images.add(make_image(owner, size_bytes=3_000_000_000))
        uow.images.add(make_image(owner, size_bytes=7, deleted_at=T0))
        uow.images.add(make_image(other, size_bytes=50))
        uow.images.add(make_image(None, size_bytes=60))
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.count_for_owner(owner.id) == 2
        assert uow.images.bytes_for_owner(owner.id) == 3_000_000_100
        assert uow.images.count_for_owner(uuid.uuid4()) == 0
        assert uow.images.bytes_for_owner(uuid.uuid4()) == 0


def test_mark_deleted_is_a_one_time_soft_delete(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    image = make_image(owner, size_bytes=40)
    with backend.uow() as uow:
        uow.images.add(image)
        uow.commit()
    at = T0 + timedelta(hours=2, microseconds=5)
    with backend.uow() as uow:
        assert uow.images.mark_deleted(image.id, at) is True
        assert uow.images.mark_deleted(image.id, at + timedelta(hours=1)) is False
        assert uow.images.mark_deleted(uuid.uuid4(), at) is False
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.get(image.id) == attrs.evolve(image, deleted_at=at)
        assert uow.images.get_by_slug(image.slug) is None
        assert uow.images.count_for_owner(owner.id) == 0
        assert uow.images.bytes_for_owner(owner.id) == 0
        assert uow.images.list_for_owner(owner.id, offset=0, limit=10) == []


def test_mark_deleted_without_commit_is_undone(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    image = make_image(owner)
    with backend.uow() as uow:
        uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.mark_deleted(image.id, T0)
    with backend.uow() as uow:
        assert uow.images.get_by_slug(image.slug) == image
        assert uow.images.mark_deleted(image.id, T0)


# --- transactions ----------------------------------------------------------------------------


def test_commit_persists_and_own_writes_are_visible_before_it(backend: Backend) -> None:
    user = make_user()
    with backend.uow() as uow:
        uow.users.add(user)
        assert uow.users.get(user.id) == user
        uow.commit()
    with backend.uow() as uow:
        assert uow.users.get(user.id) == user


def test_leaving_without_commit_discards(backend: Backend) -> None:
    user = make_user()
    with backend.uow() as uow:
        uow.users.add(user)
    with backend.uow() as uow:
        assert uow.users.get(user.id) is None


def test_an_exception_discards_and_propagates(backend: Backend) -> None:
    user = make_user()
    with pytest.raises(RuntimeError, match="boom"), backend.uow() as uow:
        uow.users.add(user)
        raise RuntimeError("boom")
    with backend.uow() as uow:
        assert uow.users.get(user.id) is None


def test_rollback_discards_and_the_unit_of_work_goes_on(backend: Backend) -> None:
    dropped, kept = make_user(), make_user()
    with backend.uow() as uow:
        uow.users.add(dropped)
        uow.rollback()
        assert uow.users.get(dropped.id) is None
        uow.users.add(kept)
        uow.commit()
    with backend.uow() as uow:
        assert uow.users.get(dropped.id) is None
        assert uow.users.get(kept.id) == kept


def test_commit_then_more_work_needs_another_commit(backend: Backend) -> None:
    first, second = make_user(), make_user()
    with backend.uow() as uow:
        uow.users.add(first)
        uow.commit()
        uow.users.add(second)
    with backend.uow() as uow:
        assert uow.users.get(first.id) == first
        assert uow.users.get(second.id) is None


def test_commit_outside_the_block_is_an_error(backend: Backend) -> None:
    uow = backend.uow()
    with pytest.raises(RuntimeError):
        uow.commit()
    with uow:
        pass
    with pytest.raises(RuntimeError):
        uow.commit()


def test_datetimes_keep_their_instant_and_microseconds(backend: Backend) -> None:
    plus_5_30 = timezone(timedelta(hours=5, minutes=30))
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=plus_5_30)
    user = make_user(created_at=at)
    add_users(backend.uow, user)
    with backend.uow() as uow:
        got = uow.users.get(user.id)
    assert got is not None and got.created_at == at
    if backend.name != "memory":  # the database hands every value back in UTC
        assert got.created_at.tzinfo is UTC
        assert got.created_at == at.astimezone(UTC)


# --- SQL only: constraints -------------------------------------------------------------------


def test_sql_duplicates_raise_conflict_and_keep_the_unit_of_work_usable(sql: Backend) -> None:
    user = make_user("ann@example.com")
    add_users(sql.uow, user)
    key, image = make_key(user), make_image(user)
    with sql.uow() as uow:
        uow.api_keys.add(key)
        uow.images.add(image)
        uow.commit()
    survivor = make_user()
    with sql.uow() as uow:
        uow.users.add(survivor)
        with pytest.raises(Conflict):
            uow.users.add(make_user("ann@example.com"))
        with pytest.raises(Conflict):
            uow.users.add(user)  # same primary key
        with pytest.raises(Conflict):
            uow.api_keys.add(make_key(user, prefix=key.prefix))
        with pytest.raises(Conflict):
            uow.images.add(make_image(user, slug=image.slug))
        with pytest.raises(Conflict):
            uow.users.update(attrs.evolve(survivor, email="ann@example.com"))
        uow.commit()  # the failed statements were undone to their savepoints only
    with sql.uow() as uow:
        assert uow.users.get(survivor.id) == survivor


def test_sql_missing_references_raise_conflict(sql: Backend) -> None:
    ghost = make_user()
    with sql.uow() as uow:
        with pytest.raises(Conflict):
            uow.images.add(make_image(ghost))
        with pytest.raises(Conflict):
            uow.api_keys.add(make_key(ghost))


# --- SQL only: concurrency -------------------------------------------------------------------


def test_sql_concurrent_mark_deleted_has_exactly_one_winner(sql: Backend) -> None:
    owner = make_user()
    add_users(sql.uow, owner)
    targets = [make_image(owner) for _ in range(5)]
    with sql.uow() as uow:
        for image in targets:
            uow.images.add(image)
        uow.commit()
    for image in targets:
        assert sorted(_race_to_delete(sql.uow, image.id)) == [False, True]


def _race_to_delete(uow_factory: UnitOfWorkFactory, image_id: uuid.UUID) -> list[bool]:
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def delete(_i: int) -> None:
        with uow_factory() as uow:
            barrier.wait(timeout=10)
            # Read, then write: the shape of DeleteImage, and the one SQLite's locking
            # must handle without "database is locked".
            if uow.images.get(image_id) is not None:
                results.append(uow.images.mark_deleted(image_id, T0))
            uow.commit()

    run_threads(2, delete)
    return results


def _read_then_write(uow_factory: UnitOfWorkFactory, key_id: uuid.UUID, rounds: int) -> None:
    for i in range(rounds):
        with uow_factory() as uow:
            key = uow.api_keys.get(key_id)
            assert key is not None
            uow.api_keys.update(attrs.evolve(key, last_used_at=T0 + timedelta(seconds=i)))
            uow.api_keys.increment_uploads(key_id, 1)
            uow.commit()


def test_sql_read_then_write_units_of_work_never_fail_or_lose_counts(sql: Backend) -> None:
    user = make_user()
    add_users(sql.uow, user)
    key = make_key(user)
    with sql.uow() as uow:
        uow.api_keys.add(key)
        uow.commit()
    run_threads(8, lambda _i: _read_then_write(sql.uow, key.id, 5))
    with sql.uow() as uow:
        got = uow.api_keys.get(key.id)
        assert got is not None and got.upload_count == 40


def _process_worker(url: str, key_id: uuid.UUID, rounds: int) -> None:
    engine = create_engine_for(url)
    try:
        _read_then_write(sql_uow_factory(engine), key_id, rounds)
    finally:
        engine.dispose()


def test_sql_sqlite_is_safe_across_processes(tmp_path: Path, sqlite_template: Path) -> None:
    """Several worker processes (as under gunicorn) write one SQLite file without errors."""
    path = tmp_path / "shared.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = create_engine_for(url)
    uow_factory = sql_uow_factory(engine)
    user = make_user()
    add_users(uow_factory, user)
    key = make_key(user)
    with uow_factory() as uow:
        uow.api_keys.add(key)
        uow.commit()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_worker, args=(url, key.id, 15)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with uow_factory() as uow:
        got = uow.api_keys.get(key.id)
        assert got is not None and got.upload_count == 60
    engine.dispose()


def test_sql_postgres_update_writes_only_changed_fields(pg: Backend) -> None:
    """READ COMMITTED: two units of work read one key and change different fields.

    `update` writes only what the caller changed, so the revoke survives the later
    last-used stamp and no upload count is written back stale.
    """
    user = make_user()
    add_users(pg.uow, user)
    key = make_key(user)
    with pg.uow() as uow:
        uow.api_keys.add(key)
        uow.commit()
    with pg.uow() as stamping:
        seen = stamping.api_keys.get(key.id)
        assert seen is not None
        with pg.uow() as revoking:
            loaded = revoking.api_keys.get(key.id)
            assert loaded is not None
            revoking.api_keys.update(attrs.evolve(loaded, revoked_at=T0))
            revoking.api_keys.increment_uploads(key.id, 2)
            revoking.commit()
        stamping.api_keys.update(attrs.evolve(seen, last_used_at=T0 + timedelta(seconds=9)))
        stamping.commit()
    with pg.uow() as uow:
        got = uow.api_keys.get(key.id)
    assert got == attrs.evolve(
        key, revoked_at=T0, last_used_at=T0 + timedelta(seconds=9), upload_count=2
    )


# --- rate limiter ----------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_limiter(request: pytest.FixtureRequest) -> Callable[[FixedClock], RateLimiter]:
    if request.param == "memory":
        return MemoryRateLimiter
    engine = sql_engine(request, request.param)
    return lambda clock: SqlRateLimiter(engine, clock)


@pytest.fixture
def sql_limiter_engine(sql: Backend) -> Engine:
    assert sql.engine is not None
    return sql.engine


def test_rate_limit_allows_exactly_limit_per_window(
    make_limiter: Callable[[FixedClock], RateLimiter],
) -> None:
    clock = FixedClock(datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC))  # 10 s into a window
    limiter = make_limiter(clock)
    decisions = [limiter.hit("upload:1.2.3.4", limit=3, window_seconds=60) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert {(d.limit, d.reset_after) for d in decisions} == {(3, 50)}
    other = limiter.hit("upload:5.6.7.8", limit=3, window_seconds=60)
    assert other.allowed and other.remaining == 2  # keys count separately

    clock.advance(49.5)  # still the same window
    assert not limiter.hit("upload:1.2.3.4", limit=3, window_seconds=60).allowed
    clock.advance(0.5)  # a new window resets the count
    fresh = limiter.hit("upload:1.2.3.4", limit=3, window_seconds=60)
    assert (fresh.allowed, fresh.remaining, fresh.reset_after) == (True, 2, 60)


def test_peek_tells_what_a_hit_would_get_and_counts_nothing(
    make_limiter: Callable[[FixedClock], RateLimiter],
) -> None:
    clock = FixedClock(datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC))
    limiter = make_limiter(clock)
    key = "login-fail-pair:a@example.com|1.2.3.4"
    fresh = limiter.peek(key, limit=2, window_seconds=60)
    assert (fresh.allowed, fresh.remaining, fresh.reset_after) == (True, 2, 50)
    for _ in range(5):
        limiter.peek(key, limit=2, window_seconds=60)  # looking counts nothing
    limiter.hit(key, limit=2, window_seconds=60)
    assert limiter.peek(key, limit=2, window_seconds=60).remaining == 1
    limiter.hit(key, limit=2, window_seconds=60)
    full = limiter.peek(key, limit=2, window_seconds=60)
    assert (full.allowed, full.remaining) == (False, 0)
    assert limiter.peek("another", limit=2, window_seconds=60).allowed
    clock.advance(50)  # the next window
    assert limiter.peek(key, limit=2, window_seconds=60).allowed


def test_sql_rate_limiter_matches_memory(sql_limiter_engine: Engine) -> None:
    start = datetime(2026, 1, 1, 0, 0, 59, 500000, tzinfo=UTC)
    mem_clock, sql_clock = FixedClock(start), FixedClock(start)
    memory, shared = MemoryRateLimiter(mem_clock), SqlRateLimiter(sql_limiter_engine, sql_clock)
    steps = [0, 0.2, 0.3, 1, 7, 0, 0, 30, 22, 0, 0, 0, 61, 0.1, 119]
    got: list[tuple[object, ...]] = []
    want: list[tuple[object, ...]] = []
    for step in steps:
        for clock in (mem_clock, sql_clock):
            clock.advance(step)
        for key in ("a", "b"):
            for limiter, out in ((memory, want), (shared, got)):
                d = limiter.hit(key, limit=2, window_seconds=30 if key == "a" else 60)
                out.append((d.allowed, d.limit, d.remaining, d.reset_after))
    assert got == want


def test_sql_rate_limiter_counts_concurrent_hits_exactly(sql_limiter_engine: Engine) -> None:
    limiter = SqlRateLimiter(sql_limiter_engine, FixedClock())
    allowed: list[bool] = []

    def hammer(_i: int) -> None:
        for _ in range(3):
            allowed.append(limiter.hit("k", limit=7, window_seconds=60).allowed)

    run_threads(10, hammer)
    assert len(allowed) == 30
    assert allowed.count(True) == 7


def test_sql_rate_limiter_sweeps_expired_windows(sql_limiter_engine: Engine) -> None:
    clock = FixedClock()
    limiter = SqlRateLimiter(sql_limiter_engine, clock, sweep_interval=60, retention_seconds=120)

    def rows() -> list[str]:
        with sql_limiter_engine.connect() as conn:
            return list(conn.execute(select(rate_limit_windows.c.key)).scalars())

    limiter.hit("old", limit=5, window_seconds=60)  # window [0, 60)
    clock.advance(70)
    limiter.hit("recent", limit=5, window_seconds=60)  # window [60, 120); a sweep finds nothing
    assert sorted(rows()) == ["old", "recent"]
    clock.advance(110)  # at 180 windows starting before 180 - 120 = 60 have expired
    limiter.hit("new", limit=5, window_seconds=60)
    assert sorted(rows()) == ["new", "recent"]
    with sql_limiter_engine.connect() as conn:
        total = conn.execute(select(func.sum(rate_limit_windows.c.count))).scalar_one()
    assert total == 2


# --- schema and engines ----------------------------------------------------------------------


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_sql_migrated_sqlite_keeps_every_index_of_the_metadata(tmp_path: Path) -> None:
    """compare_metadata cannot see expression indexes (ix_images_owner_live_name), and SQLite
    batch migrations rebuild tables without them: check every named index exists by name."""
    url = f"sqlite:///{tmp_path / 'indexes.sqlite3'}"
    upgrade(url)
    engine = create_engine_for(url)
    with engine.connect() as conn:
        present = {
            row[0]
            for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='index'")
        }
    engine.dispose()
    expected = {index.name for table in metadata.tables.values() for index in table.indexes}
    assert "ix_images_owner_live_name" in expected
    assert expected <= present, sorted(expected - present)


def test_sql_migrated_sqlite_schema_matches_metadata(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.sqlite3"  # the parent folders get created
    url = f"sqlite:///{path}"
    upgrade(url)
    upgrade(url)  # idempotent
    engine = create_engine_for(url)
    try:
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_sql_migrated_postgres_schema_matches_metadata(pg_session_engine: Engine) -> None:
    assert _schema_diff(pg_session_engine) == []


def test_sql_sqlite_engine_settings(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 15000}


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:p@db.example/imgtree",
        "postgresql://u:p@db.example/imgtree",
        "postgresql+psycopg://u:p@db.example/imgtree",
    ],
)
def test_sql_postgres_urls_use_psycopg_and_the_pool_sizes(url: str) -> None:
    engine = create_engine_for(url, pool_size=3, max_overflow=2)  # lazy: nothing connects
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.pool.size() == 3  # type: ignore[attr-defined]
    engine.dispose()


def test_sql_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        create_engine_for("mysql://u@localhost/imgtree")


# --- pending uploads (presign -> PUT -> complete) --------------------------------------------


def make_pending(owner: User | None, **kw: object) -> PendingUpload:
    pending_id = kw.pop("id", None) or uuid.uuid4()
    fields: dict[str, object] = {
        "id": pending_id,
        "owner_id": owner.id if owner else None,
        "filename": "cat.png",
        "declared_type": ImageFormat.PNG,
        "declared_size": 1234,
        "object_key": f"uploads/{pending_id}.png",
        "completion_token_hash": "sha256$" + uuid.uuid4().hex,
        "put_token_hash": "sha256$" + uuid.uuid4().hex,
        "created_at": T0,
        "expires_at": T0 + timedelta(minutes=15),
    }
    return PendingUpload(**(fields | kw))  # type: ignore[arg-type]


def add_pending(uow_factory: UnitOfWorkFactory, *pending: PendingUpload) -> None:
    with uow_factory() as uow:
        for p in pending:
            uow.pending_uploads.add(p)
        uow.commit()


def test_pending_upload_round_trip_and_hash_lookup(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    album, key = make_album(user), make_key(user)
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.api_keys.add(key)
        uow.commit()
    full = make_pending(
        user,
        api_key_id=key.id,
        album_id=album.id,
        is_public=False,
        filename="Ünïcödé 猫.gif",
        declared_type=ImageFormat.GIF,
        declared_size=12_345_678_901,  # beyond 32 bits
        expires_at=T0 + timedelta(minutes=15, microseconds=7),
    )
    guest = make_pending(None, address="2001:db8::1")
    add_pending(backend.uow, full, guest)
    with backend.uow() as uow:
        assert uow.pending_uploads.get(full.id) == full
        assert uow.pending_uploads.get(guest.id) == guest
        assert uow.pending_uploads.get(uuid.uuid4()) is None
        assert uow.pending_uploads.get_by_completion_hash(full.completion_token_hash) == full
        assert uow.pending_uploads.get_by_completion_hash(guest.completion_token_hash) == guest
        assert uow.pending_uploads.get_by_completion_hash(full.put_token_hash) is None
        assert uow.pending_uploads.get_by_completion_hash("sha256$nope") is None


def test_pending_upload_duplicates_are_a_conflict(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    first = make_pending(user)
    add_pending(backend.uow, first)
    survivor = make_pending(user)
    with backend.uow() as uow:
        uow.pending_uploads.add(survivor)
        with pytest.raises(Conflict):
            uow.pending_uploads.add(
                make_pending(user, completion_token_hash=first.completion_token_hash)
            )
        with pytest.raises(Conflict):
            uow.pending_uploads.add(make_pending(user, id=first.id))
        uow.commit()  # the unit of work stays usable
    with backend.uow() as uow:
        assert uow.pending_uploads.get(survivor.id) == survivor
        assert uow.pending_uploads.get(first.id) == first


def test_mark_received_and_claim_succeed_exactly_once(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    pending = make_pending(user)
    add_pending(backend.uow, pending)
    put_at, claim_at = T0 + timedelta(seconds=5), T0 + timedelta(seconds=9, microseconds=3)
    with backend.uow() as uow:
        assert uow.pending_uploads.mark_received(pending.id, put_at) is True
        assert uow.pending_uploads.mark_received(pending.id, claim_at) is False
        assert uow.pending_uploads.mark_received(uuid.uuid4(), put_at) is False
        uow.commit()
    with backend.uow() as uow:
        assert uow.pending_uploads.mark_received(pending.id, claim_at) is False
        assert uow.pending_uploads.claim(pending.id, claim_at) is True
        assert uow.pending_uploads.claim(pending.id, claim_at) is False
        assert uow.pending_uploads.claim(uuid.uuid4(), claim_at) is False
        uow.commit()
    with backend.uow() as uow:
        assert uow.pending_uploads.claim(pending.id, claim_at) is False
        assert uow.pending_uploads.get(pending.id) == attrs.evolve(
            pending, received_at=put_at, claimed_at=claim_at
        )


def test_claim_without_commit_is_undone(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    pending = make_pending(user)
    add_pending(backend.uow, pending)
    with backend.uow() as uow:
        assert uow.pending_uploads.claim(pending.id, T0)
        assert uow.pending_uploads.mark_received(pending.id, T0)
    with backend.uow() as uow:
        assert uow.pending_uploads.get(pending.id) == pending
        assert uow.pending_uploads.claim(pending.id, T0)


def test_set_image_records_the_published_image(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    pending, image = make_pending(user), make_image(user)
    add_pending(backend.uow, pending)
    with backend.uow() as uow:
        uow.images.add(image)
        assert uow.pending_uploads.claim(pending.id, T0)
        uow.pending_uploads.set_image(pending.id, image.id)
        uow.pending_uploads.set_image(uuid.uuid4(), image.id)  # unknown: nothing happens
        uow.commit()
    with backend.uow() as uow:
        assert uow.pending_uploads.get(pending.id) == attrs.evolve(
            pending, claimed_at=T0, image_id=image.id
        )


def test_list_stale_is_oldest_first_before_the_cut_off_with_limit(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    cut = T0 + timedelta(hours=1)
    # Ties on expires_at are broken by id, so batches are stable.
    stamps = [cut - timedelta(minutes=m) for m in (1, 30, 30, 30, 59, 5)]
    stale = [make_pending(user, expires_at=at) for at in stamps]
    stale.append(make_pending(None, expires_at=cut - timedelta(seconds=1), claimed_at=T0))
    fresh = [
        make_pending(user, expires_at=cut),  # not before the cut-off
        make_pending(user, expires_at=cut + timedelta(microseconds=1)),
    ]
    add_pending(backend.uow, *stale, *fresh)
    expected = sorted(stale, key=lambda p: (p.expires_at, p.id))
    with backend.uow() as uow:
        assert uow.pending_uploads.list_stale(cut, limit=100) == expected
        assert uow.pending_uploads.list_stale(cut, limit=3) == expected[:3]
        assert uow.pending_uploads.list_stale(T0, limit=100) == []


def test_remove_pending_upload(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    gone, kept = make_pending(user), make_pending(user)
    add_pending(backend.uow, gone, kept)
    with backend.uow() as uow:
        uow.pending_uploads.remove(gone.id)
        uow.pending_uploads.remove(uuid.uuid4())  # absent: not an error
        uow.commit()
    with backend.uow() as uow:
        assert uow.pending_uploads.get(gone.id) is None
        assert uow.pending_uploads.get_by_completion_hash(gone.completion_token_hash) is None
        assert uow.pending_uploads.get(kept.id) == kept
        uow.pending_uploads.remove(gone.id)  # twice: still fine
        uow.commit()


def test_count_open_counts_unexpired_unclaimed_uploads(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    now = T0 + timedelta(minutes=10)
    add_pending(
        backend.uow,
        make_pending(user),  # open
        make_pending(None),  # open (guest)
        make_pending(user, received_at=T0),  # received, not completed: still open
        make_pending(user, claimed_at=T0),  # claimed
        make_pending(user, expires_at=now),  # expired exactly now
        make_pending(user, expires_at=now - timedelta(seconds=1)),  # expired
    )
    with backend.uow() as uow:
        assert uow.pending_uploads.count_open(now) == 3
        assert uow.pending_uploads.count_open(T0 + timedelta(days=1)) == 0


def test_open_for_owner_counts_and_sums_the_accounts_open_uploads(backend: Backend) -> None:
    user, other = make_user(), make_user()
    add_users(backend.uow, user, other)
    now = T0 + timedelta(minutes=10)
    first = now + timedelta(seconds=30)
    add_pending(
        backend.uow,
        make_pending(user, declared_size=100, expires_at=now + timedelta(minutes=5)),
        make_pending(user, declared_size=20, expires_at=first),  # the first to expire
        make_pending(user, declared_size=3, received_at=T0),  # received only: still open
        make_pending(user, declared_size=10**11, claimed_at=T0),  # claimed: not open
        make_pending(user, declared_size=10**11, expires_at=now),  # expired exactly now
        make_pending(other, declared_size=7),  # someone else's
        make_pending(None, declared_size=9),  # a guest's
    )
    with backend.uow() as uow:
        opened = uow.pending_uploads.open_for_owner(user.id, now)
        assert opened == OpenUploads(count=3, declared_bytes=123, first_expiry=first)
        assert uow.pending_uploads.open_for_owner(other.id, now) == OpenUploads(
            1, 7, T0 + timedelta(minutes=15)
        )
        assert uow.pending_uploads.open_for_owner(uuid.uuid4(), now) == OpenUploads(0, 0, None)
        later = T0 + timedelta(days=1)
        assert uow.pending_uploads.open_for_owner(user.id, later) == OpenUploads(0, 0, None)


def test_open_for_guest_counts_by_client_address(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    now = T0 + timedelta(minutes=10)
    add_pending(
        backend.uow,
        make_pending(None, address="203.0.113.7", declared_size=5),
        make_pending(None, address="203.0.113.7", expires_at=now + timedelta(seconds=1)),
        make_pending(None, address="203.0.113.7", claimed_at=T0),  # claimed
        make_pending(None, address="203.0.113.7", expires_at=now - timedelta(seconds=1)),
        make_pending(None, address="2001:db8::7"),  # another address
        make_pending(None),  # a guest without an address
        make_pending(user, address="203.0.113.7"),  # an account's upload is not a guest's
    )
    with backend.uow() as uow:
        guests = uow.pending_uploads
        assert guests.open_for_guest("203.0.113.7", now) == OpenUploads(
            2, 5 + 1234, now + timedelta(seconds=1)
        )
        assert guests.open_for_guest("2001:db8::7", now).count == 1
        assert guests.open_for_guest(None, now).count == 1
        assert guests.open_for_guest("198.51.100.1", now) == OpenUploads(0, 0, None)


def test_sql_open_upload_counts_use_the_partial_indexes(sql: Backend) -> None:
    assert sql.engine is not None
    with sql.engine.connect() as conn:
        if sql.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'pending_uploads'"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'pending_uploads'"
            )
        names = {r[0] for r in rows}
    assert {"ix_pending_uploads_owner_open", "ix_pending_uploads_address_open"} <= names


def test_sql_concurrent_claim_and_receive_have_exactly_one_winner(sql: Backend) -> None:
    user = make_user()
    add_users(sql.uow, user)
    targets = [make_pending(user) for _ in range(3)]
    add_pending(sql.uow, *targets)
    for pending in targets:
        for method in ("mark_received", "claim"):
            results = _race_to_set_once(sql.uow, pending.id, method)
            assert sorted(results) == [False, True], (method, results)


def _race_to_set_once(
    uow_factory: UnitOfWorkFactory, pending_id: uuid.UUID, method: str
) -> list[bool]:
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def race(_i: int) -> None:
        with uow_factory() as uow:
            barrier.wait(timeout=10)
            # Read, then write: the shape of ReceiveUpload and CompleteUploads.
            if uow.pending_uploads.get(pending_id) is not None:
                results.append(getattr(uow.pending_uploads, method)(pending_id, T0))
            uow.commit()

    run_threads(2, race)
    return results


def test_sql_missing_pending_references_raise_conflict(sql: Backend) -> None:
    with sql.uow() as uow, pytest.raises(Conflict):
        uow.pending_uploads.add(make_pending(make_user()))


# --- purge candidates among images -----------------------------------------------------------


def test_list_deleted_before_only_old_soft_deleted_oldest_first(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    cut = T0 + timedelta(days=30)
    stamps = [cut - timedelta(days=d) for d in (1, 20, 20, 20, 29)]
    old = [make_image(owner, deleted_at=at) for at in stamps]
    old.append(make_image(None, deleted_at=cut - timedelta(microseconds=1)))
    noise = [
        make_image(owner),  # live
        make_image(owner, deleted_at=cut),  # deleted exactly at the cut-off
        make_image(owner, deleted_at=cut + timedelta(days=1)),
    ]
    with backend.uow() as uow:
        for image in [*old, *noise]:
            uow.images.add(image)
        uow.commit()
    expected = sorted(old, key=lambda i: (i.deleted_at, i.id))
    with backend.uow() as uow:
        assert uow.images.list_deleted_before(cut, limit=100) == expected
        assert uow.images.list_deleted_before(cut, limit=2) == expected[:2]
        assert uow.images.list_deleted_before(T0, limit=100) == []


def test_image_remove_deletes_the_row_for_good(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    gone = make_image(owner, deleted_at=T0)
    kept = make_image(owner, deleted_at=T0)
    with backend.uow() as uow:
        uow.images.add(gone)
        uow.images.add(kept)
        uow.commit()
    with backend.uow() as uow:
        uow.images.remove(gone.id)
        uow.images.remove(uuid.uuid4())  # absent: not an error
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.get(gone.id) is None
        assert not uow.images.slug_exists(gone.slug)
        assert uow.images.get(kept.id) == kept
        assert uow.images.list_deleted_before(T0 + timedelta(days=1), limit=10) == [kept]


# --- sessions --------------------------------------------------------------------------------


def make_session(user: User, **kw: object) -> Session:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "user_id": user.id,
        "token_hash": "sha256$" + uuid.uuid4().hex,
        "created_at": T0,
        "expires_at": T0 + timedelta(days=30),
        "last_seen_at": T0,
    }
    return Session(**(fields | kw))  # type: ignore[arg-type]


def add_sessions(uow_factory: UnitOfWorkFactory, *sessions: Session) -> None:
    with uow_factory() as uow:
        for session in sessions:
            uow.sessions.add(session)
        uow.commit()


def test_session_round_trip_and_token_hash_lookup(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    full = make_session(
        user,
        expires_at=T0 + timedelta(days=30, microseconds=7),
        last_seen_at=T0 + timedelta(seconds=3),
        revoked_at=T0 + timedelta(hours=1),
        user_agent="Mozilla/5.0 (Ünïcödé)",
        address="2001:db8::1",
    )
    plain = make_session(user)
    add_sessions(backend.uow, full, plain)
    with backend.uow() as uow:
        assert uow.sessions.get_by_token_hash(full.token_hash) == full
        assert uow.sessions.get_by_token_hash(plain.token_hash) == plain
        assert uow.sessions.get_by_token_hash("sha256$nope") is None


def test_session_update(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    session = make_session(user)
    add_sessions(backend.uow, session)
    seen = T0 + timedelta(minutes=5)
    with backend.uow() as uow:
        loaded = uow.sessions.get_by_token_hash(session.token_hash)
        assert loaded is not None
        slid = attrs.evolve(loaded, last_seen_at=seen, expires_at=seen + timedelta(days=30))
        uow.sessions.update(slid)
        uow.commit()
    with backend.uow() as uow:
        assert uow.sessions.get_by_token_hash(session.token_hash) == slid
        revoked = attrs.evolve(slid, revoked_at=seen + timedelta(seconds=1))
        uow.sessions.update(revoked)
        uow.sessions.update(make_session(user))  # unknown: never inserted
        uow.commit()
    with backend.uow() as uow:
        got = uow.sessions.get_by_token_hash(session.token_hash)
        assert got == revoked
        assert got is not None and not got.valid(seen)


def test_session_duplicate_token_hash_or_id_is_a_conflict(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    first = make_session(user)
    add_sessions(backend.uow, first)
    survivor = make_session(user)
    with backend.uow() as uow:
        uow.sessions.add(survivor)
        with pytest.raises(Conflict):
            uow.sessions.add(make_session(user, token_hash=first.token_hash))
        with pytest.raises(Conflict):
            uow.sessions.add(make_session(user, id=first.id))
        uow.commit()  # the unit of work stays usable
    with backend.uow() as uow:
        assert uow.sessions.get_by_token_hash(survivor.token_hash) == survivor
        assert uow.sessions.get_by_token_hash(first.token_hash) == first


def test_revoke_all_for_user_spares_the_kept_session_and_other_users(backend: Backend) -> None:
    ann, bob = make_user(), make_user()
    add_users(backend.uow, ann, bob)
    earlier = T0 + timedelta(minutes=1)
    keep, laptop, phone = make_session(ann), make_session(ann), make_session(ann)
    old = make_session(ann, revoked_at=earlier)
    bobs = make_session(bob)
    add_sessions(backend.uow, keep, laptop, phone, old, bobs)
    at = T0 + timedelta(hours=1, microseconds=3)

    with backend.uow() as uow:
        before = uow.sessions.get_by_token_hash(laptop.token_hash)
        assert before == laptop
        assert uow.sessions.revoke_all_for_user(ann.id, at, except_id=keep.id) == 2
        # Own writes are visible inside the unit of work.
        assert uow.sessions.get_by_token_hash(laptop.token_hash) == attrs.evolve(
            laptop, revoked_at=at
        )
        uow.commit()
    with backend.uow() as uow:
        for revoked in (laptop, phone):
            assert uow.sessions.get_by_token_hash(revoked.token_hash) == attrs.evolve(
                revoked, revoked_at=at
            )
        assert uow.sessions.get_by_token_hash(keep.token_hash) == keep
        assert uow.sessions.get_by_token_hash(old.token_hash) == old  # first revocation stays
        assert uow.sessions.get_by_token_hash(bobs.token_hash) == bobs
        assert uow.sessions.revoke_all_for_user(ann.id, at, except_id=keep.id) == 0
        assert uow.sessions.revoke_all_for_user(uuid.uuid4(), at) == 0
        assert uow.sessions.revoke_all_for_user(ann.id, at + timedelta(seconds=1)) == 1
        uow.commit()
    with backend.uow() as uow:
        got = uow.sessions.get_by_token_hash(keep.token_hash)
        assert got == attrs.evolve(keep, revoked_at=at + timedelta(seconds=1))
        assert uow.sessions.get_by_token_hash(bobs.token_hash) == bobs


def test_revoke_all_for_user_without_commit_is_undone(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    session = make_session(user)
    add_sessions(backend.uow, session)
    with backend.uow() as uow:
        assert uow.sessions.revoke_all_for_user(user.id, T0) == 1
    with backend.uow() as uow:
        assert uow.sessions.get_by_token_hash(session.token_hash) == session


def test_session_get_by_id(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    session = make_session(user, address="203.0.113.9")
    add_sessions(backend.uow, session)
    with backend.uow() as uow:
        assert uow.sessions.get(session.id) == session
        assert uow.sessions.get(uuid.uuid4()) is None


def test_list_active_for_user_is_live_sessions_newest_first(backend: Backend) -> None:
    ann, bob = make_user(), make_user()
    add_users(backend.uow, ann, bob)
    now = T0 + timedelta(days=1)
    older = make_session(ann, created_at=T0)
    newer = make_session(ann, created_at=T0 + timedelta(hours=2), address="198.51.100.1")
    twins = [make_session(ann, created_at=T0 + timedelta(hours=1)) for _ in range(2)]
    revoked = make_session(ann, created_at=T0 + timedelta(hours=3), revoked_at=T0)
    expired = make_session(ann, created_at=T0 + timedelta(hours=4), expires_at=now)
    add_sessions(backend.uow, older, newer, *twins, revoked, expired, make_session(bob))
    with backend.uow(read_only=True) as uow:
        listed = uow.sessions.list_active_for_user(ann.id, now)
        assert listed == [newer, *sorted(twins, key=lambda s: s.id), older]
        assert uow.sessions.list_active_for_user(uuid.uuid4(), now) == []


def test_user_two_factor_fields_round_trip(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    with backend.uow() as uow:
        loaded = uow.users.get(user.id)
        assert loaded == user and not loaded.two_factor_enabled
        assert loaded.recovery_codes == () and loaded.totp_last_step is None
    pending = attrs.evolve(user, totp_pending_secret="JBSWY3DPEHPK3PXP")
    with backend.uow() as uow:
        uow.users.update(pending)
        uow.commit()
    enabled = attrs.evolve(
        pending,
        totp_secret="JBSWY3DPEHPK3PXP",
        totp_pending_secret=None,
        totp_last_step=59_000_123,
        recovery_codes=("sha256$" + "a" * 64, "sha256$" + "b" * 64),
    )
    with backend.uow() as uow:
        assert uow.users.get(user.id) == pending
        uow.users.update(enabled)
        uow.commit()
    with backend.uow() as uow:
        got = uow.users.get(user.id)
        assert got == enabled and got is not None and got.two_factor_enabled
        assert uow.users.get_by_email(user.email) == enabled
        off = attrs.evolve(got, totp_secret=None, totp_last_step=None, recovery_codes=())
        uow.users.update(off)
        uow.commit()
    with backend.uow() as uow:
        assert uow.users.get(user.id) == off


def test_use_second_factor_is_a_compare_and_set(backend: Backend) -> None:
    keys = ("sha256$" + "a" * 64, "sha256$" + "b" * 64)
    user = make_user()
    add_users(backend.uow, user)
    enabled = attrs.evolve(user, totp_secret="JBSWY3DPEHPK3PXP", recovery_codes=keys)
    with backend.uow() as uow:
        uow.users.update(enabled)
        uow.commit()
    stepped = attrs.evolve(enabled, totp_last_step=100)
    with backend.uow() as uow:
        before = uow.users.get(user.id)
        assert before == enabled
        assert uow.users.use_second_factor(before, stepped) is True
        assert uow.users.get(user.id) == stepped  # own write visible
        # The same `before` again (a second request with the same code): refused.
        assert (
            uow.users.use_second_factor(before, attrs.evolve(before, totp_last_step=101)) is False
        )
        uow.commit()
    used_code = attrs.evolve(stepped, recovery_codes=keys[1:])
    with backend.uow() as uow:
        assert uow.users.get(user.id) == stepped
        assert uow.users.use_second_factor(stepped, used_code) is True
        assert uow.users.use_second_factor(stepped, used_code) is False
        uow.commit()
    with backend.uow() as uow:
        assert uow.users.get(user.id) == used_code
    with backend.uow() as uow:  # without commit: undone
        assert uow.users.use_second_factor(used_code, attrs.evolve(used_code, recovery_codes=()))
    with backend.uow() as uow:
        assert uow.users.get(user.id) == used_code


def test_sql_one_of_ten_concurrent_uses_of_a_code_wins(sql: Backend) -> None:
    user = make_user()
    add_users(sql.uow, user)
    enabled = attrs.evolve(user, totp_secret="JBSWY3DPEHPK3PXP", totp_last_step=7)
    with sql.uow() as uow:
        uow.users.update(enabled)
        uow.commit()
    wins: list[bool] = []

    def use(_i: int) -> None:
        with sql.uow() as uow:
            before = uow.users.get(user.id)
            assert before is not None
            won = before.totp_last_step == 7 and uow.users.use_second_factor(
                before, attrs.evolve(before, totp_last_step=8)
            )
            uow.commit()
        wins.append(won)

    run_threads(10, use)
    assert wins.count(True) == 1


# --- albums: listing, update, remove ---------------------------------------------------------


def test_album_list_for_owner_is_newest_first_and_only_the_owners(backend: Backend) -> None:
    ann, bob = make_user(), make_user()
    add_users(backend.uow, ann, bob)
    mine = [make_album(ann, created_at=T0) for _ in range(3)]  # ties: broken by id
    mine += [
        make_album(ann, created_at=T0 + timedelta(microseconds=1)),
        make_album(ann, created_at=T0 + timedelta(days=1), is_public=False),
    ]
    with backend.uow() as uow:
        for album in [*mine, make_album(bob, created_at=T0 + timedelta(days=2))]:
            uow.albums.add(album)
        uow.commit()
    expected = sorted(mine, key=lambda a: (a.created_at, a.id), reverse=True)
    with backend.uow() as uow:
        assert uow.albums.list_for_owner(ann.id) == expected
        assert len(uow.albums.list_for_owner(bob.id)) == 1
        assert uow.albums.list_for_owner(uuid.uuid4()) == []


def test_album_update(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    album = make_album(user)
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.commit()
    with backend.uow() as uow:
        loaded = uow.albums.get(album.id)
        assert loaded is not None
        changed = attrs.evolve(loaded, title="Renamed", description="Ünïcödé", is_public=False)
        uow.albums.update(changed)
        uow.albums.update(make_album(user))  # unknown: never inserted
        uow.commit()
    with backend.uow() as uow:
        assert uow.albums.get(album.id) == changed
        assert uow.albums.list_for_owner(user.id) == [changed]


def test_album_cover_round_trips_set_and_cleared(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    album = make_album(user)
    image = make_image(user, album_id=album.id)
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        assert uow.albums.get(album.id) == album  # no cover picked: None
        uow.albums.update(attrs.evolve(album, cover_image_id=image.id))
        uow.commit()
    with backend.uow() as uow:
        loaded = uow.albums.get(album.id)
        assert loaded is not None and loaded.cover_image_id == image.id
        uow.albums.update(attrs.evolve(loaded, cover_image_id=None))
        uow.commit()
    with backend.uow() as uow:
        assert uow.albums.get(album.id) == album


def test_album_listing_puts_arranged_images_first_in_their_order(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    album = make_album(user)
    images = [
        make_image(user, album_id=album.id, created_at=T0 + timedelta(seconds=i)) for i in range(4)
    ]
    with backend.uow() as uow:
        uow.albums.add(album)
        for image in images:
            uow.images.add(image)
        uow.commit()

    def listed() -> list[object]:
        with backend.uow() as uow:
            got = uow.images.list_for_owner(user.id, offset=0, limit=10, album_id=album.id)
        return [i.id for i in got]

    assert listed() == [i.id for i in reversed(images)]  # never arranged: newest first
    with backend.uow() as uow:  # the owner arranges two; the rest follow, newest first
        uow.images.update(attrs.evolve(images[0], album_position=0))
        uow.images.update(attrs.evolve(images[2], album_position=1))
        uow.commit()
    assert listed() == [images[0].id, images[2].id, images[3].id, images[1].id]
    with backend.uow() as uow:
        got = uow.images.get(images[2].id)
        assert got is not None and got.album_position == 1


def test_placeholders_round_trip_and_the_ones_missing_are_listed_by_id(backend: Backend) -> None:
    """Migration 0014's columns carry an image's placeholder; `list_without_placeholder`
    pages the live images that have none, by id (the backfill's keyset)."""
    user = make_user()
    add_users(backend.uow, user)
    ids = sorted(uuid.uuid4() for _ in range(5))
    images = [make_image(user, id=i) for i in ids]
    with backend.uow() as uow:
        for image in images:
            uow.images.add(image)
        uow.commit()
    filled = attrs.evolve(images[1], blurhash="L" + "0" * 27, dominant_color="#00ff7f")
    with backend.uow() as uow:
        uow.images.update(filled)
        uow.images.mark_deleted(ids[3], T0)
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.get(ids[1]) == filled
        first = uow.images.list_without_placeholder(after=None, limit=2)
        rest = uow.images.list_without_placeholder(after=first[-1].id, limit=10)
    assert [i.id for i in first] == [ids[0], ids[2]]
    assert [i.id for i in rest] == [ids[4]]  # deleted and filled ones never come


def test_album_remove_keeps_its_images_outside_any_album(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    gone, kept = make_album(owner), make_album(owner)
    inside = [
        make_image(owner, album_id=gone.id),
        make_image(owner, album_id=gone.id, is_public=False),
        make_image(owner, album_id=gone.id, deleted_at=T0),
    ]
    elsewhere = make_image(owner, album_id=kept.id)
    with backend.uow() as uow:
        uow.albums.add(gone)
        uow.albums.add(kept)
        for image in [*inside, elsewhere]:
            uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        uow.albums.remove(gone.id)
        uow.albums.remove(uuid.uuid4())  # absent: not an error
        uow.commit()
    with backend.uow() as uow:
        assert uow.albums.get(gone.id) is None
        assert uow.albums.list_for_owner(owner.id) == [kept]
        for image in inside:
            assert uow.images.get(image.id) == attrs.evolve(image, album_id=None)
        assert uow.images.get(elsewhere.id) == elsewhere
        assert uow.images.count_for_owner(owner.id, album_id=gone.id) == 0
        assert uow.images.count_for_owner(owner.id) == 3
        uow.albums.remove(gone.id)  # twice: still fine
        uow.commit()


def test_album_remove_without_commit_is_undone(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    album = make_album(owner)
    image = make_image(owner, album_id=album.id)
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        uow.albums.remove(album.id)
    with backend.uow() as uow:
        assert uow.albums.get(album.id) == album
        assert uow.images.get(image.id) == image


# --- images: update and the album filter -----------------------------------------------------


def test_image_update_persists_title_album_and_visibility(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    first, second = make_album(owner), make_album(owner)
    image = make_image(owner, album_id=first.id)
    with backend.uow() as uow:
        uow.albums.add(first)
        uow.albums.add(second)
        uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        loaded = uow.images.get(image.id)
        assert loaded is not None
        moved = attrs.evolve(loaded, title="Ünïcödé 猫", album_id=second.id, is_public=False)
        uow.images.update(moved)
        assert uow.images.get(image.id) == moved
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.get(image.id) == moved
        assert uow.images.get_by_slug(image.slug) == moved
        taken_out = attrs.evolve(moved, album_id=None, title="", is_public=True, description="Said")
        uow.images.update(taken_out)
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.get(image.id) == taken_out


def test_image_update_without_a_prior_read(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    image = make_image(owner)
    with backend.uow() as uow:
        uow.images.add(image)
        uow.commit()
    changed = attrs.evolve(image, title="Blind write", listed=True, description="Now described")
    with backend.uow() as uow:
        uow.images.update(changed)
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.get(image.id) == changed


def test_list_and_count_for_owner_filter_by_album(backend: Backend) -> None:
    owner, other = make_user(), make_user()
    add_users(backend.uow, owner, other)
    album, second = make_album(owner), make_album(owner)
    stamps = [T0, T0, T0 + timedelta(seconds=1), T0 + timedelta(microseconds=1), T0]
    inside = [make_image(owner, album_id=album.id, created_at=at) for at in stamps]
    noise = [
        make_image(owner, album_id=album.id, deleted_at=T0 + timedelta(hours=1)),
        make_image(owner, album_id=second.id, created_at=T0 + timedelta(days=1)),
        make_image(owner, created_at=T0 + timedelta(days=1)),
        make_image(other, album_id=album.id),  # in the album but not the owner's
    ]
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.albums.add(second)
        for image in [*inside, *noise]:
            uow.images.add(image)
        uow.commit()
    expected = sorted(inside, key=lambda i: (i.created_at, i.id), reverse=True)
    with backend.uow() as uow:
        images = uow.images
        assert images.count_for_owner(owner.id, album_id=album.id) == 5
        assert images.count_for_owner(owner.id, album_id=second.id) == 1
        assert images.count_for_owner(owner.id) == 7
        assert images.count_for_owner(owner.id, album_id=uuid.uuid4()) == 0
        assert images.count_for_owner(other.id, album_id=album.id) == 1
        pages = [
            images.list_for_owner(owner.id, offset=o, limit=2, album_id=album.id) for o in (0, 2, 4)
        ]
        assert [i for page in pages for i in page] == expected
        assert images.list_for_owner(owner.id, offset=0, limit=100, album_id=album.id) == expected
        assert len(images.list_for_owner(owner.id, offset=0, limit=100)) == 7
        assert images.list_for_owner(owner.id, offset=0, limit=10, album_id=uuid.uuid4()) == []


def test_album_remove_clears_it_from_pending_uploads(backend: Backend) -> None:
    """Like images, an upload presigned into the album completes outside any album."""
    owner = make_user()
    add_users(backend.uow, owner)
    album = make_album(owner)
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.commit()
    pending, other = make_pending(owner, album_id=album.id), make_pending(owner)
    add_pending(backend.uow, pending, other)
    with backend.uow() as uow:
        uow.albums.remove(album.id)
        uow.commit()
    with backend.uow() as uow:
        assert uow.pending_uploads.get(pending.id) == attrs.evolve(pending, album_id=None)
        assert uow.pending_uploads.get(other.id) == other


# --- quotas, admin queries, audit log and stats ------------------------------------------------

import contextlib  # noqa: E402
from typing import Any  # noqa: E402

from imgtree.domain.errors import QuotaExceeded  # noqa: E402
from imgtree.domain.model import AuditEntry  # noqa: E402


def _used(uow_factory: UnitOfWorkFactory, user: User) -> int:
    with uow_factory() as uow:
        got = uow.users.get(user.id)
        assert got is not None
        assert got.used_bytes == uow.images.bytes_for_owner(user.id)
        return got.used_bytes


def test_image_add_counts_usage_and_refuses_past_the_quota(backend: Backend) -> None:
    user = make_user(quota_bytes=250)
    add_users(backend.uow, user)
    first, second = make_image(user, size_bytes=100), make_image(user, size_bytes=150)
    too_big = make_image(user, size_bytes=1)
    with backend.uow() as uow:
        uow.images.add(first)
        uow.images.add(second)  # exactly at the quota is fine
        with pytest.raises(QuotaExceeded, match=r"^Storage quota exceeded: "):
            uow.images.add(too_big)
        # The unit of work goes on: the refusal changed nothing.
        assert uow.users.get(user.id).used_bytes == 250  # type: ignore[union-attr]
        assert uow.images.get(too_big.id) is None
        uow.commit()
    assert _used(backend.uow, user) == 250
    with backend.uow() as uow:
        assert uow.images.get(too_big.id) is None
        assert uow.images.count_for_owner(user.id) == 2


def test_image_add_without_quota_and_for_guests(backend: Backend) -> None:
    user = make_user()  # quota None: unlimited
    add_users(backend.uow, user)
    with backend.uow() as uow:
        uow.images.add(make_image(user, size_bytes=10**12))
        uow.images.add(make_image(None, size_bytes=10))  # guests have no usage
        uow.commit()
    assert _used(backend.uow, user) == 10**12


def test_a_refused_add_in_a_fresh_unit_of_work_keeps_usage(backend: Backend) -> None:
    user = make_user(quota_bytes=100)
    add_users(backend.uow, user)
    with backend.uow() as uow:
        uow.images.add(make_image(user, size_bytes=60))
        uow.commit()
    with backend.uow() as uow, pytest.raises(QuotaExceeded):
        uow.images.add(make_image(user, size_bytes=41))
    assert _used(backend.uow, user) == 60


def test_zero_quota_refuses_everything(backend: Backend) -> None:
    user = make_user(quota_bytes=0)
    add_users(backend.uow, user)
    with backend.uow() as uow, pytest.raises(QuotaExceeded):
        uow.images.add(make_image(user, size_bytes=1))
    assert _used(backend.uow, user) == 0


def test_mark_deleted_frees_usage_once(backend: Backend) -> None:
    user = make_user(quota_bytes=150)
    add_users(backend.uow, user)
    image = make_image(user, size_bytes=100)
    with backend.uow() as uow:
        uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.mark_deleted(image.id, T0) is True
        assert uow.images.mark_deleted(image.id, T0) is False  # not freed twice
        uow.commit()
    assert _used(backend.uow, user) == 0
    with backend.uow() as uow:  # the room is back
        uow.images.add(make_image(user, size_bytes=150))
        uow.commit()
    assert _used(backend.uow, user) == 150


def test_mark_deleted_without_commit_keeps_usage(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    image = make_image(user, size_bytes=100)
    with backend.uow() as uow:
        uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        uow.images.mark_deleted(image.id, T0)
    assert _used(backend.uow, user) == 100


def test_adding_an_already_deleted_image_uses_nothing(backend: Backend) -> None:
    user = make_user(quota_bytes=10)
    add_users(backend.uow, user)
    with backend.uow() as uow:
        uow.images.add(make_image(user, size_bytes=500, deleted_at=T0))
        uow.commit()
    assert _used(backend.uow, user) == 0


def test_usage_never_goes_negative(backend: Backend) -> None:
    user = make_user()
    add_users(backend.uow, user)
    image = make_image(user, size_bytes=100)
    with backend.uow() as uow:
        uow.images.add(image)
        # A counter that drifted (a row edited behind the repository's back): freeing more
        # than is counted clamps at zero instead of going negative.
        uow.images.update(attrs.evolve(image, size_bytes=500))
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.mark_deleted(image.id, T0)
        uow.commit()
    with backend.uow() as uow:
        assert uow.users.get(user.id).used_bytes == 0  # type: ignore[union-attr]


def test_image_of_a_missing_owner_is_a_conflict(backend: Backend) -> None:
    ghost = make_user()
    image = make_image(ghost)
    with backend.uow() as uow:
        with pytest.raises(Conflict):
            uow.images.add(image)
        assert uow.images.get(image.id) is None


def test_user_update_never_writes_used_bytes(backend: Backend) -> None:
    user = make_user(quota_bytes=1000)
    add_users(backend.uow, user)
    with backend.uow() as uow:
        uow.images.add(make_image(user, size_bytes=100))
        uow.commit()
    with backend.uow() as uow:  # a stale copy (used 0) and a forged one both leave it be
        uow.users.update(attrs.evolve(user, quota_bytes=500))
        uow.commit()
    with backend.uow() as uow:
        fresh = uow.users.get(user.id)
        assert fresh is not None
        uow.users.update(attrs.evolve(fresh, used_bytes=999_999, name="x"))
        uow.commit()
    with backend.uow() as uow:
        got = uow.users.get(user.id)
        assert got is not None
        assert (got.quota_bytes, got.name, got.used_bytes) == (500, "x", 100)


def test_user_add_keeps_given_usage(backend: Backend) -> None:
    user = make_user(used_bytes=42)
    add_users(backend.uow, user)
    with backend.uow() as uow:
        assert uow.users.get(user.id) == user


def test_user_search_counts_and_active_admins(backend: Backend) -> None:
    made = [
        make_user("ann@pets.org", name="Ann Cat", created_at=T0),
        make_user("bob@example.com", name="CATHY's dad", created_at=T0 + timedelta(seconds=1)),
        make_user("c_d@example.com", created_at=T0 + timedelta(seconds=2), role=Role.ADMIN),
        make_user("cd@example.com", created_at=T0 + timedelta(seconds=3), active=False),
        make_user(
            "e%f@example.com", created_at=T0 + timedelta(seconds=4), role=Role.ADMIN, active=False
        ),
        make_user("gil@pets.org", created_at=T0 + timedelta(seconds=5), role=Role.ADMIN),
    ]
    add_users(backend.uow, *reversed(made))  # insertion order must not matter
    ann, bob, c_d, cd, e_f, gil = made
    with backend.uow() as uow:
        users = uow.users

        def search(q: str, offset: int = 0, limit: int = 100) -> list[str]:
            return [u.email for u in users.search(q, offset=offset, limit=limit)]

        assert search("") == [u.email for u in made] and users.count_search("") == 6
        assert search("  PETS.ORG ") == [ann.email, gil.email]
        assert search("cat") == [ann.email, bob.email]  # names, case-insensitively
        assert users.count_search("cat") == 2
        assert search("_") == [c_d.email]  # LIKE wildcards are literal
        assert search("%") == [e_f.email] and users.count_search("%") == 1
        assert search("c_d") == [c_d.email] and search("cd") == [cd.email]
        assert search("example.com", offset=1, limit=2) == [c_d.email, cd.email]
        assert users.count_search("example.com") == 4
        assert search("nobody") == [] and users.count_search("nobody") == 0
        assert users.search("", offset=0, limit=1)[0] == ann
        assert users.count_active_admins() == 2
        assert users.counts() == (6, 4)


def test_counts_of_an_empty_instance(backend: Backend) -> None:
    with backend.uow() as uow:
        assert uow.users.counts() == (0, 0)
        assert uow.users.count_active_admins() == 0
        assert uow.users.count_search("") == 0
        assert uow.audit.count() == 0 and uow.audit.list(offset=0, limit=10) == []


def make_audit(**kw: object) -> AuditEntry:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "actor_id": None,
        "action": "user.update",
        "target_id": uuid.uuid4(),
        "details": '{"changes": {"active": {"from": true, "to": false}}}',
        "created_at": T0,
    }
    return AuditEntry(**(fields | kw))  # type: ignore[arg-type]


def test_audit_log_round_trip_order_and_count(backend: Backend) -> None:
    actor = make_user()  # actor_id references a user; target_id is free-form
    add_users(backend.uow, actor)
    same_time = [
        make_audit(actor_id=actor.id, created_at=T0 + timedelta(seconds=1)) for _ in range(3)
    ]
    oldest = make_audit(actor_id=None, target_id=None, created_at=T0)
    newest = make_audit(actor_id=actor.id, created_at=T0 + timedelta(minutes=5, microseconds=7))
    with backend.uow() as uow:
        for entry in [*same_time, newest, oldest]:
            uow.audit.add(entry)
        uow.commit()
    with backend.uow() as uow:  # not committed: discarded
        uow.audit.add(make_audit(actor_id=None))
    expected = [newest, *sorted(same_time, key=lambda e: e.id, reverse=True), oldest]
    with backend.uow() as uow:
        assert uow.audit.count() == 5
        assert uow.audit.list(offset=0, limit=10) == expected
        assert uow.audit.list(offset=1, limit=2) == expected[1:3]
        assert uow.audit.list(offset=5, limit=2) == []


def test_image_stats_basic_numbers(backend: Backend) -> None:
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    h, d = timedelta(hours=1), timedelta(days=1)
    bob, carol = make_user("bob@example.com"), make_user("carol@example.com")
    add_users(backend.uow, bob, carol, make_user())
    jpeg = {"content_type": ImageFormat.JPEG}
    deleted = make_image(carol, size_bytes=70, created_at=now - 3 * h, **jpeg)
    with backend.uow() as uow:
        for image in (
            make_image(bob, size_bytes=300, created_at=now - h),
            make_image(bob, size_bytes=200, created_at=now - 2 * d, **jpeg),
            make_image(carol, size_bytes=1000, created_at=now - 10 * d),
            make_image(None, size_bytes=50, created_at=now - 20 * d, content_type=ImageFormat.GIF),
            make_image(bob, size_bytes=400, created_at=now - 40 * d),
            # Just after midnight UTC, in an offset time zone: the UTC day counts.
            make_image(
                None,
                size_bytes=5,
                created_at=datetime(2026, 3, 9, 1, 30, tzinfo=timezone(timedelta(hours=5))),
            ),
            deleted,
        ):
            uow.images.add(image)
        uow.images.mark_deleted(deleted.id, now)
        uow.commit()
    with backend.uow() as uow:
        s = uow.stats.image_stats(now)
        assert (s.images, s.bytes_stored) == (6, 1955)
        assert (s.uploads_24h, s.uploads_7d, s.uploads_30d) == (2, 4, 6)
        assert (s.guest_uploads, s.account_uploads) == (2, 5)
        assert s.by_type == {"image/png": 4, "image/jpeg": 1, "image/gif": 1}
        assert s.top_uploaders == [
            (carol.id, "carol@example.com", 1, 1000),
            (bob.id, "bob@example.com", 3, 900),
        ]
        assert uow.stats.image_stats(now, top=1).top_uploaders == s.top_uploaders[:1]
        assert len(s.per_day) == 30
        assert (s.per_day[0][0], s.per_day[-1][0]) == ("2026-02-09", "2026-03-10")
        assert {day: (n, b) for day, n, b in s.per_day if n} == {
            "2026-03-10": (2, 370),
            "2026-03-08": (2, 200 + 5),
            "2026-02-28": (1, 1000),
            "2026-02-18": (1, 50),
        }
        week = uow.stats.image_stats(now, days=7).per_day
        assert [day for day, _, _ in week] == [f"2026-03-{n:02}" for n in range(4, 11)]


def test_sql_concurrent_adds_never_overshoot_the_quota(sql: Backend) -> None:
    """12 uploads race for the 350 bytes left: exactly 3 of 100 bytes fit, never a 4th."""
    user = make_user(quota_bytes=1000)
    add_users(sql.uow, user)
    with sql.uow() as uow:
        uow.images.add(make_image(user, size_bytes=650))
        uow.commit()
    n = 12
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def add(_i: int) -> None:
        barrier.wait(timeout=20)
        with sql.uow() as uow:
            try:
                uow.images.add(make_image(user, size_bytes=100))
            except QuotaExceeded:
                outcomes.append("refused")
                return
            uow.commit()
            outcomes.append("stored")

    run_threads(n, add)
    assert sorted(outcomes) == ["refused"] * 9 + ["stored"] * 3
    assert _used(sql.uow, user) == 950
    with sql.uow() as uow:
        assert uow.images.count_for_owner(user.id) == 4


def test_sql_concurrent_demotions_keep_an_active_admin(sql: Backend) -> None:
    """Two admins deactivating each other at the same moment: one must be refused.

    Each unit of work pauses right after counting the active admins (up to a second, for
    the other to count too); counting must lock, so the second count sees the first change.
    """
    from imgtree.adapters.system import SystemRandom
    from imgtree.domain.use_cases.admin import Admin

    first, second = make_user(role=Role.ADMIN), make_user(role=Role.ADMIN)
    add_users(sql.uow, first, second)
    both_counted = threading.Barrier(2)

    class PausingUow:
        def __init__(self) -> None:
            self.inner = sql.uow()

        def __enter__(self) -> Any:
            uow = self.inner.__enter__()
            count = uow.users.count_active_admins

            def count_then_pause() -> int:
                n = count()
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_counted.wait(timeout=1)
                return n

            uow.users.count_active_admins = count_then_pause  # type: ignore[method-assign]
            return uow

        def __exit__(self, *exc: object) -> None:
            self.inner.__exit__(*exc)  # type: ignore[arg-type]

    admin = Admin(PausingUow, FixedClock(T0), SystemRandom())
    outcomes: list[str] = []

    def deactivate_the_other(i: int) -> None:
        me, other = (first, second) if i == 0 else (second, first)
        try:
            admin.update_user(me, other.id, UserChanges(active=False))
            outcomes.append("done")
        except Conflict:
            outcomes.append("refused")

    run_threads(2, deactivate_the_other)
    assert sorted(outcomes) == ["done", "refused"]
    with sql.uow() as uow:
        assert uow.users.count_active_admins() == 1
        assert uow.audit.count() == 1


def test_a_read_only_unit_of_work_reads_committed_rows_and_refuses_to_commit(
    backend: Backend,
) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    with backend.uow(read_only=True) as uow:
        assert uow.users.get(owner.id) == owner
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()


# --- migration 0009: keys made before scopes keep their owner's full scopes -------------------


def _keys_before_scopes(url: str) -> dict[str, list[str]]:
    """Migrate to 0008, add an admin's and a user's key the old way, upgrade: their scopes."""
    upgrade(url, "0008")
    # Only the columns 0008 had (the metadata describes the head schema).
    users_0008 = sa.table(
        "users",
        *(sa.column(n, t) for n, t in [("id", sa.Uuid()), ("email", sa.Text())]),
        sa.column("name", sa.Text()),
        *(sa.column(n, t) for n, t in [("created_at", sa.DateTime(timezone=True))]),
        *(sa.column(n, t) for n, t in [("role", sa.Text()), ("active", sa.Boolean())]),
    )
    keys_0008 = sa.table(
        "api_keys",
        *(sa.column(n, sa.Uuid()) for n in ("id", "user_id")),
        *(sa.column(n, sa.Text()) for n in ("name", "prefix", "secret_hash")),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("upload_count", sa.Integer()),
    )
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            for role in ("admin", "user"):
                user_id = uuid.uuid4()
                conn.execute(
                    users_0008.insert().values(
                        id=user_id,
                        email=f"{role}@example.com",
                        name="",
                        created_at=T0,
                        role=role,
                        active=True,
                    )
                )
                conn.execute(
                    keys_0008.insert().values(
                        id=uuid.uuid4(),
                        user_id=user_id,
                        name=role,
                        prefix=f"{role:x<12}",
                        secret_hash="h",
                        created_at=T0,
                        upload_count=0,
                    )
                )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT name, scopes FROM api_keys")).all()
        return {name: scopes.split() for name, scopes in rows}
    finally:
        engine.dispose()


EXPECTED_AFTER_0009 = {
    "admin": ["upload", "images:read", "images:delete", "albums", "admin"],
    "user": ["upload", "images:read", "images:delete", "albums"],
}


def test_migration_0009_gives_old_keys_their_owners_scopes_sqlite(tmp_path: Path) -> None:
    assert _keys_before_scopes(f"sqlite:///{tmp_path / 'old.sqlite3'}") == EXPECTED_AFTER_0009


def test_migration_0009_gives_old_keys_their_owners_scopes_postgres() -> None:
    with temporary_database() as url:
        assert _keys_before_scopes(url) == EXPECTED_AFTER_0009


# --- claiming guest images (issue 15, item 3) ------------------------------------------------


def test_assign_owner_moves_a_live_guest_image_once_and_charges_usage(backend: Backend) -> None:
    user, other = make_user(), make_user()
    add_users(backend.uow, user, other)
    guest, gone, owned = (
        make_image(None, size_bytes=70),
        make_image(None, size_bytes=5, deleted_at=T0),
        make_image(other, size_bytes=9),
    )
    with backend.uow() as uow:
        for image in (guest, gone, owned):
            uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        assert uow.images.assign_owner(guest.id, user.id) is True
        assert uow.images.assign_owner(guest.id, other.id) is False  # already owned
        assert uow.images.assign_owner(gone.id, user.id) is False
        assert uow.images.assign_owner(owned.id, user.id) is False
        assert uow.images.assign_owner(uuid.uuid4(), user.id) is False
        uow.commit()
    assert _used(backend.uow, user) == 70
    assert _used(backend.uow, other) == 9
    with backend.uow() as uow:
        assert uow.images.get(guest.id) == attrs.evolve(guest, owner_id=user.id)
        assert uow.images.count_for_owner(user.id) == 1
        assert uow.images.list_for_owner(user.id, offset=0, limit=5) == [
            attrs.evolve(guest, owner_id=user.id)
        ]


def test_assign_owner_past_the_quota_is_refused_and_rolled_back(backend: Backend) -> None:
    user = make_user(quota_bytes=100)
    add_users(backend.uow, user)
    guest = make_image(None, size_bytes=101)
    with backend.uow() as uow:
        uow.images.add(guest)
        uow.commit()
    with backend.uow() as uow, pytest.raises(QuotaExceeded):
        uow.images.assign_owner(guest.id, user.id)
    assert _used(backend.uow, user) == 0
    with backend.uow() as uow:
        assert uow.images.get(guest.id) == guest  # still a guest image
        assert uow.images.count_for_owner(user.id) == 0


def test_public_only_listing_shows_public_and_unlisted_never_private(backend: Backend) -> None:
    """What an album's visitors see: public and unlisted images (the link was shared), never
    private ones; visibility and description round-trip on every adapter."""
    owner = make_user()
    add_users(backend.uow, owner)
    album = make_album(owner)
    shown = {
        v: make_image(
            owner,
            album_id=album.id,
            is_public=v.is_public,
            listed=v.listed,
            description=f"Ünïcödé {v.value}",
            created_at=T0 + timedelta(seconds=n),
        )
        for n, v in enumerate(Visibility)
    }
    with backend.uow() as uow:
        uow.albums.add(album)
        for image in shown.values():
            uow.images.add(image)
        uow.commit()
    with backend.uow() as uow:
        for image in shown.values():
            assert uow.images.get(image.id) == image
        visible = uow.images.list_for_owner(
            owner.id, offset=0, limit=10, album_id=album.id, public_only=True
        )
        assert {i.visibility for i in visible} == {Visibility.PUBLIC, Visibility.UNLISTED}
        assert uow.images.count_for_owner(owner.id, album_id=album.id, public_only=True) == 2
        assert uow.images.count_for_owner(owner.id, album_id=album.id) == 3
        # listed_only: what the owner's public profile shows (visibility public only)
        listed = uow.images.list_for_owner(owner.id, offset=0, limit=10, listed_only=True)
        assert listed == [shown[Visibility.PUBLIC]]
        assert uow.images.count_for_owner(owner.id, listed_only=True) == 1
        assert uow.images.count_for_owner(owner.id, album_id=album.id, listed_only=True) == 1
        assert uow.images.list_for_owner(owner.id, offset=1, limit=10, listed_only=True) == []


# --- migration 0011: every image keeps who sees it (is_public true: unlisted, false: private) --


def _visibility_after_0011(url: str) -> dict[str, tuple[str, str]]:
    """Migrate to 0010, add a guest's public and private image the old way, upgrade: each
    slug's visibility and description."""
    upgrade(url, "0010")
    images_0010 = sa.table(
        "images",
        *(sa.column(n, sa.Uuid()) for n in ("id",)),
        *(sa.column(n, sa.Text()) for n in ("slug", "original_name", "content_type")),
        *(sa.column(n, sa.Integer()) for n in ("size_bytes", "width", "height")),
        *(sa.column(n, sa.Text()) for n in ("storage_key", "thumb_key", "thumb_content_type")),
        sa.column("delete_token_hash", sa.Text()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        *(sa.column(n, sa.Boolean()) for n in ("animated", "is_public")),
        sa.column("title", sa.Text()),
    )
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            for slug, public in (("shown0011", True), ("hidden0011", False)):
                conn.execute(
                    images_0010.insert().values(
                        id=uuid.uuid4(),
                        slug=slug,
                        original_name="a.png",
                        content_type="image/png",
                        size_bytes=1,
                        width=1,
                        height=1,
                        storage_key=f"images/{slug}.png",
                        thumb_key=f"thumbs/{slug}.png",
                        thumb_content_type="image/png",
                        delete_token_hash="h",
                        created_at=T0,
                        animated=False,
                        is_public=public,
                        title="",
                    )
                )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT slug, is_public, listed, description FROM images")
            ).all()
        return {
            slug: (Visibility.of(bool(public), bool(listed)).value, description)
            for slug, public, listed, description in rows
        }
    finally:
        engine.dispose()


EXPECTED_AFTER_0011 = {"shown0011": ("unlisted", ""), "hidden0011": ("private", "")}


def test_migration_0011_keeps_who_sees_each_image_sqlite(tmp_path: Path) -> None:
    assert _visibility_after_0011(f"sqlite:///{tmp_path / 'old.sqlite3'}") == EXPECTED_AFTER_0011


def test_migration_0011_keeps_who_sees_each_image_postgres() -> None:
    with temporary_database() as url:
        assert _visibility_after_0011(url) == EXPECTED_AFTER_0011


# --- blobs (shared content references, migration 0019) ----------------------------------------


def test_blob_acquire_counts_and_release_deletes_the_row_at_zero(backend: Backend) -> None:
    with backend.uow() as uow:
        assert uow.blobs.refs("abc") == 0
        assert [uow.blobs.acquire("abc") for _ in range(3)] == [1, 2, 3]
        assert uow.blobs.acquire("other") == 1
        uow.commit()
    with backend.uow() as uow:
        assert (uow.blobs.refs("abc"), uow.blobs.refs("other")) == (3, 1)
        assert [uow.blobs.release("abc") for _ in range(3)] == [2, 1, 0]
        assert uow.blobs.release("abc") == 0  # never below zero, no row
        uow.commit()
    with backend.uow() as uow:
        assert (uow.blobs.refs("abc"), uow.blobs.refs("other")) == (0, 1)
        assert uow.blobs.lock("abc") == 0  # no row left behind by the release


def test_blob_lock_creates_an_empty_row_that_forget_removes(backend: Backend) -> None:
    with backend.uow() as uow:
        assert uow.blobs.lock("new") == 0
        uow.blobs.forget("new")
        uow.blobs.acquire("held")
        assert uow.blobs.lock("held") == 1
        uow.blobs.forget("held")  # holds a reference: kept
        uow.commit()
    with backend.uow() as uow:
        assert (uow.blobs.refs("new"), uow.blobs.refs("held")) == (0, 1)
        assert uow.blobs.acquire("new") == 1  # the forgotten row is really gone


def test_blob_changes_without_commit_are_undone(backend: Backend) -> None:
    with backend.uow() as uow:
        uow.blobs.acquire("x")
        uow.commit()
    with backend.uow() as uow:
        uow.blobs.acquire("x")
        uow.blobs.release("y")
    with backend.uow() as uow:
        assert (uow.blobs.refs("x"), uow.blobs.refs("y")) == (1, 0)


def test_count_live_with_key_counts_live_images_sharing_a_key(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    shared = [make_image(owner, storage_key="images/same.png") for _ in range(3)]
    other = make_image(owner, storage_key="images/other.png")
    with backend.uow() as uow:
        for image in [*shared, other]:
            uow.images.add(image)
        uow.images.mark_deleted(shared[0].id, T0)
        uow.commit()
    with backend.uow(read_only=True) as uow:
        assert uow.images.count_live_with_key("images/same.png") == 2
        assert uow.images.count_live_with_key("images/other.png") == 1
        assert uow.images.count_live_with_key("images/none.png") == 0


def test_sql_concurrent_acquires_and_releases_lose_no_count(sql: Backend) -> None:
    with sql.uow() as uow:
        uow.blobs.acquire("hot")
        uow.commit()

    def work(i: int) -> None:
        for _ in range(10):
            with sql.uow() as uow:
                if i % 2:
                    uow.blobs.acquire("hot")
                else:
                    uow.blobs.acquire("hot")
                    uow.blobs.release("hot")
                uow.commit()

    run_threads(6, work)
    with sql.uow(read_only=True) as uow:
        assert uow.blobs.refs("hot") == 1 + 3 * 10


def test_sql_a_released_row_blocks_an_acquire_until_the_release_commits(sql: Backend) -> None:
    """The heart of the protocol: whoever deletes bytes at zero holds the row's lock until
    its commit, and an upload's acquire then starts a fresh count (and re-checks storage)."""
    with sql.uow() as uow:
        uow.blobs.acquire("c")
        uow.commit()
    released, acquired = threading.Event(), threading.Event()
    seen: list[int] = []

    def acquirer(_: int) -> None:
        released.wait(10)
        with sql.uow() as uow:
            seen.append(uow.blobs.acquire("c"))
            uow.commit()
        acquired.set()

    def releaser() -> None:
        with sql.uow() as uow:
            assert uow.blobs.release("c") == 0
            released.set()
            # The acquirer must wait for this transaction (SQLite: the write lock; Postgres:
            # the deleted row's lock), so it cannot have finished yet.
            assert not acquired.wait(0.3)
            uow.commit()

    thread = threading.Thread(target=acquirer, args=(0,))
    thread.start()
    releaser()
    thread.join(20)
    assert seen == [1]
    with sql.uow(read_only=True) as uow:
        assert uow.blobs.refs("c") == 1


def test_sql_migration_0019_counts_the_existing_images(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, revision="0018")
    engine = create_engine_for(url)
    owner = make_user()
    add_users(sql_uow_factory(engine), owner)
    kept = make_image(owner, storage_key="images/aaa.png", thumb_key="thumbs/aaa.webp")
    # soft-deleted: still holds its reference
    gone = make_image(
        owner, storage_key="images/bbb.png", thumb_key="thumbs/bbb.webp", deleted_at=T0
    )
    # The 0018 schema: no blobs yet, nor the columns later migrations add to images.
    present = {c["name"] for c in sa.inspect(engine).get_columns("images")}
    then = sa.Table(
        "images", sa.MetaData(), *(c._copy() for c in images_table.c if c.name in present)
    )
    with engine.begin() as conn:
        conn.execute(
            then.insert(),
            [{k: v for k, v in image_values(i).items() if k in present} for i in (kept, gone)],
        )
    engine.dispose()
    upgrade(url)
    engine = create_engine_for(url)
    with sql_uow_factory(engine)(read_only=True) as uow:
        assert (uow.blobs.refs("aaa"), uow.blobs.refs("bbb"), uow.blobs.refs("ccc")) == (1, 1, 0)
    engine.dispose()


def test_image_stats_count_each_stored_file_once(backend: Backend) -> None:
    """`bytes_in_storage`: shared files once, soft-deleted images' until purge removes them;
    `bytes_stored` stays what live images charge."""
    ann, bob = make_user(), make_user()
    add_users(backend.uow, ann, bob)
    shared = {"storage_key": "images/shared.png", "size_bytes": 100}
    deleted = make_image(bob, storage_key="images/gone.png", size_bytes=7)
    with backend.uow() as uow:
        for image in (
            make_image(ann, **shared),
            make_image(bob, **shared),
            make_image(ann, storage_key="images/own.png", size_bytes=30),
            deleted,
        ):
            uow.images.add(image)
        uow.images.mark_deleted(deleted.id, T0)
        uow.commit()
    with backend.uow(read_only=True) as uow:
        s = uow.stats.image_stats(T0)
    assert (s.bytes_stored, s.bytes_in_storage) == (230, 137)


# --- expiry (issue 17 item 2) -----------------------------------------------------------------


def test_listings_and_counts_leave_out_images_expired_at_now(backend: Backend) -> None:
    """With `now`, every listing and count skips what expired at or before it (the same
    moment the rules hide it); without `now`, maintenance still sees them; `list_expired`
    finds the live expired ones for purge, soonest first, never a deleted one."""
    ann = make_user()
    add_users(backend.uow, ann)
    album = make_album(ann)
    now = T0 + timedelta(hours=1)
    forever = make_image(ann, created_at=T0, album_id=album.id, is_public=True, listed=True)
    later = make_image(
        ann,
        created_at=T0 + timedelta(seconds=1),
        album_id=album.id,
        is_public=True,
        listed=True,
        expires_at=now + timedelta(seconds=1),
    )
    at_now = make_image(
        ann,
        created_at=T0 + timedelta(seconds=2),
        album_id=album.id,
        is_public=True,
        listed=True,
        expires_at=now,
    )
    earlier = make_image(
        ann,
        created_at=T0 + timedelta(seconds=3),
        album_id=album.id,
        is_public=True,
        listed=True,
        expires_at=now - timedelta(minutes=5),
    )
    deleted = make_image(ann, expires_at=now - timedelta(days=1))
    with backend.uow() as uow:
        uow.albums.add(album)
        for image in (forever, later, at_now, earlier, deleted):
            uow.images.add(image)
        uow.images.mark_deleted(deleted.id, T0)
        uow.commit()
    shown = [later.id, forever.id]
    searched = ImageQuery(sort=ImageSort.OLDEST)
    with backend.uow(read_only=True) as uow:
        images = uow.images
        for kw in ({}, {"album_id": album.id}, {"public_only": True}, {"listed_only": True}):
            page = images.list_for_owner(ann.id, offset=0, limit=10, now=now, **kw)  # type: ignore[arg-type]
            assert [i.id for i in page] == shown, kw
            assert images.count_for_owner(ann.id, now=now, **kw) == 2, kw  # type: ignore[arg-type]
        oldest = images.list_for_owner(ann.id, offset=0, limit=10, now=now, query=searched)
        assert [i.id for i in oldest] == [forever.id, later.id]
        filtered = ImageQuery(visibility=Visibility.PUBLIC)
        assert images.count_for_owner(ann.id, now=now, query=filtered) == 2
        assert images.count_for_owner(ann.id) == 4  # no `now`: every live row
        assert len(images.list_for_owner(ann.id, offset=0, limit=10)) == 4
        expired = images.list_expired(now, limit=10)
        assert [i.id for i in expired] == [earlier.id, at_now.id]
        assert [i.id for i in images.list_expired(now, limit=1)] == [earlier.id]

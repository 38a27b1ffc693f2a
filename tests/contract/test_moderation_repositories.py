"""The moderation repositories (reports, block list, the admins' image search and hiding) on
every adapter: memory, SQLite and Postgres (the `backend` fixture)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from imgtree.adapters.sql import create_engine_for, sql_uow_factory
from imgtree.adapters.sql.migrate import alembic_config, upgrade
from imgtree.adapters.sql.repositories.mapping import image_values
from imgtree.adapters.sql.tables import images
from imgtree.domain.commands import ModerationQuery
from imgtree.domain.model import Report, ReportReason
from tests.support.factories import T0, add_users, make_image, make_user
from tests.support.pg import temporary_database
from tests.support.sql_fixtures import Backend

DIGEST_A, DIGEST_B = "a" * 64, "b" * 64


def _report(image_id: uuid.UUID, reporter: str, minutes: int = 0, **kw: object) -> Report:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "image_id": image_id,
        "reason": ReportReason.SPAM,
        "text": "<b>spam</b>\nreally",
        "reporter_hash": reporter,
        "created_at": T0 + timedelta(minutes=minutes),
    }
    return Report(**(fields | kw))  # type: ignore[arg-type]


def test_block_list_adds_once_and_finds_any_digest(backend: Backend) -> None:
    with backend.uow() as uow:
        assert uow.blocked_hashes.add(DIGEST_A, reason="abuse", image_id=uuid.uuid4(), at=T0)
        assert not uow.blocked_hashes.add(DIGEST_A, reason="again", image_id=None, at=T0)
        uow.commit()
    with backend.uow(read_only=True) as uow:
        assert uow.blocked_hashes.any_of([DIGEST_B, DIGEST_A])
        assert not uow.blocked_hashes.any_of([DIGEST_B])
        assert not uow.blocked_hashes.any_of([])
        assert uow.blocked_hashes.count() == 1


def test_reports_count_one_open_report_per_reporter_and_image(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    first, second = make_image(owner), make_image(None)
    with backend.uow() as uow:
        uow.images.add(first)
        uow.images.add(second)
        kept = _report(first.id, "r1", 1)
        assert uow.reports.add(kept)
        assert not uow.reports.add(_report(first.id, "r1", 2))  # a repeat: counted once
        assert uow.reports.add(_report(first.id, "r2", 3))
        assert uow.reports.add(_report(second.id, "r1", 2))
        uow.commit()
    with backend.uow() as uow:
        assert uow.reports.get(kept.id) == kept
        assert uow.reports.open_counts([first.id, second.id, uuid.uuid4()]) == {
            first.id: 2,
            second.id: 1,
        }
        # the most recently reported image first
        assert uow.reports.open_image_ids(offset=0, limit=10) == [first.id, second.id]
        assert uow.reports.open_image_ids(offset=1, limit=10) == [second.id]
        assert uow.reports.count_open_images() == 2
        listed = uow.reports.open_for_images([first.id])
        assert [r.reporter_hash for r in listed] == ["r2", "r1"]  # newest first
        assert uow.reports.dismiss(kept.id, T0)
        assert not uow.reports.dismiss(kept.id, T0)  # already closed
        assert not uow.reports.dismiss(uuid.uuid4(), T0)
        # once closed, the same reporter may report again
        assert uow.reports.add(_report(first.id, "r1", 4))
        assert uow.reports.dismiss_for_image(first.id, T0) == 2
        assert uow.reports.open_image_ids(offset=0, limit=10) == [second.id]
        uow.commit()
    with backend.uow(read_only=True) as uow:
        closed = uow.reports.get(kept.id)
        assert closed is not None and closed.dismissed_at == T0


def test_search_all_sees_every_owner_and_filters(backend: Backend) -> None:
    alice, bob = make_user(), make_user()
    add_users(backend.uow, alice, bob)
    named = {"original_name": "x.png"}
    a1 = make_image(alice, title="Sunset 50%_off", created_at=T0, **named)
    a2 = make_image(alice, original_name="Cat.PNG", created_at=T0 + timedelta(seconds=1))
    b1 = make_image(bob, created_at=T0 + timedelta(seconds=2), hidden=True, **named)
    guest = make_image(None, created_at=T0 + timedelta(seconds=3), uploader_hash="h" * 64, **named)
    gone = make_image(None, created_at=T0 + timedelta(seconds=4), deleted_at=T0)
    with backend.uow() as uow:
        for image in (a1, a2, b1, guest, gone):
            uow.images.add(image)
        uow.reports.add(_report(b1.id, "r"))
        uow.commit()
    with backend.uow(read_only=True) as uow:
        everyone = ModerationQuery()
        assert uow.images.search_all(everyone, offset=0, limit=10) == [guest, b1, a2, a1]
        assert uow.images.count_all(everyone) == 4
        assert uow.images.search_all(everyone, offset=1, limit=2) == [b1, a2]
        assert uow.images.search_all(ModerationQuery(guests_only=True), offset=0, limit=9) == [
            guest
        ]
        mine = ModerationQuery(owner_id=alice.id)
        assert uow.images.search_all(mine, offset=0, limit=9) == [a2, a1]
        assert uow.images.search_all(ModerationQuery(text="cat"), offset=0, limit=9) == [a2]
        # LIKE wildcards are searched for literally
        assert uow.images.search_all(ModerationQuery(text="50%_"), offset=0, limit=9) == [a1]
        slug = ModerationQuery(text=guest.slug.upper())
        assert uow.images.search_all(slug, offset=0, limit=9) == [guest]
        reported = ModerationQuery(reported_only=True)
        assert uow.images.search_all(reported, offset=0, limit=9) == [b1]
        assert uow.images.count_all(reported) == 1


def test_set_hidden_flips_live_images_only_and_leaves_public_listings(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    shown = make_image(owner, listed=True)
    gone = make_image(owner, deleted_at=T0)
    with backend.uow() as uow:
        uow.images.add(shown)
        uow.images.add(gone)
        assert uow.images.set_hidden(shown.id, True)
        assert not uow.images.set_hidden(gone.id, True)
        assert not uow.images.set_hidden(uuid.uuid4(), True)
        uow.commit()
    with backend.uow() as uow:
        hidden = uow.images.get(shown.id)
        assert hidden is not None and hidden.hidden
        assert uow.images.list_for_owner(owner.id, offset=0, limit=9, public_only=True) == []
        assert uow.images.count_for_owner(owner.id, listed_only=True) == 0
        assert uow.images.list_for_owner(owner.id, offset=0, limit=9) == [hidden]
        # the owner's edits never undo a moderator's hiding
        uow.images.update(shown)
        uow.commit()
    with backend.uow(read_only=True) as uow:
        again = uow.images.get(shown.id)
        assert again is not None and again.hidden


def _migration_0021_round_trip(url: str) -> None:
    """Down to 0019 and back up: the moderation tables and columns go and come back, and
    images from before come back not hidden, with no address hash."""
    old = make_image(None, original_name="old.png")
    upgrade(url)
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0019")
        names = set(sa.inspect(engine).get_table_names())
        assert not {"reports", "blocked_hashes"} & names
        columns = {c["name"] for c in sa.inspect(engine).get_columns("images")}
        assert not {"hidden", "uploader_hash"} & columns
        # an image from before moderation, written with the 0019 columns only
        then = sa.Table(
            "images", sa.MetaData(), *(c._copy() for c in images.c if c.name in columns)
        )
        with engine.begin() as connection:
            row = {k: v for k, v in image_values(old).items() if k in columns}
            connection.execute(then.insert(), [row])
    finally:
        engine.dispose()
    upgrade(url)
    engine = create_engine_for(url)
    try:
        with sql_uow_factory(engine)(read_only=True) as uow:
            found = uow.images.get(old.id)
            assert found is not None and not found.hidden and found.uploader_hash is None
            assert uow.reports.count_open_images() == 0 and uow.blocked_hashes.count() == 0
    finally:
        engine.dispose()


def test_migration_0021_round_trip_sqlite(tmp_path: Path) -> None:
    _migration_0021_round_trip(f"sqlite:///{tmp_path / 'm.sqlite3'}")


def test_migration_0021_round_trip_postgres() -> None:
    with temporary_database() as url:
        _migration_0021_round_trip(url)

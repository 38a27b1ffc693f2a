"""Passwords on images and albums in storage: the hash column round-trips on every adapter
(memory, SQLite, Postgres), and migration 0022 goes down and up on both databases, keeping
the images' expression index on SQLite."""

from __future__ import annotations

from pathlib import Path

import attrs
import sqlalchemy as sa
from alembic import command

from imgtree.adapters.sql import create_engine_for, sql_uow_factory
from imgtree.adapters.sql.migrate import alembic_config, upgrade
from imgtree.adapters.sql.repositories.mapping import album_values, image_values, user_values
from imgtree.adapters.sql.tables import albums, images, users
from tests.support.factories import add_users, make_album, make_image, make_user
from tests.support.pg import temporary_database
from tests.support.sql_fixtures import Backend

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def test_password_hashes_round_trip_and_clear(backend: Backend) -> None:
    owner = make_user()
    add_users(backend.uow, owner)
    album = make_album(owner, password_hash=HASH)
    image = make_image(owner, album_id=album.id)
    with backend.uow() as uow:
        uow.albums.add(album)
        uow.images.add(image)
        uow.images.update(attrs.evolve(image, password_hash=HASH + "i"))
        uow.commit()
    with backend.uow(read_only=True) as uow:
        got_album, got_image = uow.albums.get(album.id), uow.images.get(image.id)
        assert got_album is not None and got_album.password_hash == HASH
        assert got_image is not None and got_image.password_hash == HASH + "i"
        assert uow.images.get_by_slug(image.slug) == got_image
    with backend.uow() as uow:
        uow.albums.update(attrs.evolve(album, password_hash=None))
        uow.images.update(attrs.evolve(image, password_hash=None))
        uow.commit()
    with backend.uow(read_only=True) as uow:
        cleared_album, cleared_image = uow.albums.get(album.id), uow.images.get(image.id)
        assert cleared_album is not None and not cleared_album.password_protected
        assert cleared_image is not None and not cleared_image.password_protected


def _migration_0022_round_trip(url: str) -> None:
    """Down to 0021 and back up: the columns go and come back; rows from before have no
    password; on SQLite the name index survives both ways (no batch copy of `images`)."""
    owner = make_user()
    album = make_album(owner)
    old = make_image(owner, album_id=album.id)
    upgrade(url)
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0021")
        inspector = sa.inspect(engine)
        image_columns = {c["name"] for c in inspector.get_columns("images")}
        album_columns = {c["name"] for c in inspector.get_columns("albums")}
        assert "password_hash" not in image_columns | album_columns
        with engine.begin() as connection:
            connection.execute(users.insert(), [user_values(owner)])
            then_albums = sa.Table(
                "albums", sa.MetaData(), *(c._copy() for c in albums.c if c.name in album_columns)
            )
            connection.execute(
                then_albums.insert(),
                [{k: v for k, v in album_values(album).items() if k in album_columns}],
            )
            then_images = sa.Table(
                "images", sa.MetaData(), *(c._copy() for c in images.c if c.name in image_columns)
            )
            connection.execute(
                then_images.insert(),
                [{k: v for k, v in image_values(old).items() if k in image_columns}],
            )
        _name_index_present(engine)
    finally:
        engine.dispose()
    upgrade(url)
    engine = create_engine_for(url)
    try:
        _name_index_present(engine)
        with sql_uow_factory(engine)(read_only=True) as uow:
            found, found_album = uow.images.get(old.id), uow.albums.get(album.id)
            assert found is not None and found.password_hash is None
            assert found_album is not None and found_album.password_hash is None
    finally:
        engine.dispose()


def _name_index_present(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        names = {
            row[0]
            for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='index'")
        }
    assert "ix_images_owner_live_name" in names


def test_migration_0022_round_trip_sqlite(tmp_path: Path) -> None:
    _migration_0022_round_trip(f"sqlite:///{tmp_path / 'm.sqlite3'}")


def test_migration_0022_round_trip_postgres() -> None:
    with temporary_database() as url:
        _migration_0022_round_trip(url)

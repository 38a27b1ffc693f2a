"""Albums: an owner's named groups of images."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from imgtree.adapters.sql.repositories.base import Repository
from imgtree.adapters.sql.repositories.mapping import album_from_row, album_values
from imgtree.adapters.sql.tables import albums, images
from imgtree.domain.model import Album


class SqlAlbumRepository(Repository[Album]):
    table = albums
    what = "album"
    to_entity = staticmethod(album_from_row)
    to_values = staticmethod(album_values)

    def add(self, album: Album) -> None:
        self._add(album)

    def get(self, album_id: uuid.UUID) -> Album | None:
        return self._one({"id": album_id})

    def list_for_owner(self, owner_id: uuid.UUID) -> list[Album]:
        return self._many(
            select(albums)
            .where(albums.c.owner_id == owner_id)
            .order_by(albums.c.created_at.desc(), albums.c.id.desc())
        )

    def update(self, album: Album) -> None:
        self._update(album)

    def remove(self, album_id: uuid.UUID) -> None:
        # Images keep existing: the foreign key is ON DELETE SET NULL, but SQLite enforces
        # that only with foreign_keys=ON, so clear the references explicitly too.
        self._s.execute(images.update().where(images.c.album_id == album_id).values(album_id=None))
        self._s.execute(albums.delete().where(albums.c.id == album_id))
        self._seen.pop(album_id, None)

"""Edit an image's own fields (owner only): title, album, visibility."""

from __future__ import annotations

import uuid
from typing import Any

import attrs

from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import Image
from imgtree.domain.ports import UnitOfWorkFactory
from imgtree.domain.rules import owned_album, owned_image
from imgtree.domain.use_cases.albums import MAX_TITLE, UNSET, clean_flag


@attrs.define
class EditImage:
    uow: UnitOfWorkFactory

    def __call__(
        self,
        owner_id: uuid.UUID,
        image_id: uuid.UUID,
        *,
        title: object = UNSET,
        album_id: object = UNSET,  # a UUID, or None to take it out of its album
        is_public: object = UNSET,
    ) -> Image:
        with self.uow() as uow:
            image = owned_image(uow.images.get(image_id), owner_id)
            changes: dict[str, Any] = {}
            if title is not UNSET:
                if not isinstance(title, str) or len(title.strip()) > MAX_TITLE:
                    raise InvalidInput(f"title must be text of at most {MAX_TITLE} characters")
                changes["title"] = title.strip()
            if album_id is not UNSET:
                if album_id is not None:
                    if not isinstance(album_id, uuid.UUID):
                        raise InvalidInput("albumId must be a UUID or null")
                    owned_album(uow.albums.get(album_id), owner_id)
                changes["album_id"] = album_id
            if is_public is not UNSET:
                changes["is_public"] = clean_flag(is_public, "isPublic")
            if not changes:
                raise InvalidInput("Nothing to change: send title, albumId or isPublic")
            image = attrs.evolve(image, **changes)
            uow.images.update(image)
            uow.commit()
        return image

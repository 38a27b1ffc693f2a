"""Edit an image's own fields (owner only): title, description, album, visibility."""

from __future__ import annotations

import uuid
from typing import Any

import attrs

from imgtree.domain.commands import UNSET, ImageChanges
from imgtree.domain.errors import NothingToChange
from imgtree.domain.model import (
    Image,
    Visibility,
    expiry_after,
    image_description,
    image_title,
)
from imgtree.domain.ports import Clock, PasswordHasher, UnitOfWorkFactory
from imgtree.domain.rules import owned_album, owned_image
from imgtree.domain.use_cases.albums import new_password_hash


@attrs.define
class EditImage:
    uow: UnitOfWorkFactory
    # Expired images are gone at the moment of expiry (Image.expires_at), for every reader.
    clock: Clock = attrs.field(kw_only=True)
    # Hashes the visitors' password an owner sets (argon2id in production).
    passwords: PasswordHasher | None = attrs.field(default=None, kw_only=True)

    def __call__(self, owner_id: uuid.UUID, image_id: uuid.UUID, changes: ImageChanges) -> Image:
        """NotFound unless the owner's live image (and album, when one is named);
        NothingToChange when `changes` sets nothing."""
        with self.uow() as uow:
            now = self.clock.now()
            image = owned_image(uow.images.get(image_id), owner_id, now)
            if changes.empty:
                raise NothingToChange(
                    "Nothing to change: set a title, a description, an album, the visibility"
                    ", the expiry or the password"
                )
            fields: dict[str, Any] = {}
            if changes.title is not UNSET:
                fields["title"] = image_title(changes.title)
            if changes.album_id is not UNSET:
                if changes.album_id is not None:
                    owned_album(uow.albums.get(changes.album_id), owner_id)
                fields["album_id"] = changes.album_id
                if changes.album_id != image.album_id:
                    fields["album_position"] = None  # a new album's arranged order is its own
            if changes.description is not UNSET:
                fields["description"] = image_description(changes.description)
            visibility = changes.visibility
            if visibility is UNSET and changes.is_public is not UNSET:
                if not changes.is_public:
                    visibility = Visibility.PRIVATE
                elif image.visibility is Visibility.PRIVATE:
                    visibility = Visibility.UNLISTED
            if visibility is not UNSET:
                fields["is_public"], fields["listed"] = visibility.is_public, visibility.listed
            if changes.expires_in is not UNSET:  # counted from now; None: never
                fields["expires_at"] = expiry_after(now, changes.expires_in)
            if changes.password is not UNSET:
                fields["password_hash"] = new_password_hash(self.passwords, changes.password)
            image = attrs.evolve(image, **fields)
            uow.images.update(image)
            uow.commit()
        return image

"""Find a live image by slug for its public page and media links."""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.errors import NotFound
from imgtree.domain.model import Image
from imgtree.domain.ports import UnitOfWorkFactory


@attrs.define
class ViewImage:
    uow: UnitOfWorkFactory
    # What an inactive account's public images do: True hides them (pages and media 404)
    # until the account is reactivated; False keeps them online.
    hide_inactive_owners: bool = True

    def __call__(self, slug: str, *, viewer_id: uuid.UUID | None = None) -> Image:
        """The live image; a private one only for its owner. Anything else is NotFound."""
        with self.uow(read_only=True) as uow:
            image = uow.images.get_by_slug(slug)
            if image is None or image.deleted:
                raise NotFound("Image not found")
            if self.hide_inactive_owners and image.owner_id is not None:
                owner = uow.users.get(image.owner_id)
                if owner is None or not owner.active:
                    raise NotFound("Image not found")
        if not image.is_public and (viewer_id is None or viewer_id != image.owner_id):
            raise NotFound("Image not found")
        return image

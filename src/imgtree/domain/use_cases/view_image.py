"""Find a live image by slug for its public page and media links."""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.model import Image
from imgtree.domain.ports import Clock, UnitOfWorkFactory
from imgtree.domain.rules import visible_image


@attrs.define
class ViewImage:
    uow: UnitOfWorkFactory
    # What an inactive account's public images do: True hides them (pages and media 404)
    # until the account is reactivated; False keeps them online.
    hide_inactive_owners: bool = True
    # Expired images are gone at the moment of expiry (Image.expires_at), for every reader.
    clock: Clock = attrs.field(kw_only=True)

    def __call__(self, slug: str, *, viewer_id: uuid.UUID | None = None) -> Image:
        """The live image; a private one only for its owner. Anything else is NotFound."""
        with self.uow(read_only=True) as uow:
            image = uow.images.get_by_slug(slug)
            owner_active = True
            if self.hide_inactive_owners and image is not None and image.owner_id is not None:
                owner = uow.users.get(image.owner_id)
                owner_active = owner is not None and owner.active
        return visible_image(image, viewer_id, self.clock.now(), owner_active=owner_active)

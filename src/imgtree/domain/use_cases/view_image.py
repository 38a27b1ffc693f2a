"""Find a live image by slug for its public page and media links."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import attrs

from imgtree.domain.errors import Locked
from imgtree.domain.model import Image, Lock, locks_of
from imgtree.domain.ports import Clock, UnitOfWorkFactory
from imgtree.domain.rules import visible_image

# Whether this viewer holds an unlock for `lock` (the HTTP layer checks its signed cookie).
Unlocked = Callable[[Lock], bool]
PROTECTED = "This image is password-protected"


def nothing_unlocked(_lock: Lock) -> bool:
    return False


@attrs.frozen
class ViewedImage:
    """An image a viewer may see, with every lock on it (opened for them, or theirs)."""

    image: Image
    locks: tuple[Lock, ...] = ()

    @property
    def protected(self) -> bool:
        """Behind a password (its own or its album's): no shared cache may keep its bytes."""
        return bool(self.locks)


@attrs.define
class ViewImage:
    uow: UnitOfWorkFactory
    # What an inactive account's public images do: True hides them (pages and media 404)
    # until the account is reactivated; False keeps them online.
    hide_inactive_owners: bool = True
    # Expired images are gone at the moment of expiry (Image.expires_at), for every reader.
    clock: Clock = attrs.field(kw_only=True)

    def __call__(
        self,
        slug: str,
        *,
        viewer_id: uuid.UUID | None = None,
        unlocked: Unlocked = nothing_unlocked,
    ) -> Image:
        """The live image; a private one only for its owner. Anything else is NotFound; a
        password-protected one the viewer has not unlocked is Locked."""
        return self.view(slug, viewer_id=viewer_id, unlocked=unlocked).image

    def view(
        self,
        slug: str,
        *,
        viewer_id: uuid.UUID | None = None,
        unlocked: Unlocked = nothing_unlocked,
    ) -> ViewedImage:
        """`__call__` with the image's locks. Its owner and active admins pass every lock;
        anyone else needs `unlocked` to hold for each (its own password and its album's)."""
        now = self.clock.now()
        with self.uow(read_only=True) as uow:
            image = uow.images.get_by_slug(slug)
            owner_active = True
            if self.hide_inactive_owners and image is not None and image.owner_id is not None:
                owner = uow.users.get(image.owner_id)
                owner_active = owner is not None and owner.active
            image = visible_image(image, viewer_id, now, owner_active=owner_active)
            album = uow.albums.get(image.album_id) if image.album_id is not None else None
            locks = locks_of(image, album)
            if not locks or image.owned_by(viewer_id):
                return ViewedImage(image, locks)
            closed = tuple(lock for lock in locks if not unlocked(lock))
            if closed and viewer_id is not None:
                viewer = uow.users.get(viewer_id)
                if viewer is not None and viewer.is_active_admin:
                    closed = ()
        if closed:
            raise Locked(PROTECTED, closed)
        return ViewedImage(image, locks)

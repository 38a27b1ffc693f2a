"""A user's public profile: the images they made `public` and their public albums.

`unlisted` images (the default) and private ones never appear here: listing is what tells
public from unlisted. An unknown or deactivated account has no profile (NotFound).
"""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.errors import NotFound
from imgtree.domain.model import Album, Image, Page
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import Clock, UnitOfWorkFactory
from imgtree.domain.use_cases.list_images import page_window


@attrs.frozen
class Profile:
    user_id: uuid.UUID
    name: str  # the display name; "" when the user set none (never the email)
    images: Page[Image]
    albums: tuple[Album, ...]
    # The images behind a password (their own or their album's): the profile shows a lock in
    # their place, never the picture.
    locked: frozenset[uuid.UUID] = frozenset()

    def is_locked(self, image: Image) -> bool:
        return image.id in self.locked


@attrs.define
class ViewProfile:
    uow: UnitOfWorkFactory
    policy: PagePolicy = attrs.Factory(PagePolicy)
    # Expired images are gone at the moment of expiry (Image.expires_at), for every reader.
    clock: Clock = attrs.field(kw_only=True)

    def __call__(self, user_id: uuid.UUID, *, page: int | None = None) -> Profile:
        page, limit = page_window(page, None, self.policy)
        with self.uow(read_only=True) as uow:
            user = uow.users.get(user_id)
            if user is None or not user.active:
                raise NotFound("No such profile")
            now = self.clock.now()
            total = uow.images.count_for_owner(user_id, listed_only=True, now=now)
            items = uow.images.list_for_owner(
                user_id, offset=(page - 1) * limit, limit=limit, listed_only=True, now=now
            )
            every_album = uow.albums.list_for_owner(user_id)
            albums = tuple(a for a in every_album if a.is_public)
        protected_albums = {a.id for a in every_album if a.password_protected}
        locked = frozenset(
            i.id for i in items if i.password_protected or i.album_id in protected_albums
        )
        return Profile(
            user_id=user_id,
            name=user.name,
            images=Page(items=tuple(items), page=page, limit=limit, total=total),
            albums=albums,
            locked=locked,
        )

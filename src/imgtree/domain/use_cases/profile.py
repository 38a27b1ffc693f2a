"""A user's public profile: their `public` images (a page at a time) and public albums."""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.model import Album, Image, Page, User
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import UnitOfWorkFactory
from imgtree.domain.rules import found
from imgtree.domain.use_cases.list_images import page_window


@attrs.frozen
class Profile:
    user: User
    images: Page[Image]
    albums: tuple[Album, ...]


@attrs.define
class ViewProfile:
    uow: UnitOfWorkFactory
    paging: PagePolicy = attrs.Factory(PagePolicy)

    def __call__(self, user_id: uuid.UUID, *, page: int | None = None) -> Profile:
        """NotFound for an unknown or deactivated account. Unlisted and private images, and
        private albums, are never on it."""
        page, limit = page_window(page, None, self.paging)
        with self.uow(read_only=True) as uow:
            user = found(uow.users.get(user_id), lambda u: u.active, "User not found")
            total = uow.images.count_for_owner(user.id, listed_only=True)
            items = uow.images.list_for_owner(
                user.id, offset=(page - 1) * limit, limit=limit, listed_only=True
            )
            albums = tuple(a for a in uow.albums.list_for_owner(user.id) if a.is_public)
        return Profile(user, Page(tuple(items), page, limit, total), albums)

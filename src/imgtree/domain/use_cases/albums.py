"""Albums: create, list, view (owner, or anyone for a public album), update, delete."""

from __future__ import annotations

import uuid
from typing import Any

import attrs

from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import Album, Image, Page
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import Clock, SecureRandom, UnitOfWorkFactory
from imgtree.domain.rules import owned_album, visible_album
from imgtree.domain.use_cases.list_images import page_window

MAX_TITLE = 200
MAX_DESCRIPTION = 5000


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


def clean_title(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("title is required")
    title = value.strip()
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title must be at most {MAX_TITLE} characters")
    return title


def clean_description(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise InvalidInput(f"description must be text of at most {MAX_DESCRIPTION} characters")
    return value.strip()


def clean_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false")
    return value


@attrs.frozen
class AlbumSummary:
    album: Album
    image_count: int


@attrs.frozen
class AlbumView:
    album: Album
    images: Page[Image]
    is_owner: bool


@attrs.define
class Albums:
    uow: UnitOfWorkFactory
    clock: Clock
    random: SecureRandom
    paging: PagePolicy = attrs.Factory(PagePolicy)

    def create(
        self,
        owner_id: uuid.UUID,
        title: object,
        description: object = None,
        is_public: object = True,
    ) -> Album:
        album = Album(
            id=self.random.uuid(),
            owner_id=owner_id,
            title=clean_title(title),
            description=clean_description(description),
            is_public=clean_flag(is_public, "isPublic"),
            created_at=self.clock.now(),
        )
        with self.uow() as uow:
            uow.albums.add(album)
            uow.commit()
        return album

    def list(self, owner_id: uuid.UUID) -> list[AlbumSummary]:
        with self.uow(read_only=True) as uow:
            return [
                AlbumSummary(a, uow.images.count_for_owner(owner_id, album_id=a.id))
                for a in uow.albums.list_for_owner(owner_id)
            ]

    def view(
        self,
        album_id: uuid.UUID,
        *,
        viewer_id: uuid.UUID | None,
        page: int | None = None,
        limit: int | None = None,
    ) -> AlbumView:
        """The album and a page of its images. Others see a public album's public images only."""
        page, limit = page_window(page, limit, self.paging)
        with self.uow(read_only=True) as uow:
            album = visible_album(uow.albums.get(album_id), viewer_id)
            is_owner = album.owned_by(viewer_id)
            offset = (page - 1) * limit
            # Private images are never shown to others, even inside a public album.
            public_only = not is_owner
            total = uow.images.count_for_owner(
                album.owner_id, album_id=album.id, public_only=public_only
            )
            items = uow.images.list_for_owner(
                album.owner_id,
                offset=offset,
                limit=limit,
                album_id=album.id,
                public_only=public_only,
            )
        return AlbumView(album, Page(tuple(items), page, limit, total), is_owner)

    def update(
        self,
        owner_id: uuid.UUID,
        album_id: uuid.UUID,
        *,
        title: object = UNSET,
        description: object = UNSET,
        is_public: object = UNSET,
    ) -> Album:
        with self.uow() as uow:
            album = owned_album(uow.albums.get(album_id), owner_id)
            changes: dict[str, Any] = {}
            if title is not UNSET:
                changes["title"] = clean_title(title)
            if description is not UNSET:
                changes["description"] = clean_description(description)
            if is_public is not UNSET:
                changes["is_public"] = clean_flag(is_public, "isPublic")
            album = attrs.evolve(album, **changes)
            uow.albums.update(album)
            uow.commit()
        return album

    def delete(self, owner_id: uuid.UUID, album_id: uuid.UUID) -> None:
        with self.uow() as uow:
            owned_album(uow.albums.get(album_id), owner_id)
            uow.albums.remove(album_id)
            uow.commit()

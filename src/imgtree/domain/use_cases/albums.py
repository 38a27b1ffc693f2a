"""Albums: create, list, view (owner, or anyone for a public album), update, delete."""

from __future__ import annotations

import uuid
from typing import Any

import attrs

from imgtree.domain.commands import UNSET, AlbumChanges
from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import Album, Image, Page
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import Clock, SecureRandom, UnitOfWorkFactory
from imgtree.domain.rules import owned_album, visible_album
from imgtree.domain.use_cases.list_images import page_window

MAX_TITLE = 200
MAX_DESCRIPTION = 5000


def clean_title(value: str) -> str:
    title = value.strip()
    if not title:
        raise InvalidInput("title is required")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title must be at most {MAX_TITLE} characters")
    return title


def clean_description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise InvalidInput(f"description must be text of at most {MAX_DESCRIPTION} characters")
    return value.strip()


@attrs.frozen
class AlbumSummary:
    album: Album
    image_count: int
    cover: Image | None = None  # the first image in the album's order


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
        title: str,
        description: str = "",
        is_public: bool = True,
    ) -> Album:
        album = Album(
            id=self.random.uuid(),
            owner_id=owner_id,
            title=clean_title(title),
            description=clean_description(description),
            is_public=is_public,
            created_at=self.clock.now(),
        )
        with self.uow() as uow:
            uow.albums.add(album)
            uow.commit()
        return album

    def list(self, owner_id: uuid.UUID) -> list[AlbumSummary]:
        with self.uow(read_only=True) as uow:
            return [
                AlbumSummary(
                    a,
                    uow.images.count_for_owner(owner_id, album_id=a.id),
                    next(
                        iter(uow.images.list_for_owner(owner_id, offset=0, limit=1, album_id=a.id)),
                        None,
                    ),
                )
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
        changes: AlbumChanges,
    ) -> Album:
        """Change the fields `changes` sets (none set: the album as it is)."""
        with self.uow() as uow:
            album = owned_album(uow.albums.get(album_id), owner_id)
            fields: dict[str, Any] = {}
            if changes.title is not UNSET:
                fields["title"] = clean_title(changes.title)
            if changes.description is not UNSET:
                fields["description"] = clean_description(changes.description)
            if changes.is_public is not UNSET:
                fields["is_public"] = changes.is_public
            album = attrs.evolve(album, **fields)
            uow.albums.update(album)
            uow.commit()
        return album

    def delete(self, owner_id: uuid.UUID, album_id: uuid.UUID) -> None:
        with self.uow() as uow:
            owned_album(uow.albums.get(album_id), owner_id)
            uow.albums.remove(album_id)
            uow.commit()

"""Albums: create, list, view (owner, or anyone for a public album), update, delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs

from imgtree.domain.commands import UNSET, AlbumChanges
from imgtree.domain.errors import Conflict, InvalidInput, Locked
from imgtree.domain.model import (
    MAX_CONTENT_PASSWORD,
    Album,
    Image,
    Lock,
    LockKind,
    Page,
    album_lock,
)
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import (
    Clock,
    PasswordHasher,
    SecureRandom,
    UnitOfWork,
    UnitOfWorkFactory,
)
from imgtree.domain.rules import owned_album, visible_album
from imgtree.domain.use_cases.list_images import page_window

NOT_IN_ALBUM = "the cover must be one of this album's images"
MAX_TITLE = 200
# Arranging sends the whole album's order at once: bounded so one request stays small.
MAX_ARRANGE = 1000
MAX_DESCRIPTION = 5000


def clean_title(value: str) -> str:
    title = value.strip()
    if not title:
        raise InvalidInput("title is required")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title must be at most {MAX_TITLE} characters")
    if "\x00" in title:  # as image titles (model.image_title): no text column holds a NUL
        raise InvalidInput("title must not contain NUL characters")
    return title


def clean_description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise InvalidInput(f"description must be text of at most {MAX_DESCRIPTION} characters")
    if "\x00" in value:
        raise InvalidInput("description must not contain NUL characters")
    return value.strip()


def new_password_hash(passwords: PasswordHasher | None, password: str | None) -> str | None:
    """The hash to store for an owner's new visitors' password on an image or album (only the
    argon2id hash is kept): None (no password) for None or ""; InvalidInput past
    MAX_CONTENT_PASSWORD characters."""
    if password is None or password == "":
        return None
    if len(password) > MAX_CONTENT_PASSWORD:
        raise InvalidInput(f"password must be at most {MAX_CONTENT_PASSWORD} characters")
    if passwords is None:
        raise InvalidInput("This deployment cannot set passwords (no password hasher)")
    return passwords.hash(password)


def _is_admin(uow: UnitOfWork, viewer_id: uuid.UUID | None) -> bool:
    viewer = uow.users.get(viewer_id) if viewer_id is not None else None
    return viewer is not None and viewer.is_active_admin


def _first(images: list[Image]) -> Image | None:
    return images[0] if images else None


def _in_album(image: Image | None, album: Album, now: datetime) -> bool:
    """Whether `image` is a live, unexpired image of `album`'s owner inside it."""
    return (
        image is not None
        and image.alive(now)
        and image.owned_by(album.owner_id)
        and image.album_id == album.id
    )


def _picked_cover(
    uow: UnitOfWork, album: Album, viewer_id: uuid.UUID | None, now: datetime
) -> Image | None:
    """The image the owner picked as cover while it is in the album and `viewer_id` may see
    it; None otherwise (then the cover is the first image of the album's order they see)."""
    if album.cover_image_id is None:
        return None
    picked = uow.images.get(album.cover_image_id)
    if picked is not None and _in_album(picked, album, now) and picked.visible_to(viewer_id, now):
        return picked
    return None


@attrs.frozen
class AlbumSummary:
    album: Album
    image_count: int
    cover: Image | None = None  # the first image in the album's order (None: empty album)


@attrs.frozen
class AlbumView:
    album: Album
    images: Page[Image]
    is_owner: bool
    # The image that stands for the album (preview tags, cards): the first one this viewer
    # may see in the album's order; None when they see none (or it has a password of its
    # own they have not entered).
    cover: Image | None = None
    # The images on this page with a password of their own this viewer has not entered:
    # shown as a lock, never as the picture.
    locked: frozenset[uuid.UUID] = frozenset()

    def is_locked(self, image: Image) -> bool:
        return image.id in self.locked


@attrs.define
class Albums:
    uow: UnitOfWorkFactory
    clock: Clock
    random: SecureRandom
    paging: PagePolicy = attrs.Factory(PagePolicy)
    # Hashes the visitors' password an owner sets (argon2id in production).
    passwords: PasswordHasher | None = attrs.field(default=None, kw_only=True)

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
        now = self.clock.now()
        with self.uow(read_only=True) as uow:
            return [
                AlbumSummary(
                    a,
                    uow.images.count_for_owner(owner_id, album_id=a.id, now=now),
                    _picked_cover(uow, a, owner_id, now)
                    or _first(
                        uow.images.list_for_owner(
                            owner_id, offset=0, limit=1, album_id=a.id, now=now
                        )
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
        unlocked: Callable[[Lock], bool] = lambda _lock: False,
    ) -> AlbumView:
        """The album and a page of its images. Others see a public album's public images only,
        and a password-protected album only once `unlocked` holds for its lock (else Locked);
        its owner and active admins pass every lock."""
        page, limit = page_window(page, limit, self.paging)
        now = self.clock.now()
        with self.uow(read_only=True) as uow:
            album = visible_album(uow.albums.get(album_id), viewer_id)
            is_owner = album.owned_by(viewer_id)
            passes = is_owner or _is_admin(uow, viewer_id)
            lock = album_lock(album)
            if lock is not None and not passes and not unlocked(lock):
                raise Locked("This album is password-protected", (lock,))
            offset = (page - 1) * limit
            # Private images are never shown to others, even inside a public album.
            public_only = not is_owner
            total = uow.images.count_for_owner(
                album.owner_id, album_id=album.id, public_only=public_only, now=now
            )
            items = uow.images.list_for_owner(
                album.owner_id,
                offset=offset,
                limit=limit,
                album_id=album.id,
                public_only=public_only,
                now=now,
            )
            # One query for the cover rather than a page-1 special case: any page needs it.
            cover = _picked_cover(uow, album, viewer_id, now) or (
                _first(items)
                if offset == 0
                else _first(
                    uow.images.list_for_owner(
                        album.owner_id,
                        offset=0,
                        limit=1,
                        album_id=album.id,
                        public_only=public_only,
                        now=now,
                    )
                )
            )

        def closed(image: Image) -> bool:
            return (
                not passes
                and image.password_hash is not None
                and not unlocked(Lock(LockKind.IMAGE, image.id, image.password_hash))
            )

        locked = frozenset(image.id for image in items if closed(image))
        if cover is not None and closed(cover):
            cover = None
        return AlbumView(album, Page(tuple(items), page, limit, total), is_owner, cover, locked)

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
            if changes.password is not UNSET:
                fields["password_hash"] = new_password_hash(self.passwords, changes.password)
            if changes.cover_image_id is not UNSET:
                cover_id = changes.cover_image_id
                if cover_id is not None and not _in_album(
                    uow.images.get(cover_id), album, self.clock.now()
                ):
                    raise InvalidInput(NOT_IN_ALBUM)
                fields["cover_image_id"] = cover_id
            album = attrs.evolve(album, **fields)
            uow.albums.update(album)
            uow.commit()
        return album

    def arrange(
        self, owner_id: uuid.UUID, album_id: uuid.UUID, image_ids: Sequence[uuid.UUID]
    ) -> tuple[uuid.UUID, ...]:
        """Put the owner's album in `image_ids` order: every live image in the album, each
        once (else InvalidInput, nothing changes); NotFound unless the owner's album."""
        if len(image_ids) > MAX_ARRANGE:
            raise InvalidInput(f"image_ids: an album is arranged {MAX_ARRANGE} images at most")
        if len(set(image_ids)) != len(image_ids):
            raise InvalidInput("image_ids names an image more than once")
        with self.uow() as uow:
            owned_album(uow.albums.get(album_id), owner_id)
            now = self.clock.now()  # expired images are not the album's any more
            total = uow.images.count_for_owner(owner_id, album_id=album_id, now=now)
            if total > MAX_ARRANGE:
                raise InvalidInput(
                    f"This album has {total} images: only albums of up to {MAX_ARRANGE}"
                    " can be arranged"
                )
            current = uow.images.list_for_owner(
                owner_id, offset=0, limit=max(total, 1), album_id=album_id, now=now
            )
            by_id = {image.id: image for image in current}
            if set(by_id) != set(image_ids):
                # Most often a page that is out of date (an image added or removed since).
                raise Conflict(
                    f"image_ids must list each of the album's {len(by_id)} images exactly once:"
                    " reload the album and try again"
                )
            for position, image_id in enumerate(image_ids):
                image = by_id[image_id]
                if image.album_position != position:
                    uow.images.update(attrs.evolve(image, album_position=position))
            uow.commit()
        return tuple(image_ids)

    def delete(self, owner_id: uuid.UUID, album_id: uuid.UUID) -> None:
        with self.uow() as uow:
            owned_album(uow.albums.get(album_id), owner_id)
            uow.albums.remove(album_id)
            uow.commit()

"""Images: the hot listing and lookup paths, and the owner's usage kept in step atomically.

Every statement a request runs is built once (per shape) at import or first use; building
it per call cost more than running it.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import BigInteger, ColumnElement, Update, bindparam, case, exists, func, or_, select

from imgtree.adapters.sql.repositories.base import AnySelect, Repository
from imgtree.adapters.sql.repositories.mapping import image_from_row, image_values
from imgtree.adapters.sql.tables import images, users
from imgtree.domain.errors import Conflict, QuotaExceeded
from imgtree.domain.model import Image


@functools.cache
def _usage_update(within_quota: bool) -> Update:
    """The owner's usage moved by :size bytes and :count images (never below zero); with
    `within_quota`, only while the new usage fits the quota. Built once per shape."""
    used = users.c.used_bytes + bindparam("size", type_=BigInteger)
    counted = users.c.image_count + bindparam("count", type_=BigInteger)
    statement = users.update().where(users.c.id == bindparam("owner_id"))
    if within_quota:
        statement = statement.where(or_(users.c.quota_bytes.is_(None), used <= users.c.quota_bytes))
    return statement.values(
        used_bytes=case((used < 0, 0), else_=used),
        image_count=case((counted < 0, 0), else_=counted),
    )


_SLUG_TAKEN = select(exists().where(images.c.slug == bindparam("slug")))
_KEPT_IMAGE_COUNT = select(users.c.image_count).where(users.c.id == bindparam("id"))


def _live_where(
    by_album: bool, public_only: bool, listed_only: bool = False
) -> list[ColumnElement[bool]]:
    """An owner's live images (:owner_id), optionally in one album (:album_id), optionally
    public only: the partial listing index's condition plus its leading column."""
    where = [images.c.owner_id == bindparam("owner_id"), images.c.deleted_at.is_(None)]
    if by_album:
        where.append(images.c.album_id == bindparam("album_id"))
    if public_only or listed_only:
        where.append(images.c.is_public.is_(True))
    if listed_only:
        where.append(images.c.listed.is_(True))
    return where


def _live_params(owner_id: uuid.UUID, album_id: uuid.UUID | None) -> dict[str, Any]:
    params: dict[str, Any] = {"owner_id": owner_id}
    if album_id is not None:
        params["album_id"] = album_id
    return params


# Built once per shape, like `select_by`.
@functools.cache
def _owner_page(by_album: bool, public_only: bool, listed_only: bool = False) -> AnySelect:
    """One page of an owner's live images, newest first (the listing index's order); in an
    album, the owner's arranged ones first, in their order (see Image.album_position)."""
    order: list[ColumnElement[Any]] = [images.c.created_at.desc(), images.c.id.desc()]
    if by_album:
        position = images.c.album_position
        order = [position.is_(None), position.asc(), *order]
    return (
        select(images)
        .where(*_live_where(by_album, public_only, listed_only))
        .order_by(*order)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


@functools.cache
def _owner_count(by_album: bool, public_only: bool, listed_only: bool = False) -> AnySelect:
    where = _live_where(by_album, public_only, listed_only)
    return select(func.count()).select_from(images).where(*where)


_OWNER_BYTES = select(func.coalesce(func.sum(images.c.size_bytes), 0)).where(
    *_live_where(False, False)
)


class SqlImageRepository(Repository[Image]):
    table = images
    what = "image"
    to_entity = staticmethod(image_from_row)
    to_values = staticmethod(image_values)

    def add(self, image: Image) -> None:
        if image.owner_id is not None and not image.deleted:
            self._use(image.owner_id, image.size_bytes, 1)
        self._add(image)

    def _use(self, owner_id: uuid.UUID, size: int, count: int) -> None:
        """Move the owner's usage by `size` and live-image count by `count`, refusing
        atomically past their quota.

        One conditional UPDATE: on Postgres concurrent uploads queue on the user's row lock
        and re-check the condition; SQLite serialises writers. Either way no two uploads can
        both fit into the same remaining room.
        """
        result = self._s.execute(
            _usage_update(count > 0), {"owner_id": owner_id, "size": size, "count": count}
        )
        if result.rowcount == 1:
            return
        exists_ = self._s.execute(select(exists().where(users.c.id == owner_id))).scalar()
        if not exists_:
            raise Conflict("The image's owner does not exist")
        raise QuotaExceeded("Storage quota exceeded")

    def get(self, image_id: uuid.UUID) -> Image | None:
        return self._one({"id": image_id})

    def get_by_slug(self, slug: str) -> Image | None:
        return self._one({"slug": slug}, live=True)

    def slug_exists(self, slug: str) -> bool:
        return bool(self._s.execute(_SLUG_TAKEN, {"slug": slug}).scalar())

    def list_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        offset: int,
        limit: int,
        album_id: uuid.UUID | None = None,
        public_only: bool = False,
        listed_only: bool = False,
    ) -> list[Image]:
        params = {**_live_params(owner_id, album_id), "offset": offset, "limit": limit}
        return self._many(_owner_page(album_id is not None, public_only, listed_only), params)

    def count_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        album_id: uuid.UUID | None = None,
        public_only: bool = False,
        listed_only: bool = False,
    ) -> int:
        if album_id is None and not (public_only or listed_only):
            # The whole gallery's total is kept on the user row (moved with every add and
            # delete), so listing a large gallery does not count it on every page.
            return int(self._s.execute(_KEPT_IMAGE_COUNT, {"id": owner_id}).scalar() or 0)
        count = _owner_count(album_id is not None, public_only, listed_only)
        return int(self._s.execute(count, _live_params(owner_id, album_id)).scalar_one())

    def bytes_for_owner(self, owner_id: uuid.UUID) -> int:
        total = self._s.execute(_OWNER_BYTES, _live_params(owner_id, None)).scalar_one()
        return int(total)  # int(): Postgres sums BIGINT as NUMERIC (a Decimal)

    def update(self, image: Image) -> None:
        self._update(image)

    def assign_owner(self, image_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        # Conditional: of two concurrent claims exactly one sees a row change. The usage
        # update after it refuses past the quota; the caller's rollback undoes both.
        result = self._s.execute(
            images.update()
            .where(
                images.c.id == image_id,
                images.c.owner_id.is_(None),
                images.c.deleted_at.is_(None),
            )
            .values(owner_id=owner_id)
        )
        if result.rowcount != 1:
            return False
        size = self._s.execute(select(images.c.size_bytes).where(images.c.id == image_id))
        self._use(owner_id, int(size.scalar_one()), 1)
        seen = self._seen.get(image_id)
        if seen is not None:
            self._seen[image_id] = attrs.evolve(seen, owner_id=owner_id)
        return True

    def mark_deleted(self, image_id: uuid.UUID, at: datetime) -> bool:
        # Conditional and atomic: of two concurrent deletes exactly one sees a row change.
        result = self._s.execute(
            images.update()
            .where(images.c.id == image_id, images.c.deleted_at.is_(None))
            .values(deleted_at=at)
        )
        if result.rowcount != 1:
            return False
        owner = self._s.execute(
            select(images.c.owner_id, images.c.size_bytes).where(images.c.id == image_id)
        ).one()
        if owner.owner_id is not None:
            self._use(owner.owner_id, -owner.size_bytes, -1)  # deleting frees quota
        seen = self._seen.get(image_id)
        if seen is not None:
            self._seen[image_id] = attrs.evolve(seen, deleted_at=at)
        return True

    def list_deleted_before(self, at: datetime, *, limit: int) -> list[Image]:
        return self._many(
            select(images)
            .where(images.c.deleted_at.is_not(None), images.c.deleted_at < at)
            .order_by(images.c.deleted_at, images.c.id)
            .limit(limit)
        )

    def remove(self, image_id: uuid.UUID) -> None:
        self._s.execute(images.delete().where(images.c.id == image_id))
        self._seen.pop(image_id, None)

    def count_live_with_key(self, storage_key: str) -> int:
        return int(self._s.execute(_LIVE_WITH_KEY, {"key": storage_key}).scalar_one())


_LIVE_WITH_KEY = (
    select(func.count())
    .select_from(images)
    .where(images.c.storage_key == bindparam("key"), images.c.deleted_at.is_(None))
)

"""Images: the hot listing and lookup paths, and the owner's usage kept in step atomically.

Every statement a request runs is built once (per shape) at import or first use; building
it per call cost more than running it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import BigInteger, ColumnElement, Update, bindparam, case, exists, func, or_, select

from imgtree.adapters.sql.repositories.base import AnySelect, Repository
from imgtree.adapters.sql.repositories.mapping import image_from_row, image_values
from imgtree.adapters.sql.tables import images, reports, users
from imgtree.domain.commands import PLAIN_QUERY, ImageQuery, ImageSort, ModerationQuery
from imgtree.domain.errors import Conflict, QuotaExceeded
from imgtree.domain.model import Image
from imgtree.domain.ports import ViewCount


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
    by_album: bool, public_only: bool, listed_only: bool = False, unexpired: bool = False
) -> list[ColumnElement[bool]]:
    """An owner's live images (:owner_id), optionally in one album (:album_id), optionally
    public only: the partial listing index's condition plus its leading column; with
    `unexpired`, not expired at :now (a filter on the rows the index walks)."""
    where = [images.c.owner_id == bindparam("owner_id"), images.c.deleted_at.is_(None)]
    if unexpired:
        where.append(or_(images.c.expires_at.is_(None), images.c.expires_at > bindparam("now")))
    if by_album:
        where.append(images.c.album_id == bindparam("album_id"))
    if public_only or listed_only:
        where.append(images.c.is_public.is_(True))
        where.append(images.c.hidden.is_(False))  # moderators hid it from everyone
    if listed_only:
        where.append(images.c.listed.is_(True))
    return where


def _live_params(
    owner_id: uuid.UUID, album_id: uuid.UUID | None, now: datetime | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"owner_id": owner_id}
    if now is not None:
        params["now"] = now
    if album_id is not None:
        params["album_id"] = album_id
    return params


# Built once per shape, like `select_by`.
@functools.cache
def _owner_page(
    by_album: bool, public_only: bool, listed_only: bool = False, unexpired: bool = False
) -> AnySelect:
    """One page of an owner's live images, newest first (the listing index's order); in an
    album, the owner's arranged ones first, in their order (see Image.album_position)."""
    order: list[ColumnElement[Any]] = [images.c.created_at.desc(), images.c.id.desc()]
    if by_album:
        position = images.c.album_position
        order = [position.is_(None), position.asc(), *order]
    return (
        select(images)
        .where(*_live_where(by_album, public_only, listed_only, unexpired))
        .order_by(*order)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


_SORTS: dict[ImageSort, tuple[ColumnElement[Any], ...]] = {
    ImageSort.NEWEST: (images.c.created_at.desc(), images.c.id.desc()),
    ImageSort.OLDEST: (images.c.created_at.asc(), images.c.id.asc()),
    # Each order below has its own partial index led by owner_id (migration 0017).
    ImageSort.SIZE: (images.c.size_bytes.desc(), images.c.id.desc()),
    ImageSort.NAME: (func.lower(images.c.original_name).asc(), images.c.id.asc()),
}


def _query_where(
    by_album: bool, query: ImageQuery, unexpired: bool = False
) -> list[ColumnElement[bool]]:
    """The owner's live images (:owner_id, :album_id) narrowed by the gallery's query."""
    where = _live_where(by_album, False, unexpired=unexpired)
    if query.visibility is not None:
        where.append(images.c.is_public.is_(query.visibility.is_public))
        if query.visibility.is_public:
            where.append(images.c.listed.is_(query.visibility.listed))
    if query.content_type is not None:
        where.append(images.c.content_type == query.content_type.value)
    if query.needle:
        # A substring anywhere, so no index can seek it: the owner's rows are read through
        # the owner-led index and filtered (docs/decisions.md, "Gallery search").
        where.append(
            or_(
                func.lower(images.c.original_name).contains(query.needle, autoescape=True),
                func.lower(images.c.title).contains(query.needle, autoescape=True),
            )
        )
    return where


def _query_page(by_album: bool, query: ImageQuery, unexpired: bool = False) -> AnySelect:
    return (
        select(images)
        .where(*_query_where(by_album, query, unexpired))
        .order_by(*_SORTS[query.sort])
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


@functools.cache
def _owner_count(
    by_album: bool, public_only: bool, listed_only: bool = False, unexpired: bool = False
) -> AnySelect:
    where = _live_where(by_album, public_only, listed_only, unexpired)
    return select(func.count()).select_from(images).where(*where)


# An owner's live images expired at :now (that purge has not marked deleted yet).
_EXPIRED_COUNT = (
    select(func.count())
    .select_from(images)
    .where(
        images.c.owner_id == bindparam("owner_id"),
        images.c.expires_at.is_not(None),
        images.c.deleted_at.is_(None),
        images.c.expires_at <= bindparam("now"),
    )
)
_EXPIRED = (
    select(images)
    .where(
        images.c.expires_at.is_not(None),
        images.c.deleted_at.is_(None),
        images.c.expires_at <= bindparam("now"),
    )
    .order_by(images.c.expires_at, images.c.id)
    .limit(bindparam("limit"))
)


# What an image counts against its owner's quota (Image.charged_bytes).
_CHARGED = images.c.size_bytes + images.c.original_size_bytes
_OWNER_BYTES = select(func.coalesce(func.sum(_CHARGED), 0)).where(*_live_where(False, False))


_ADD_VIEWS = (
    images.update()
    .where(images.c.slug == bindparam("s"))
    .values(
        page_views=images.c.page_views + bindparam("p", type_=BigInteger),
        media_hits=images.c.media_hits + bindparam("m", type_=BigInteger),
    )
)


class SqlImageRepository(Repository[Image]):
    table = images
    what = "image"
    to_entity = staticmethod(image_from_row)
    to_values = staticmethod(image_values)
    readonly = ("page_views", "media_hits", "hidden")  # only add_views / set_hidden move them

    def add(self, image: Image) -> None:
        if image.owner_id is not None and not image.deleted:
            self._use(image.owner_id, image.charged_bytes, 1)
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
        owner = self._s.execute(
            select(users.c.used_bytes, users.c.quota_bytes).where(users.c.id == owner_id)
        ).one_or_none()
        if owner is None:
            raise Conflict("The image's owner does not exist")
        raise QuotaExceeded.over_quota(used=owner.used_bytes, quota=owner.quota_bytes, needed=size)

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
        query: ImageQuery = PLAIN_QUERY,
        now: datetime | None = None,
    ) -> list[Image]:
        params = {**_live_params(owner_id, album_id, now), "offset": offset, "limit": limit}
        if not query.plain:
            return self._many(_query_page(album_id is not None, query, now is not None), params)
        page = _owner_page(album_id is not None, public_only, listed_only, now is not None)
        return self._many(page, params)

    def count_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        album_id: uuid.UUID | None = None,
        public_only: bool = False,
        listed_only: bool = False,
        query: ImageQuery = PLAIN_QUERY,
        now: datetime | None = None,
    ) -> int:
        unexpired = now is not None
        params = _live_params(owner_id, album_id, now)
        if query.needle or query.visibility is not None or query.content_type is not None:
            counted = select(func.count()).select_from(images)
            where = _query_where(album_id is not None, query, unexpired)
            return int(self._s.execute(counted.where(*where), params).scalar_one())
        if album_id is None and not (public_only or listed_only):
            # The whole gallery's total is kept on the user row (moved with every add and
            # delete), so listing a large gallery does not count it on every page; the
            # expired ones purge has not marked deleted yet are taken off (their partial
            # index holds only rows that expire, led by the owner).
            kept = int(self._s.execute(_KEPT_IMAGE_COUNT, {"id": owner_id}).scalar() or 0)
            if now is None:
                return kept
            gone = self._s.execute(_EXPIRED_COUNT, {"owner_id": owner_id, "now": now})
            return max(0, kept - int(gone.scalar_one()))
        count = _owner_count(album_id is not None, public_only, listed_only, unexpired)
        return int(self._s.execute(count, params).scalar_one())

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
        size = self._s.execute(select(_CHARGED).where(images.c.id == image_id))
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
            select(images.c.owner_id, _CHARGED.label("charged")).where(images.c.id == image_id)
        ).one()
        if owner.owner_id is not None:
            self._use(owner.owner_id, -owner.charged, -1)  # deleting frees quota
        seen = self._seen.get(image_id)
        if seen is not None:
            self._seen[image_id] = attrs.evolve(seen, deleted_at=at)
        return True

    def add_views(self, counts: Mapping[str, ViewCount]) -> None:
        if not counts:
            return
        # Increments, not writes: batches from other workers in between still add up. In slug
        # order, so two flushers on Postgres take row locks in one order and never deadlock.
        self._s.execute(
            _ADD_VIEWS,
            [
                {"s": slug, "p": count.page_views, "m": count.media_hits}
                for slug, count in sorted(counts.items())
            ],
        )

    def list_deleted_before(self, at: datetime, *, limit: int) -> list[Image]:
        return self._many(
            select(images)
            .where(images.c.deleted_at.is_not(None), images.c.deleted_at < at)
            .order_by(images.c.deleted_at, images.c.id)
            .limit(limit)
        )

    def list_expired(self, now: datetime, *, limit: int) -> list[Image]:
        return self._many(_EXPIRED, {"now": now, "limit": limit})

    def list_without_placeholder(self, *, after: uuid.UUID | None, limit: int) -> list[Image]:
        query = select(images).where(images.c.deleted_at.is_(None), images.c.blurhash.is_(None))
        if after is not None:
            query = query.where(images.c.id > after)
        return self._many(query.order_by(images.c.id).limit(limit))

    def remove(self, image_id: uuid.UUID) -> None:
        self._s.execute(images.delete().where(images.c.id == image_id))
        self._seen.pop(image_id, None)

    def search_all(self, query: ModerationQuery, *, offset: int, limit: int) -> list[Image]:
        return self._many(
            select(images)
            .where(*_moderation_where(query))
            .order_by(images.c.created_at.desc(), images.c.id.desc())
            .offset(offset)
            .limit(limit)
        )

    def count_all(self, query: ModerationQuery) -> int:
        counted = select(func.count()).select_from(images).where(*_moderation_where(query))
        return int(self._s.execute(counted).scalar_one())

    def set_hidden(self, image_id: uuid.UUID, hidden: bool) -> bool:
        result = self._s.execute(
            images.update()
            .where(images.c.id == image_id, images.c.deleted_at.is_(None))
            .values(hidden=hidden)
        )
        if result.rowcount != 1:
            return False
        seen = self._seen.get(image_id)
        if seen is not None:
            self._seen[image_id] = attrs.evolve(seen, hidden=hidden)
        return True

    def count_live_with_key(self, storage_key: str) -> int:
        return int(self._s.execute(_LIVE_WITH_KEY, {"key": storage_key}).scalar_one())


def _moderation_where(query: ModerationQuery) -> list[ColumnElement[bool]]:
    """Every live image (any owner, guests', hidden ones) narrowed by the moderators' query.
    A substring search over every image: no index can seek it (an admin's occasional query)."""
    where: list[ColumnElement[bool]] = [images.c.deleted_at.is_(None)]
    if query.text:
        needle = query.text.lower()
        where.append(
            or_(
                func.lower(images.c.original_name).contains(needle, autoescape=True),
                func.lower(images.c.title).contains(needle, autoescape=True),
                func.lower(images.c.slug).contains(needle, autoescape=True),
            )
        )
    if query.owner_id is not None:
        where.append(images.c.owner_id == query.owner_id)
    if query.guests_only:
        where.append(images.c.owner_id.is_(None))
    if query.reported_only:
        where.append(
            exists().where(reports.c.image_id == images.c.id, reports.c.dismissed_at.is_(None))
        )
    return where


_LIVE_WITH_KEY = (
    select(func.count())
    .select_from(images)
    .where(images.c.storage_key == bindparam("key"), images.c.deleted_at.is_(None))
)

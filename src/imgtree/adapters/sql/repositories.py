"""Repositories over SQLAlchemy Core: rows in, domain objects out, mapped explicitly.

All of them work inside the caller's Connection transaction (the unit of work owns commit).
Inserts and updates run in a SAVEPOINT, so a constraint violation becomes `Conflict` and
leaves the surrounding unit of work usable, as the in-memory adapter would be.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs
from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Executable,
    Row,
    Select,
    Table,
    bindparam,
    case,
    cast,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from imgtree.adapters.sql.tables import (
    albums,
    api_keys,
    audit_log,
    images,
    pending_uploads,
    sessions,
    users,
)
from imgtree.domain.errors import Conflict, QuotaExceeded
from imgtree.domain.model import (
    Album,
    ApiKey,
    AuditEntry,
    Image,
    ImageFormat,
    PendingUpload,
    Role,
    Session,
    User,
)
from imgtree.domain.ports import ImageStats, OpenUploads

E = TypeVar("E", User, ApiKey, Album, Image, PendingUpload, Session)


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        created_at=row.created_at,
        name=row.name,
        password_hash=row.password_hash,
        role=Role(row.role),
        active=row.active,
        quota_bytes=row.quota_bytes,
        used_bytes=row.used_bytes,
    )


def _user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "password_hash": user.password_hash,
        "role": user.role.value,
        "active": user.active,
        "quota_bytes": user.quota_bytes,
        "used_bytes": user.used_bytes,
        "created_at": user.created_at,
    }


def _api_key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        upload_count=row.upload_count,
    )


def _api_key_values(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "secret_hash": key.secret_hash,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
        "upload_count": key.upload_count,
    }


def _album(row: Row[Any]) -> Album:
    return Album(
        id=row.id,
        owner_id=row.owner_id,
        title=row.title,
        created_at=row.created_at,
        description=row.description,
        is_public=row.is_public,
    )


def _album_values(album: Album) -> dict[str, Any]:
    return {
        "id": album.id,
        "owner_id": album.owner_id,
        "title": album.title,
        "description": album.description,
        "is_public": album.is_public,
        "created_at": album.created_at,
    }


# Image columns in table order: the hot read paths (listings, media lookups) unpack rows by
# position, which costs a fraction of 19 attribute lookups per row.
_IMAGE_FIELDS = (
    "id",
    "slug",
    "owner_id",
    "original_name",
    "content_type",
    "size_bytes",
    "width",
    "height",
    "storage_key",
    "thumb_key",
    "thumb_content_type",
    "delete_token_hash",
    "created_at",
    "album_id",
    "api_key_id",
    "animated",
    "is_public",
    "title",
    "deleted_at",
)
if tuple(images.c.keys()) != _IMAGE_FIELDS:  # pragma: no cover - a table edit must update this
    raise RuntimeError("images table columns changed: update _IMAGE_FIELDS and _image")
_FORMATS = {f.value: f for f in ImageFormat}


def _image(row: Row[Any]) -> Image:
    (
        id_,
        slug,
        owner_id,
        original_name,
        content_type,
        size_bytes,
        width,
        height,
        storage_key,
        thumb_key,
        thumb_content_type,
        delete_token_hash,
        created_at,
        album_id,
        api_key_id,
        animated,
        is_public,
        title,
        deleted_at,
    ) = row
    return Image(
        id=id_,
        slug=slug,
        owner_id=owner_id,
        original_name=original_name,
        content_type=_FORMATS[content_type],
        size_bytes=size_bytes,
        width=width,
        height=height,
        storage_key=storage_key,
        thumb_key=thumb_key,
        thumb_content_type=_FORMATS[thumb_content_type],
        delete_token_hash=delete_token_hash,
        created_at=created_at,
        album_id=album_id,
        api_key_id=api_key_id,
        animated=animated,
        is_public=is_public,
        title=title,
        deleted_at=deleted_at,
    )


def _image_values(image: Image) -> dict[str, Any]:
    return {
        "id": image.id,
        "slug": image.slug,
        "owner_id": image.owner_id,
        "original_name": image.original_name,
        "content_type": image.content_type.value,
        "size_bytes": image.size_bytes,
        "width": image.width,
        "height": image.height,
        "storage_key": image.storage_key,
        "thumb_key": image.thumb_key,
        "thumb_content_type": image.thumb_content_type.value,
        "delete_token_hash": image.delete_token_hash,
        "created_at": image.created_at,
        "album_id": image.album_id,
        "api_key_id": image.api_key_id,
        "animated": image.animated,
        "is_public": image.is_public,
        "title": image.title,
        "deleted_at": image.deleted_at,
    }


def _pending(row: Row[Any]) -> PendingUpload:
    return PendingUpload(
        id=row.id,
        owner_id=row.owner_id,
        api_key_id=row.api_key_id,
        album_id=row.album_id,
        is_public=row.is_public,
        filename=row.filename,
        declared_type=ImageFormat(row.declared_type),
        declared_size=row.declared_size,
        object_key=row.object_key,
        completion_token_hash=row.completion_token_hash,
        put_token_hash=row.put_token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        received_at=row.received_at,
        claimed_at=row.claimed_at,
        image_id=row.image_id,
        address=row.address,
    )


def _pending_values(p: PendingUpload) -> dict[str, Any]:
    values = attrs.asdict(p, recurse=False)
    values["declared_type"] = p.declared_type.value
    return values


def _session(row: Row[Any]) -> Session:
    return Session(
        id=row.id,
        user_id=row.user_id,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_seen_at=row.last_seen_at,
        revoked_at=row.revoked_at,
        user_agent=row.user_agent,
    )


def _session_values(session: Session) -> dict[str, Any]:
    return attrs.asdict(session, recurse=False)


@functools.cache
def _select_by(table: Table, columns: tuple[str, ...], live: bool) -> Select[Any]:
    """`SELECT * FROM table WHERE col = :col …`, built once per shape: every request looks
    rows up by key (API keys, users, images), and building the statement each time cost more
    than running it."""
    statement = select(table).where(*(table.c[c] == bindparam(c) for c in columns))
    if live:
        statement = statement.where(table.c.deleted_at.is_(None))
    return statement


class _Repository(Generic[E]):
    """Shared plumbing: guarded writes, row mapping, and the snapshots `update` diffs against."""

    table: Table
    what: str
    # Columns `update` never writes (kept by other statements, e.g. usage counters).
    readonly: tuple[str, ...] = ()
    to_entity: Callable[[Row[Any]], E]
    to_values: Callable[[E], dict[str, Any]]

    def __init__(self, connection: Connection) -> None:
        self._s = connection
        # What this unit of work last read or wrote per id. `update` writes only the columns
        # that differ from it: on Postgres (READ COMMITTED) two units of work that read the
        # same row and change different fields (a revoke and a last-used stamp, say) then
        # both land, instead of the later one writing back the other's stale values.
        self._seen: dict[uuid.UUID, E] = {}

    def _write(self, statement: Executable, params: dict[str, Any] | None = None) -> None:
        try:
            with self._s.begin_nested():
                self._s.execute(statement, params)
        except IntegrityError as exc:
            raise Conflict(f"The {self.what} conflicts with existing data") from exc

    def _one(self, equals: dict[str, Any], *, live: bool = False) -> E | None:
        """The row whose columns equal `equals` (and, with `live`, is not deleted)."""
        statement = _select_by(self.table, tuple(equals), live)
        row = self._s.execute(statement, equals).first()
        return None if row is None else self._remember(self.to_entity(row))

    def _many(self, statement: Executable, params: dict[str, Any] | None = None) -> list[E]:
        rows = self._s.execute(statement, params).all()  # one fetchall, not a fetchone per row
        return [self._remember(self.to_entity(row)) for row in rows]

    def _remember(self, entity: E) -> E:
        self._seen[entity.id] = entity
        return entity

    def _add(self, entity: E) -> None:
        # The plain INSERT with parameters compiles once per table (cached by SQLAlchemy);
        # `.values(...)` would build a new statement for every row.
        self._write(self.table.insert(), self.to_values(entity))
        self._remember(entity)

    def _update(self, entity: E) -> None:
        values = self.to_values(entity)
        del values["id"]
        for column in self.readonly:
            del values[column]
        before = self._seen.get(entity.id)
        if before is not None:
            old = self.to_values(before)
            values = {k: v for k, v in values.items() if old[k] != v}
        if values:
            # Updating a row that does not exist changes nothing (the memory adapter would
            # insert it; no use case relies on either).
            self._write(self.table.update().where(self.table.c.id == entity.id).values(values))
        self._remember(entity)


class SqlUserRepository(_Repository[User]):
    table = users
    what = "user"
    readonly = ("used_bytes",)
    to_entity = staticmethod(_user)
    to_values = staticmethod(_user_values)

    def add(self, user: User) -> None:
        self._add(user)

    def get(self, user_id: uuid.UUID) -> User | None:
        return self._one({"id": user_id})

    def get_by_email(self, email: str) -> User | None:
        # Stored emails are normalised (stripped, lower-cased), so equality hits the unique index.
        return self._one({"email": email.strip().lower()})

    def _matching(self, query: str) -> Any:
        q = query.strip().lower()
        if not q:
            return true()
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return or_(
            users.c.email.like(pattern, escape="\\"),
            func.lower(users.c.name).like(pattern, escape="\\"),
        )

    def search(self, query: str, *, offset: int, limit: int) -> list[User]:
        return self._many(
            select(users)
            .where(self._matching(query))
            .order_by(users.c.created_at, users.c.id)
            .offset(offset)
            .limit(limit)
        )

    def count_search(self, query: str) -> int:
        count = select(func.count()).select_from(users).where(self._matching(query))
        return int(self._s.execute(count).scalar_one())

    def count_active_admins(self) -> int:
        # Lock the rows counted (Postgres; SQLite serialises writers anyway): two admins
        # demoting each other at once must not both see the other as the one who remains.
        admins = (
            select(users.c.id)
            .where(users.c.role == Role.ADMIN.value, users.c.active.is_(True))
            .order_by(users.c.id)
            .with_for_update()
        )
        return len(self._s.execute(admins).all())

    def counts(self) -> tuple[int, int]:
        row = self._s.execute(
            select(func.count(), func.coalesce(func.sum(case((users.c.active, 1), else_=0)), 0))
        ).one()
        return int(row[0]), int(row[1])

    def update(self, user: User) -> None:
        self._update(user)


_COUNT_UPLOADS = (
    api_keys.update()
    .where(api_keys.c.id == bindparam("key_id"))
    .values(upload_count=api_keys.c.upload_count + bindparam("by", type_=BigInteger))
)


class SqlApiKeyRepository(_Repository[ApiKey]):
    table = api_keys
    what = "API key"
    to_entity = staticmethod(_api_key)
    to_values = staticmethod(_api_key_values)

    def add(self, key: ApiKey) -> None:
        self._add(key)

    def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return self._one({"id": key_id})

    def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return self._one({"prefix": prefix})

    def list_for_user(self, user_id: uuid.UUID) -> list[ApiKey]:
        return self._many(
            select(api_keys)
            .where(api_keys.c.user_id == user_id)
            .order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
        )

    def update(self, key: ApiKey) -> None:
        self._update(key)

    def increment_uploads(self, key_id: uuid.UUID, by: int) -> None:
        # Computed by the database, so concurrent uploads never lose a count.
        self._s.execute(_COUNT_UPLOADS, {"key_id": key_id, "by": by})
        seen = self._seen.get(key_id)
        if seen is not None:
            self._seen[key_id] = attrs.evolve(seen, upload_count=seen.upload_count + by)


class SqlAlbumRepository(_Repository[Album]):
    table = albums
    what = "album"
    to_entity = staticmethod(_album)
    to_values = staticmethod(_album_values)

    def add(self, album: Album) -> None:
        self._add(album)

    def get(self, album_id: uuid.UUID) -> Album | None:
        return self._one({"id": album_id})

    def list_for_owner(self, owner_id: uuid.UUID) -> list[Album]:
        return self._many(
            select(albums)
            .where(albums.c.owner_id == owner_id)
            .order_by(albums.c.created_at.desc(), albums.c.id.desc())
        )

    def update(self, album: Album) -> None:
        self._update(album)

    def remove(self, album_id: uuid.UUID) -> None:
        # Images keep existing: the foreign key is ON DELETE SET NULL, but SQLite enforces
        # that only with foreign_keys=ON, so clear the references explicitly too.
        self._s.execute(images.update().where(images.c.album_id == album_id).values(album_id=None))
        self._s.execute(albums.delete().where(albums.c.id == album_id))
        self._seen.pop(album_id, None)


@functools.cache
def _usage_update(within_quota: bool) -> Any:
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


def _live_where(by_album: bool, public_only: bool) -> list[Any]:
    """An owner's live images (:owner_id), optionally in one album (:album_id), optionally
    public only: the partial listing index's condition plus its leading column."""
    where = [images.c.owner_id == bindparam("owner_id"), images.c.deleted_at.is_(None)]
    if by_album:
        where.append(images.c.album_id == bindparam("album_id"))
    if public_only:
        where.append(images.c.is_public.is_(True))
    return where


def _live_params(owner_id: uuid.UUID, album_id: uuid.UUID | None) -> dict[str, Any]:
    params: dict[str, Any] = {"owner_id": owner_id}
    if album_id is not None:
        params["album_id"] = album_id
    return params


# Built once per shape, like `_select_by`.
@functools.cache
def _owner_page(by_album: bool, public_only: bool) -> Select[Any]:
    """One page of an owner's live images, newest first (the listing index's order)."""
    return (
        select(images)
        .where(*_live_where(by_album, public_only))
        .order_by(images.c.created_at.desc(), images.c.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


@functools.cache
def _owner_count(by_album: bool, public_only: bool) -> Select[Any]:
    return select(func.count()).select_from(images).where(*_live_where(by_album, public_only))


_OWNER_BYTES = select(func.coalesce(func.sum(images.c.size_bytes), 0)).where(
    *_live_where(False, False)
)


class SqlImageRepository(_Repository[Image]):
    table = images
    what = "image"
    to_entity = staticmethod(_image)
    to_values = staticmethod(_image_values)

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
        result: CursorResult[Any] = self._s.execute(  # type: ignore[assignment]
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
    ) -> list[Image]:
        params = {**_live_params(owner_id, album_id), "offset": offset, "limit": limit}
        return self._many(_owner_page(album_id is not None, public_only), params)

    def count_for_owner(
        self, owner_id: uuid.UUID, *, album_id: uuid.UUID | None = None, public_only: bool = False
    ) -> int:
        if album_id is None and not public_only:
            # The whole gallery's total is kept on the user row (moved with every add and
            # delete), so listing a large gallery does not count it on every page.
            return int(self._s.execute(_KEPT_IMAGE_COUNT, {"id": owner_id}).scalar() or 0)
        count = _owner_count(album_id is not None, public_only)
        return int(self._s.execute(count, _live_params(owner_id, album_id)).scalar_one())

    def bytes_for_owner(self, owner_id: uuid.UUID) -> int:
        total = self._s.execute(_OWNER_BYTES, _live_params(owner_id, None)).scalar_one()
        return int(total)  # int(): Postgres sums BIGINT as NUMERIC (a Decimal)

    def update(self, image: Image) -> None:
        self._update(image)

    def mark_deleted(self, image_id: uuid.UUID, at: datetime) -> bool:
        # Conditional and atomic: of two concurrent deletes exactly one sees a row change.
        result: CursorResult[Any] = self._s.execute(  # type: ignore[assignment]
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


def _open_uploads(*where: Any) -> Select[Any]:
    """Count, declared bytes and first expiry of the open (unclaimed, unexpired) uploads that
    match `where`: one aggregate over a partial index of unclaimed rows."""
    p = pending_uploads.c
    return select(
        func.count(), func.coalesce(func.sum(p.declared_size), 0), func.min(p.expires_at)
    ).where(p.claimed_at.is_(None), p.expires_at > bindparam("now"), *where)


_OPEN_FOR_OWNER = _open_uploads(pending_uploads.c.owner_id == bindparam("owner_id"))
_OPEN_FOR_GUEST = _open_uploads(
    pending_uploads.c.owner_id.is_(None), pending_uploads.c.address == bindparam("address")
)
_OPEN_FOR_ANONYMOUS_GUEST = _open_uploads(
    pending_uploads.c.owner_id.is_(None), pending_uploads.c.address.is_(None)
)


class SqlPendingUploadRepository(_Repository[PendingUpload]):
    table = pending_uploads
    what = "pending upload"
    to_entity = staticmethod(_pending)
    to_values = staticmethod(_pending_values)

    def add(self, pending: PendingUpload) -> None:
        self._add(pending)

    def get(self, pending_id: uuid.UUID) -> PendingUpload | None:
        return self._one({"id": pending_id})

    def get_by_completion_hash(self, token_hash: str) -> PendingUpload | None:
        return self._one({"completion_token_hash": token_hash})

    def _set_once(self, pending_id: uuid.UUID, column: str, at: datetime) -> bool:
        # Conditional UPDATE: of racing callers exactly one sees its row change.
        result: CursorResult[Any] = self._s.execute(  # type: ignore[assignment]
            pending_uploads.update()
            .where(pending_uploads.c.id == pending_id, pending_uploads.c[column].is_(None))
            .values({column: at})
        )
        if result.rowcount != 1:
            return False
        seen = self._seen.get(pending_id)
        if seen is not None:
            self._seen[pending_id] = attrs.evolve(seen, **{column: at})
        return True

    def mark_received(self, pending_id: uuid.UUID, at: datetime) -> bool:
        return self._set_once(pending_id, "received_at", at)

    def reset_received(self, pending_id: uuid.UUID) -> None:
        self._s.execute(
            pending_uploads.update()
            .where(pending_uploads.c.id == pending_id)
            .values(received_at=None)
        )
        seen = self._seen.get(pending_id)
        if seen is not None:
            self._seen[pending_id] = attrs.evolve(seen, received_at=None)

    def claim(self, pending_id: uuid.UUID, at: datetime) -> bool:
        return self._set_once(pending_id, "claimed_at", at)

    def set_image(self, pending_id: uuid.UUID, image_id: uuid.UUID) -> None:
        self._s.execute(
            pending_uploads.update()
            .where(pending_uploads.c.id == pending_id)
            .values(image_id=image_id)
        )

    def list_stale(self, before: datetime, *, limit: int) -> list[PendingUpload]:
        return self._many(
            select(pending_uploads)
            .where(pending_uploads.c.expires_at < before)
            .order_by(pending_uploads.c.expires_at, pending_uploads.c.id)
            .limit(limit)
        )

    def remove(self, pending_id: uuid.UUID) -> None:
        self._s.execute(pending_uploads.delete().where(pending_uploads.c.id == pending_id))
        self._seen.pop(pending_id, None)

    def count_open(self, now: datetime) -> int:
        count = (
            select(func.count())
            .select_from(pending_uploads)
            .where(pending_uploads.c.claimed_at.is_(None), pending_uploads.c.expires_at > now)
        )
        return int(self._s.execute(count).scalar_one())

    def open_for_owner(self, owner_id: uuid.UUID, now: datetime) -> OpenUploads:
        return self._open(_OPEN_FOR_OWNER, {"owner_id": owner_id, "now": now})

    def open_for_guest(self, address: str | None, now: datetime) -> OpenUploads:
        if address is None:
            return self._open(_OPEN_FOR_ANONYMOUS_GUEST, {"now": now})
        return self._open(_OPEN_FOR_GUEST, {"address": address, "now": now})

    def _open(self, statement: Select[Any], params: dict[str, Any]) -> OpenUploads:
        count, declared, first_expiry = self._s.execute(statement, params).one()
        return OpenUploads(int(count), int(declared), first_expiry)


class SqlSessionRepository(_Repository[Session]):
    table = sessions
    what = "session"
    to_entity = staticmethod(_session)
    to_values = staticmethod(_session_values)

    def add(self, session: Session) -> None:
        self._add(session)

    def get_by_token_hash(self, token_hash: str) -> Session | None:
        return self._one({"token_hash": token_hash})

    def update(self, session: Session) -> None:
        self._update(session)

    def revoke_all_for_user(
        self, user_id: uuid.UUID, at: datetime, *, except_id: uuid.UUID | None = None
    ) -> int:
        where = [sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)]
        if except_id is not None:
            where.append(sessions.c.id != except_id)
        result: CursorResult[Any] = self._s.execute(  # type: ignore[assignment]
            sessions.update().where(*where).values(revoked_at=at)
        )
        self._seen.clear()
        return int(result.rowcount)


class SqlAuditLog:
    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def add(self, entry: AuditEntry) -> None:
        self._s.execute(audit_log.insert().values(attrs.asdict(entry, recurse=False)))

    def list(self, *, offset: int, limit: int) -> list[AuditEntry]:
        rows = self._s.execute(
            select(audit_log)
            .order_by(audit_log.c.created_at.desc(), audit_log.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            AuditEntry(
                id=r.id,
                actor_id=r.actor_id,
                action=r.action,
                target_id=r.target_id,
                details=r.details,
                created_at=r.created_at,
            )
            for r in rows
        ]

    def count(self) -> int:
        return int(self._s.execute(select(func.count()).select_from(audit_log)).scalar_one())


class SqlStats:
    """Aggregates for the admin dashboard: a handful of indexed GROUP BY queries."""

    def __init__(self, connection: Connection) -> None:
        self._s = connection

    def _day(self) -> Any:
        if self._s.dialect.name == "postgresql":
            return cast(func.timezone("UTC", images.c.created_at), Date)
        return func.date(images.c.created_at)  # SQLite keeps UTC text

    def image_stats(self, now: datetime, *, days: int = 30, top: int = 10) -> ImageStats:
        live = images.c.deleted_at.is_(None)
        count_live, bytes_live = self._s.execute(
            select(func.count(), func.coalesce(func.sum(images.c.size_bytes), 0)).where(live)
        ).one()

        def since(d: int) -> int:
            q = select(func.count()).where(images.c.created_at > now - timedelta(days=d))
            return int(self._s.execute(q).scalar_one())

        guests, accounts = self._s.execute(
            select(
                func.coalesce(func.sum(case((images.c.owner_id.is_(None), 1), else_=0)), 0),
                func.coalesce(func.sum(case((images.c.owner_id.is_not(None), 1), else_=0)), 0),
            )
        ).one()
        by_type = {
            row[0]: int(row[1])
            for row in self._s.execute(
                select(images.c.content_type, func.count())
                .where(live)
                .group_by(images.c.content_type)
            )
        }
        total_bytes = func.sum(images.c.size_bytes)
        top_rows = self._s.execute(
            select(users.c.id, users.c.email, func.count(), total_bytes)
            .join(users, users.c.id == images.c.owner_id)
            .where(live)
            .group_by(users.c.id, users.c.email)
            .order_by(total_bytes.desc(), func.count().desc(), users.c.id)
            .limit(top)
        )
        start = (now - timedelta(days=days - 1)).date()
        day = self._day()
        counted = {
            str(row[0]): (int(row[1]), int(row[2]))
            for row in self._s.execute(
                select(day, func.count(), func.coalesce(func.sum(images.c.size_bytes), 0))
                .where(images.c.created_at >= datetime.combine(start, datetime.min.time(), UTC))
                .group_by(day)
            )
        }
        per_day = []
        for k in range(days):
            key = (start + timedelta(days=k)).isoformat()
            n, b = counted.get(key, (0, 0))
            per_day.append((key, n, b))
        return ImageStats(
            images=int(count_live),
            bytes_stored=int(bytes_live),
            uploads_24h=since(1),
            uploads_7d=since(7),
            uploads_30d=since(30),
            guest_uploads=int(guests),
            account_uploads=int(accounts),
            by_type=by_type,
            top_uploaders=[(r[0], r[1], int(r[2]), int(r[3])) for r in top_rows],
            per_day=per_day,
        )

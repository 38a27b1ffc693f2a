"""Rows to domain objects and domain objects to column values, one pair per table.

One style throughout: columns read by name into keyword arguments, values written as an
explicit dict of every column. The one exception is `image_from_row`, which unpacks rows by
position: listings and media lookups map images on every request, and the positional
unpack was measured to cost a fraction of 19 attribute lookups per row.
"""

from __future__ import annotations

from typing import Any

from imgtree.adapters.sql.repositories.base import AnyRow
from imgtree.adapters.sql.tables import images
from imgtree.domain.model import (
    Album,
    ApiKey,
    AuditEntry,
    Image,
    ImageFormat,
    PendingUpload,
    Role,
    Scope,
    Session,
    User,
    ordered_scopes,
)


def user_from_row(row: AnyRow) -> User:
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
        totp_secret=row.totp_secret,
        totp_pending_secret=row.totp_pending_secret,
        totp_last_step=row.totp_last_step,
        recovery_codes=tuple(row.recovery_codes.split()),
    )


def user_values(user: User) -> dict[str, Any]:
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
        "totp_secret": user.totp_secret,
        "totp_pending_secret": user.totp_pending_secret,
        "totp_last_step": user.totp_last_step,
        "recovery_codes": "\n".join(user.recovery_codes),
    }


def api_key_from_row(row: AnyRow) -> ApiKey:
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
        scopes=frozenset(Scope(name) for name in row.scopes.split()),
        expires_at=row.expires_at,
    )


def api_key_values(key: ApiKey) -> dict[str, Any]:
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
        "scopes": " ".join(ordered_scopes(key.scopes)),
        "expires_at": key.expires_at,
    }


def album_from_row(row: AnyRow) -> Album:
    return Album(
        id=row.id,
        owner_id=row.owner_id,
        title=row.title,
        created_at=row.created_at,
        description=row.description,
        is_public=row.is_public,
        cover_image_id=row.cover_image_id,
        password_hash=row.password_hash,
    )


def album_values(album: Album) -> dict[str, Any]:
    return {
        "id": album.id,
        "owner_id": album.owner_id,
        "title": album.title,
        "description": album.description,
        "is_public": album.is_public,
        "created_at": album.created_at,
        "cover_image_id": album.cover_image_id,
        "password_hash": album.password_hash,
    }


# Image columns in table order: the hot read paths (listings, media lookups) unpack rows by
# position, which costs a fraction of 19 attribute lookups per row.
IMAGE_FIELDS = (
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
    "listed",
    "description",
    "album_position",
    "original_key",
    "original_content_type",
    "original_size_bytes",
    "page_views",
    "media_hits",
    "blurhash",
    "dominant_color",
    "hidden",
    "uploader_hash",
    "expires_at",
    "password_hash",
)
if tuple(images.c.keys()) != IMAGE_FIELDS:  # pragma: no cover - a table edit must update this
    raise RuntimeError("images table columns changed: update IMAGE_FIELDS and image_from_row")
_FORMATS = {f.value: f for f in ImageFormat}


def image_from_row(row: AnyRow) -> Image:
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
        listed,
        description,
        album_position,
        original_key,
        original_content_type,
        original_size_bytes,
        page_views,
        media_hits,
        blurhash,
        dominant_color,
        hidden,
        uploader_hash,
        expires_at,
        password_hash,
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
        listed=listed,
        description=description,
        album_position=album_position,
        original_key=original_key,
        original_content_type=(
            None if original_content_type is None else _FORMATS[original_content_type]
        ),
        original_size_bytes=original_size_bytes,
        page_views=page_views,
        media_hits=media_hits,
        blurhash=blurhash,
        dominant_color=dominant_color,
        hidden=hidden,
        uploader_hash=uploader_hash,
        expires_at=expires_at,
        password_hash=password_hash,
    )


def image_values(image: Image) -> dict[str, Any]:
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
        "listed": image.listed,
        "description": image.description,
        "album_position": image.album_position,
        "original_key": image.original_key,
        "original_content_type": (
            None if image.original_content_type is None else image.original_content_type.value
        ),
        "original_size_bytes": image.original_size_bytes,
        "page_views": image.page_views,
        "media_hits": image.media_hits,
        "blurhash": image.blurhash,
        "dominant_color": image.dominant_color,
        "hidden": image.hidden,
        "uploader_hash": image.uploader_hash,
        "expires_at": image.expires_at,
        "password_hash": image.password_hash,
    }


def pending_upload_from_row(row: AnyRow) -> PendingUpload:
    return PendingUpload(
        id=row.id,
        owner_id=row.owner_id,
        api_key_id=row.api_key_id,
        album_id=row.album_id,
        is_public=row.is_public,
        listed=row.listed,
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
        image_expires_in=row.image_expires_in,
    )


def pending_upload_values(p: PendingUpload) -> dict[str, Any]:
    return {
        "id": p.id,
        "owner_id": p.owner_id,
        "api_key_id": p.api_key_id,
        "album_id": p.album_id,
        "is_public": p.is_public,
        "listed": p.listed,
        "filename": p.filename,
        "declared_type": p.declared_type.value,
        "declared_size": p.declared_size,
        "object_key": p.object_key,
        "completion_token_hash": p.completion_token_hash,
        "put_token_hash": p.put_token_hash,
        "created_at": p.created_at,
        "expires_at": p.expires_at,
        "received_at": p.received_at,
        "claimed_at": p.claimed_at,
        "image_id": p.image_id,
        "address": p.address,
        "image_expires_in": p.image_expires_in,
    }


def session_from_row(row: AnyRow) -> Session:
    return Session(
        id=row.id,
        user_id=row.user_id,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_seen_at=row.last_seen_at,
        revoked_at=row.revoked_at,
        user_agent=row.user_agent,
        address=row.address,
    )


def session_values(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "token_hash": session.token_hash,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "last_seen_at": session.last_seen_at,
        "revoked_at": session.revoked_at,
        "user_agent": session.user_agent,
        "address": session.address,
    }


def audit_entry_from_row(row: AnyRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        actor_id=row.actor_id,
        action=row.action,
        target_id=row.target_id,
        details=row.details,
        created_at=row.created_at,
    )


def audit_entry_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target_id": entry.target_id,
        "details": entry.details,
        "created_at": entry.created_at,
    }

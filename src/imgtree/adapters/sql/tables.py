"""The schema as SQLAlchemy Core tables: the single source the migrations are checked against.

Portable across SQLite and Postgres: UUIDs via `Uuid` (native on Postgres, CHAR(32) on SQLite),
enums as plain strings, datetimes through `UtcDateTime` so every value read back is UTC-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Uuid,
    func,
)

# Deterministic constraint names, so migrations can refer to (and later alter) them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC.

    Postgres keeps `timestamptz` natively; SQLite has no time zones, so values are written as
    naive UTC (which also keeps its text ordering chronological) and re-tagged UTC on read.
    A naive value handed in is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        # `value: Any` as in TypeDecorator's signature; the DateTime impl hands back a datetime.
        moment: datetime | None = value
        if moment is None:
            return None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", Text, nullable=False, default=""),
    Column("password_hash", Text, nullable=True),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("quota_bytes", BigInteger, nullable=True),
    # Bytes of the user's live images, kept in step by the image repository.
    Column("used_bytes", BigInteger, nullable=False, default=0, server_default="0"),
    # Number of the user's live images, kept in step the same way (gallery totals).
    Column("image_count", BigInteger, nullable=False, default=0, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    # Two-factor sign-in: the TOTP secret (NULL: off), one being enrolled, the last accepted
    # time step, and the lookup keys of unused recovery codes, one per line.
    Column("totp_secret", Text, nullable=True),
    Column("totp_pending_secret", Text, nullable=True),
    Column("totp_last_step", BigInteger, nullable=True),
    Column("recovery_codes", Text, nullable=False, default="", server_default=""),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("secret_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("upload_count", Integer, nullable=False, default=0),
    # Space-separated scope names (domain Scope values), in declared order.
    Column("scopes", Text, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    # Authentication finds a key by its public prefix on every API request.
    Index(None, "prefix", unique=True),
    Index(None, "user_id", "created_at"),
)

albums = Table(
    "albums",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("is_public", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # The image picked as cover (no foreign key: albums and images would reference each
    # other; a cover that left the album or was deleted is ignored by the domain).
    Column("cover_image_id", Uuid, nullable=True),
    # 0022: the visitors' password (argon2id hash); None: none
    Column("password_hash", Text, nullable=True),
    Index(None, "owner_id"),
)

images = Table(
    "images",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slug", String(32), nullable=False, unique=True),
    # No cascade: removing an account must not silently drop rows whose blobs still exist.
    Column("owner_id", Uuid, ForeignKey("users.id"), nullable=True),
    Column("original_name", Text, nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("storage_key", Text, nullable=False),
    Column("thumb_key", Text, nullable=False),
    Column("thumb_content_type", String(32), nullable=False),
    Column("delete_token_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("album_id", Uuid, ForeignKey("albums.id", ondelete="SET NULL"), nullable=True),
    Column("api_key_id", Uuid, ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True),
    Column("animated", Boolean, nullable=False),
    Column("is_public", Boolean, nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("deleted_at", UtcDateTime, nullable=True),
    # Visibility is (is_public, listed): public = both, unlisted = is_public only (0011).
    Column("listed", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=False, default=""),
    Column("album_position", Integer, nullable=True),  # 0012: the owner's order in the album
    # 0015: the uploaded file kept for its owner (IMGTREE_KEEP_ORIGINALS), when converted.
    Column("original_key", Text, nullable=True),
    Column("original_content_type", String(32), nullable=True),
    Column("original_size_bytes", BigInteger, nullable=False, default=0),
    # 0016: views counted in batches (ImageRepository.add_views)
    Column("page_views", BigInteger, nullable=False, default=0),
    Column("media_hits", BigInteger, nullable=False, default=0),
    # 0018: the placeholder shown while the picture loads (see Image.blurhash)
    Column("blurhash", String(166), nullable=True),
    Column("dominant_color", String(7), nullable=True),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("uploader_hash", String(64), nullable=True),
    # 0020: "delete after" (see Image.expires_at); None: never
    Column("expires_at", UtcDateTime, nullable=True),
    # 0022: the visitors' password (argon2id hash); None: none
    Column("password_hash", Text, nullable=True),
)

# Listing and counting an owner's live images: a partial index over live rows, equality on
# owner_id and then already in page order, so LIMIT/OFFSET walks the index instead of
# sorting. (With deleted_at as an index column instead, Postgres does not take `IS NULL` as
# fixing it and sorted every live image of the owner; see migration 0007.)
Index(
    "ix_images_owner_live_recent",
    images.c.owner_id,
    images.c.created_at.desc(),
    images.c.id.desc(),  # the listing's tie-break order too
    postgresql_where=images.c.deleted_at.is_(None),
    sqlite_where=images.c.deleted_at.is_(None),
)
# The gallery's other orders (ImageQuery.sort), the same way (migration 0017); "oldest" walks
# the recent index backwards.
Index(
    "ix_images_owner_live_size",
    images.c.owner_id,
    images.c.size_bytes.desc(),
    images.c.id.desc(),
    postgresql_where=images.c.deleted_at.is_(None),
    sqlite_where=images.c.deleted_at.is_(None),
)
Index(
    "ix_images_owner_live_name",
    images.c.owner_id,
    func.lower(images.c.original_name),
    images.c.id,
    postgresql_where=images.c.deleted_at.is_(None),
    sqlite_where=images.c.deleted_at.is_(None),
)

# Shared content (0019): counting the live images of one stored file, on a public bucket.
Index(None, images.c.storage_key)
# ON DELETE SET NULL from albums / api_keys must not scan every image.
Index(None, images.c.album_id)
Index(None, images.c.api_key_id)

# Shared blobs (0019): references to each stored content, by the stem its keys share
# (`images/<stem>.<ext>`, `thumbs/<stem>.<ext>`, `renditions/<stem>.<px>.<ext>`): the number
# of image rows, live or soft-deleted, using it. See domain/services/shared_blobs.py.
blobs = Table(
    "blobs",
    metadata,
    Column("stem", String(128), primary_key=True),
    Column("refs", Integer, nullable=False),
)

# The moderators' block list: SHA-256 digests (hex) of content removed as abusive; uploads
# whose raw or published bytes hash to one are refused. The image may be purged later, so
# `image_id` is a plain reference, not a foreign key.
blocked_hashes = Table(
    "blocked_hashes",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("reason", Text, nullable=False, default=""),
    Column("image_id", Uuid, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# Visitors' reports of images; one open report per reporter (keyed address hash) and image.
reports = Table(
    "reports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("image_id", Uuid, ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("reporter_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("dismissed_at", UtcDateTime, nullable=True),
    Index(None, "image_id", "reporter_hash"),
    Index(None, "dismissed_at", "created_at"),
)

# Shared fixed-window rate limiting across worker processes (see rate_limit.SqlRateLimiter).
rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
)

# Presign -> PUT -> complete. Tokens are stored hashed; the completion hash is the lookup key.
pending_uploads = Table(
    "pending_uploads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("api_key_id", Uuid, ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True),
    Column("album_id", Uuid, ForeignKey("albums.id", ondelete="SET NULL"), nullable=True),
    Column("is_public", Boolean, nullable=False),
    Column("listed", Boolean, nullable=False, default=False),
    Column("filename", Text, nullable=False),
    Column("declared_type", String(32), nullable=False),
    Column("declared_size", BigInteger, nullable=False),
    Column("object_key", Text, nullable=False),
    Column("completion_token_hash", String(128), nullable=False),
    Column("put_token_hash", String(128), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=True),
    Column("claimed_at", UtcDateTime, nullable=True),
    Column("image_id", Uuid, nullable=True),
    Column("address", Text, nullable=True),  # a guest's client address
    # 0020: the image's "delete after", in seconds from its publication (None: never)
    Column("image_expires_in", BigInteger, nullable=True),
    Index(None, "completion_token_hash", unique=True),
    # purge walks expired uploads oldest first
    Index(None, "expires_at"),
)

# Counting (and summing) one uploader's open presigns at every presign: partial indexes over
# unclaimed rows, equality on the owner (or a guest's address), then a range on expires_at.
_UNCLAIMED = pending_uploads.c.claimed_at.is_(None)
Index(
    "ix_pending_uploads_owner_open",
    pending_uploads.c.owner_id,
    pending_uploads.c.expires_at,
    postgresql_where=_UNCLAIMED,
    sqlite_where=_UNCLAIMED,
)
Index(
    "ix_pending_uploads_address_open",
    pending_uploads.c.address,
    pending_uploads.c.expires_at,
    postgresql_where=_UNCLAIMED,
    sqlite_where=_UNCLAIMED,
)

# purge walks soft-deleted images oldest first
Index("ix_images_deleted_at", images.c.deleted_at)
# Live images that expire at all (0020): the gallery total takes off an owner's expired ones,
# and purge finds those whose time has come, both reading only rows that expire.
Index(
    "ix_images_expiring",
    images.c.owner_id,
    images.c.expires_at,
    postgresql_where=images.c.expires_at.is_not(None) & images.c.deleted_at.is_(None),
    sqlite_where=images.c.expires_at.is_not(None) & images.c.deleted_at.is_(None),
)

# Browser sessions: the cookie's token is looked up by its hash.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(128), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("user_agent", Text, nullable=False, default=""),
    Column("address", Text, nullable=False, default="", server_default=""),
    Index(None, "token_hash", unique=True),
    Index(None, "user_id"),
)

# Who changed what, when (admin API and CLI).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("actor_id", Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target_id", Uuid, nullable=True),
    Column("details", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "created_at"),
)

# Statistics: uploads over time (all images, deleted or not).
Index("ix_images_created_at", images.c.created_at)

"""Entities and value objects. Frozen attrs classes; state changes go through attrs.evolve."""

from __future__ import annotations

import enum
import hashlib
import re
import uuid
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import attrs

from imgtree.domain.errors import InvalidInput

SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# New images get SLUG_LENGTH characters (UploadPolicy.slug_length, IMGTREE_SLUG_LENGTH): 36^12
# is about 2^62, so guessing a live slug is hopeless even at millions of images. Deployments
# choose between SLUG_MIN_LENGTH and SLUG_MAX_LENGTH (the column's width); slugs handed out
# before (8 characters until issue 14) stay valid, as does anything the pattern accepts.
SLUG_LENGTH = 12
SLUG_MIN_LENGTH = 8
SLUG_MAX_LENGTH = 32
_SLUG_RE = re.compile(r"^[a-z0-9]{4,32}$")
_EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,255}$")
MAX_ORIGINAL_NAME = 255
T = TypeVar("T")


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


class Scope(enum.StrEnum):
    """What an API key may do. A key holds a subset; `admin` only on an admin's key, and it
    acts only while its owner is an admin."""

    UPLOAD = "upload"  # POST /api/v1/upload, presign and complete
    IMAGES_READ = "images:read"  # GET /api/v1/images
    IMAGES_DELETE = "images:delete"  # DELETE /api/v1/images/{id}
    ALBUMS = "albums"  # place uploads into the owner's albums (albumId)
    ADMIN = "admin"  # /api/admin/*

    @classmethod
    def parse(cls, value: object) -> Scope | None:
        try:
            return cls(value) if isinstance(value, str) else None
        except ValueError:
            return None


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)


def scopes_for(role: Role) -> frozenset[Scope]:
    """Every scope an account of this role may give its keys."""
    return ALL_SCOPES if role is Role.ADMIN else ALL_SCOPES - {Scope.ADMIN}


def ordered_scopes(scopes: frozenset[Scope]) -> list[str]:
    """Scopes in their declared order (stable in listings and storage)."""
    return [s.value for s in Scope if s in scopes]


class ImageFormat(enum.StrEnum):
    """The image types imgtree accepts, named by their MIME type."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    GIF = "image/gif"
    WEBP = "image/webp"
    # Accepted on upload only: published as JPEG (see PillowImageProcessor, docs/decisions.md)
    HEIC = "image/heic"
    HEIF = "image/heif"
    AVIF = "image/avif"

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.value]


_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/avif": "avif",
}


def _valid_slug(_inst: object, _attr: attrs.Attribute[str], value: str) -> None:
    if not _SLUG_RE.match(value):
        raise ValueError(f"invalid slug {value!r}")


def _non_negative(_inst: object, attr: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attr.name} must be >= 0")


# An image's placeholder (issue 16): a BlurHash (base-83 text, 6 to 166 characters) and its
# dominant colour as "#rrggbb". Both end up in HTML attributes and CSS: the image refuses
# anything else, so neither can ever carry markup whatever computed it.
_BLURHASH_RE = re.compile(r"^[0-9A-Za-z#$%*+,\-.:;=?@\[\]^_{|}~]{6,166}$")
_HEX_COLOR_RE = re.compile(r"^#[0-9a-f]{6}$")


def is_blurhash(value: object) -> bool:
    return isinstance(value, str) and _BLURHASH_RE.match(value) is not None


def is_hex_color(value: object) -> bool:
    """A lower-case "#rrggbb" colour."""
    return isinstance(value, str) and _HEX_COLOR_RE.match(value) is not None


def _valid_blurhash(_inst: object, _attr: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and not is_blurhash(value):
        raise ValueError(f"invalid blurhash {value!r}")


def _valid_hex_color(_inst: object, attr: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and not is_hex_color(value):
        raise ValueError(f"{attr.name} must be a lower-case #rrggbb colour, not {value!r}")


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; the stored form is stripped and lower-cased."""
    cleaned = email.strip().lower()
    if not _EMAIL_RE.match(cleaned):
        raise ValueError("invalid email address")
    return cleaned


def clean_original_name(name: str | None) -> str:
    """A display-only file name: no path, no control or bidi-override characters, bounded length.

    It is shown to people and never used to build a storage key or a path.
    """
    if not name:
        return "image"
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(
        ch
        for ch in base
        if ch.isprintable() and ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    ).strip()
    cleaned = cleaned.lstrip(".") or "image"
    return cleaned[:MAX_ORIGINAL_NAME]


@attrs.frozen
class User:
    id: uuid.UUID
    email: str
    created_at: datetime
    name: str = ""
    password_hash: str | None = None
    role: Role = Role.USER
    active: bool = True
    quota_bytes: int | None = None  # None: unlimited
    # Bytes of the user's live images, kept by the repository atomically with every upload
    # and delete (so a quota check never races); never set from outside.
    used_bytes: int = 0
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret (None: off), a secret being
    # enrolled, the last time step accepted (each code is good once), and the lookup keys of
    # the recovery codes not yet used.
    totp_secret: str | None = attrs.field(default=None, repr=False)
    totp_pending_secret: str | None = attrs.field(default=None, repr=False)
    totp_last_step: int | None = None
    recovery_codes: tuple[str, ...] = attrs.field(default=(), repr=False)

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_secret is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_active_admin(self) -> bool:
        """May administer now: the admin role on an account that is switched on."""
        return self.is_admin and self.active

    @property
    def unlimited(self) -> bool:
        """No storage quota: every upload has room."""
        return self.quota_bytes is None

    @property
    def remaining_bytes(self) -> int | None:
        return None if self.quota_bytes is None else max(0, self.quota_bytes - self.used_bytes)

    def has_room_for(self, extra_bytes: int, *, reserved_bytes: int = 0) -> bool:
        """Whether `extra_bytes` more fit in the quota beside the bytes already used and those
        reserved (declared by open presigned uploads)."""
        if self.quota_bytes is None:
            return True
        return self.used_bytes + reserved_bytes + extra_bytes <= self.quota_bytes


class ReportReason(enum.StrEnum):
    """Why someone reports an image (a fixed list, so the queue can be sorted at a glance)."""

    ABUSE = "abuse"  # harassment, hate, violence
    SEXUAL = "sexual"  # sexual content involving minors or without consent
    ILLEGAL = "illegal"  # otherwise unlawful
    COPYRIGHT = "copyright"
    SPAM = "spam"
    OTHER = "other"


MAX_REPORT_TEXT = 500


@attrs.frozen
class Report:
    """Someone's report that an image breaks the rules, open until a moderator dismisses it
    (or removes the image). `reporter_hash`: the keyed hash of the reporter's client address
    (one open report per address and image); no account needed."""

    id: uuid.UUID
    image_id: uuid.UUID
    reason: ReportReason
    text: str
    reporter_hash: str
    created_at: datetime
    dismissed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.dismissed_at is None


@attrs.frozen
class AuditEntry:
    """One administrative change: who did what to whom, and when."""

    id: uuid.UUID
    actor_id: uuid.UUID | None  # None: the command line
    action: str
    target_id: uuid.UUID | None
    details: str  # JSON text of the changed fields (old and new values)
    created_at: datetime


@attrs.frozen
class BlockedHash:
    """A digest on the moderators' block list: why, from which image, and since when."""

    sha256: str  # 64 lowercase hex
    reason: str
    image_id: uuid.UUID | None  # the removed image (it may be purged since)
    created_at: datetime


@attrs.frozen
class ApiKey:
    """An API key. Only `secret_hash` is stored; the full key is shown once at creation.

    The key's `prefix` is public and unique: it finds the row without scanning, and the
    hash of the whole presented key is then compared in constant time.
    """

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    secret_hash: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    upload_count: int = attrs.field(default=0, validator=_non_negative)
    # Keys made before scopes existed hold every scope (their owner's role still bounds admin).
    scopes: frozenset[Scope] = ALL_SCOPES
    expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def grants(self, scope: Scope, owner: User) -> bool:
        """Whether this key may act in `scope` for `owner` now (admin needs an admin owner)."""
        return scope in self.scopes and (scope is not Scope.ADMIN or owner.is_admin)

    def owned_by(self, user_id: uuid.UUID | None) -> bool:
        """Whether the key belongs to `user_id` (None owns none)."""
        return user_id is not None and self.user_id == user_id


@attrs.frozen
class Album:
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    created_at: datetime
    description: str = ""
    is_public: bool = True
    # The image the owner picked to stand for the album; None: the first in the album's order.
    # Only honoured while that image is live and still in the album (see `Albums`).
    cover_image_id: uuid.UUID | None = None
    # The argon2id hash of the password visitors enter before they see the album and its
    # images (docs/decisions.md, "Passwords on images and albums"); None: no password.
    password_hash: str | None = attrs.field(default=None, repr=False)

    @property
    def password_protected(self) -> bool:
        return self.password_hash is not None

    def owned_by(self, user_id: uuid.UUID | None) -> bool:
        """Whether `user_id` owns this album (None, a guest or nobody, owns none)."""
        return user_id is not None and self.owner_id == user_id

    def visible_to(self, viewer_id: uuid.UUID | None) -> bool:
        """Public albums are seen by anyone (None: anonymous); private ones by the owner only."""
        return self.is_public or self.owned_by(viewer_id)


class Visibility(enum.StrEnum):
    """Who sees an image. Stored as two flags (`is_public`, `listed`): `isPublic: true` of
    the first API still means "anyone with the link" and `false` "only the owner"."""

    PUBLIC = "public"  # anyone with the link, and listed on the owner's public profile
    UNLISTED = "unlisted"  # anyone with the link (the default)
    PRIVATE = "private"  # only the owner: its links are 404 for everyone else

    @property
    def is_public(self) -> bool:
        return self is not Visibility.PRIVATE

    @property
    def listed(self) -> bool:
        return self is Visibility.PUBLIC

    @classmethod
    def of(cls, is_public: bool, listed: bool) -> Visibility:
        if not is_public:
            return cls.PRIVATE
        return cls.PUBLIC if listed else cls.UNLISTED


MAX_IMAGE_DESCRIPTION = 2000
MAX_IMAGE_TITLE = 200  # as an album's title


def image_title(value: str) -> str:
    """An image's title as stored (trimmed); InvalidInput past MAX_IMAGE_TITLE characters or
    with a NUL (which no database text column holds: Postgres refuses it)."""
    if len(value.strip()) > MAX_IMAGE_TITLE:
        raise InvalidInput(f"title must be text of at most {MAX_IMAGE_TITLE} characters")
    if "\x00" in value:
        raise InvalidInput("title must not contain NUL characters")
    return value.strip()


def image_description(value: str) -> str:
    """An image's description as stored (trimmed); InvalidInput past MAX_IMAGE_DESCRIPTION
    characters or with a NUL."""
    if len(value) > MAX_IMAGE_DESCRIPTION:
        raise InvalidInput(
            f"description must be text of at most {MAX_IMAGE_DESCRIPTION} characters"
        )
    if "\x00" in value:
        raise InvalidInput("description must not contain NUL characters")
    return value.strip()


@attrs.frozen
class Image:
    """A published image: sanitised bytes at `storage_key`, a thumbnail at `thumb_key`."""

    id: uuid.UUID
    slug: str = attrs.field(validator=_valid_slug)
    owner_id: uuid.UUID | None  # None: a guest upload
    original_name: str
    content_type: ImageFormat
    size_bytes: int = attrs.field(validator=_non_negative)
    width: int = attrs.field(validator=_non_negative)
    height: int = attrs.field(validator=_non_negative)
    storage_key: str
    thumb_key: str
    thumb_content_type: ImageFormat
    delete_token_hash: str
    created_at: datetime
    album_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    animated: bool = False
    is_public: bool = True  # False: private (see Visibility)
    title: str = ""
    deleted_at: datetime | None = None
    listed: bool = False  # with is_public: public rather than unlisted
    description: str = ""
    # Its place in its album once the owner arranged the album (0 first); None: not arranged,
    # after the arranged ones, newest first. Leaving the album clears it.
    album_position: int | None = None
    # The file as uploaded, kept for its owner when it was converted to be published (a HEIC
    # published as JPEG) and the deployment keeps originals (IMGTREE_KEEP_ORIGINALS). It keeps
    # its metadata: only its owner can download it, and it is never served publicly.
    original_key: str | None = None
    original_content_type: ImageFormat | None = None
    original_size_bytes: int = attrs.field(default=0, validator=_non_negative)
    # Counted in batches (domain/services/view_counter.py), never written by `update`.
    page_views: int = attrs.field(default=0, validator=_non_negative)
    media_hits: int = attrs.field(default=0, validator=_non_negative)

    # The placeholder shown while the picture loads, computed from the thumbnail at upload
    # (or by `imgtree backfill-placeholders`); None for images from before either.
    blurhash: str | None = attrs.field(default=None, validator=_valid_blurhash)
    dominant_color: str | None = attrs.field(default=None, validator=_valid_hex_color)
    # Hidden by a moderator: not found for everyone (its owner included) but admins, until
    # unhidden. Still live: it keeps charging its owner's quota.
    hidden: bool = False
    # A keyed hash (AddressHasher) of the uploader's client address, for moderators to tell
    # uploads from one client apart; never the address itself. None: unknown (older images).
    uploader_hash: str | None = None
    # "Delete after": from this moment the image is gone for every reader, its owner included
    # (`expired`); `imgtree purge` then soft-deletes it and releases its bytes. None: never.
    expires_at: datetime | None = None
    # The argon2id hash of the password visitors enter before they see it (see Lock); None:
    # no password of its own (its album's may still apply).
    password_hash: str | None = attrs.field(default=None, repr=False)

    @property
    def password_protected(self) -> bool:
        """It has a password of its own (its album may have another)."""
        return self.password_hash is not None

    def expired(self, now: datetime) -> bool:
        """Whether its expiry has come (at the very moment of `expires_at`, it is gone)."""
        return self.expires_at is not None and now >= self.expires_at

    def alive(self, now: datetime) -> bool:
        """Live (not deleted) and not expired at `now`: what every reader may act on."""
        return self.is_live and not self.expired(now)

    @property
    def charged_bytes(self) -> int:
        """What the image counts against its owner's quota: every file kept for it."""
        return self.size_bytes + self.original_size_bytes

    @property
    def visibility(self) -> Visibility:
        return Visibility.of(self.is_public, self.listed)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_live(self) -> bool:
        """Not soft-deleted: its page, listings and media still serve it."""
        return self.deleted_at is None

    def owned_by(self, user_id: uuid.UUID | None) -> bool:
        """Whether `user_id` owns this image (None owns nothing, and nobody owns a guest upload)."""
        return user_id is not None and self.owner_id == user_id

    def visible_to(
        self, viewer_id: uuid.UUID | None, now: datetime, *, owner_active: bool = True
    ) -> bool:
        """Whether `viewer_id` (None: anonymous) may see it at `now`: live, not expired, and
        public or the viewer's own.

        `owner_active` False hides it from everyone, its owner included: the caller passes it
        when the owner's account is switched off and inactive owners' images are not kept.
        """
        return (
            self.alive(now)
            and not self.hidden
            and owner_active
            and (self.is_public or self.owned_by(viewer_id))
        )

    @property
    def filename(self) -> str:
        """The public file name of the direct link: slug plus the real type's extension."""
        return f"{self.slug}.{self.content_type.extension}"

    @property
    def thumb_filename(self) -> str:
        return f"{self.slug}.{self.thumb_content_type.extension}"


# A password on an image or album: as long as account passwords may be at most (argon2's
# cost grows with the input), at least one character (it is the owner's choice, not an account).
MAX_CONTENT_PASSWORD = 1024


class LockKind(enum.StrEnum):
    IMAGE = "image"
    ALBUM = "album"


@attrs.frozen
class Lock:
    """A password that stands between visitors and an image: the image's own, or its album's.

    `fingerprint` names the password hash without revealing it: an unlock is given for one
    fingerprint, so a new password (a new salt, even for the same word) revokes old unlocks."""

    kind: LockKind
    id: uuid.UUID
    password_hash: str = attrs.field(repr=False)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:32]


def locks_of(image: Image, album: Album | None) -> tuple[Lock, ...]:
    """Every lock on `image`: its own password, then its album's (when `album` is the one it
    is in). Empty: anyone who may see it sees it."""
    locks: list[Lock] = []
    if image.password_hash is not None:
        locks.append(Lock(LockKind.IMAGE, image.id, image.password_hash))
    if album is not None and album.id == image.album_id and album.password_hash is not None:
        locks.append(Lock(LockKind.ALBUM, album.id, album.password_hash))
    return tuple(locks)


def album_lock(album: Album) -> Lock | None:
    if album.password_hash is None:
        return None
    return Lock(LockKind.ALBUM, album.id, album.password_hash)


# "Delete after" accepts whole seconds from 1 up to ten years (docs/decisions.md, "Expiry").
MAX_EXPIRES_IN = 10 * 366 * 24 * 3600


def expiry_after(now: datetime, expires_in: int | None) -> datetime | None:
    """When an image given `expires_in` seconds at `now` expires (None: never); InvalidInput
    outside 1..MAX_EXPIRES_IN."""
    if expires_in is None:
        return None
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise InvalidInput("the expiry must be a whole number of seconds")
    if not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise InvalidInput(f"the expiry must be between 1 and {MAX_EXPIRES_IN} seconds")
    return now + timedelta(seconds=expires_in)


@attrs.frozen
class Session:
    """A signed-in browser session. The cookie carries the token; only its hash is stored."""

    id: uuid.UUID
    user_id: uuid.UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None
    user_agent: str = ""  # cleaned and bounded: see clean_user_agent
    address: str = ""  # the client address at sign-in, after trusted-proxy handling

    def valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


MAX_USER_AGENT = 300
MAX_ADDRESS = 64
# C0/C1 controls, DEL, and the invisible format characters that reorder or hide text
# (bidi embeddings, overrides and isolates, zero-width marks, BOM).
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+")


def clean_user_agent(value: str) -> str:
    """A User-Agent header as stored: control and bidi characters become one space,
    whitespace runs collapse, and the result is cut to MAX_USER_AGENT characters. (HTML is
    left alone: every page and script escapes it on output.)"""
    head = value[: MAX_USER_AGENT * 4]  # bound the work on a hostile 10 KB header
    return " ".join(UNPRINTABLE.sub(" ", head).split())[:MAX_USER_AGENT].rstrip()


def clean_address(value: str) -> str:
    return " ".join(UNPRINTABLE.sub(" ", value[: MAX_ADDRESS * 2]).split())[:MAX_ADDRESS].rstrip()


@attrs.frozen
class PendingUpload:
    """A presigned upload: the client PUTs bytes to `object_key`, then completes with its token.

    Only hashes of the two tokens are stored: the completion token (given to the client) and
    the put token (inside the app's own put URL when the storage cannot presign). A pending
    upload is received at most once (one PUT) and claimed at most once (one complete).
    """

    id: uuid.UUID
    owner_id: uuid.UUID | None  # None: a guest upload
    filename: str
    declared_type: ImageFormat
    declared_size: int = attrs.field(validator=_non_negative)
    object_key: str
    completion_token_hash: str
    put_token_hash: str
    created_at: datetime
    expires_at: datetime
    api_key_id: uuid.UUID | None = None
    album_id: uuid.UUID | None = None
    is_public: bool = True
    received_at: datetime | None = None
    claimed_at: datetime | None = None
    image_id: uuid.UUID | None = None
    # A guest upload's client address (guests are told apart by it); None for accounts.
    address: str | None = None
    listed: bool = False  # with is_public: the image's Visibility once completed
    # The image's "delete after" in seconds, counted from its publication (None: never).
    image_expires_in: int | None = None

    @property
    def visibility(self) -> Visibility:
        return Visibility.of(self.is_public, self.listed)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def is_open(self, now: datetime) -> bool:
        """Still holds its slot and its declared bytes: not expired, not claimed."""
        return self.claimed_at is None and not self.expired(now)

    def completable_by(self, owner_id: uuid.UUID | None, now: datetime) -> bool:
        """Whether `owner_id` (None: a guest) may complete it now: theirs, and still open."""
        return self.owner_id == owner_id and self.is_open(now)


@attrs.frozen
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    limit: int
    total: int

    @property
    def has_more(self) -> bool:
        return self.page * self.limit < self.total

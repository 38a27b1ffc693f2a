"""Ports: everything outside the domain that a use case needs, as small typing.Protocols.

Adapters in `imgtree.adapters` implement them; `imgtree.adapters.memory` implements all of
them and is a supported API for tests and embedders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol, Self, runtime_checkable

import attrs

from imgtree.domain.commands import PLAIN_QUERY, ImageQuery, ModerationQuery
from imgtree.domain.model import (
    Album,
    ApiKey,
    AuditEntry,
    BlockedHash,
    Image,
    ImageFormat,
    PendingUpload,
    Report,
    Session,
    User,
)

# --- repositories and unit of work ---------------------------------------------------------
# Every repository's `add` raises imgtree.domain.errors.Conflict on a duplicate id or unique
# field (email, key prefix, slug); `update` changes an existing row and never inserts.


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...
    def get(self, user_id: uuid.UUID) -> User | None: ...
    def get_by_email(self, email: str) -> User | None: ...
    def update(self, user: User) -> None:
        """Write the user's fields, except `used_bytes` (kept by the image repository)."""
        ...

    def use_second_factor(self, before: User, after: User) -> bool:
        """Write `after`'s last TOTP step and recovery codes, only if the stored ones are still
        `before`'s (a compare-and-set): False, and nothing written, when another request used
        a code of the account in between, so a code is never accepted twice."""
        ...

    def search(self, query: str, *, offset: int, limit: int) -> list[User]:
        """Users whose email or name contains `query` (case-insensitive), oldest first."""
        ...

    def count_search(self, query: str) -> int: ...
    def count_active_admins(self) -> int: ...
    def counts(self) -> tuple[int, int]:
        """(all users, active users)."""
        ...


class AuditLog(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def list(self, *, offset: int, limit: int) -> list[AuditEntry]:
        """Newest first."""
        ...

    def count(self) -> int: ...


@attrs.frozen
class ImageStats:
    images: int
    bytes_stored: int
    uploads_24h: int
    uploads_7d: int
    uploads_30d: int
    guest_uploads: int
    account_uploads: int
    by_type: dict[str, int]
    # (user id, email, images, bytes), biggest first
    top_uploaders: list[tuple[uuid.UUID, str, int, int]]
    # (ISO day, uploads that day, bytes uploaded that day), oldest first
    per_day: list[tuple[str, int, int]]
    # Published bytes in storage: each stored file once, however many images share it, and
    # soft-deleted images' until purge (`bytes_stored` is what live images charge owners).
    bytes_in_storage: int = 0


class StatsQueries(Protocol):
    def image_stats(self, now: datetime, *, days: int = 30, top: int = 10) -> ImageStats: ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...
    def get(self, key_id: uuid.UUID) -> ApiKey | None: ...
    def get_by_prefix(self, prefix: str) -> ApiKey | None: ...
    def list_for_user(self, user_id: uuid.UUID) -> list[ApiKey]: ...
    def update(self, key: ApiKey) -> None: ...
    def increment_uploads(self, key_id: uuid.UUID, by: int) -> None:
        """Add to the upload counter atomically (concurrent uploads never lose a count)."""
        ...


class AlbumRepository(Protocol):
    def add(self, album: Album) -> None: ...
    def get(self, album_id: uuid.UUID) -> Album | None: ...
    def list_for_owner(self, owner_id: uuid.UUID) -> list[Album]:
        """The owner's albums, newest first."""
        ...

    def update(self, album: Album) -> None: ...
    def remove(self, album_id: uuid.UUID) -> None:
        """Delete the album; its images stay, no longer in an album."""
        ...


class SessionRepository(Protocol):
    def add(self, session: Session) -> None: ...
    def get(self, session_id: uuid.UUID) -> Session | None: ...
    def get_by_token_hash(self, token_hash: str) -> Session | None: ...
    def list_active_for_user(self, user_id: uuid.UUID, now: datetime) -> list[Session]:
        """The user's sessions neither revoked nor expired at `now`, newest first."""
        ...

    def update(self, session: Session) -> None: ...
    def revoke_all_for_user(
        self, user_id: uuid.UUID, at: datetime, *, except_id: uuid.UUID | None = None
    ) -> int:
        """Revoke every live session of the user but `except_id`; the number revoked."""
        ...


class ImageRepository(Protocol):
    """Keeps each owner's `used_bytes` equal to the bytes of their live images: `add` adds
    the image's size and `mark_deleted` subtracts it, in the same transaction."""

    def add(self, image: Image) -> None:
        """Insert the image and add its size to the owner's usage, atomically refusing with
        QuotaExceeded when that would pass the owner's quota (so concurrent uploads can never
        overshoot it)."""
        ...

    def get(self, image_id: uuid.UUID) -> Image | None:
        """The image by id, deleted or not."""
        ...

    def get_by_slug(self, slug: str) -> Image | None:
        """The live (not deleted) image with this slug."""
        ...

    def slug_exists(self, slug: str) -> bool: ...
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
        """Live images of one owner (optionally of one album; optionally only those anyone
        with the link sees, or only the `public` ones listed on their profile), newest first
        (ties broken by id, so pages are stable); `query` searches, filters and orders
        otherwise (the owner's gallery). With `now`, images expired at `now` are left out
        (every reader passes it; None is for maintenance that sees them all)."""
        ...

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
        """How many images `list_for_owner` with the same arguments pages through."""
        ...

    def bytes_for_owner(self, owner_id: uuid.UUID) -> int:
        """Bytes of the owner's live images (their quota usage)."""
        ...

    def update(self, image: Image) -> None:
        """Change a live image's editable fields (title, album, visibility)."""
        ...

    def assign_owner(self, image_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        """Give a live guest image (no owner) to `owner_id`, adding its size to their usage
        in the same conditional update an upload uses (QuotaExceeded past the quota). False
        when the image is missing, deleted or already owned (so concurrent claims agree)."""
        ...

    def mark_deleted(self, image_id: uuid.UUID, at: datetime) -> bool:
        """Soft-delete if live, freeing its bytes from the owner's usage; True when this call
        deleted it (so concurrent deletes agree)."""
        ...

    def add_views(self, counts: Mapping[str, ViewCount]) -> None:
        """Add batched counts to the images with these slugs (unknown slugs change nothing),
        each an increment in the database, so concurrent batches from many workers add up.
        `update` never writes the counts."""
        ...

    def list_deleted_before(self, at: datetime, *, limit: int) -> list[Image]:
        """Soft-deleted images whose deleted_at is before `at` (purge candidates)."""
        ...

    def list_expired(self, now: datetime, *, limit: int) -> list[Image]:
        """Live (not deleted) images expired at `now`, soonest expiry first (purge marks
        them deleted)."""
        ...

    def list_without_placeholder(self, *, after: uuid.UUID | None, limit: int) -> list[Image]:
        """Live images with no BlurHash yet, by id, only ids greater than `after` (a keyset,
        so a batch job moves on past the ones it could not help)."""
        ...

    def remove(self, image_id: uuid.UUID) -> None:
        """Delete the row for good (purge, in the transaction that releases its content)."""
        ...

    def search_all(self, query: ModerationQuery, *, offset: int, limit: int) -> list[Image]:
        """Live images of every owner and guests matching `query`, hidden ones included,
        newest first (ties by id), for the moderators."""
        ...

    def count_all(self, query: ModerationQuery) -> int: ...
    def set_hidden(self, image_id: uuid.UUID, hidden: bool) -> bool:
        """Hide or unhide a live image; False when it is missing or deleted."""
        ...

    def count_live_with_key(self, storage_key: str) -> int:
        """Live (not deleted) images whose published bytes are stored under `storage_key`
        (content-addressed keys are shared by every image of the same bytes)."""
        ...


class ReportRepository(Protocol):
    """Reports of images by visitors (see Report)."""

    def add(self, report: Report) -> bool:
        """Record the report; False (nothing written) when the same `reporter_hash` already
        has an open report of the same image (a repeat counts once)."""
        ...

    def get(self, report_id: uuid.UUID) -> Report | None: ...
    def dismiss(self, report_id: uuid.UUID, at: datetime) -> bool:
        """Close an open report; False when missing or already closed."""
        ...

    def dismiss_for_image(self, image_id: uuid.UUID, at: datetime) -> int:
        """Close every open report of the image (it was removed); how many."""
        ...

    def open_image_ids(self, *, offset: int, limit: int) -> list[uuid.UUID]:
        """Images with open reports, the most recently reported first."""
        ...

    def count_open_images(self) -> int: ...
    def open_for_images(self, image_ids: Sequence[uuid.UUID]) -> list[Report]:
        """The open reports of these images, newest first."""
        ...

    def open_counts(self, image_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Open reports per image (images without any are left out)."""
        ...


class BlockedHashRepository(Protocol):
    """SHA-256 digests (64 lowercase hex) of content the moderators removed as abusive: an
    upload whose raw bytes or published bytes have one of them is refused."""

    def add(self, sha256: str, *, reason: str, image_id: uuid.UUID | None, at: datetime) -> bool:
        """Put the digest on the list; False (and nothing changed) when it already is."""
        ...

    def any_of(self, digests: Sequence[str]) -> bool:
        """True when any of `digests` is on the list."""
        ...

    def count(self) -> int: ...

    def list_page(self, *, offset: int, limit: int) -> list[BlockedHash]:
        """The list, the most recently blocked first (ties by digest)."""
        ...

    def remove(self, sha256: str) -> BlockedHash | None:
        """Take the digest off the list: the row removed, or None when it was not on it."""
        ...


class BlobRepository(Protocol):
    """Reference counts of stored content (`imgtree.domain.services.shared_blobs`).

    A row per content `stem`, the name its `images/`, `thumbs/` and `renditions/` keys share;
    `refs` is the number of image rows (live or soft-deleted) whose storage key has that stem.
    Every method holds the row's lock from the call to the end of the transaction (Postgres:
    the upsert or update locks it; SQLite: the write transaction serialises everything), so
    whoever deletes bytes does it while no one can take a new reference to them."""

    def acquire(self, stem: str) -> int:
        """One more reference (creating the row at 1); the new count."""
        ...

    def release(self, stem: str) -> int:
        """One reference fewer, never below zero; the row is deleted when none is left. The
        references left: 0 means the caller removes the bytes before it commits."""
        ...

    def lock(self, stem: str) -> int:
        """Lock the row, creating it with no reference when absent; its references. With 0,
        the caller may remove the bytes, then calls `forget`."""
        ...

    def forget(self, stem: str) -> None:
        """Delete the row if it holds no reference (after `lock` returned 0)."""
        ...

    def refs(self, stem: str) -> int:
        """The committed references (0 without a row); takes no lock (a cheap first look)."""
        ...


@attrs.frozen
class ViewCount:
    """Views of one image counted since the last flush."""

    page_views: int = 0
    media_hits: int = 0


@attrs.frozen
class OpenUploads:
    """An uploader's open presigned uploads (unexpired, not claimed)."""

    count: int = 0
    declared_bytes: int = 0  # the sum of their declared sizes
    first_expiry: datetime | None = None  # when the oldest of them expires; None when none


class PendingUploadRepository(Protocol):
    def add(self, pending: PendingUpload) -> None: ...
    def get(self, pending_id: uuid.UUID) -> PendingUpload | None: ...
    def get_by_completion_hash(self, token_hash: str) -> PendingUpload | None: ...
    def mark_received(self, pending_id: uuid.UUID, at: datetime) -> bool:
        """Record the one accepted PUT; False when one was already accepted (atomic)."""
        ...

    def reset_received(self, pending_id: uuid.UUID) -> None:
        """Forget a PUT that failed part-way, so the client may PUT again before expiry."""
        ...

    def claim(self, pending_id: uuid.UUID, at: datetime) -> bool:
        """Take the upload for completion; True for exactly one caller, ever (atomic)."""
        ...

    def set_image(self, pending_id: uuid.UUID, image_id: uuid.UUID) -> None: ...
    def list_stale(self, before: datetime, *, limit: int) -> list[PendingUpload]:
        """Uploads that expired before `before`, completed or not (purge candidates)."""
        ...

    def remove(self, pending_id: uuid.UUID) -> None: ...
    def count_open(self, now: datetime) -> int:
        """Unexpired uploads not yet claimed."""
        ...

    def open_for_owner(self, owner_id: uuid.UUID, now: datetime) -> OpenUploads:
        """The account's open uploads: unexpired (expires_at > now) and not claimed."""
        ...

    def open_for_guest(self, address: str | None, now: datetime) -> OpenUploads:
        """Open guest uploads (no owner) from this client address (None: those without one)."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Use as a context manager; nothing persists without `commit()`.

    The repositories are read-only members: use cases only read them, and an adapter may hold
    its own repository classes in plain attributes (a settable protocol attribute would have
    to be declared with exactly the port's type)."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def albums(self) -> AlbumRepository: ...
    @property
    def images(self) -> ImageRepository: ...
    @property
    def pending_uploads(self) -> PendingUploadRepository: ...
    @property
    def blobs(self) -> BlobRepository: ...
    @property
    def blocked_hashes(self) -> BlockedHashRepository: ...
    @property
    def reports(self) -> ReportRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def stats(self) -> StatsQueries: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work. `read_only=True` promises it writes nothing (and never
        commits), so an adapter may run it without write locks (SQLite: a deferred
        transaction that never blocks writers nor waits for them) or outside a transaction
        (Postgres: autocommit reads, without BEGIN/ROLLBACK round trips)."""
        ...


# --- blob storage ----------------------------------------------------------------------------


@attrs.frozen
class BlobInfo:
    key: str
    size: int
    content_type: str
    etag: str
    modified_at: datetime


class BlobStorage(Protocol):
    """Opaque keys to bytes. Keys are made by imgtree, never from user-supplied names."""

    def put(self, key: str, source: BinaryIO, content_type: str) -> BlobInfo:
        """Store the whole stream under `key` atomically: readers see all of it or nothing."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable, seekable stream of the blob; raises KeyError when absent."""
        ...

    def stat(self, key: str) -> BlobInfo | None: ...
    def delete(self, key: str) -> None:
        """Remove the blob; absent blobs are not an error (delete is idempotent)."""
        ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix` (for purge's orphan sweep)."""
        ...

    def presign_put(self, key: str, content_type: str, size: int, expires_in: int) -> str | None:
        """A URL a client can PUT the bytes of `key` to directly, valid for `expires_in`
        seconds, that the store accepts only with exactly this Content-Type and exactly `size`
        bytes (both signed); None when this storage cannot presign, or cannot bind both (then
        imgtree accepts the PUT itself, streams it into `put` and refuses a larger body)."""
        ...

    def public_url(self, key: str) -> str | None:
        """A URL serving the blob without the app (bucket or CDN); None when imgtree serves it."""
        ...

    @property
    def serves_publicly(self) -> bool:
        """True when blobs are served without the app (public bucket or CDN, see `public_url`):
        the app's visibility checks do not guard them, so hiding an image does not hide its
        blobs."""
        ...


@runtime_checkable
class LeftoverSweeper(Protocol):
    """Optional for a BlobStorage: it can remove its own remains of interrupted writes, which
    `iter_keys` never lists (e.g. the temp file of a put whose process was killed)."""

    def sweep_leftovers(self, before: datetime) -> int:
        """Remove such remains last modified before `before`; the number removed."""
        ...


@runtime_checkable
class StagingStorage(Protocol):
    """Optional for a BlobStorage: a place to build a blob that `put` can then take over
    without reading it back (local disk renames the file into place). The publisher lets the
    image processor write the published file straight there (`ProcessesInto`), so an upload's
    published bytes are written once."""

    def staging(self, prefix: str) -> BinaryIO:
        """An empty file, readable and writable, for a blob to be put under a key starting
        with `prefix`. Give it to `put` (which may move it rather than copy it) or close it
        (which discards it); either way the caller closes it."""
        ...


@runtime_checkable
class LocalPaths(Protocol):
    """Optional for a BlobStorage: its blobs are files on this host, so a web server in front
    can send them itself (IMGTREE_MEDIA_OFFLOAD) once the app has checked the request."""

    def path_for(self, key: str) -> Path | None:
        """The file holding `key` if it exists, else None; a key that could name anything
        outside the storage's root raises ValueError."""
        ...


# --- image processing ------------------------------------------------------------------------


@attrs.frozen
class ImageInfo:
    """What the bytes really are, read from their headers (the declared type is never trusted)."""

    format: ImageFormat
    width: int
    height: int
    frames: int = 1
    # The uploaded type when it differs from the published `format` (HEIC/AVIF -> JPEG).
    source_format: ImageFormat | None = None

    @property
    def uploaded_format(self) -> ImageFormat:
        return self.source_format or self.format

    @property
    def animated(self) -> bool:
        return self.frames > 1


@attrs.frozen
class ProcessedImage:
    """The result of verifying and sanitising an upload.

    `published` holds the bytes to serve (metadata stripped, orientation kept), `thumbnail`
    a small preview. Both streams are positioned at 0 and owned by the caller, who closes them.
    `blurhash` and `dominant_color` ("#rrggbb") are the placeholder made from the thumbnail
    (see Image); None when the processor makes none (one written before them) or the picture
    has no visible pixel.
    """

    info: ImageInfo
    published: BinaryIO
    published_size: int
    thumbnail: BinaryIO
    thumbnail_format: ImageFormat
    blurhash: str | None = None
    dominant_color: str | None = None


class ImageProcessor(Protocol):
    def inspect(self, source: BinaryIO) -> ImageInfo:
        """Sniff the real type and dimensions; raise UnsupportedMediaType or InvalidImage."""
        ...

    def process(self, source: BinaryIO) -> ProcessedImage:
        """Fully verify, strip metadata and make a thumbnail; raise like `inspect`.

        Reads `source` from its current position (bounded by the caller's size limit). The
        published bytes keep the stored pixels plus their orientation tag; `info` reports the
        dimensions the image is displayed at (quarter turns swap width and height)."""
        ...


@attrs.frozen
class ResizedImage:
    """A smaller copy of a published image: `data` (positioned at 0, owned by the caller, who
    closes it) holds `size` bytes of `format`, `width` x `height` pixels, upright."""

    data: BinaryIO
    size: int
    format: ImageFormat
    width: int
    height: int


class ImageResizer(Protocol):
    """The image processor's resize operation, for sized renditions. A protocol of its own so
    an `ImageProcessor` written before it (an embedder's) still is one."""

    def resize(
        self, source: BinaryIO, bound: int, format: ImageFormat | None = None
    ) -> ResizedImage:
        """A copy of the published image `source` whose longest edge is `bound` (never larger
        than the image itself), in `format` (None: the same format; the renditions use case
        passes it only for another format, so a resizer written before formats still serves
        same-format renditions), turned upright (its orientation tag applied, no metadata
        kept). An animation stays animated, every frame resized. The limits and budget of
        `process` apply; a file over them raises InvalidImage or ImageTooComplex, a busy
        processor ProcessingBusy; a format it cannot write raises UnsupportedMediaType."""
        ...


@runtime_checkable
class MakesPlaceholders(Protocol):
    """Optional for an ImageProcessor: the placeholder of a stored thumbnail, for images
    uploaded before placeholders (`imgtree backfill-placeholders`)."""

    def placeholder_of(self, thumbnail: BinaryIO) -> tuple[str | None, str | None]:
        """(blurhash, dominant colour) of a thumbnail this processor made, decoded within
        the limits and budget of `process` (InvalidImage, UnsupportedMediaType or
        ProcessingBusy like it); (None, None) when no pixel of it is visible."""
        ...


@runtime_checkable
class ProcessesInto(Protocol):
    """Optional for an ImageProcessor: `process`, writing the published bytes into a file
    the caller provides (a `StagingStorage.staging` file) instead of one of its own."""

    def process_into(self, source: BinaryIO, into: BinaryIO) -> ProcessedImage:
        """`process(source)`, except that the published bytes are written to `into` (empty,
        readable and writable) when the processor can, in which case `published` is `into`.
        Either way the caller closes both `into` and `published`."""
        ...


# --- system ---------------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SecureRandom(Protocol):
    def token(self, nbytes: int) -> str:
        """A URL-safe random string carrying `nbytes` of entropy."""
        ...

    def choice_string(self, alphabet: str, length: int) -> str: ...
    def uuid(self) -> uuid.UUID: ...


class SecretHasher(Protocol):
    """Hashes high-entropy secrets (API keys, delete tokens) for storage; verify is constant-time.

    `lookup_key` is the deterministic stored form of a secret that is itself the key a record is
    found by (session tokens, upload completion tokens): the same secret always gives the same
    key, so a repository can look it up by exact match. The domain treats it as opaque.
    """

    def hash(self, secret: str) -> str: ...
    def verify(self, secret: str, hashed: str) -> bool: ...
    def lookup_key(self, secret: str) -> str: ...


class AddressHasher(Protocol):
    """A keyed, deterministic hash of a client address (HMAC-SHA-256 with a server secret):
    equal for equal addresses, so repeats can be told apart, yet the address cannot be
    recovered by hashing all 2^32 IPv4 addresses without the key. Raw addresses are never
    stored with images or reports."""

    def digest(self, address: str) -> str: ...


class OneTimePasswords(Protocol):
    """Time-based one-time passwords (TOTP, RFC 6238: 6 digits, 30-second steps, SHA-1, the
    parameters every authenticator app assumes)."""

    def new_secret(self) -> str:
        """A fresh shared secret (base32, 160 bits)."""
        ...

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str:
        """The otpauth:// URI an authenticator app reads from the enrolment QR code."""
        ...

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The time step, within one step either side of `at`'s, whose code is `code`; None
        when no step's is. Comparison is constant-time."""
        ...


class PasswordHasher(Protocol):
    """Hashes low-entropy secrets (passwords) with a slow, salted function."""

    def hash(self, password: str) -> str: ...
    def verify(self, password: str, hashed: str) -> bool: ...


@attrs.frozen
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window frees up


class PasswordScreen(Protocol):
    """Refuses passwords that are too easy to guess (ASVS 6.2.4: checked against at least the
    3 000 most common on sign-up and change)."""

    def weakness(self, password: str, *, context: Sequence[str] = ()) -> str | None:
        """A sentence for the user saying why `password` is too easy to guess, or None.
        `context`: the account's own words (email, name), which a password must not be."""
        ...


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        """Count one request for `key`; allowed while the count in the window is <= limit."""
        ...

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        """Whether one more hit would be allowed now, counting nothing (for limits that count
        only failures: look first, `hit` after a failure)."""
        ...


class Readable(Protocol):
    """All a one-way byte stream needs to offer here: `read` (a request body, an HTTP
    response body)."""

    def read(self, size: int = -1, /) -> bytes: ...

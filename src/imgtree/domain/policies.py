"""Limits and rules as data. Built from settings by the composition root; defaults are sane."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from imgtree.domain.model import SLUG_LENGTH, SLUG_MAX_LENGTH, SLUG_MIN_LENGTH, ImageFormat

ALLOWED_TYPES: tuple[ImageFormat, ...] = (
    ImageFormat.JPEG,
    ImageFormat.PNG,
    ImageFormat.GIF,
    ImageFormat.WEBP,
)


def _positive(_inst: object, attr: attrs.Attribute[int], value: int) -> None:
    if value <= 0:
        raise ValueError(f"{attr.name} must be > 0")


def _slug_length(_inst: object, attr: attrs.Attribute[int], value: int) -> None:
    if not SLUG_MIN_LENGTH <= value <= SLUG_MAX_LENGTH:
        raise ValueError(f"{attr.name} must be between {SLUG_MIN_LENGTH} and {SLUG_MAX_LENGTH}")


@attrs.frozen
class UploadPolicy:
    max_file_bytes: int = attrs.field(default=20 * 1024 * 1024, validator=_positive)
    batch_limit: int = attrs.field(default=20, validator=_positive)
    presign_expires_seconds: int = attrs.field(default=900, validator=_positive)
    allowed_types: tuple[ImageFormat, ...] = ALLOWED_TYPES
    # Unfinished presigned uploads (unexpired, not completed) one uploader may hold at once:
    # per account, or per client address for guests. Past it a presign is refused (429).
    max_open_presigns: int = attrs.field(default=100, validator=_positive)
    # Characters of [a-z0-9] in a new image's slug (existing slugs keep their length).
    slug_length: int = attrs.field(default=SLUG_LENGTH, validator=_slug_length)
    # Keep the uploaded file of a converted upload (HEIC/AVIF published as JPEG) for its
    # owner to download (IMGTREE_KEEP_ORIGINALS); it counts against their quota.
    keep_originals: bool = False


@attrs.frozen
class RatePolicy:
    """Per-client-IP limit on upload routes, counted in fixed windows."""

    per_minute: int = attrs.field(default=30, validator=_positive)
    window_seconds: int = attrs.field(default=60, validator=_positive)


@attrs.frozen
class ProcessingPolicy:
    """What verifying one file may cost, and the image limits checked before any pixel is
    decoded. The image processor enforces them; the discovery document publishes them."""

    max_image_pixels: int = attrs.field(default=50_000_000, validator=_positive)
    max_image_side: int = attrs.field(default=16_384, validator=_positive)
    max_frames: int = attrs.field(default=1000, validator=_positive)
    cpu_seconds: int = attrs.field(default=10, validator=_positive)
    wall_seconds: int = attrs.field(default=30, validator=_positive)
    memory_bytes: int = attrs.field(default=512 * 1024 * 1024, validator=_positive)
    # decodes that run at once on this host; a file waits at most queue_seconds for one
    concurrent: int = attrs.field(default=2, validator=_positive)
    queue_seconds: int = attrs.field(default=10, validator=_positive)


@attrs.frozen
class PagePolicy:
    default_limit: int = 24
    max_limit: int = 100


@attrs.frozen
class SessionPolicy:
    lifetime_seconds: int = attrs.field(default=30 * 86400, validator=_positive)
    # However active, a session ends this long after sign-in (ASVS 7.3.2: an absolute limit
    # beside the sliding one), and its owner signs in again.
    max_lifetime_seconds: int = attrs.field(default=90 * 86400, validator=_positive)

    def expiry(self, created_at: datetime, now: datetime) -> datetime:
        """When a session created at `created_at` and seen `now` expires: `lifetime_seconds`
        after now, but never past `max_lifetime_seconds` after it was created."""
        return min(
            now + timedelta(seconds=self.lifetime_seconds),
            created_at + timedelta(seconds=self.max_lifetime_seconds),
        )

    signup_open: bool = True
    # Sign-in throttling (docs/security.md, "Sign-in throttling"): every attempt per client
    # address; failed attempts per (account, address); and failed attempts per account from
    # everywhere, past which only addresses that have not failed for the account are heard,
    # so an attacker's failures never lock the owner out of their own account.
    login_per_ip: RatePolicy = RatePolicy(per_minute=20)
    login_failures_per_pair: RatePolicy = RatePolicy(per_minute=5, window_seconds=900)
    login_failures_per_account: RatePolicy = RatePolicy(per_minute=50, window_seconds=3600)


@attrs.frozen
class GuestPolicy:
    """Uploads without an account: on or off, with their own size and rate limits."""

    enabled: bool = True
    max_file_bytes: int = attrs.field(default=5 * 1024 * 1024, validator=_positive)
    per_minute: int = attrs.field(default=10, validator=_positive)


# Preset names that are URL segments of their own under /media/ (docs/decisions.md).
RESERVED_RENDITION_NAMES = frozenset({"thumb", "full", "signed"})
# The formats a rendition may be converted to (IMGTREE_RENDITION_FORMATS, besides "original").
CONVERTIBLE_FORMATS: tuple[ImageFormat, ...] = (ImageFormat.WEBP, ImageFormat.AVIF)
# The format names IMGTREE_RENDITION_FORMATS accepts.
RENDITION_FORMAT_NAMES = ("original", "webp", "avif")
# Signed sizes (/media/signed/...) fit within at most this many pixels a side.
MAX_SIGNED_SIDE = 4096


Presets = tuple[tuple[str, int], ...]


def _sorted_presets(value: Presets) -> Presets:
    return tuple(sorted(value, key=lambda item: item[1]))


def _presets(_inst: object, _attr: object, value: Presets) -> None:
    names = [name for name, _ in value]
    if len(set(names)) != len(names) or len({bound for _, bound in value}) != len(value):
        raise ValueError("rendition names and sizes must be unique")
    for name, bound in value:
        reserved = name in RESERVED_RENDITION_NAMES
        if not name.isascii() or not name.isalnum() or not name.islower() or reserved:
            raise ValueError(f"invalid rendition name {name!r}")
        if bound < 1:
            raise ValueError(f"rendition {name!r} must have a positive size")


def _format_names(_inst: object, _attr: object, value: tuple[str, ...]) -> None:
    if len(set(value)) != len(value) or not set(value) <= set(RENDITION_FORMAT_NAMES):
        raise ValueError(f"rendition formats must be distinct names of {RENDITION_FORMAT_NAMES}")


@attrs.frozen
class RenditionPolicy:
    """The sized copies of an image the operator offers (IMGTREE_RENDITION_SIZES): a name
    (used in URLs, /media/{name}/{slug}.{ext}) and the longest edge in pixels, smallest first;
    and the formats each is offered in (IMGTREE_RENDITION_FORMATS): "original" (the image's
    own format), "webp", "avif". A converted format is also offered at full size
    (/media/full/{slug}.webp), which is what format negotiation serves.

    A sized rendition is offered only for an image larger than it on its longest edge: nothing
    is ever upscaled. An animation keeps its animation, so a format that cannot animate
    (`animates`, what the imaging adapter can encode) is not offered for one."""

    presets: Presets = attrs.field(
        default=(("small", 640), ("medium", 1280), ("large", 2048)),
        converter=_sorted_presets,
        validator=_presets,
    )
    formats: tuple[str, ...] = attrs.field(
        default=RENDITION_FORMAT_NAMES, converter=tuple, validator=_format_names
    )
    animates: frozenset[ImageFormat] = frozenset(
        {ImageFormat.GIF, ImageFormat.PNG, ImageFormat.WEBP, ImageFormat.AVIF}
    )

    def bound(self, name: str) -> int | None:
        """The longest edge of the preset called `name`; None when there is none."""
        return dict(self.presets).get(name)

    def offered(self, width: int, height: int, *, animated: bool) -> tuple[tuple[str, int], ...]:
        """The presets an image of this size has in its own format, smallest first (never one
        it would upscale; none when "original" is not among the formats)."""
        if "original" not in self.formats:
            return ()
        return self.sizes(width, height)

    def sizes(self, width: int, height: int) -> tuple[tuple[str, int], ...]:
        """The presets smaller than an image of this size, smallest first."""
        longest = max(width, height)
        return tuple((name, bound) for name, bound in self.presets if bound < longest)

    def converted(self, original: ImageFormat, *, animated: bool) -> tuple[ImageFormat, ...]:
        """The other formats an image in `original` is offered in, AVIF first."""
        return tuple(
            fmt
            for fmt in reversed(CONVERTIBLE_FORMATS)
            if fmt.extension in self.formats
            and fmt is not original
            and (not animated or fmt in self.animates)
        )

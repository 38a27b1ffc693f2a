"""Typed settings from IMGTREE_* environment variables, validated at start with clear messages.

The embedded default needs none of them: SQLite in ./var/imgtree.sqlite3, media in ./var/media.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import attrs

from imgtree.domain.policies import RENDITION_FORMAT_NAMES, RESERVED_RENDITION_NAMES

MiB = 1024 * 1024


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and what is wrong."""


@attrs.frozen
class Settings:
    base_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite:///./var/imgtree.sqlite3"
    media_dir: Path = Path("./var/media")
    storage: str = "local"
    max_upload_bytes: int = 20 * MiB
    max_image_pixels: int = 50_000_000
    max_frames: int = 1000
    thumbnail_size: int = 320
    # Sized renditions (name, longest edge), IMGTREE_RENDITION_SIZES="small=640,medium=1280,
    # large=2048"; "none" offers none (docs/decisions.md, "Renditions").
    rendition_sizes: tuple[tuple[str, int], ...] = (
        ("small", 640),
        ("medium", 1280),
        ("large", 2048),
    )
    # The formats each rendition is offered in, IMGTREE_RENDITION_FORMATS="original,webp,avif".
    rendition_formats: tuple[str, ...] = ("original", "webp", "avif")
    # Serve /media/{slug}.{ext} as AVIF/WebP to browsers that accept them (Vary: Accept).
    negotiate_formats: bool = False
    # The HMAC key of signed sizes (/media/signed/...); None: signed sizes are off (404).
    media_signing_key: str | None = attrs.field(default=None, repr=False)
    rate_limit_per_minute: int = 30
    # The HMAC key of the uploader/reporter address hashes (moderation); None: a random key
    # per process (hashes then differ between workers and restarts).
    address_hash_key: str | None = attrs.field(default=None, repr=False)
    # Reports of images per client address per hour (the public Report button).
    report_limit_per_hour: int = 10
    # Enumeration resistance (docs/decisions.md, "Enumeration"): misses on public links per
    # client address (IPv6: per /64) per window, past which that address gets 429s, hits too.
    miss_limit: int = 120
    miss_window_seconds: int = 600
    slug_length: int = 12
    # Keep the uploaded HEIC/AVIF of an account's converted upload for its owner to download
    # (docs/decisions.md, "Kept originals"); counts against the owner's quota.
    keep_originals: bool = False
    # Views are counted in memory and written at most this many seconds apart per worker
    # (docs/decisions.md, "View counts"): what a crash can lose.
    view_flush_seconds: int = 10
    presign_expires_seconds: int = 900
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    db_pool_size: int = 5
    db_max_overflow: int = 10
    s3_bucket: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = attrs.field(default=None, repr=False)
    s3_public_base_url: str | None = None
    s3_path_style: bool = False
    purge_retention_seconds: int = 7 * 86400
    purge_grace_seconds: int = 3600
    signup_open: bool = True
    session_days: int = 30
    session_max_days: int = 90
    # Admins must have two-factor sign-in on to use the admin tools (API and page).
    require_admin_2fa: bool = False
    guest_uploads: bool = True
    guest_max_upload_bytes: int = 5 * MiB
    guest_rate_limit_per_minute: int = 10
    default_quota_bytes: int | None = None
    inactive_images: str = "hide"
    # Per worker: bytes of small public media files kept in memory (0: always read the file).
    media_memory_cache_bytes: int = 32 * MiB
    # Media bytes sent by the proxy in front (docs/decisions.md, "Media offload"): "" (the app
    # sends them), "x-accel-redirect" (nginx: the app answers with an internal URI under
    # `media_offload_prefix`) or "x-sendfile" (the absolute file path). Local storage only.
    media_offload: str = ""
    media_offload_prefix: str = "/_imgtree_media/"
    max_image_side: int = 16_384
    # The processing budget: every decode runs in one of `process_workers` sandboxed
    # processes per host, each file within these CPU, wall-clock and memory limits.
    process_workers: int = attrs.Factory(lambda: min(os.cpu_count() or 1, 8))
    process_cpu_seconds: int = 10
    process_wall_seconds: int = 30
    process_memory_bytes: int = 512 * MiB
    process_queue_seconds: int = 10
    # Set by `imgtree serve` (the pool it starts for the host), never from the environment.
    process_socket: str | None = None

    # What the instance calls itself in pages and embeds (og:site_name, theme-color).
    site_name: str = "imgtree"
    site_description: str = ""
    theme_color: str = "#1f6feb"
    # The HMAC key of password unlock cookies (docs/decisions.md, "Passwords on images and
    # albums"); None: derived from the media signing or address hash key, else random.
    unlock_key: str | None = attrs.field(default=None, repr=False)

    # Observability (docs/operations.md): /metrics for loopback clients, and for others only
    # with `Authorization: Bearer <metrics_token>` when set; request logs as JSON or text.
    metrics_token: str | None = attrs.field(default=None, repr=False)
    log_format: str = "json"
    log_level: str = "info"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        d = cls()
        storage = _choice(env, "IMGTREE_STORAGE", d.storage, ("local", "s3"))
        bucket = _str(env, "IMGTREE_S3_BUCKET", "")
        if storage == "s3" and not bucket:
            raise SettingsError("IMGTREE_S3_BUCKET is required when IMGTREE_STORAGE=s3")
        endpoint = _optional_url(env, "IMGTREE_S3_ENDPOINT_URL")
        offload = _offload(env, "IMGTREE_MEDIA_OFFLOAD")
        if offload and storage != "local":
            raise SettingsError(
                "IMGTREE_MEDIA_OFFLOAD applies to local storage only (IMGTREE_STORAGE=local); "
                "with S3, set IMGTREE_S3_PUBLIC_BASE_URL so media links point at the bucket"
            )
        return cls(
            base_url=_url(env, "IMGTREE_BASE_URL", d.base_url),
            site_name=_text(env, "IMGTREE_SITE_NAME", d.site_name, 60),
            site_description=_text(env, "IMGTREE_SITE_DESCRIPTION", "", 300),
            theme_color=_colour(env, "IMGTREE_THEME_COLOR", d.theme_color),
            database_url=_str(env, "IMGTREE_DATABASE_URL", d.database_url),
            media_dir=Path(_str(env, "IMGTREE_MEDIA_DIR", str(d.media_dir))),
            storage=storage,
            max_upload_bytes=_int(env, "IMGTREE_MAX_UPLOAD_BYTES", d.max_upload_bytes, 1),
            max_image_pixels=_int(env, "IMGTREE_MAX_IMAGE_PIXELS", d.max_image_pixels, 1),
            max_frames=_int(env, "IMGTREE_MAX_FRAMES", d.max_frames, 1),
            thumbnail_size=_int(env, "IMGTREE_THUMBNAIL_SIZE", d.thumbnail_size, 16, 2048),
            rendition_sizes=_renditions(env, "IMGTREE_RENDITION_SIZES", d.rendition_sizes),
            rendition_formats=_rendition_formats(
                env, "IMGTREE_RENDITION_FORMATS", d.rendition_formats
            ),
            negotiate_formats=_bool(env, "IMGTREE_NEGOTIATE_FORMATS", d.negotiate_formats),
            media_signing_key=_signing_key(env, "IMGTREE_MEDIA_SIGNING_KEY"),
            rate_limit_per_minute=_int(
                env, "IMGTREE_RATE_LIMIT_PER_MINUTE", d.rate_limit_per_minute, 1
            ),
            miss_limit=_int(env, "IMGTREE_MISS_LIMIT", d.miss_limit, 1, 1_000_000),
            address_hash_key=_signing_key(env, "IMGTREE_ADDRESS_HASH_KEY"),
            report_limit_per_hour=_int(
                env, "IMGTREE_REPORT_LIMIT_PER_HOUR", d.report_limit_per_hour, 1, 1_000_000
            ),
            miss_window_seconds=_int(
                env, "IMGTREE_MISS_WINDOW_SECONDS", d.miss_window_seconds, 10, 86400
            ),
            slug_length=_int(env, "IMGTREE_SLUG_LENGTH", d.slug_length, 8, 32),
            keep_originals=_bool(env, "IMGTREE_KEEP_ORIGINALS", d.keep_originals),
            view_flush_seconds=_int(
                env, "IMGTREE_VIEW_FLUSH_SECONDS", d.view_flush_seconds, 1, 3600
            ),
            presign_expires_seconds=_int(
                env, "IMGTREE_PRESIGN_EXPIRES_SECONDS", d.presign_expires_seconds, 30, 7 * 86400
            ),
            trusted_proxies=_networks(env, "IMGTREE_TRUSTED_PROXIES"),
            db_pool_size=_int(env, "IMGTREE_DB_POOL_SIZE", d.db_pool_size, 1, 1000),
            db_max_overflow=_int(env, "IMGTREE_DB_MAX_OVERFLOW", d.db_max_overflow, 0, 1000),
            s3_bucket=bucket,
            s3_endpoint_url=endpoint,
            s3_region=_str(env, "IMGTREE_S3_REGION", "") or None,
            s3_access_key_id=_str(env, "IMGTREE_S3_ACCESS_KEY_ID", "") or None,
            s3_secret_access_key=_str(env, "IMGTREE_S3_SECRET_ACCESS_KEY", "") or None,
            s3_public_base_url=_optional_url(env, "IMGTREE_S3_PUBLIC_BASE_URL", allow_path=True),
            # S3-compatible servers behind a custom endpoint (MinIO, Ceph...) mostly want
            # path-style addressing; AWS itself prefers virtual-hosted style.
            s3_path_style=_bool(env, "IMGTREE_S3_PATH_STYLE", endpoint is not None),
            purge_retention_seconds=_int(
                env, "IMGTREE_PURGE_RETENTION_SECONDS", d.purge_retention_seconds, 0
            ),
            purge_grace_seconds=_int(env, "IMGTREE_PURGE_GRACE_SECONDS", d.purge_grace_seconds, 60),
            signup_open=_choice(env, "IMGTREE_SIGNUP", "open", ("open", "closed")) == "open",
            session_days=_int(env, "IMGTREE_SESSION_DAYS", d.session_days, 1, 365),
            session_max_days=_int(env, "IMGTREE_SESSION_MAX_DAYS", d.session_max_days, 1, 3650),
            require_admin_2fa=_bool(env, "IMGTREE_REQUIRE_ADMIN_2FA", d.require_admin_2fa),
            guest_uploads=_bool(env, "IMGTREE_GUEST_UPLOADS", d.guest_uploads),
            guest_max_upload_bytes=_int(
                env, "IMGTREE_GUEST_MAX_UPLOAD_BYTES", d.guest_max_upload_bytes, 1
            ),
            guest_rate_limit_per_minute=_int(
                env, "IMGTREE_GUEST_RATE_LIMIT_PER_MINUTE", d.guest_rate_limit_per_minute, 1
            ),
            default_quota_bytes=_optional_int(env, "IMGTREE_DEFAULT_QUOTA_BYTES"),
            inactive_images=_choice(env, "IMGTREE_INACTIVE_IMAGES", "hide", ("hide", "keep")),
            media_memory_cache_bytes=_int(
                env, "IMGTREE_MEDIA_MEMORY_CACHE_BYTES", d.media_memory_cache_bytes, 0
            ),
            media_offload=offload,
            media_offload_prefix=_offload_prefix(
                env, "IMGTREE_MEDIA_OFFLOAD_PREFIX", d.media_offload_prefix
            ),
            max_image_side=_int(env, "IMGTREE_MAX_IMAGE_SIDE", d.max_image_side, 16, 1 << 16),
            process_workers=_int(env, "IMGTREE_PROCESS_WORKERS", d.process_workers, 1, 64),
            process_cpu_seconds=_int(
                env, "IMGTREE_PROCESS_CPU_SECONDS", d.process_cpu_seconds, 1, 3600
            ),
            process_wall_seconds=_int(
                env, "IMGTREE_PROCESS_WALL_SECONDS", d.process_wall_seconds, 1, 3600
            ),
            process_memory_bytes=_int(
                env, "IMGTREE_PROCESS_MEMORY_MB", d.process_memory_bytes // MiB, 64, 1 << 20
            )
            * MiB,
            process_queue_seconds=_int(
                env, "IMGTREE_PROCESS_QUEUE_SECONDS", d.process_queue_seconds, 1, 600
            ),
            metrics_token=_metrics_token(env, "IMGTREE_METRICS_TOKEN"),
            log_format=_choice(env, "IMGTREE_LOG_FORMAT", d.log_format, ("json", "text")),
            log_level=_choice(
                env, "IMGTREE_LOG_LEVEL", d.log_level, ("debug", "info", "warning", "error")
            ),
            unlock_key=_signing_key(env, "IMGTREE_UNLOCK_KEY"),
        )


def _str(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value or default


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name} must be {bound}, got {value}")
    return value


def _renditions(
    env: Mapping[str, str], name: str, default: tuple[tuple[str, int], ...]
) -> tuple[tuple[str, int], ...]:
    """`small=640,medium=1280`: lower-case names (not `thumb`, `full`, `signed`) and sizes of 16 to 16384 px,
    each name and size once; `none` for no renditions."""
    raw = _str(env, name, "")
    if not raw:
        return default
    if raw.lower() == "none":
        return ()
    presets: list[tuple[str, int]] = []
    for item in raw.split(","):
        preset, _, size = item.strip().partition("=")
        if not re.fullmatch(r"[a-z][a-z0-9]{0,15}", preset) or preset in RESERVED_RENDITION_NAMES:
            raise SettingsError(
                f"{name}: {preset!r} is not a rendition name"
                " (a-z and 0-9, not 'thumb', 'full' or 'signed')"
            )
        if not re.fullmatch(r"[0-9]{1,5}", size.strip()) or not 16 <= int(size) <= 16384:
            raise SettingsError(f"{name}: the size of {preset!r} must be 16 to 16384 pixels")
        presets.append((preset, int(size)))
    if len({p for p, _ in presets}) != len(presets) or len({s for _, s in presets}) != len(presets):
        raise SettingsError(f"{name}: each rendition name and size may appear only once")
    return tuple(sorted(presets, key=lambda p: p[1]))


MEDIA_OFFLOAD_MODES = ("x-accel-redirect", "x-sendfile")


def _offload(env: Mapping[str, str], name: str) -> str:
    """Unset or empty: off; otherwise exactly one of MEDIA_OFFLOAD_MODES (any case)."""
    value = env.get(name, "").strip().lower()
    if value and value not in MEDIA_OFFLOAD_MODES:
        raise SettingsError(
            f"{name} must be unset (the app sends media itself), x-accel-redirect (nginx) or "
            f"x-sendfile (Apache mod_xsendfile, lighttpd); got {value!r}"
        )
    return value


def _offload_prefix(env: Mapping[str, str], name: str, default: str) -> str:
    """The proxy's internal location: a path like /_imgtree_media/ (slashes at both ends)."""
    value = _str(env, name, default)
    segments = value.split("/")[1:-1]
    if not re.fullmatch(r"/([A-Za-z0-9._~-]+/)+", value) or {".", ".."} & set(segments):
        raise SettingsError(
            f"{name} must be a URL path such as /_imgtree_media/ (letters, digits, ._~- "
            f"between slashes, a slash at both ends), got {value!r}"
        )
    return value


def _rendition_formats(
    env: Mapping[str, str], name: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    """`original,webp,avif` or any of them, each once."""
    raw = _str(env, name, "")
    if not raw:
        return default
    formats = tuple(item.strip().lower() for item in raw.split(","))
    if not formats or not set(formats) <= set(RENDITION_FORMAT_NAMES):
        raise SettingsError(f"{name} must name formats of {', '.join(RENDITION_FORMAT_NAMES)}")
    if len(set(formats)) != len(formats):
        raise SettingsError(f"{name}: each format may appear only once")
    return formats


def _signing_key(env: Mapping[str, str], name: str) -> str | None:
    """At least 32 characters (a guessable key would let anyone make arbitrary sizes)."""
    value = _str(env, name, "")
    if not value:
        return None
    if len(value) < 32:
        raise SettingsError(f"{name} must be at least 32 characters (e.g. openssl rand -hex 32)")
    return value


def _metrics_token(env: Mapping[str, str], name: str) -> str | None:
    """At least 16 visible ASCII characters (it travels in an Authorization header)."""
    value = _str(env, name, "")
    if not value:
        return None
    if len(value) < 16 or not re.fullmatch(r"[\x21-\x7e]+", value):
        raise SettingsError(
            f"{name} must be at least 16 visible ASCII characters (e.g. openssl rand -hex 32)"
        )
    return value


def _text(env: Mapping[str, str], name: str, default: str, longest: int) -> str:
    """One line of plain text (it is escaped wherever it is shown, but never multi-line)."""
    value = _str(env, name, default)
    if len(value) > longest or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise SettingsError(f"{name} must be one line of at most {longest} characters")
    return value


def _colour(env: Mapping[str, str], name: str, default: str) -> str:
    value = _str(env, name, default)
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise SettingsError(f"{name} must be a colour like #1f6feb, got {value!r}")
    return value.lower()


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _str(env, name, default).lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = _str(env, name, default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            f"{name} must be an http(s) origin such as https://img.example.com, got {value!r}"
        )
    return value


def _optional_int(env: Mapping[str, str], name: str) -> int | None:
    """An integer >= 0, or unset / "unlimited" for None."""
    raw = env.get(name, "").strip().lower()
    if raw in ("", "unlimited", "none"):
        return None
    return _int(env, name, 0, 0)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _optional_url(env: Mapping[str, str], name: str, *, allow_path: bool = False) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    value = raw.rstrip("/")
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or (parts.path and not allow_path)
    ):
        raise SettingsError(f"{name} must be an http(s) URL, got {raw!r}")
    return value


def _networks(
    env: Mapping[str, str], name: str
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = env.get(name, "").strip()
    nets = []
    for item in filter(None, (p.strip() for p in raw.split(","))):
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(
                f"{name} must be a comma-separated list of IPs or CIDR networks; bad entry {item!r}"
            ) from None
    return tuple(nets)

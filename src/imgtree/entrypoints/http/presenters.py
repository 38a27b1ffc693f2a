"""Domain objects -> the JSON shapes of the API documentation. Wire names live here only."""

from __future__ import annotations

import html
import uuid
from datetime import datetime
from typing import Any

import attrs
import falcon

from imgtree.domain.model import (
    Album,
    ApiKey,
    Image,
    ImageFormat,
    Page,
    Session,
    User,
    ordered_scopes,
)
from imgtree.domain.policies import ProcessingPolicy, RenditionPolicy
from imgtree.domain.ports import BlobStorage
from imgtree.domain.use_cases.capabilities import Capabilities
from imgtree.domain.use_cases.presign import Presigned, PresignFailed, PresignOutcome
from imgtree.domain.use_cases.renditions import FULL
from imgtree.domain.use_cases.upload import Uploaded, UploadFailed, UploadOutcome
from imgtree.entrypoints.http.errors import RETRY_AFTER_SECONDS, message_of, status_of
from imgtree.entrypoints.http.observe import note_uploads
from imgtree.entrypoints.http.user_agents import describe_device
from imgtree.entrypoints.http.web.catalogue import CHOICES


@attrs.frozen
class Urls:
    """Every public URL imgtree hands out, rooted at the configured base URL.

    Direct and thumbnail links point at the storage's own public URL (bucket or CDN) when it
    has one, so media bytes need not pass through the app; never for a password-protected
    image (`protected`: its album's password), whose bytes only the app checks unlocks for.
    """

    base: str
    storage: BlobStorage | None = None
    # The sized renditions offered (none without a policy).
    renditions: RenditionPolicy = attrs.field(factory=lambda: RenditionPolicy(presets=()))

    def page(self, image: Image) -> str:
        return f"{self.base}/i/{image.slug}"

    def direct(self, image: Image, *, protected: bool = False) -> str:
        public = self._public(image.storage_key, image, protected)
        return public or f"{self.base}/media/{image.filename}"

    def album_page(self, album: Album) -> str:
        return f"{self.base}/albums/{album.id}"

    def _public(self, key: str, image: Image, protected: bool) -> str | None:
        if self.storage is None or protected or image.password_protected:
            return None
        return self.storage.public_url(key)

    def thumb(self, image: Image, *, protected: bool = False) -> str:
        public = self._public(image.thumb_key, image, protected)
        return public or f"{self.base}/media/thumb/{image.thumb_filename}"

    def original(self, image: Image) -> str | None:
        """The owner's download of the kept original (a session route), if one was kept."""
        return f"{self.base}/api/images/{image.id}/original" if image.original_key else None

    def rendition(self, image: Image, size: str, fmt: ImageFormat | None = None) -> str:
        """The sized rendition `size` (a preset's name, or `full`) in `fmt` (None: the image's
        own). Always served by the app, even with a public bucket: it is made on its first
        request, which a bucket cannot do."""
        if fmt is None:
            return f"{self.base}/media/{size}/{image.filename}"
        return f"{self.base}/media/{size}/{image.slug}.{fmt.extension}"

    def renditions_of(self, image: Image) -> dict[str, str]:
        """{preset name: URL} of every rendition the image has, smallest first."""
        offered = self.renditions.offered(image.width, image.height, animated=image.animated)
        return {name: self.rendition(image, name) for name, _bound in offered}

    def rendition_formats_of(self, image: Image) -> dict[str, dict[str, str]]:
        """{format extension: {preset name or `full`: URL}} of the renditions the image has in
        other formats (AVIF first), each's presets smallest first, then `full`."""
        sizes = self.renditions.sizes(image.width, image.height)
        return {
            fmt.extension: {
                **{name: self.rendition(image, name, fmt) for name, _bound in sizes},
                FULL: self.rendition(image, FULL, fmt),
            }
            for fmt in self.renditions.converted(image.content_type, animated=image.animated)
        }

    def srcset(self, image: Image, *, protected: bool = False) -> list[tuple[str, int]]:
        """The `srcset` candidates, (URL, width in pixels) narrowest first: each rendition the
        image has, then the original at its own width."""
        longest = max(image.width, image.height, 1)
        candidates = [
            (self.rendition(image, name), max(1, round(image.width * bound / longest)))
            for name, bound in self.renditions.offered(
                image.width, image.height, animated=image.animated
            )
        ]
        return [*candidates, (self.direct(image, protected=protected), image.width)]

    def format_sources(self, image: Image) -> list[tuple[str, list[tuple[str, int]]]]:
        """(MIME type, srcset candidates) of the image page's <source>s: per other format
        (AVIF first), each preset smaller than the image then the full-size conversion at
        the image's width. None when the image has no smaller preset: a small image stays one
        file (a conversion of a tiny file may be larger than it)."""
        sizes = self.renditions.sizes(image.width, image.height)
        if not sizes:
            return []
        longest = max(image.width, image.height, 1)
        return [
            (
                fmt.value,
                [
                    *(
                        (self.rendition(image, name, fmt), max(1, round(image.width * b / longest)))
                        for name, b in sizes
                    ),
                    (self.rendition(image, FULL, fmt), image.width),
                ],
            )
            for fmt in self.renditions.converted(image.content_type, animated=image.animated)
        ]

    def delete(self, image: Image, token: str) -> str:
        return f"{self.base}/api/images/{image.id}?token={token}"

    def put(self, presigned: Presigned) -> str:
        """Where the client PUTs the bytes: the bucket's presigned URL, or the app's own."""
        if presigned.direct_put_url:
            return presigned.direct_put_url
        return f"{self.base}/api/v1/upload/put/{presigned.pending.id}?token={presigned.put_token}"


# The share panel's rows, in the order every surface shows them: the page link first (what
# people share), then the direct file and the embed snippets, then their thumbnail variants.
CODE_KEYS: tuple[str, ...] = (
    "page",
    "direct",
    "markdown",
    "html",
    "bbcode",
    "markdown_thumb",
    "html_thumb",
    "bbcode_thumb",
)  # their labels: the catalogue's share_<key>_label ("Page link", "Markdown (thumbnail)")


# Where visibility is chosen, each choice is explained in one sentence (upload page, image page).
# The web app's "Delete after" choices (value: seconds; "" never). The APIs take any whole
# number of seconds from 1 to MAX_EXPIRES_IN; a month here is 30 days, a year 365.
# Their words are the catalogue's `expiry_label_<value>` (`expiry_label_never` for "").
EXPIRY_VALUES: tuple[str, ...] = ("", "3600", "86400", "604800", "2592000", "31536000")


def expires_in(expires_at: datetime | None, now: datetime) -> tuple[str, int] | None:
    """The largest whole unit left and how many: ("days", 3), ("less_than_a_minute", 0) under
    a minute; None when it never expires. Pages say it with the catalogue's
    `expires_in_<unit>` ("Expires in 3 days"), as Imgtree.expiresText does."""
    if expires_at is None:
        return None
    left = max(0, int((expires_at - now).total_seconds()))
    for unit, seconds in (("years", 31536000), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if left >= seconds:
            return unit, left // seconds
    return "less_than_a_minute", 0


# The order the pages offer visibility in; the words are the catalogue's `vis_label_<value>`
# and `vis_help_<value>` (web/catalogue.py), VISIBILITY_CHOICES has them in English.
VISIBILITY_VALUES: tuple[str, ...] = ("unlisted", "public", "private")
VISIBILITY_CHOICES: tuple[tuple[str, str, str], ...] = tuple(
    (v, str(CHOICES[f"vis_label_{v}"]), str(CHOICES[f"vis_help_{v}"])) for v in VISIBILITY_VALUES
)


def embed_codes(urls: Urls, image: Image) -> dict[str, str]:
    """Every way to share one image, keyed as CODE_KEYS orders them (JSON keeps the order)."""
    page, direct, thumb = urls.page(image), urls.direct(image), urls.thumb(image)
    name = image.title or image.original_name
    alt = html.escape(name, quote=True)
    md_alt = name.replace("[", "(").replace("]", ")")
    return {
        "page": page,
        "direct": direct,
        "markdown": f"![{md_alt}]({direct})",
        "html": f'<img src="{direct}" alt="{alt}" />',
        "bbcode": f"[img]{direct}[/img]",
        "markdown_thumb": f"[![{md_alt}]({thumb})]({page})",
        "html_thumb": f'<a href="{page}"><img src="{thumb}" alt="{alt}" /></a>',
        "bbcode_thumb": f"[url={page}][img]{thumb}[/img][/url]",
    }


def placeholder(image: Image) -> dict[str, str | None]:
    """What a client shows while the picture loads: null for images from before placeholders
    (until `imgtree backfill-placeholders` ran)."""
    return {"blurhash": image.blurhash, "dominant_color": image.dominant_color}


def uploaded_image(urls: Urls, outcome: Uploaded) -> dict[str, Any]:
    image = outcome.image
    return {
        "id": image.slug,
        "url": urls.page(image),
        "direct_url": urls.direct(image),
        "thumb_url": urls.thumb(image),
        "delete_url": urls.delete(image, outcome.delete_token),
        "visibility": image.visibility.value,
        "expires_at": timestamp(image.expires_at),  # null: never
        "codes": embed_codes(urls, image),
        "renditions": urls.renditions_of(image),
        **placeholder(image),
        "rendition_formats": urls.rendition_formats_of(image),
        "password_protected": image.password_protected,
    }


def failed_item(outcome: UploadFailed) -> dict[str, Any]:
    item: dict[str, Any] = {"error": message_of(outcome.error), "status": status_of(outcome.error)}
    if outcome.filename:
        item["filename"] = outcome.filename
    return item


def upload_result(urls: Urls, outcomes: list[UploadOutcome]) -> tuple[int, dict[str, Any]]:
    """(status, body). 200 when any file landed; otherwise the first failure's status."""
    items = [
        uploaded_image(urls, o) if isinstance(o, Uploaded) else failed_item(o) for o in outcomes
    ]
    failures = [o for o in outcomes if isinstance(o, UploadFailed)]
    if len(failures) < len(outcomes):
        return 200, {"success": True, "images": items}
    first = failures[0]
    return status_of(first.error), {
        "success": False,
        "error": message_of(first.error),
        "images": items,
    }


def respond_upload(resp: falcon.Response, urls: Urls, outcomes: list[UploadOutcome]) -> None:
    """Write an upload response; when every file failed on a retryable error (503), say when
    to retry, as any 503 does."""
    note_uploads(resp, outcomes)
    resp.status, resp.media = upload_result(urls, outcomes)
    if resp.status == 503:
        first = next(o.error for o in outcomes if isinstance(o, UploadFailed))
        resp.set_header("Retry-After", str(getattr(first, "retry_after", RETRY_AFTER_SECONDS)))


def listed_image(urls: Urls, image: Image) -> dict[str, Any]:
    return {
        "id": str(image.id),
        "slug": image.slug,
        "url": urls.page(image),
        "direct_url": urls.direct(image),
        "thumb_url": urls.thumb(image),
        "original_name": image.original_name,
        "content_type": image.content_type.value,
        "size_bytes": image.size_bytes,
        "width": image.width,
        "height": image.height,
        "created_at": image.created_at.isoformat().replace("+00:00", "Z"),
        "visibility": image.visibility.value,
        "expires_at": timestamp(image.expires_at),  # null: never
        "codes": embed_codes(urls, image),
        "renditions": urls.renditions_of(image),
        "page_views": image.page_views,
        "media_hits": image.media_hits,
        **placeholder(image),
        "rendition_formats": urls.rendition_formats_of(image),
        # Its own password (never the hash); its album's shows on the album.
        "password_protected": image.password_protected,
    }


def owned_image(urls: Urls, image: Image) -> dict[str, Any]:
    """What the owner sees in the web app: the listing plus the editable fields."""
    return {
        **listed_image(urls, image),
        "title": image.title,
        "description": image.description,
        "album_id": str(image.album_id) if image.album_id else None,
        "is_public": image.is_public,
        "original_url": urls.original(image),
    }


def paging(page: Page[Any]) -> dict[str, Any]:
    """The paging fields every paginated response carries."""
    return {
        "page": page.page,
        "limit": page.limit,
        "total": page.total,
        "has_more": page.has_more,
    }


def image_page(urls: Urls, page: Page[Image], *, owner_view: bool = False) -> dict[str, Any]:
    present = owned_image if owner_view else listed_image
    return {"success": True, "images": [present(urls, i) for i in page.items], **paging(page)}


def timestamp(value: Any) -> str | None:
    """ISO 8601 UTC with a Z, or None."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "email": u.email,
        "name": u.name,
        "role": u.role.value,
        "active": u.active,
        "quota_bytes": u.quota_bytes,
        "used_bytes": u.used_bytes,
        "created_at": timestamp(u.created_at),
        "two_factor_enabled": u.two_factor_enabled,
    }


def session(s: Session, current_id: uuid.UUID) -> dict[str, Any]:
    """One of the account's sessions, as its owner sees it in Settings."""
    return {
        "id": str(s.id),
        "device": describe_device(s.user_agent),
        "user_agent": s.user_agent,
        "address": s.address,
        "created_at": timestamp(s.created_at),
        "last_seen_at": timestamp(s.last_seen_at),
        "expires_at": timestamp(s.expires_at),
        "current": s.id == current_id,
    }


def quota(u: User) -> dict[str, Any]:
    return {
        "used_bytes": u.used_bytes,
        "quota_bytes": u.quota_bytes,
        "remaining_bytes": u.remaining_bytes,
    }


def album_codes(urls: Urls, a: Album) -> dict[str, str]:
    """Every way to share an album: its page link, and that link titled in each markup."""
    page = urls.album_page(a)
    md_title = a.title.replace("[", "(").replace("]", ")")
    bb_title = md_title
    return {
        "page": page,
        "markdown": f"[{md_title}]({page})",
        "html": f'<a href="{page}">{html.escape(a.title, quote=True)}</a>',
        "bbcode": f"[url={page}]{bb_title}[/url]",
    }


def album(
    urls: Urls, a: Album, image_count: int | None = None, *, cover: Image | bool | None = False
) -> dict[str, Any]:
    """`cover` (listings only): the album's cover image, or None for an empty album; False
    leaves `cover_thumb_url` out."""
    body: dict[str, Any] = {
        "id": str(a.id),
        "title": a.title,
        "description": a.description,
        "isPublic": a.is_public,
        "created_at": timestamp(a.created_at),
        "cover_image_id": str(a.cover_image_id) if a.cover_image_id else None,
        "codes": album_codes(urls, a),
        "password_protected": a.password_protected,
    }
    if image_count is not None:
        body["image_count"] = image_count
    if cover is not False:
        body["cover_thumb_url"] = (
            urls.thumb(cover, protected=a.password_protected) if isinstance(cover, Image) else None
        )
    return body


def api_key(key: ApiKey) -> dict[str, Any]:
    """Key metadata only: the secret is never listed."""
    ts = timestamp
    return {
        "id": str(key.id),
        "name": key.name,
        "prefix": f"imgt_{key.prefix}",
        "created_at": ts(key.created_at),
        "last_used_at": ts(key.last_used_at),
        "revoked_at": ts(key.revoked_at),
        "active": key.active,
        "upload_count": key.upload_count,
        "scopes": ordered_scopes(key.scopes),
        "expires_at": ts(key.expires_at),
    }


def presigned(urls: Urls, outcome: PresignOutcome) -> dict[str, Any]:
    if isinstance(outcome, PresignFailed):
        return {"error": message_of(outcome.error), "status": status_of(outcome.error)}
    pending = outcome.pending
    return {
        "put_url": urls.put(outcome),
        "completion_token": outcome.completion_token,
        "method": "PUT",
        "headers": {"Content-Type": pending.declared_type.value},
        "expires_at": pending.expires_at.isoformat().replace("+00:00", "Z"),
    }


ROUTES = (
    ("GET", "/api/v1/upload", "This document: limits and upload routes (no auth)."),
    (
        "POST",
        "/api/v1/upload",
        "Upload images: multipart (repeat `file`) or JSON base64 (one image).",
    ),
    ("POST", "/api/v1/upload/presign", "Get a put_url and completion_token for one large file."),
    ("POST", "/api/v1/upload/presign/batch", "Up to 20 presigns in one call (files: [...])."),
    ("PUT", "{put_url}", "PUT the raw bytes with the declared Content-Type."),
    ("POST", "/api/v1/upload/complete", "Finish a presigned upload (completion_token or token)."),
    ("POST", "/api/v1/upload/complete/batch", "Finish up to 20 (completion_tokens or tokens)."),
    ("GET", "/api/v1/images", "List your images (page, limit <= 100)."),
    ("DELETE", "/api/v1/images/{imageId}", "Soft-delete one of your images by UUID."),
    (
        "GET",
        "/api/v1/images/{imageId}/original",
        "Download the kept original of a converted upload (when the server keeps originals).",
    ),
    ("DELETE", "/api/images/{imageId}?token={delete_token}", "Delete with a delete_url token."),
    (
        "POST",
        "/api/1/upload",
        "Chevereto API v1 compatible upload: `source`, key in X-API-Key (docs/chevereto.md).",
    ),
)


def processing_limits(policy: ProcessingPolicy) -> dict[str, int]:
    return {
        "max_image_pixels": policy.max_image_pixels,
        "max_image_side": policy.max_image_side,
        "max_frames": policy.max_frames,
        "cpu_seconds": policy.cpu_seconds,
        "wall_seconds": policy.wall_seconds,
        "memory_bytes": policy.memory_bytes,
        "concurrent": policy.concurrent,
        "queue_seconds": policy.queue_seconds,
    }


def rate_limit_text(per_window: int, window_seconds: int) -> str:
    """The discovery document's human-readable wording of the upload rate limit."""
    if window_seconds == 60:
        return f"About {per_window} upload requests per minute per client IP."
    return f"{per_window} requests per {window_seconds} seconds."


def capabilities(caps: Capabilities) -> dict[str, Any]:
    rate_text = rate_limit_text(caps.rate_limit_per_minute, caps.rate_limit_window_seconds)
    return {
        "success": True,
        "max_file_size_bytes": caps.max_file_size_bytes,
        "allowed_types": [t.value for t in caps.allowed_types],
        "presign_expires_seconds": caps.presign_expires_seconds,
        "batch_limit": caps.batch_limit,
        "rate_limit": {"per_minute": caps.rate_limit_per_minute, "text": rate_text},
        "pagination": {"default_limit": caps.page_default_limit, "max_limit": caps.page_max_limit},
        "processing": processing_limits(caps.processing),
        "auth": {"header": "Authorization", "scheme": "Bearer"},
        "routes": [{"method": m, "path": p, "description": d} for m, p, d in ROUTES],
    }

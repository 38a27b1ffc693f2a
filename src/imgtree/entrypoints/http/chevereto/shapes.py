"""The JSON Chevereto's API v1 answers, built from imgtree's results: wire names live here.

Success: `{"status_code": 200, "success": {"message", "code"}, "image": {...},
"status_txt": "OK"}`; error: `{"status_code": N, "error": {"message", "code", "context"},
"status_txt": "<reason phrase>"}`, `status_code` mirroring the HTTP status.
"""

from __future__ import annotations

import http
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from imgtree.domain.model import Image
from imgtree.domain.use_cases.upload import Uploaded
from imgtree.entrypoints.http.presenters import Urls

# Chevereto sends the class of the exception it caught; every refusal here is one kind.
ERROR_CONTEXT = "Exception"
# The rendition Chevereto calls "medium" (its display size), when the image has it.
MEDIUM = "medium"


# RFC 9110's reason phrases where Python's table (3.11) still has the older ones.
_PHRASES = {413: "Content Too Large", 422: "Unprocessable Content"}


def status_txt(status: int) -> str:
    if status in _PHRASES:
        return _PHRASES[status]
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, message: str, code: int | None = None) -> dict[str, Any]:
    return {
        "status_code": status,
        "error": {
            "message": message,
            "code": status if code is None else code,
            "context": ERROR_CONTEXT,
        },
        "status_txt": status_txt(status),
    }


def success_body(urls: Urls, uploaded: Uploaded, source_md5: str) -> dict[str, Any]:
    return {
        "status_code": 200,
        "success": {"message": "image uploaded", "code": 200},
        "image": image_body(urls, uploaded, source_md5),
        "status_txt": "OK",
    }


def _when(value: datetime | None) -> str | None:
    """Chevereto's "YYYY-MM-DD HH:MM:SS" (always UTC here)."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def size_formatted(size: int) -> str:
    """ "52 KB", "1.2 MB": decimal units, as Chevereto shows them."""
    amount = float(size)
    for unit in ("B", "KB", "MB"):
        if amount < 1000:
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} GB"


def _file(name: str, filename: str, mime: str, extension: str, url: str) -> dict[str, Any]:
    return {"filename": filename, "name": name, "mime": mime, "extension": extension, "url": url}


def _medium(urls: Urls, image: Image) -> tuple[str, int, int] | None:
    """(URL, width, height) of the display-size rendition: the preset named "medium" when the
    image has it, else the largest it has; None when it has none (a small image)."""
    offered = dict(urls.renditions.offered(image.width, image.height, animated=image.animated))
    if not offered:
        return None
    name = MEDIUM if MEDIUM in offered else list(offered)[-1]
    longest = max(image.width, image.height, 1)
    scale = offered[name] / longest
    width, height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    return urls.rendition(image, name), width, height


def image_body(urls: Urls, uploaded: Uploaded, source_md5: str) -> dict[str, Any]:
    image = uploaded.image
    ext, mime = image.content_type.extension, image.content_type.value
    direct, page = urls.direct(image), urls.page(image)
    thumb_ext = image.thumb_content_type.extension
    medium = _medium(urls, image)
    display_url, display_width, display_height = medium or (direct, image.width, image.height)
    stem = PurePosixPath(image.original_name).stem if image.original_name else image.slug
    return {
        "name": image.slug,
        "extension": ext,
        "size": image.size_bytes,
        "width": image.width,
        "height": image.height,
        "date": _when(image.created_at),
        "date_gmt": _when(image.created_at),
        "title": image.title or stem,
        "description": image.description or None,
        "nsfw": 0,
        "storage_mode": "direct",
        "md5": None,  # imgtree addresses stored bytes by SHA-256 (docs/chevereto.md)
        "source_md5": source_md5,
        "original_filename": image.original_name,
        "views": 0,
        "expiration_date_gmt": _when(image.expires_at),
        "is_animated": int(image.animated),
        "id_encoded": image.slug,
        "filename": image.filename,
        "mime": mime,
        "ratio": round(image.width / image.height, 6) if image.height else 0,
        "size_formatted": size_formatted(image.size_bytes),
        "url": direct,
        "url_viewer": page,
        "url_short": page,
        "image": {**_file(image.slug, image.filename, mime, ext, direct), "size": image.size_bytes},
        "thumb": _file(
            f"{image.slug}.th",
            image.thumb_filename,
            image.thumb_content_type.value,
            thumb_ext,
            urls.thumb(image),
        ),
        "medium": _file(f"{image.slug}.md", image.filename, mime, ext, display_url),
        "display_url": display_url,
        "display_width": display_width,
        "display_height": display_height,
        "delete_url": urls.delete(image, uploaded.delete_token),
        "views_label": "views",
        "how_long_ago": "moments ago",
    }

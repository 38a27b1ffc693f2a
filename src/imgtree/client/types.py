"""What the client sends and gets back, as small frozen dataclasses (the server's JSON stays
reachable as `raw`)."""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

# Magic numbers of the types an imgtree server accepts (it sniffs the bytes itself; the client
# only needs a Content-Type to declare on presign and to pick image files out of a folder).
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (8, b"WEBP", "image/webp"),
)
_FTYP = {
    b"avif": "image/avif",
    b"avis": "image/avif",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
}
IMAGE_EXTENSIONS = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
}
UNKNOWN_TYPE = "application/octet-stream"


def sniff_type(head: bytes) -> str | None:
    """The image type the first bytes of a file show, or None."""
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return None if kind == "image/webp" and head[:4] != b"RIFF" else kind
    if head[4:8] == b"ftyp":
        return _FTYP.get(head[8:12])
    return None


@dataclass(frozen=True)
class UploadSource:
    """One file to upload: a path on disk (read when sent, again on a retry) or bytes."""

    filename: str
    content_type: str
    size: int
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def from_path(cls, path: str | Path, *, filename: str | None = None) -> UploadSource:
        path = Path(path)
        with path.open("rb") as f:
            head = f.read(32)
            size = f.seek(0, io.SEEK_END)
        kind = (
            sniff_type(head)
            or IMAGE_EXTENSIONS.get(path.suffix.lower())
            or mimetypes.guess_type(path.name)[0]
            or UNKNOWN_TYPE
        )
        return cls(filename or path.name, kind, size, path=path)

    @classmethod
    def from_bytes(
        cls, filename: str, data: bytes, content_type: str | None = None
    ) -> UploadSource:
        kind = content_type or sniff_type(data[:32]) or UNKNOWN_TYPE
        return cls(filename, kind, len(data), data=data)

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None, "an UploadSource has a path or data"
        return self.path.open("rb")


@dataclass(frozen=True)
class Capabilities:
    """GET /api/v1/upload: this server's limits (and, with a valid key, the key's scopes)."""

    max_file_size_bytes: int
    allowed_types: tuple[str, ...]
    batch_limit: int
    presign_expires_seconds: int | None
    rate_limit_per_minute: int | None
    # Present only when the request carried a valid key: the server's word that it is good.
    scopes: tuple[str, ...] | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Capabilities:
        rate = body.get("rate_limit") or {}
        scopes = body.get("scopes")
        return cls(
            max_file_size_bytes=int(body["max_file_size_bytes"]),
            allowed_types=tuple(body.get("allowed_types") or ()),
            batch_limit=max(1, int(body.get("batch_limit") or 1)),
            presign_expires_seconds=body.get("presign_expires_seconds"),
            rate_limit_per_minute=rate.get("per_minute") if isinstance(rate, dict) else None,
            scopes=tuple(scopes) if isinstance(scopes, list) else None,
            raw=body,
        )


@dataclass(frozen=True)
class UploadedImage:
    """One published image: `id` is its slug, `url` its page."""

    id: str
    url: str
    direct_url: str
    thumb_url: str | None
    delete_url: str | None
    codes: Mapping[str, str]
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> UploadedImage:
        return cls(
            id=str(item["id"]),
            url=str(item["url"]),
            direct_url=str(item.get("direct_url") or item["url"]),
            thumb_url=item.get("thumb_url"),
            delete_url=item.get("delete_url"),
            codes=dict(item.get("codes") or {}),
            raw=item,
        )


@dataclass(frozen=True)
class UploadFailure:
    """One file the server refused inside a batch (or the client could not send)."""

    error: str
    status: int | None = None
    filename: str | None = None

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> UploadFailure:
        status = item.get("status")
        return cls(
            error=str(item.get("error") or "Upload failed"),
            status=int(status) if isinstance(status, int) else None,
            filename=item.get("filename"),
        )


UploadResult = UploadedImage | UploadFailure


def upload_result(item: Mapping[str, Any]) -> UploadResult:
    return UploadFailure.from_json(item) if "error" in item else UploadedImage.from_json(item)


@dataclass(frozen=True)
class Presigned:
    """Where to PUT the bytes (the bucket, on S3) and the token that completes the upload."""

    put_url: str
    completion_token: str
    headers: Mapping[str, str]

    @classmethod
    def from_json(cls, item: Mapping[str, Any], content_type: str) -> Presigned:
        headers = item.get("headers")
        return cls(
            put_url=str(item["put_url"]),
            completion_token=str(item["completion_token"]),
            headers=dict(headers) if isinstance(headers, dict) else {"Content-Type": content_type},
        )


@dataclass(frozen=True)
class ListedImage:
    """An image of GET /api/v1/images: `id` is its UUID (what delete takes), `slug` its page's."""

    id: str
    slug: str
    url: str
    direct_url: str
    original_name: str | None
    created_at: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> ListedImage:
        return cls(
            id=str(item["id"]),
            slug=str(item["slug"]),
            url=str(item["url"]),
            direct_url=str(item.get("direct_url") or item["url"]),
            original_name=item.get("original_name"),
            created_at=item.get("created_at"),
            raw=item,
        )


@dataclass(frozen=True)
class ImagePage:
    images: tuple[ListedImage, ...]
    page: int
    limit: int
    total: int
    has_more: bool

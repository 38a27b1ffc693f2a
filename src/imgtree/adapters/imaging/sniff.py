"""The real type of an upload, from its magic bytes. The declared type is never consulted."""

from __future__ import annotations

from imgtree.adapters.imaging import bmff, gif, jpeg, png, webp
from imgtree.domain.errors import UnsupportedMediaType
from imgtree.domain.model import ImageFormat

UNSUPPORTED = (
    "Unsupported file type: only JPEG, PNG, GIF, WebP, HEIC/HEIF and AVIF images are accepted"
)


def sniff(data: bytes) -> ImageFormat:
    """The allowed format `data` starts with; UnsupportedMediaType for anything else."""
    if data.startswith(jpeg.SIGNATURE):
        return ImageFormat.JPEG
    if data.startswith(png.SIGNATURE):
        return ImageFormat.PNG
    if data[:6] in gif.SIGNATURES:
        return ImageFormat.GIF
    if webp.is_webp(data):
        return ImageFormat.WEBP
    phone = bmff.brand(data)
    if phone is not None:
        return phone
    raise UnsupportedMediaType(UNSUPPORTED)

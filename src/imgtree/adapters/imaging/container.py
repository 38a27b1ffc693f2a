"""What the container-level rewriters share: their result type, their errors, their limits.

The rewriters (`jpeg`, `png`, `gif`, `webp`) work without Pillow; `jpeg` and `png` also
plan their output from a file read in bounded windows (`stream`). They walk the file's own
structure, copy what is needed to decode and display it, drop metadata and anything after
the format's end marker, and reject files that are structurally broken or truncated. Pixel
data is never decoded here; `pillow` does that on the rewritten file.

They also enforce imgtree's structural limits *while walking*, from what the headers
declare (canvas and frame sizes, frame and scan counts, chunk counts): a hostile file stops
being read as soon as it is over a limit, before any pixel is decoded.
"""

from __future__ import annotations

import attrs

MAX_ICC_BYTES = 1 << 20  # an ICC profile above this is dropped (real profiles are a few KiB)
# Longest side accepted by default: every mainstream encoder and viewer handles 16384
# (WebP's own maximum, the largest texture side of most GPUs); the area limit still applies.
MAX_SIDE = 16_384


class ContainerError(ValueError):
    """The file's structure is broken or truncated. The message is safe to show to users."""


class LimitExceeded(ContainerError):
    """The file is well-formed so far but bigger than allowed (e.g. too many frames)."""


class UnsupportedVariant(ContainerError):
    """An allowed format in a coding variant imgtree does not accept (e.g. arithmetic JPEG).

    Mapped to UnsupportedMediaType (HTTP 415), not InvalidImage: the file may be valid.
    """


def check_size(
    width: int,
    height: int,
    *,
    max_side: int | None = None,
    max_pixels: int | None = None,
) -> None:
    """LimitExceeded if a declared width x height is over either limit (None: unchecked).

    The messages are the ones `PillowImageProcessor` shows for the same limits.
    """
    if max_side is not None and max(width, height) > max_side:
        raise LimitExceeded(
            f"Image is too large: {width}x{height} pixels, the limit is {max_side} pixels per side"
        )
    if max_pixels is not None and width * height > max_pixels:
        raise LimitExceeded(
            f"Image is too large: {width}x{height} pixels, the limit is {max_pixels:,} pixels"
        )


def too_many_frames(max_frames: int) -> LimitExceeded:
    return LimitExceeded(f"Image has too many frames: more than {max_frames}")


def animation_too_large(frames: int, width: int, height: int) -> LimitExceeded:
    return LimitExceeded(f"Animation is too large: {frames} frames of {width}x{height} pixels")


@attrs.frozen
class Rewritten:
    """Sanitised bytes, plus what the rewriter learnt on the way.

    `orientation` is the EXIF orientation (1-8) the rewritten file still carries, `frames`
    the number of frames counted in the container, when the rewriter counts them.
    """

    data: bytes
    orientation: int = 1
    frames: int | None = None

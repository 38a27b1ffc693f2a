"""What the container-level rewriters share: their result type and their error.

The rewriters (`jpeg`, `png`, `gif`, `webp`) work without Pillow; `jpeg` and `png` also
plan their output from a file read in bounded windows (`stream`). They walk the file's own
structure, copy what is needed to decode and display it, drop metadata and anything after
the format's end marker, and reject files that are structurally broken or truncated. Pixel
data is never decoded here; `pillow` does that on the rewritten file.
"""

from __future__ import annotations

import attrs

MAX_ICC_BYTES = 1 << 20  # an ICC profile above this is dropped (real profiles are a few KiB)


class ContainerError(ValueError):
    """The file's structure is broken or truncated. The message is safe to show to users."""


class LimitExceeded(ContainerError):
    """The file is well-formed so far but bigger than allowed (e.g. too many frames)."""


@attrs.frozen
class Rewritten:
    """Sanitised bytes, plus what the rewriter learnt on the way.

    `orientation` is the EXIF orientation (1-8) the rewritten file still carries, `frames`
    the number of frames counted in the container, when the rewriter counts them.
    """

    data: bytes
    orientation: int = 1
    frames: int | None = None

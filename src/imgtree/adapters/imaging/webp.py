"""WebP sanitising at the RIFF chunk level: no pixel is decoded or re-encoded here.

Kept: VP8X (flags fixed up), ICCP unless larger than `max_icc`, ANIM, ANMF (rebuilt with
only its ALPH/VP8/VP8L sub-chunks), ALPH, VP8 and VP8L. Dropped: EXIF, XMP, unknown
chunks and anything after the RIFF size. The RIFF size is recomputed. A non-1 EXIF
orientation is written back as an EXIF chunk holding only that tag.

Why not re-encode with Pillow: lossy WebP would lose quality each generation, lossless
WebP is slow to encode, and animations would need every frame decoded and re-encoded. The
chunk rewrite is exact and keeps frame timing, blending and looping untouched.

Structural limits, checked while walking: the VP8X canvas (or, in a simple file, the size
in the VP8/VP8L bitstream header) is within `max_side` and `max_pixels`; every ANMF frame
(offset, size) and every bitstream in it lies inside the canvas; at most `max_frames`
frames, and canvas pixels times frames within `max_total_pixels` (libwebp composites each
frame onto a full canvas). A limit left at None is not checked.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from imgtree.adapters.imaging import exif
from imgtree.adapters.imaging.container import (
    MAX_ICC_BYTES,
    ContainerError,
    Rewritten,
    animation_too_large,
    check_size,
    too_many_frames,
)

_IMAGE = (b"VP8 ", b"VP8L")
_FRAME_PARTS = frozenset({b"ALPH", b"VP8 ", b"VP8L"})
_KEEP = frozenset({b"ANIM", *_FRAME_PARTS})
# VP8X flag bits (first payload byte): ICC, alpha, EXIF, XMP, animation
_ICC_FLAG, _ALPHA_FLAG, _EXIF_FLAG, _XMP_FLAG, _ANIMATION_FLAG = 0x20, 0x10, 0x08, 0x04, 0x02
_ANMF_HEADER = 16  # frame position, size, duration and flags before the sub-chunks
_VP8L_SIGNATURE = 0x2F
_VP8_START_CODE = b"\x9d\x01\x2a"


def _u24(view: memoryview, at: int) -> int:
    return int.from_bytes(view[at : at + 3], "little")


def bitstream_size(kind: bytes, payload: memoryview) -> tuple[int, int]:
    """The width and height a VP8 (key frame) or VP8L bitstream header declares."""
    if kind == b"VP8L":
        # signature byte, then 14 bits of width - 1 and 14 bits of height - 1 (LSB first)
        if len(payload) < 5 or payload[0] != _VP8L_SIGNATURE:
            raise ContainerError("WebP lossless bitstream is broken")
        (bits,) = struct.unpack_from("<I", payload, 1)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    # VP8: a 3-byte frame tag (bit 0 clear on a key frame), the start code 9d 01 2a, then
    # 14 bits of width and 14 bits of height, each with 2 bits of upscaling hint above them
    if len(payload) < 10 or payload[0] & 1 or bytes(payload[3:6]) != _VP8_START_CODE:
        raise ContainerError("WebP lossy bitstream is broken")
    width, height = struct.unpack_from("<HH", payload, 6)
    width, height = width & 0x3FFF, height & 0x3FFF
    if width < 1 or height < 1:
        raise ContainerError("WebP image has no pixels")
    return width, height


def _inside(size: tuple[int, int], bound: tuple[int, int], what: str, where: str) -> None:
    if size[0] > bound[0] or size[1] > bound[1]:
        raise ContainerError(
            f"WebP {what} ({size[0]}x{size[1]}) is larger than its {bound[0]}x{bound[1]} {where}"
        )


def is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _chunks(view: memoryview, start: int, end: int) -> Iterator[tuple[bytes, memoryview]]:
    """(fourcc, payload) for each chunk in view[start:end], checking every size."""
    pos = start
    while pos < end:
        if pos + 8 > end:
            raise ContainerError("WebP chunk structure is broken")
        kind = bytes(view[pos : pos + 4])
        (size,) = struct.unpack_from("<I", view, pos + 4)
        payload_end = pos + 8 + size
        if payload_end > end:
            raise ContainerError("WebP is truncated")
        yield kind, view[pos + 8 : payload_end]
        pos = payload_end + (size & 1)  # chunks are padded to an even size


def _chunk(kind: bytes, payload: bytes | memoryview) -> bytes:
    pad = b"\x00" if len(payload) & 1 else b""
    return kind + struct.pack("<I", len(payload)) + bytes(payload) + pad


def _frame(payload: memoryview, canvas: tuple[int, int], index: int) -> bytes:
    if len(payload) < _ANMF_HEADER:
        raise ContainerError("WebP animation frame is truncated")
    x, y = 2 * _u24(payload, 0), 2 * _u24(payload, 3)
    width, height = _u24(payload, 6) + 1, _u24(payload, 9) + 1
    if x + width > canvas[0] or y + height > canvas[1]:
        raise ContainerError(
            f"WebP frame {index} ({width}x{height} at {x},{y}) lies outside"
            f" its {canvas[0]}x{canvas[1]} canvas"
        )
    parts = []
    for kind, body in _chunks(payload, _ANMF_HEADER, len(payload)):
        if kind in _FRAME_PARTS:
            if kind in _IMAGE:
                _inside(bitstream_size(kind, body), (width, height), "frame image", "frame")
            parts.append(_chunk(kind, body))
    if not parts:
        raise ContainerError("WebP animation frame has no image data")
    return _chunk(b"ANMF", bytes(payload[:_ANMF_HEADER]) + b"".join(parts))


def rewrite(
    data: bytes,
    *,
    max_icc: int = MAX_ICC_BYTES,
    max_side: int | None = None,
    max_pixels: int | None = None,
    max_frames: int | None = None,
    max_total_pixels: int | None = None,
) -> Rewritten:
    """Rewrite a WebP as described in the module docstring; raise ContainerError if broken.

    LimitExceeded as soon as a limit (see the module docstring) is exceeded.
    """
    if not is_webp(data):
        raise ContainerError("not a WebP file")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = 8 + riff_size
    if riff_size < 4 or end > len(data):
        raise ContainerError("WebP is truncated")
    view = memoryview(data)
    header: bytearray | None = None
    canvas = (0, 0)
    kept: list[bytes] = []
    icc_kept = False
    orientation = 1
    exif_seen = False
    images = frames = 0
    for kind, payload in _chunks(view, 12, end):
        if not kept and header is None and kind not in (b"VP8X", *_IMAGE):
            raise ContainerError("WebP does not start with an image or VP8X chunk")
        if kind == b"VP8X":
            if header is not None or kept or len(payload) < 10:
                raise ContainerError("WebP chunk structure is broken")
            header = bytearray(payload[:10])
            canvas = (_u24(payload, 4) + 1, _u24(payload, 7) + 1)
            check_size(*canvas, max_side=max_side, max_pixels=max_pixels)
        elif kind in _KEEP:
            if kind in _IMAGE:
                images += 1
                size = bitstream_size(kind, payload)
                if header is None:  # simple format: the bitstream is the whole picture
                    check_size(*size, max_side=max_side, max_pixels=max_pixels)
                else:
                    _inside(size, canvas, "image", "canvas")
            kept.append(_chunk(kind, payload))
        elif kind == b"ANMF":
            if header is None:
                raise ContainerError("WebP animation frame outside an extended file")
            frames += 1
            if max_frames is not None and frames > max_frames:
                raise too_many_frames(max_frames)
            if max_total_pixels is not None and canvas[0] * canvas[1] * frames > max_total_pixels:
                raise animation_too_large(frames, *canvas)
            kept.append(_frame(payload, canvas, frames))
        elif kind == b"ICCP":
            if len(payload) <= max_icc:
                icc_kept = True
                kept.append(_chunk(kind, payload))
        elif kind == b"EXIF" and not exif_seen:
            exif_seen = True
            orientation = exif.read_orientation(exif.strip_exif_header(bytes(payload)))
    if images == 0 and frames == 0:
        raise ContainerError("WebP has no image data")
    if header is None:
        # Simple format: one VP8/VP8L chunk. It cannot carry EXIF, so nothing to write back.
        orientation = 1
        head = b""
        kept = [part for part in kept if part[:4] in _IMAGE]
    else:
        flags = header[0] & (_ALPHA_FLAG | _ANIMATION_FLAG)
        if icc_kept:
            flags |= _ICC_FLAG
        if orientation != 1:
            flags |= _EXIF_FLAG
            kept.append(_chunk(b"EXIF", exif.orientation_only(orientation)))
        header[0] = flags
        header[1:4] = b"\x00\x00\x00"
        head = _chunk(b"VP8X", bytes(header))
    body = b"".join([head, *kept])
    out = b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body
    return Rewritten(data=out, orientation=orientation, frames=frames or None)

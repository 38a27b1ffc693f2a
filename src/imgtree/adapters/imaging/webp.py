"""WebP sanitising at the RIFF chunk level: no pixel is decoded or re-encoded here.

Kept: VP8X (flags fixed up), ICCP unless larger than `max_icc`, ANIM, ANMF (rebuilt with
only its ALPH/VP8/VP8L sub-chunks), ALPH, VP8 and VP8L. Dropped: EXIF, XMP, unknown
chunks and anything after the RIFF size. The RIFF size is recomputed. A non-1 EXIF
orientation is written back as an EXIF chunk holding only that tag.

Why not re-encode with Pillow: lossy WebP would lose quality each generation, lossless
WebP is slow to encode, and animations would need every frame decoded and re-encoded. The
chunk rewrite is exact and keeps frame timing, blending and looping untouched.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from imgtree.adapters.imaging import exif
from imgtree.adapters.imaging.container import MAX_ICC_BYTES, ContainerError, Rewritten

_IMAGE = (b"VP8 ", b"VP8L")
_FRAME_PARTS = frozenset({b"ALPH", b"VP8 ", b"VP8L"})
_KEEP = frozenset({b"ANIM", *_FRAME_PARTS})
# VP8X flag bits (first payload byte): ICC, alpha, EXIF, XMP, animation
_ICC_FLAG, _ALPHA_FLAG, _EXIF_FLAG, _XMP_FLAG, _ANIMATION_FLAG = 0x20, 0x10, 0x08, 0x04, 0x02
_ANMF_HEADER = 16  # frame position, size, duration and flags before the sub-chunks


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


def _frame(payload: memoryview) -> bytes:
    if len(payload) < _ANMF_HEADER:
        raise ContainerError("WebP animation frame is truncated")
    parts = [
        _chunk(kind, body)
        for kind, body in _chunks(payload, _ANMF_HEADER, len(payload))
        if kind in _FRAME_PARTS
    ]
    if not parts:
        raise ContainerError("WebP animation frame has no image data")
    return _chunk(b"ANMF", bytes(payload[:_ANMF_HEADER]) + b"".join(parts))


def rewrite(data: bytes, *, max_icc: int = MAX_ICC_BYTES) -> Rewritten:
    """Rewrite a WebP as described in the module docstring; raise ContainerError if broken."""
    if not is_webp(data):
        raise ContainerError("not a WebP file")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = 8 + riff_size
    if riff_size < 4 or end > len(data):
        raise ContainerError("WebP is truncated")
    view = memoryview(data)
    header: bytearray | None = None
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
        elif kind in _KEEP:
            images += kind in _IMAGE
            kept.append(_chunk(kind, payload))
        elif kind == b"ANMF":
            frames += 1
            kept.append(_frame(payload))
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

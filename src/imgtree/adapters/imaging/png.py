"""PNG (and APNG) sanitising at the chunk level: no pixel is decoded or re-encoded here.

Every chunk's CRC is checked. Kept: the critical chunks (IHDR, PLTE, IDAT, IEND), the
ancillary chunks that change how pixels look (tRNS, gAMA, cHRM, sRGB, iCCP unless its
profile inflates beyond `max_icc`, cICP, mDCv, cLLi, sBIT, bKGD, pHYs) and the APNG chunks
(acTL, fcTL, fdAT). Dropped: text (tEXt, zTXt, iTXt), eXIf, tIME and every other ancillary
chunk, and anything after IEND. An unknown critical chunk makes the file invalid, as the
PNG specification requires of decoders. A non-1 EXIF orientation is written back as an
eXIf chunk holding only that tag, so the picture is still shown the right way up.

Structural limits, checked while walking (before a chunk's CRC is even computed):

- IHDR must be 13 bytes and declare at least 1x1, within `max_side` and `max_pixels`;
- at most `MAX_CHUNKS` (10 000) chunks. Every chunk costs a round of Python here and in
  Pillow's chunk reader however small it is, and a 20 MiB upload holds 1.7 million empty
  12-byte chunks. Real files need far fewer: an APNG at the 1000-frame limit has about two
  chunks per frame (fcTL + fdAT), and libpng splits image data into 8 KiB IDAT chunks, so a
  20 MiB PNG from it has about 2 600; encoders that split into 4 KiB chunks still fit;
- at most `MAX_ANCILLARY_BYTES` (8 MiB) of ancillary chunks in total, kept or dropped
  (text, ICC, EXIF, unknown chunks; not fdAT, which is image data): metadata that large is
  no picture's business, while the hostile corpus's 3 MiB tEXt and 2 MiB iCCP still pass.

Over either count, LimitExceeded.
"""

from __future__ import annotations

import struct
import zlib

from imgtree.adapters.imaging import exif, stream
from imgtree.adapters.imaging.container import (
    MAX_ICC_BYTES,
    ContainerError,
    LimitExceeded,
    Rewritten,
    check_size,
)

SIGNATURE = b"\x89PNG\r\n\x1a\n"

_KEEP = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"IDAT",
        b"IEND",
        b"tRNS",
        b"gAMA",
        b"cHRM",
        b"sRGB",
        b"cICP",
        b"mDCv",
        b"cLLi",
        b"sBIT",
        b"bKGD",
        b"pHYs",
        b"acTL",
        b"fcTL",
        b"fdAT",
    }
)
_MAX_CHUNK = (1 << 31) - 1  # the specification's limit on a chunk length
MAX_CHUNKS = 10_000  # see the module docstring
MAX_ANCILLARY_BYTES = 8 << 20
_IMAGE_DATA = frozenset({b"IDAT", b"fdAT"})


def chunk(kind: bytes, body: bytes) -> bytes:
    """One complete chunk: length, type, data and CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _icc_fits(src: stream.Reader, pos: int, n: int, max_icc: int) -> bool:
    # iCCP at `pos`, `n` bytes: profile name (1-79 bytes), NUL, compression method, zlib
    # stream. Inflating at most max_icc + 1 bytes keeps a zip bomb from costing more than
    # that; the stream is fed a window at a time.
    name_end = src.take(pos, min(n, 80)).find(b"\x00")
    if name_end < 1 or name_end + 2 > n:
        return False
    inflater = zlib.decompressobj()
    size = 0
    at, end = pos + name_end + 2, pos + n
    try:
        while at < end:
            piece = src.take(at, min(end - at, stream.CHUNK))
            size += len(inflater.decompress(piece, max_icc + 1 - size))
            if size > max_icc:
                return False
            at += len(piece)
    except zlib.error:
        return False
    return 0 < size <= max_icc


def rewrite(
    data: bytes,
    *,
    max_icc: int = MAX_ICC_BYTES,
    max_side: int | None = None,
    max_pixels: int | None = None,
) -> Rewritten:
    """Rewrite a PNG held in memory; see `plan`."""
    return stream.rewrite_in_memory(
        plan, data, max_icc=max_icc, max_side=max_side, max_pixels=max_pixels
    )


def plan(
    src: stream.Reader,
    *,
    max_icc: int = MAX_ICC_BYTES,
    max_side: int | None = None,
    max_pixels: int | None = None,
    max_chunks: int = MAX_CHUNKS,
    max_ancillary_bytes: int = MAX_ANCILLARY_BYTES,
) -> stream.Plan:
    """Plan the rewrite described in the module docstring; raise ContainerError if broken.

    The source is read through `src` in bounded windows (CRCs are computed a window at a
    time); kept chunks are planned as ranges of the source, never copied here. LimitExceeded
    as soon as a limit is exceeded (`max_side`, `max_pixels`: None is unchecked).
    """
    n = src.size
    if not src.startswith(SIGNATURE, 0, n):
        raise ContainerError("not a PNG file")
    pos = len(SIGNATURE)
    kept: list[stream.Piece] = [SIGNATURE]
    orientation = 1
    exif_seen = False
    idat_seen = False
    declared_frames: int | None = None  # from acTL
    frame_controls = 0  # fcTL chunks
    chunks = ancillary = 0
    while True:
        if pos + 12 > n:
            raise ContainerError("PNG is truncated (no IEND chunk)")
        length, kind = struct.unpack(">I4s", src.take(pos, 8))
        if length > _MAX_CHUNK or not kind.isalpha():
            raise ContainerError("PNG chunk structure is broken")
        end = pos + 12 + length
        if end > n:
            raise ContainerError("PNG is truncated")
        chunks += 1
        if chunks > max_chunks:
            raise LimitExceeded(f"PNG has too many chunks: more than {max_chunks:,}")
        if kind[0] & 0x20 and kind not in _IMAGE_DATA:
            ancillary += length
            if ancillary > max_ancillary_bytes:
                raise LimitExceeded(
                    f"PNG metadata is too large: more than {max_ancillary_bytes:,} bytes"
                    " of ancillary chunks"
                )
        (crc,) = struct.unpack(">I", src.take(end - 4, 4))
        if src.crc32(pos + 4, length + 4) != crc:
            raise ContainerError(f"PNG chunk {kind.decode()} is corrupt (CRC mismatch)")
        body = pos + 8  # `length` bytes
        if len(kept) == 1:
            if kind != b"IHDR":
                raise ContainerError("PNG does not start with an IHDR chunk")
            if length != 13:
                raise ContainerError("PNG header chunk (IHDR) is broken")
            width, height = struct.unpack(">II", src.take(body, 8))
            if width < 1 or height < 1:
                raise ContainerError("PNG header declares no pixels")
            check_size(width, height, max_side=max_side, max_pixels=max_pixels)
        elif kind == b"IHDR":  # Pillow would take the second one's size
            raise ContainerError("PNG has more than one IHDR chunk")
        whole = (pos, length + 12)
        pos = end
        if kind in _KEEP:
            idat_seen = idat_seen or kind == b"IDAT"
            if kind == b"acTL" and length >= 4 and declared_frames is None:
                (declared_frames,) = struct.unpack(">I", src.take(body, 4))
            frame_controls += kind == b"fcTL"
            kept.append(whole)
            if kind == b"IEND":
                break
        elif kind == b"iCCP":
            if _icc_fits(src, body, length, max_icc):
                kept.append(whole)
        elif kind == b"eXIf":
            if not exif_seen:
                exif_seen = True
                block = src.take(body, length)
                orientation = exif.read_orientation(exif.strip_exif_header(block))
        elif not kind[0] & 0x20:  # bit 5 of the first letter clear: critical
            raise ContainerError(f"PNG has an unknown critical chunk {kind.decode()}")
    if not idat_seen:
        raise ContainerError("PNG has no image data")
    # Viewers fall back to the still image when these disagree; Pillow would decode only
    # the declared frames and leave the others unverified.
    if declared_frames is not None and declared_frames != frame_controls:
        raise ContainerError("APNG frame count does not match its header")
    if orientation != 1:
        # Right after IHDR: before the image data, where readers look for it.
        kept.insert(2, chunk(b"eXIf", exif.orientation_only(orientation)))
    # Frames are left to Pillow to count: a default image outside the animation is one too.
    return stream.Plan(pieces=kept, orientation=orientation)

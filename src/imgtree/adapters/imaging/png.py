"""PNG (and APNG) sanitising at the chunk level: no pixel is decoded or re-encoded here.

Every chunk's CRC is checked. Kept: the critical chunks (IHDR, PLTE, IDAT, IEND), the
ancillary chunks that change how pixels look (tRNS, gAMA, cHRM, sRGB, iCCP unless its
profile inflates beyond `max_icc`, cICP, mDCv, cLLi, sBIT, bKGD, pHYs) and the APNG chunks
(acTL, fcTL, fdAT). Dropped: text (tEXt, zTXt, iTXt), eXIf, tIME and every other ancillary
chunk, and anything after IEND. An unknown critical chunk makes the file invalid, as the
PNG specification requires of decoders. A non-1 EXIF orientation is written back as an
eXIf chunk holding only that tag, so the picture is still shown the right way up.
"""

from __future__ import annotations

import struct
import zlib

from imgtree.adapters.imaging import exif, stream
from imgtree.adapters.imaging.container import MAX_ICC_BYTES, ContainerError, Rewritten

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


def rewrite(data: bytes, *, max_icc: int = MAX_ICC_BYTES) -> Rewritten:
    """Rewrite a PNG held in memory; see `plan`."""
    planned = plan(stream.reader_for(data), max_icc=max_icc)
    return Rewritten(data=stream.materialise(planned, data), orientation=planned.orientation)


def plan(src: stream.Reader, *, max_icc: int = MAX_ICC_BYTES) -> stream.Plan:
    """Plan the rewrite described in the module docstring; raise ContainerError if broken.

    The source is read through `src` in bounded windows (CRCs are computed a window at a
    time); kept chunks are planned as ranges of the source, never copied here.
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
    while True:
        if pos + 12 > n:
            raise ContainerError("PNG is truncated (no IEND chunk)")
        length, kind = struct.unpack(">I4s", src.take(pos, 8))
        if length > _MAX_CHUNK or not kind.isalpha():
            raise ContainerError("PNG chunk structure is broken")
        end = pos + 12 + length
        if end > n:
            raise ContainerError("PNG is truncated")
        (crc,) = struct.unpack(">I", src.take(end - 4, 4))
        if src.crc32(pos + 4, length + 4) != crc:
            raise ContainerError(f"PNG chunk {kind.decode()} is corrupt (CRC mismatch)")
        if len(kept) == 1 and kind != b"IHDR":
            raise ContainerError("PNG does not start with an IHDR chunk")
        body = pos + 8  # `length` bytes
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

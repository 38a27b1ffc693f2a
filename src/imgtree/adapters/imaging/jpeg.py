"""JPEG sanitising at the marker level: no pixel is decoded or re-encoded here.

The rewrite copies SOI..EOI and keeps only what decoding and faithful display need: the
tables (DQT, DHT, DAC), frame and scan headers (SOFn, SOS) with their entropy-coded data
(RSTn markers inside it included), DRI, DNL, a JFIF APP0 without its embedded thumbnail,
ICC profile APP2 chunks (unless together larger than `max_icc`) and the Adobe APP14 (it says
how to read the colour transform of CMYK/YCCK files). EXIF and XMP (APP1), IPTC/Photoshop
(APP13), comments and every other APPn are dropped; so are secondary images and anything
else after the first EOI. When the EXIF orientation was not 1, a minimal APP1 holding only
the orientation tag is written so that viewers keep showing the picture the right way up.

Re-encoding would cost a full decode and encode and a generation of quality loss; the
marker walk is linear in the file and mostly spent in one regex scan of the entropy data.
"""

from __future__ import annotations

import re
import struct

from imgtree.adapters.imaging import exif, stream
from imgtree.adapters.imaging.container import MAX_ICC_BYTES, ContainerError, Rewritten

SIGNATURE = b"\xff\xd8\xff"

_SOI, _EOI, _SOS, _TEM = 0xD8, 0xD9, 0xDA, 0x01
_RST = range(0xD0, 0xD8)
# SOF0-15 minus DHT (C4), JPG (C8) and DAC (CC)
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# tables and scan-structure segments every decoder needs: DHT, DAC, DQT, DNL, DRI
_TABLES = frozenset({0xC4, 0xCC, 0xDB, 0xDC, 0xDD})
_APP0, _APP1, _APP2, _APP14 = 0xE0, 0xE1, 0xE2, 0xEE
_ICC_HEADER = b"ICC_PROFILE\x00"  # then chunk number and chunk count, one byte each
# In entropy-coded data 0xFF is followed by 0x00 (stuffing), RSTn or more 0xFF (fill);
# any other byte after 0xFF is the marker that ends the scan.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _segment(code: int, payload: bytes) -> bytes:
    return bytes((0xFF, code)) + struct.pack(">H", len(payload) + 2) + payload


def _jfif_without_thumbnail(payload: bytes) -> bytes | None:
    # JFIF\0, version (2), units (1), densities (2+2) = 12 bytes; then the thumbnail size
    # (2 bytes) and its RGB pixels, which may show what the picture was before an edit.
    if len(payload) < 14:
        return None
    return _segment(_APP0, payload[:12] + b"\x00\x00")


def rewrite(data: bytes, *, max_icc: int = MAX_ICC_BYTES) -> Rewritten:
    """Rewrite a JPEG held in memory; see `plan`."""
    planned = plan(stream.reader_for(data), max_icc=max_icc)
    return Rewritten(data=stream.materialise(planned, data), orientation=planned.orientation)


def plan(src: stream.Reader, *, max_icc: int = MAX_ICC_BYTES) -> stream.Plan:
    """Plan the rewrite described in the module docstring; raise ContainerError if broken.

    The source is read through `src` in bounded windows; the kept segments and the
    entropy-coded data are planned as ranges of the source, never copied here.
    """
    n = src.size
    if not src.startswith(SIGNATURE, 0, n):
        raise ContainerError("not a JPEG file")
    pos = 2
    body: list[stream.Piece] = []  # decoding segments, in their original order
    jfif: bytes | None = None
    adobe: tuple[int, int] | None = None
    icc: list[tuple[int, int]] = []
    icc_size = 0
    orientation = 1
    exif_seen = False
    frame_seen = False
    scans = 0
    while True:
        if pos >= n:
            raise ContainerError("JPEG is truncated (no end-of-image marker)")
        if src.take(pos, 1)[0] != 0xFF:
            raise ContainerError("JPEG segment structure is broken")
        pos = src.skip(pos, 0xFF)  # fill bytes may precede any marker
        if pos >= n:
            raise ContainerError("JPEG is truncated (no end-of-image marker)")
        code = src.take(pos, 1)[0]
        pos += 1
        if code == _EOI:
            break
        if code in _RST or code == _TEM:  # stray standalone markers carry nothing
            continue
        if code in (_SOI, 0x00):
            raise ContainerError("JPEG segment structure is broken")
        if pos + 2 > n:
            raise ContainerError("JPEG is truncated")
        (length,) = struct.unpack(">H", src.take(pos, 2))
        end = pos + length
        if length < 2:
            raise ContainerError("JPEG segment structure is broken")
        if end > n:
            raise ContainerError("JPEG is truncated")
        segment = (pos - 2, length + 2)
        start = pos + 2  # of the payload
        pos = end
        if code in _SOF:
            frame_seen = True
            body.append(segment)
        elif code in _TABLES:
            body.append(segment)
        elif code == _SOS:
            if not frame_seen:
                raise ContainerError("JPEG scan comes before its frame header")
            scan_end = src.search(_SCAN_END, pos)
            if scan_end is None:
                raise ContainerError("JPEG is truncated (no end-of-image marker)")
            body.append(segment)
            body.append((pos, scan_end - pos))
            pos = scan_end
            scans += 1
        elif code == _APP0:
            if jfif is None and src.startswith(b"JFIF\x00", start, end):
                jfif = _jfif_without_thumbnail(src.take(start, end - start))
        elif code == _APP1:
            # Only the first EXIF block counts, as for browsers and Pillow.
            if not exif_seen and src.startswith(b"Exif\x00\x00", start, end):
                exif_seen = True
                orientation = exif.read_orientation(src.take(start + 6, end - start - 6))
        elif code == _APP2:
            if src.startswith(_ICC_HEADER, start, end):
                icc.append(segment)
                icc_size += end - start - len(_ICC_HEADER) - 2
        elif code == _APP14 and adobe is None and src.startswith(b"Adobe", start, end):
            adobe = segment
        # Everything else (other APPn, COM, JPGn, reserved markers) is dropped.
    if scans == 0:
        raise ContainerError("JPEG has no image data")
    head: list[stream.Piece] = [b"\xff\xd8"]
    if jfif is not None:
        head.append(jfif)
    if orientation != 1:
        head.append(exif.jpeg_app1(orientation))
    if icc_size <= max_icc:
        head.extend(icc)
    if adobe is not None:
        head.append(adobe)
    return stream.Plan(pieces=[*head, *body, b"\xff\xd9"], orientation=orientation)

"""JPEG sanitising at the marker level: no pixel is decoded or re-encoded here.

The rewrite copies SOI..EOI and keeps only what decoding and faithful display need: the
tables (DQT, DHT), frame and scan headers (SOFn, SOS) with their entropy-coded data
(RSTn markers inside it included), DRI, DNL, a JFIF APP0 without its embedded thumbnail,
ICC profile APP2 chunks (unless together larger than `max_icc`) and the Adobe APP14 (it says
how to read the colour transform of CMYK/YCCK files). EXIF and XMP (APP1), IPTC/Photoshop
(APP13), comments and every other APPn are dropped; so are secondary images and anything
else after the first EOI. When the EXIF orientation was not 1, a minimal APP1 holding only
the orientation tag is written so that viewers keep showing the picture the right way up.

Re-encoding would cost a full decode and encode and a generation of quality loss; the
marker walk is linear in the file and mostly spent in one regex scan of the entropy data.

Accepted variants: baseline and progressive Huffman JPEGs, that is one frame header SOF0,
SOF1 or SOF2 with 8-bit samples. Lossless (SOF3), hierarchical (SOF5-7, DHP, EXP),
arithmetic-coded (SOF9-11, SOF13-15) and 12/16-bit files are UnsupportedVariant: browsers
do not show them, and they are rare decoder paths better left unreached. DAC segments
(arithmetic-coding tables) are therefore meaningless and dropped.

Structural limits, checked while walking: the frame header declares at least 1x1 (no DNL
heights), within `max_side` and `max_pixels`; and the number of scans (SOS segments) is
capped. A progressive scan can be a few dozen bytes (end-of-band runs cover 32 767 blocks
per code) while libjpeg still visits every block of its component, and a refinement scan
over the whole band checks all 63 coefficients of each block, so a 400 KB file can carry
thousands of scans over a 49 MP frame. Measured on the 2-core build machine (libjpeg-turbo
through Pillow 13, `PillowImageProcessor().process`, a 7000x7000 progressive JPEG whose last
AC refinement scan is repeated): 10 scans 0.28 s CPU (4:2:0) / 0.59 s (4:4:4); each extra
full-band scan costs 33-41 ms, i.e. about 0.84 ns per pixel (50 scans 1.7 s, 100 scans
3.0 s, 200 scans 7.2 s, 1000 scans 34 s). Real encoders write few scans: libjpeg's simple
progression writes 10 for YCbCr colour, 6 for grey, 14 for other 3-component files and 18
for CMYK (10, 6 and 18 checked here), mozjpeg's and jpegli's progressions are of the same
order, and a baseline file has at most one scan per component. So a file may have at most
`min(MAX_SCANS, max(MIN_SCANS, MAX_SCAN_PIXELS // (width * height)))` scans: 100 up to
10 MP, 20 at the default 50 MP limit, which keeps the scan work at about 1e9 x 0.84 ns,
under 1 s on top of the plain decode. Measured worst cases at the cap, whole `process`:
7071x7071 4:4:4 with 20 scans 1.01 s CPU, 7000x7000 CMYK with 20 scans 0.82 s, 3162x3162
with 100 scans 0.76 s; the 21st scan is refused before its data is read.
`MIN_SCANS` keeps libjpeg's colour progression decodable when an operator raises the pixel
limit past 100 MP. libjpeg-turbo's TurboJPEG API has a scan limit for the same attack;
Pillow uses the libjpeg API, which has none.
"""

from __future__ import annotations

import re
import struct

from imgtree.adapters.imaging import exif, stream
from imgtree.adapters.imaging.container import (
    MAX_ICC_BYTES,
    ContainerError,
    LimitExceeded,
    Rewritten,
    UnsupportedVariant,
    check_size,
)

SIGNATURE = b"\xff\xd8\xff"

_SOI, _EOI, _SOS, _TEM = 0xD8, 0xD9, 0xDA, 0x01
_RST = range(0xD0, 0xD8)
# Frame headers: SOF0 (baseline), SOF1 (extended sequential), SOF2 (progressive), Huffman
_SOF = frozenset({0xC0, 0xC1, 0xC2})
# every other SOFn (C0-CF minus DHT C4, JPG C8, DAC CC), and DHP / EXP, by what they code
_REFUSED = {
    0xC3: "lossless",
    0xC5: "hierarchical",
    0xC6: "hierarchical",
    0xC7: "hierarchical lossless",
    0xC9: "arithmetic-coded",
    0xCA: "arithmetic-coded",
    0xCB: "arithmetic-coded lossless",
    0xCD: "arithmetic-coded hierarchical",
    0xCE: "arithmetic-coded hierarchical",
    0xCF: "arithmetic-coded hierarchical",
    0xDE: "hierarchical",  # DHP
    0xDF: "hierarchical",  # EXP
}
_DAC = 0xCC  # arithmetic-coding conditioning tables: meaningless for Huffman files, dropped
# tables and scan-structure segments every decoder needs: DHT, DQT, DNL, DRI
_TABLES = frozenset({0xC4, 0xDB, 0xDC, 0xDD})
MAX_SCANS = 100  # see the module docstring
MIN_SCANS = 10
MAX_SCAN_PIXELS = 1_000_000_000  # scans x frame pixels
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


def _unsupported(what: str) -> UnsupportedVariant:
    return UnsupportedVariant(
        f"Unsupported JPEG variant: {what} (only baseline and progressive JPEGs are accepted)"
    )


def allowed_scans(
    pixels: int,
    *,
    max_scans: int = MAX_SCANS,
    max_scan_pixels: int = MAX_SCAN_PIXELS,
) -> int:
    """How many scans a frame of `pixels` pixels may have (see the module docstring)."""
    return min(max_scans, max(MIN_SCANS, max_scan_pixels // max(pixels, 1)))


def _frame_size(payload: bytes, *, max_side: int | None, max_pixels: int | None) -> tuple[int, int]:
    """Width and height from a SOF payload: precision, height, width, components."""
    if len(payload) < 6 or payload[5] < 1 or len(payload) < 6 + 3 * payload[5]:
        raise ContainerError("JPEG frame header is broken")
    precision, height, width = struct.unpack_from(">BHH", payload)
    if precision != 8:
        raise _unsupported(f"{precision}-bit samples")
    if width < 1 or height < 1:
        raise ContainerError("JPEG frame header declares no pixels")
    check_size(width, height, max_side=max_side, max_pixels=max_pixels)
    return width, height


def rewrite(
    data: bytes,
    *,
    max_icc: int = MAX_ICC_BYTES,
    max_side: int | None = None,
    max_pixels: int | None = None,
) -> Rewritten:
    """Rewrite a JPEG held in memory; see `plan`."""
    return stream.rewrite_in_memory(
        plan, data, max_icc=max_icc, max_side=max_side, max_pixels=max_pixels
    )


def plan(
    src: stream.Reader,
    *,
    max_icc: int = MAX_ICC_BYTES,
    max_side: int | None = None,
    max_pixels: int | None = None,
    max_scans: int = MAX_SCANS,
    max_scan_pixels: int = MAX_SCAN_PIXELS,
) -> stream.Plan:
    """Plan the rewrite described in the module docstring; raise ContainerError if broken.

    The source is read through `src` in bounded windows; the kept segments and the
    entropy-coded data are planned as ranges of the source, never copied here.
    UnsupportedVariant for a variant other than baseline or progressive Huffman coding;
    LimitExceeded as soon as a limit is exceeded (`max_side`, `max_pixels`: None is
    unchecked).
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
    size: tuple[int, int] | None = None  # from the frame header
    scans = scan_limit = 0
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
        if code in _REFUSED:
            raise _unsupported(_REFUSED[code])
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
            if size is not None:
                raise ContainerError("JPEG has more than one frame header")
            size = _frame_size(
                src.take(start, end - start), max_side=max_side, max_pixels=max_pixels
            )
            scan_limit = allowed_scans(
                size[0] * size[1], max_scans=max_scans, max_scan_pixels=max_scan_pixels
            )
            body.append(segment)
        elif code in _TABLES:
            body.append(segment)
        elif code == _SOS:
            if size is None:
                raise ContainerError("JPEG scan comes before its frame header")
            if scans == scan_limit:
                raise LimitExceeded(
                    f"JPEG has too many scans: more than {scan_limit} for"
                    f" {size[0]}x{size[1]} pixels"
                )
            scan_end = src.search(_SCAN_END, pos)
            if scan_end is None:
                raise ContainerError("JPEG is truncated (no end-of-image marker)")
            body.append(segment)
            body.append((pos, scan_end - pos))
            pos = scan_end
            scans += 1
        elif scans:
            pass  # decoders read APPn (JFIF, EXIF, ICC, Adobe) before the first scan only
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
        elif code == _APP14 and end - start >= 12 and src.startswith(b"Adobe", start, end):
            adobe = segment  # the last complete one counts, as for libjpeg
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

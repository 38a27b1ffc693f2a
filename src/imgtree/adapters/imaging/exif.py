"""Just enough EXIF (TIFF structure) to read the orientation tag and to write it alone.

Published images keep their orientation so that viewers keep showing them upright, but
nothing else from EXIF survives (GPS, camera serials, maker notes, timestamps).
"""

from __future__ import annotations

import struct

ORIENTATION_TAG = 0x0112
_EXIF_HEADER = b"Exif\x00\x00"
_SHORT, _LONG = 3, 4
_MAX_IFD_ENTRIES = 1024


def strip_exif_header(block: bytes) -> bytes:
    """PNG eXIf and WebP EXIF should hold bare TIFF, but some writers keep the JPEG prefix."""
    return block[len(_EXIF_HEADER) :] if block.startswith(_EXIF_HEADER) else block


def read_orientation(tiff: bytes) -> int:
    """The orientation (1-8) in IFD0 of a TIFF-structured EXIF block; 1 if absent or broken."""
    if len(tiff) < 8:
        return 1
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return 1
    magic, ifd = struct.unpack_from(order + "HI", tiff, 2)
    if magic != 42 or ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack_from(order + "H", tiff, ifd)
    for i in range(min(count, _MAX_IFD_ENTRIES)):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(tiff):
            break
        tag, kind, n = struct.unpack_from(order + "HHI", tiff, entry)
        if tag != ORIENTATION_TAG or n < 1:
            continue
        if kind == _SHORT:
            (value,) = struct.unpack_from(order + "H", tiff, entry + 8)
        elif kind == _LONG:
            (value,) = struct.unpack_from(order + "I", tiff, entry + 8)
        else:
            return 1
        return value if 1 <= value <= 8 else 1
    return 1


def orientation_only(orientation: int) -> bytes:
    """A TIFF-structured EXIF block whose IFD0 holds only the orientation tag."""
    if not 1 <= orientation <= 8:
        raise ValueError(f"orientation must be 1-8, not {orientation}")
    return (
        b"MM\x00\x2a"
        + struct.pack(">I", 8)  # IFD0 right after the header
        + struct.pack(">H", 1)
        + struct.pack(">HHIHH", ORIENTATION_TAG, _SHORT, 1, orientation, 0)
        + struct.pack(">I", 0)  # no next IFD
    )


def jpeg_app1(orientation: int) -> bytes:
    """A complete JPEG APP1 segment carrying `orientation_only(orientation)`."""
    payload = _EXIF_HEADER + orientation_only(orientation)
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload

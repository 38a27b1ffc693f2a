"""Fuzz target: the EXIF orientation reader (`exif.read_orientation`, `strip_exif_header`).

Run: python -m tests.fuzz.exif [libFuzzer args] (see `make fuzz`). No exception at all may
escape; the orientation is always 1-8, the "Exif" prefix is stripped exactly once, and a
non-1 orientation survives the one-tag block the walkers write back.
"""

from __future__ import annotations

import atheris

from tests.fuzz import harness

with atheris.instrument_imports(include=["imgtree"]):
    from imgtree.adapters.imaging import exif

_PREFIX = b"Exif\x00\x00"


def TestOneInput(data: bytes) -> None:
    orientation = exif.read_orientation(data)
    assert type(orientation) is int and 1 <= orientation <= 8, f"orientation {orientation!r}"
    stripped = exif.strip_exif_header(data)
    assert stripped == (data[len(_PREFIX) :] if data.startswith(_PREFIX) else data)
    assert exif.strip_exif_header(_PREFIX + data) == data
    assert exif.read_orientation(exif.strip_exif_header(_PREFIX + data)) == orientation
    if orientation != 1:
        assert exif.read_orientation(exif.orientation_only(orientation)) == orientation
        segment = exif.jpeg_app1(orientation)
        assert exif.read_orientation(segment[4 + len(_PREFIX) :]) == orientation


if __name__ == "__main__":
    harness.main(TestOneInput)

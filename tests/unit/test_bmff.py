"""The ISO-BMFF sniffing and box walk (adapters/imaging/bmff.py), without any decoder."""

from __future__ import annotations

import struct

import pytest

from imgtree.adapters.imaging import bmff
from imgtree.adapters.imaging.container import ContainerError, LimitExceeded
from imgtree.domain.model import ImageFormat
from tests.hostile import corpus
from tests.support import imagegen


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (ftyp(b"heic", b"mif1", b"heic"), ImageFormat.HEIC),
        (ftyp(b"heix", b"mif1"), ImageFormat.HEIC),
        (ftyp(b"hevc", b"msf1"), ImageFormat.HEIC),
        (ftyp(b"mif1", b"heic"), ImageFormat.HEIF),
        (ftyp(b"msf1"), ImageFormat.HEIF),
        (ftyp(b"avif", b"mif1"), ImageFormat.AVIF),
        (ftyp(b"avis", b"msf1"), ImageFormat.AVIF),
        (ftyp(b"mif1", b"miaf", b"avif"), ImageFormat.AVIF),
        (ftyp(b"isom", b"mp41"), None),  # an MP4 video
        (ftyp(b"qt  "), None),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", None),  # JPEG 2000
    ],
)
def test_brand(head: bytes, expected: ImageFormat | None) -> None:
    assert bmff.brand(head) is expected


def test_a_real_heic_declares_its_size() -> None:
    # the largest declared item: the coded picture, which x265 may pad (64x48 -> 64x64)
    width, height = bmff.check(imagegen.heic(64, 48))
    assert width == 64 and 48 <= height <= 64
    assert bmff.check(imagegen.avif(64, 48)) == (64, 48)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (corpus.heic, ContainerError),
        (corpus.heic_truncated, ContainerError),
        (corpus.heic_box_size_zero_nested, ContainerError),
        (corpus.heic_box_size_one_huge, ContainerError),
        (corpus.heic_depth_bomb, LimitExceeded),
        (corpus.heic_ispe_bomb, LimitExceeded),
        (corpus.heic_tiles, LimitExceeded),
    ],
)
def test_hostile_trees_are_refused(make: object, error: type[Exception]) -> None:
    assert callable(make)
    with pytest.raises(error):
        bmff.check(make(), max_side=16_384, max_pixels=50_000_000, max_total_pixels=200_000_000)


def test_all_parts_together_are_bounded() -> None:
    """Many tiles each within the limits, together over the total: refused before decoding."""
    ispe = corpus._ispe(4000, 4000)
    data = corpus._heic_meta(corpus._box(b"iprp", corpus._box(b"ipco", ispe * 20)))
    with pytest.raises(LimitExceeded, match="parts declare"):
        bmff.check(data, max_pixels=50_000_000, max_total_pixels=200_000_000)

"""Inputs the fuzz targets found, kept in the seed corpora, checked here by name as well."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from imgtree.adapters.imaging import gif, jpeg, webp
from imgtree.adapters.imaging.container import ContainerError
from tests.fuzz import harness

CORPUS = Path(__file__).parent / "corpus"


def _rgb(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB").tobytes()


def test_jpeg_adobe_segment_after_the_first_scan_is_dropped() -> None:
    # No JFIF; an Adobe APP14 (transform 0: RGB) only after the scan, where decoders no
    # longer read it. Moved to the header it turned YCbCr into RGB: other colours.
    data = (CORPUS / "jpeg" / "regression-adobe-after-first-scan.jpg").read_bytes()
    rewritten = jpeg.rewrite(data)
    assert b"Adobe" not in rewritten.data
    assert _rgb(rewritten.data) == _rgb(data)
    harness.same_pixels(data, rewritten.data, "JPEG")


def test_jpeg_exif_after_the_first_scan_does_not_orient() -> None:
    data = (CORPUS / "jpeg" / "regression-exif-after-first-scan.jpg").read_bytes()
    rewritten = jpeg.rewrite(data)
    assert rewritten.orientation == 1
    assert b"Exif" not in rewritten.data


def test_webp_truncated_lossless_bitstream_is_not_a_pixel_mismatch() -> None:
    # libwebp decodes a VP8L bitstream one byte short of its (odd-sized) chunk from the pad
    # byte; the walker writes the pad as 0, as the format requires. The original's pixels
    # depend on that pad, so the differential skips it (see harness.webp_canonical).
    data = (CORPUS / "webp" / "regression-vp8l-reads-pad-byte.webp").read_bytes()
    rewritten = webp.rewrite(data)
    assert _rgb(data) != _rgb(harness.webp_canonical(data))
    assert _rgb(rewritten.data) == _rgb(harness.webp_canonical(data))
    harness.same_pixels(data, rewritten.data, "WEBP")


def test_jpeg_keeps_the_last_complete_adobe_segment() -> None:
    # libjpeg takes the colour transform from the last Adobe APP14 of at least 12 payload
    # bytes; the walker kept the first: transform 1 then 0 decoded as YCbCr, not RGB.
    for name in ("regression-two-adobe-segments.jpg", "regression-short-adobe-segment-last.jpg"):
        data = (CORPUS / "jpeg" / name).read_bytes()
        rewritten = jpeg.rewrite(data)
        assert rewritten.data.count(b"Adobe") == 1, name
        assert _rgb(rewritten.data) == _rgb(data), name


def test_gif_extension_without_data_is_refused() -> None:
    # `!\x01\x00` (a plain-text extension with no sub-block): Pillow reads the next block's
    # introducer as a sub-block length and swallows the frame after it, while the rewrite
    # (which drops plain text) kept that frame: the published file decoded differently.
    data = (CORPUS / "gif" / "regression-empty-plain-text-extension.gif").read_bytes()
    with pytest.raises(ContainerError, match="extension block is empty"):
        gif.rewrite(data)

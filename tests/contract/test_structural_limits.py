"""imgtree's own structural limits, enforced by the container walkers before any decoding.

Every hostile file is built here by code. Besides the error type and message, each test
shows that the walk stopped at the first block over a limit: what follows that block is
broken on purpose (truncated, bad CRC, junk), so a walk that went on would fail differently.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from imgtree.adapters.imaging import PillowImageProcessor, exif, gif, jpeg, png, stream, webp
from imgtree.adapters.imaging.container import (
    MAX_SIDE,
    ContainerError,
    LimitExceeded,
    UnsupportedVariant,
)
from imgtree.domain.errors import InvalidImage, UnsupportedMediaType
from imgtree.domain.model import ImageFormat
from tests.support import imagegen

MiB = 1 << 20
SIDE_MESSAGE = "Image is too large: 20000x10 pixels, the limit is 16384 pixels per side"


def process(data: bytes, **limits: int) -> None:
    done = PillowImageProcessor(**limits).process(io.BytesIO(data))
    done.published.close()
    done.thumbnail.close()


def _save(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


# --- GIF --------------------------------------------------------------------------------

_LZW_1x1 = b"\x02\x02D\x01\x00"  # minimum code size 2: clear, index 0, end


def gif_file(
    screen: tuple[int, int], frames: list[tuple[int, int, int, int]], tail: bytes = b";"
) -> bytes:
    """A GIF89a with a 2-colour global table and one image block per (left, top, w, h).

    The LZW data is one pixel whatever the frame size: the walker never decodes it.
    """
    blocks = b"".join(
        b"!\xf9\x04\x00\x01\x00\x00\x00" + b"," + struct.pack("<HHHHB", *rect, 0) + _LZW_1x1
        for rect in frames
    )
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", *screen, 0x80, 0, 0)
        + b"\0\0\0\xff\xff\xff"
        + blocks
        + tail
    )


def test_gif_frame_larger_than_its_screen_is_refused_where_it_starts() -> None:
    # The reported attack: a small screen, then a frame declaring a far larger canvas,
    # which Pillow would have grown its canvas to (2.2 GB RSS for a 125 KB file).
    honest = gif_file((100, 100), [(0, 0, 100, 100)] * 999, tail=b"")
    comment = b"!\xfe" + (b"\xff" + b"C" * 255) * 400 + b"\x00"  # ~100 KB, dropped
    bomb = b"!\xf9\x04\x00\x01\x00\x00\x00," + struct.pack("<HHHHB", 0, 0, 30_000, 30_000, 0)
    data = honest + comment + bomb + _LZW_1x1 + b"\x99 not a block, no trailer"
    assert len(data) > 120_000
    with pytest.raises(ContainerError, match=r"frame 1000 \(30000x30000 at 0,0\) lies outside"):
        gif.rewrite(data)
    with pytest.raises(InvalidImage, match="lies outside its 100x100 logical screen"):
        process(data)


@pytest.mark.parametrize(
    "rect",
    [(1, 0, 100, 100), (0, 1, 100, 100), (99, 0, 2, 1), (0, 99, 1, 2), (65535, 65535, 1, 1)],
)
def test_gif_frame_must_lie_inside_the_screen(rect: tuple[int, int, int, int]) -> None:
    with pytest.raises(ContainerError, match="lies outside"):
        gif.rewrite(gif_file((100, 100), [(0, 0, 100, 100), rect], tail=b""))


def test_gif_frame_exactly_filling_the_screen_is_accepted() -> None:
    done = gif.rewrite(gif_file((100, 100), [(0, 0, 100, 100), (99, 99, 1, 1), (0, 50, 100, 50)]))
    assert done.frames == 3


@pytest.mark.parametrize("screen", [(0, 10), (10, 0)])
def test_gif_empty_screen_is_refused(screen: tuple[int, int]) -> None:
    with pytest.raises(ContainerError, match="no pixels"):
        gif.rewrite(gif_file(screen, [(0, 0, 1, 1)]))


@pytest.mark.parametrize("rect", [(0, 0, 0, 5), (0, 0, 5, 0)])
def test_gif_empty_frame_is_refused(rect: tuple[int, int, int, int]) -> None:
    with pytest.raises(ContainerError, match="frame has no pixels"):
        gif.rewrite(gif_file((10, 10), [rect]))


def test_gif_screen_sides_and_area_are_checked_before_any_block() -> None:
    with pytest.raises(InvalidImage) as raised:
        process(gif_file((20_000, 10), [(0, 0, 1, 1)], tail=b""))
    assert raised.value.message == SIDE_MESSAGE
    with pytest.raises(InvalidImage, match="the limit is 50,000,000 pixels"):
        process(gif_file((10_000, 10_000), [], tail=b""))  # no blocks, no trailer: not read
    with pytest.raises(LimitExceeded):
        gif.rewrite(gif_file((100, 100), []), max_pixels=9_999)


def test_gif_screen_times_frames_stops_at_the_first_frame_over_the_total() -> None:
    # 10 MP screen, 200 MP of total work: the 21st frame is over, whatever follows it.
    frames = [(0, 0, 1, 1)] * 21
    data = gif_file((5000, 2000), frames, tail=b"\x99 junk, no trailer")
    with pytest.raises(LimitExceeded, match="Animation is too large: 21 frames of 5000x2000"):
        gif.rewrite(data, max_total_pixels=200_000_000)
    with pytest.raises(InvalidImage, match="Animation is too large: 21 frames of 5000x2000"):
        process(data)
    assert gif.rewrite(gif_file((5000, 2000), frames[:20]), max_total_pixels=200_000_000)


@settings(max_examples=200, deadline=None)
@given(
    screen=st.tuples(st.integers(1, 64), st.integers(1, 64)),
    rects=st.lists(
        st.tuples(st.integers(0, 70), st.integers(0, 70), st.integers(1, 70), st.integers(1, 70)),
        min_size=1,
        max_size=5,
    ),
)
def test_gif_is_accepted_exactly_when_every_frame_is_inside(
    screen: tuple[int, int], rects: list[tuple[int, int, int, int]]
) -> None:
    data = gif_file(screen, rects)
    inside = all(x + w <= screen[0] and y + h <= screen[1] for x, y, w, h in rects)
    if inside:
        assert gif.rewrite(data).frames == len(rects)
    else:
        with pytest.raises(ContainerError, match="lies outside"):
            gif.rewrite(data)


# --- WebP -------------------------------------------------------------------------------


def _u24(value: int) -> bytes:
    return value.to_bytes(3, "little")


def riff_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


def riff(*chunks: bytes) -> bytes:
    body = b"".join(chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def vp8x(width: int, height: int, flags: int = 0x02) -> bytes:
    return riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + _u24(width - 1) + _u24(height - 1))


def vp8l_1x1() -> bytes:
    """The VP8L chunk of a real 1x1 lossless WebP."""
    data = _save(Image.new("RGB", (1, 1), (250, 40, 20)), "WEBP", lossless=True)
    assert data[12:16] == b"VP8L"
    return data[12:]


def anmf(x: int, y: int, width: int, height: int, image: bytes) -> bytes:
    header = _u24(x // 2) + _u24(y // 2) + _u24(width - 1) + _u24(height - 1) + _u24(80) + b"\0"
    return riff_chunk(b"ANMF", header + image)


ANIM = riff_chunk(b"ANIM", b"\0\0\0\0\0\0")


def test_webp_canvas_sides_and_area() -> None:
    with pytest.raises(InvalidImage) as raised:
        process(riff(vp8x(20_000, 10), ANIM))  # no frames at all: never looked for
    assert raised.value.message == SIDE_MESSAGE
    with pytest.raises(LimitExceeded, match="the limit is 50,000,000 pixels"):
        webp.rewrite(riff(vp8x(10_000, 10_000), ANIM), max_pixels=50_000_000)


@pytest.mark.parametrize(
    ("x", "y", "w", "h"), [(2, 0, 100, 100), (0, 2, 100, 100), (98, 0, 4, 1), (0, 0, 101, 1)]
)
def test_webp_frame_must_lie_inside_the_canvas(x: int, y: int, w: int, h: int) -> None:
    frame = anmf(0, 0, 1, 1, vp8l_1x1())
    data = riff(vp8x(100, 100), ANIM, frame, anmf(x, y, w, h, vp8l_1x1()))
    with pytest.raises(ContainerError, match=f"frame 2 \\({w}x{h} at {x},{y}\\) lies outside"):
        webp.rewrite(data)
    with pytest.raises(InvalidImage, match="lies outside its 100x100 canvas"):
        process(data)


def test_webp_frame_bitstream_must_fit_its_frame() -> None:
    big = _save(Image.new("RGB", (8, 8)), "WEBP", lossless=True)[12:]
    with pytest.raises(ContainerError, match="frame image \\(8x8\\) is larger than its 4x4"):
        webp.rewrite(riff(vp8x(100, 100), ANIM, anmf(0, 0, 4, 4, big)))


def test_webp_frame_without_vp8x_is_refused() -> None:
    with pytest.raises(ContainerError, match="outside an extended file"):
        webp.rewrite(riff(vp8l_1x1(), anmf(0, 0, 1, 1, vp8l_1x1())))


def test_webp_canvas_times_frames_stops_at_the_first_frame_over_the_total() -> None:
    frame = anmf(0, 0, 1, 1, vp8l_1x1())
    data = riff(vp8x(5000, 2000), ANIM, frame * 21) + b"JUNK"  # RIFF size still honest
    with pytest.raises(LimitExceeded, match="Animation is too large: 21 frames of 5000x2000"):
        webp.rewrite(data, max_total_pixels=200_000_000)
    with pytest.raises(InvalidImage, match="Animation is too large: 21 frames of 5000x2000"):
        process(data)
    with pytest.raises(LimitExceeded, match="too many frames: more than 20"):
        webp.rewrite(data, max_frames=20)
    assert webp.rewrite(riff(vp8x(5000, 2000), ANIM, frame * 20)).frames == 20


def test_webp_simple_lossless_bitstream_size_is_checked() -> None:
    bits = (16_384 - 1) | ((16_384 - 1) << 14)
    declared = riff(riff_chunk(b"VP8L", b"\x2f" + struct.pack("<I", bits) + bytes(16)))
    with pytest.raises(LimitExceeded, match="16384x16384 pixels, the limit is 50,000,000"):
        webp.rewrite(declared, max_pixels=50_000_000)
    with pytest.raises(InvalidImage, match="the limit is 50,000,000 pixels"):
        process(declared)
    with pytest.raises(InvalidImage, match="the limit is 1000 pixels per side"):
        process(imagegen.webp(1001, 8, lossless=True), max_side=1000)


def test_webp_simple_lossy_bitstream_size_is_checked() -> None:
    data = bytearray(imagegen.webp(64, 48))
    assert data[12:16] == b"VP8 "
    assert struct.unpack_from("<HH", data, 20 + 6) == (64, 48)
    struct.pack_into("<HH", data, 20 + 6, 16_383, 16_383)
    with pytest.raises(InvalidImage, match="16383x16383 pixels, the limit is 50,000,000"):
        process(bytes(data))
    with pytest.raises(InvalidImage, match="the limit is 60 pixels per side"):
        process(imagegen.webp(64, 48), max_side=60)


def test_webp_broken_bitstream_header_is_refused() -> None:
    with pytest.raises(ContainerError, match="lossless bitstream is broken"):
        webp.rewrite(riff(riff_chunk(b"VP8L", b"\x00" * 10)))
    with pytest.raises(ContainerError, match="lossy bitstream is broken"):
        webp.rewrite(riff(riff_chunk(b"VP8 ", b"\x00" * 10)))


# --- JPEG -------------------------------------------------------------------------------


def segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each segment up to EOI, a scan's entropy data included."""
    out = []
    pos = 2
    while data[pos + 1] != 0xD9:
        code = data[pos + 1]
        end = pos + 2 + struct.unpack_from(">H", data, pos + 2)[0]
        if code == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] not in (0, *range(0xD0, 0xD8))):
                end += 1
        out.append((code, pos, end))
        pos = end
    return out


def with_scans(data: bytes, count: int) -> bytes:
    """`data` with its last scan repeated until it has `count` scans."""
    scans = [(start, end) for code, start, end in segments(data) if code == 0xDA]
    start, end = scans[-1]
    return data[:end] + data[start:end] * (count - len(scans)) + data[end:]


def sof(data: bytes) -> int:
    return next(start for code, start, _ in segments(data) if code == 0xC0 or code == 0xC2)


def patched_sof(data: bytes, *, marker: int | None = None, width: int | None = None,
                height: int | None = None, precision: int | None = None) -> bytes:  # fmt: skip
    out = bytearray(data)
    at = sof(data)
    if marker is not None:
        out[at + 1] = marker
    if precision is not None:
        out[at + 4] = precision
    if height is not None:
        struct.pack_into(">H", out, at + 5, height)
    if width is not None:
        struct.pack_into(">H", out, at + 7, width)
    return bytes(out)


VARIANTS = {
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
}


@pytest.mark.parametrize("marker", sorted(VARIANTS))
def test_jpeg_variants_other_than_baseline_and_progressive_are_415(marker: int) -> None:
    data = patched_sof(imagegen.jpeg(), marker=marker)
    expected = (
        f"Unsupported JPEG variant: {VARIANTS[marker]}"
        " (only baseline and progressive JPEGs are accepted)"
    )
    with pytest.raises(UnsupportedVariant):
        jpeg.rewrite(data)
    for call in (PillowImageProcessor().process, PillowImageProcessor().inspect):
        with pytest.raises(UnsupportedMediaType) as raised:
            call(io.BytesIO(data))
        assert raised.value.message == expected


def test_jpeg_hierarchical_dhp_marker_is_415() -> None:
    data = imagegen.jpeg()
    dhp = b"\xff\xde\x00\x0b\x08\x00\x30\x00\x40\x01\x01\x11\x00"
    with pytest.raises(UnsupportedMediaType, match="Unsupported JPEG variant: hierarchical"):
        process(data[:2] + dhp + data[2:])


@pytest.mark.parametrize("precision", [12, 16])
def test_jpeg_12_and_16_bit_samples_are_415(precision: int) -> None:
    data = patched_sof(imagegen.jpeg(), precision=precision)
    with pytest.raises(UnsupportedMediaType) as raised:
        process(data)
    assert raised.value.message == (
        f"Unsupported JPEG variant: {precision}-bit samples"
        " (only baseline and progressive JPEGs are accepted)"
    )


@pytest.mark.parametrize("progressive", [False, True])
def test_jpeg_baseline_extended_and_progressive_are_accepted(progressive: bool) -> None:
    data = imagegen.jpeg(progressive=progressive)
    process(data)
    if not progressive:
        process(patched_sof(data, marker=0xC1))  # extended sequential, 8-bit: same coding


def test_jpeg_with_two_frame_headers_is_invalid() -> None:
    data = imagegen.jpeg()
    at = sof(data)
    frame = data[at : at + 2 + struct.unpack_from(">H", data, at + 2)[0]]
    with pytest.raises(InvalidImage, match="more than one frame header"):
        process(data[:at] + frame + data[at:])


def test_jpeg_dac_segment_is_dropped() -> None:
    data = imagegen.jpeg()
    dac = b"\xff\xcc\x00\x04\x00\x11"
    at = sof(data)
    done = PillowImageProcessor().process(io.BytesIO(data[:at] + dac + data[at:]))
    published = done.published.read()
    assert published == data
    assert b"\xff\xcc" not in published


def test_jpeg_frame_sides_and_area_in_the_walk() -> None:
    with pytest.raises(InvalidImage) as raised:
        process(patched_sof(imagegen.jpeg(16, 16), width=20_000, height=10))
    assert raised.value.message == SIDE_MESSAGE
    with pytest.raises(LimitExceeded, match="10000x10000 pixels, the limit is 50,000,000"):
        jpeg.rewrite(patched_sof(imagegen.jpeg(16, 16), width=10_000, height=10_000),
                     max_pixels=50_000_000)  # fmt: skip
    with pytest.raises(ContainerError, match="declares no pixels"):
        jpeg.rewrite(patched_sof(imagegen.jpeg(16, 16), height=0))  # a DNL height


def test_jpeg_scan_cap_on_a_small_image() -> None:
    data = imagegen.jpeg(64, 48, progressive=True)
    assert jpeg.allowed_scans(64 * 48) == jpeg.MAX_SCANS == 100
    process(with_scans(data, 100))  # repeated refinement scans: libjpeg only warns
    over = with_scans(data, 101)
    with pytest.raises(InvalidImage) as raised:
        process(over)
    assert raised.value.message == "JPEG has too many scans: more than 100 for 64x48 pixels"


def test_jpeg_scan_cap_shrinks_with_the_frame_and_stops_at_the_first_scan_over() -> None:
    # 49 MP: 20 scans (1e9 scan-pixels), measured at about 1 s of CPU to decode.
    assert jpeg.allowed_scans(7000 * 7000) == 20
    assert jpeg.allowed_scans(50_000_000) == 20
    assert jpeg.allowed_scans(10_000_000) == 100
    assert jpeg.allowed_scans(500_000_000) == jpeg.MIN_SCANS
    data = patched_sof(imagegen.jpeg(64, 48, progressive=True), width=7000, height=7000)
    jpeg.rewrite(with_scans(data, 20))  # the walker decodes nothing: only counts
    over = with_scans(data, 21)
    last = [start for code, start, _ in segments(over) if code == 0xDA][-1]
    header_end = last + 2 + struct.unpack_from(">H", over, last + 2)[0]
    cut = over[:header_end]  # the 21st scan's data is never looked for
    with pytest.raises(LimitExceeded, match="more than 20 for 7000x7000 pixels"):
        jpeg.rewrite(cut)
    with pytest.raises(InvalidImage, match="more than 20 for 7000x7000 pixels"):
        process(cut)


# --- PNG --------------------------------------------------------------------------------


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return png.chunk(kind, body)


def png_file(width: int = 1, height: int = 1, *middle: bytes) -> bytes:
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    idat = png_chunk(b"IDAT", zlib.compress(b"\x00" + b"\x80" * width))
    return png.SIGNATURE + ihdr + b"".join(middle) + idat + png_chunk(b"IEND", b"")


def test_png_header_sides_area_and_shape() -> None:
    with pytest.raises(InvalidImage) as raised:
        process(imagegen.png_declaring(20_000, 10))
    assert raised.value.message == SIDE_MESSAGE
    with pytest.raises(LimitExceeded, match="10000x10000 pixels, the limit is 50,000,000"):
        png.rewrite(imagegen.png_declaring(10_000, 10_000), max_pixels=50_000_000)
    with pytest.raises(ContainerError, match="declares no pixels"):
        png.rewrite(imagegen.png_declaring(0, 10))
    short = png.SIGNATURE + png_chunk(b"IHDR", b"\0" * 12) + png_file()[8:]
    with pytest.raises(ContainerError, match="IHDR"):
        png.rewrite(short)
    second = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 60_000, 60_000, 8, 0, 0, 0, 0))
    with pytest.raises(ContainerError, match="more than one IHDR"):
        png.rewrite(png_file(1, 1, second))


def test_png_chunk_count_stops_at_the_first_chunk_over() -> None:
    empty = png_chunk(b"teXt", b"")
    fine = png_file(1, 1, empty * (png.MAX_CHUNKS - 3))  # + IHDR, IDAT, IEND
    process(fine)
    over = png_file(1, 1, empty * (png.MAX_CHUNKS - 2))
    with pytest.raises(InvalidImage) as raised:
        process(over)
    assert raised.value.message == "PNG has too many chunks: more than 10,000"
    # The 10 001st chunk (IEND) is never checked: corrupt its CRC, same answer.
    corrupt = over[:-4] + b"\xde\xad\xbe\xef"
    with pytest.raises(LimitExceeded, match="too many chunks"):
        png.rewrite(corrupt)


def test_png_chunk_count_spans_a_20_mib_upload_quickly() -> None:
    # 1.7 million empty chunks: the uncapped walk took 3.2 s of CPU; the cap reads 10 001.
    reads: list[int] = []

    class Counting(stream.Reader):
        def take(self, pos: int, n: int) -> bytes:
            reads.append(pos)
            return super().take(pos, n)

    data = png.SIGNATURE + png_file()[8:33] + png_chunk(b"teXt", b"") * (20 * MiB // 12)
    with pytest.raises(LimitExceeded):
        png.plan(Counting(io.BytesIO(data)))
    assert max(reads) < 12 * (png.MAX_CHUNKS + 2)


def test_png_ancillary_bytes_are_capped_kept_and_dropped_together() -> None:
    text = png_chunk(b"tEXt", b"Comment\0" + b"T" * (3 * MiB))
    phys = png_chunk(b"pHYs", b"\0" * 9)  # kept, counted too
    process(png_file(1, 1, text, text, phys))  # just over 6 MiB: accepted
    over = png_file(1, 1, text, text, text)
    with pytest.raises(InvalidImage) as raised:
        process(over)
    assert raised.value.message == (
        "PNG metadata is too large: more than 8,388,608 bytes of ancillary chunks"
    )


def test_png_big_text_and_big_icc_stay_accepted() -> None:
    info = PngInfo()
    info.add_text("Comment", "T" * (3 * MiB))
    process(_save(imagegen.picture(), "PNG", pnginfo=info))
    header = bytearray(128)
    header[0:4] = struct.pack(">I", 2 * MiB)
    header[12:20] = b"mntrRGB "
    header[36:40] = b"acsp"
    icc = bytes(header) + random.Random(42).randbytes(2 * MiB - 128)
    process(_save(imagegen.picture(), "PNG", icc_profile=icc))


def test_png_image_data_does_not_count_as_metadata() -> None:
    def walk(data: bytes) -> stream.Plan:
        return png.plan(stream.reader_for(data), max_ancillary_bytes=0)

    data = png_file(1, 1)
    idat = png_chunk(b"IDAT", b"\0" * 100)  # not valid zlib, but the walk does not inflate
    assert walk(data[:33] + idat * 5 + data[33:])
    with pytest.raises(LimitExceeded, match="more than 0 bytes"):
        walk(png_file(1, 1, png_chunk(b"pHYs", b"\0" * 9)))


# --- every format: the side limit, and Pillow's backstop ----------------------------------


def test_max_side_is_a_keyword_with_a_default() -> None:
    assert PillowImageProcessor().max_side == MAX_SIDE == 16_384
    with pytest.raises(ValueError, match="positive"):
        PillowImageProcessor(max_side=0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: imagegen.jpeg(61, 8),
        lambda: imagegen.png(61, 8),
        lambda: imagegen.gif(8, 61),
        lambda: imagegen.webp(61, 8),
        lambda: imagegen.webp(61, 8, frames=2),
    ],
)
def test_side_limit_in_every_format(make: object) -> None:
    data = make()  # type: ignore[operator]
    for call in (
        PillowImageProcessor(max_side=60).process,
        PillowImageProcessor(max_side=60).inspect,
    ):
        with pytest.raises(InvalidImage, match="the limit is 60 pixels per side"):
            call(io.BytesIO(data))
    process(data, max_side=61)


def test_pillow_backstop_checks_the_side_too() -> None:
    processor = PillowImageProcessor()
    with pytest.raises(InvalidImage) as raised:
        processor._info(Image.new("1", (20_000, 10)), ImageFormat.PNG, 1)
    assert raised.value.message == SIDE_MESSAGE


# --- EXIF: bounded whatever IFD0 claims -----------------------------------------------------


def tiff(ifd_offset: int, count: int, entries: bytes = b"", *, tail: bytes = b"") -> bytes:
    return b"MM\x00\x2a" + struct.pack(">I", ifd_offset) + struct.pack(">H", count) + entries + tail


def test_exif_orientation_reading_is_bounded() -> None:
    orientation = struct.pack(">HHIHH", exif.ORIENTATION_TAG, 3, 1, 6, 0)
    other = struct.pack(">HHIHH", 0x010F, 2, 4, 0, 0)
    assert exif.read_orientation(tiff(8, 1, orientation)) == 6
    # count 65535 with two entries present: stops at the end of the data
    assert exif.read_orientation(tiff(8, 0xFFFF, other + orientation)) == 6
    assert exif.read_orientation(tiff(8, 0xFFFF, other * 3)) == 1
    # past the 1024-entry cap: not looked at, even when present
    assert exif.read_orientation(tiff(8, 0xFFFF, other * 1024 + orientation)) == 1
    # IFD offsets past the end, or pointing back at the header (a loop if followed)
    assert exif.read_orientation(tiff(0xFFFFFFFF, 1, orientation)) == 1
    assert exif.read_orientation(tiff(0, 1, orientation)) == 1
    looped = tiff(8, 1, other, tail=struct.pack(">I", 8))  # next IFD: itself
    assert exif.read_orientation(looped) == 1


@settings(max_examples=300, deadline=None)
@given(
    offset=st.integers(0, 0xFFFFFFFF),
    count=st.integers(0, 0xFFFF),
    body=st.binary(max_size=200),
)
def test_exif_orientation_never_raises(offset: int, count: int, body: bytes) -> None:
    for order in (b"MM\x00\x2a", b"II\x2a\x00"):
        pack = ">" if order[0] == ord("M") else "<"
        data = order + struct.pack(pack + "IH", offset, count) + body
        assert 1 <= exif.read_orientation(data) <= 8

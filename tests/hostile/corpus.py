"""The hostile-input corpus: every file made by code here (no downloads, no fixtures on disk).

Each generator is cached, so the big ones (the 5000-frame animations, the 2 MB ICC profiles,
the zTXt bomb) are built once per test session however many paths and backends use them.
`MARKER` tags everything the sanitiser must drop (metadata, appended payloads), so a test can
search the served bytes for it.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable

import attrs
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from tests.support import imagegen

MARKER = b"IMGTREE-HOSTILE-MARKER"
HTML_TAIL = b"<html><body><script>alert('" + MARKER + b"')</script></body></html>"
MiB = 1 << 20


def _save(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def _riff_chunk(kind: bytes, payload: bytes) -> bytes:
    pad = b"\x00" if len(payload) % 2 else b""
    return kind + struct.pack("<I", len(payload)) + payload + pad


def _riff(chunks: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def _u24(value: int) -> bytes:
    return struct.pack("<I", value)[:3]


# --- not images at all ----------------------------------------------------------------------


def elf() -> bytes:
    """The start of a 64-bit little-endian ELF executable."""
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1) + MARKER


def pe() -> bytes:
    """A DOS stub pointing at a PE header ("MZ" ... "PE\\0\\0")."""
    stub = bytearray(b"MZ" + b"\x00" * 62)
    stub[0x3C:0x40] = struct.pack("<I", 64)
    return bytes(stub) + b"PE\x00\x00" + struct.pack("<HH", 0x8664, 1) + MARKER


def pdf() -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def html_with_gif_magic() -> bytes:
    """Starts like a GIF, is really an HTML page: sniffed as GIF, refused by the rewriter."""
    return b"GIF89a" + HTML_TAIL


def html_with_png_magic() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + HTML_TAIL


# --- structure: truncated and header-only ---------------------------------------------------


@functools.cache
def truncated(kind: str) -> bytes:
    makers: dict[str, Callable[[], bytes]] = {
        "jpeg": lambda: imagegen.jpeg(200, 200),
        "png": lambda: imagegen.png(200, 200),
        "gif": lambda: imagegen.gif(64, 64, frames=3),
        "webp": lambda: imagegen.webp(200, 200),
    }
    return imagegen.truncated(makers[kind]())


HEADER_ONLY = {
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
    "gif": b"GIF89a",
    "webp": b"RIFF\x04\x00\x00\x00WEBP",
}


# --- dimension bombs: tiny files whose headers declare enormous canvases --------------------


def gif_declaring(w: int = 65535, h: int = 65535) -> bytes:
    """A logical screen of w x h with one 1x1 frame in it."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", w, h, 0x80, 0, 0)
        + b"\x00\x00\x00\xff\xff\xff"
        + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


@functools.cache
def jpeg_declaring(w: int = 65500, h: int = 65500) -> bytes:
    """A small real JPEG whose frame header (SOF0) is patched to claim w x h."""
    data = bytearray(imagegen.jpeg(16, 16))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", h, w)
    return bytes(data)


def webp_declaring(w: int = 16384, h: int = 16384) -> bytes:
    """A lossless (VP8L) bitstream header claiming w x h, followed by a few bytes of junk."""
    bits = (w - 1) | ((h - 1) << 14)
    return _riff(_riff_chunk(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\x00" * 16))


@functools.cache
def _one_pixel_vp8l(colour: tuple[int, int, int] = (250, 40, 20)) -> bytes:
    """The VP8L chunk (header included) of a 1x1 lossless WebP."""
    data = _save(Image.new("RGB", (1, 1), colour), "WEBP", lossless=True)
    assert data[12:16] == b"VP8L"
    return data[12:]


def webp_canvas_bomb() -> bytes:
    """An extended WebP (VP8X) whose canvas is 2^24 x 2^24 around a 1x1 image."""
    vp8x = _riff_chunk(b"VP8X", b"\x00\x00\x00\x00" + _u24((1 << 24) - 1) * 2)
    return _riff(vp8x + _one_pixel_vp8l())


# --- frame bombs: thousands of tiny frames, well within the byte limit ----------------------


@functools.cache
def gif_frames(count: int = 5000) -> bytes:
    frame = (
        b"!\xf9\x04\x00\x01\x00\x00\x00"  # graphic control: 10 ms
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00"  # 1x1 at 0,0, no local table
        b"\x02\x02D\x01\x00"  # LZW: clear, index 0, end
    )
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0)
        + b"\x00\x00\x00\xff\xff\xff"
        + b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
        + frame * count
        + b";"
    )


@functools.cache
def webp_frames(count: int = 5000) -> bytes:
    vp8x = _riff_chunk(b"VP8X", b"\x02\x00\x00\x00" + _u24(0) + _u24(0))  # animated, 1x1
    anim = _riff_chunk(b"ANIM", b"\x00\x00\x00\x00\x00\x00")
    frames = [
        _riff_chunk(
            b"ANMF",
            _u24(0) + _u24(0) + _u24(0) + _u24(0) + _u24(10) + b"\x00" + _one_pixel_vp8l(c),
        )
        for c in ((250, 40, 20), (20, 200, 40))
    ]
    return _riff(vp8x + anim + b"".join(frames[i % 2] for i in range(count)))


@functools.cache
def apng_frames(count: int = 1500) -> bytes:
    colours = [Image.new("RGB", (1, 1), c) for c in ((250, 40, 20), (20, 200, 40))]
    rest = [colours[i % 2] for i in range(1, count)]
    return _save(colours[0], "PNG", save_all=True, append_images=rest, duration=10)


# --- oversized metadata (accepted: the metadata goes) ---------------------------------------


@functools.cache
def big_icc(size: int = 2 * MiB) -> bytes:
    """An ICC-shaped blob (RGB colour space, 'acsp' signature) of incompressible bytes."""
    header = bytearray(128)
    header[0:4] = struct.pack(">I", size)
    header[12:20] = b"mntrRGB "
    header[36:40] = b"acsp"
    body = random.Random(42).randbytes(size - 128 - len(MARKER)) + MARKER
    return bytes(header) + body


@functools.cache
def jpeg_big_icc() -> bytes:
    return _save(imagegen.picture(64, 48), "JPEG", quality=85, icc_profile=big_icc())


@functools.cache
def png_big_icc() -> bytes:
    return _save(imagegen.picture(64, 48), "PNG", icc_profile=big_icc())


@functools.cache
def webp_big_icc() -> bytes:
    return _save(imagegen.picture(64, 48), "WEBP", quality=80, icc_profile=big_icc())


@functools.cache
def jpeg_many_comments(total: int = 2 * MiB) -> bytes:
    """A JPEG with ~2 MB of COM segments (each at the 64 KiB segment maximum)."""
    data = imagegen.jpeg(64, 48)
    body = MARKER + b"C" * (65533 - len(MARKER))
    segment = b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body
    return data[:2] + segment * (total // len(segment)) + data[2:]


@functools.cache
def png_huge_text(size: int = 3 * MiB) -> bytes:
    info = PngInfo()
    info.add_text("Comment", (MARKER + b"T" * (size - len(MARKER))).decode())
    return _save(imagegen.picture(64, 48), "PNG", pnginfo=info)


@functools.cache
def png_ztxt_bomb(inflated: int = 64 * MiB) -> bytes:
    """A zTXt chunk that inflates to 64 MiB of NULs (Pillow itself would refuse to read it)."""
    data = imagegen.png(64, 48)
    bomb = imagegen._chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\x00" * inflated, 9))
    iend = data.rfind(b"IEND") - 4
    return data[:iend] + bomb + data[iend:]


@functools.cache
def gif_huge_comment(size: int = 2 * MiB) -> bytes:
    data = imagegen.gif(64, 48)
    payload = MARKER + b"G" * (size - len(MARKER))
    blocks = b"".join(
        bytes([len(payload[i : i + 255])]) + payload[i : i + 255]
        for i in range(0, len(payload), 255)
    )
    comment = b"!\xfe" + blocks + b"\x00"
    return data[:-1] + comment + data[-1:]  # before the trailer


# --- colour models that must be accepted ----------------------------------------------------


def png_raw(w: int, h: int, *, bit_depth: int, colour_type: int) -> bytes:
    """A PNG written by hand (Pillow cannot write 16-bit RGB/RGBA): a gradient, filter 0."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    step = bit_depth // 8
    rows = bytearray()
    for y in range(h):
        rows.append(0)
        for x in range(w):
            value = (x * 65535 // max(1, w - 1)) if step == 2 else (x * 255 // max(1, w - 1))
            sample = value.to_bytes(step, "big")
            for c in range(channels):
                rows += sample if c != channels - 1 or colour_type in (0, 2) else b"\xff" * step
        _ = y
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + imagegen._chunk(b"IHDR", ihdr)
        + imagegen._chunk(b"IDAT", zlib.compress(bytes(rows)))
        + imagegen._chunk(b"IEND", b"")
    )


def cmyk_jpeg() -> bytes:
    return imagegen.cmyk_jpeg(64, 48)


def png16_grey() -> bytes:
    return imagegen.png16(64, 48)


def png16_rgba() -> bytes:
    return png_raw(64, 48, bit_depth=16, colour_type=6)


def png16_rgb() -> bytes:
    return png_raw(64, 48, bit_depth=16, colour_type=2)


# --- polyglots: a real image with something appended ----------------------------------------


@functools.cache
def zip_tail() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("index.html", HTML_TAIL)
    return out.getvalue()


IMAGES: dict[str, Callable[[], bytes]] = {
    "jpeg": lambda: imagegen.jpeg(64, 48),
    "png": lambda: imagegen.png(64, 48),
    "gif": lambda: imagegen.gif(64, 48),
    "webp": lambda: imagegen.webp(64, 48),
}


def with_tail(kind: str, tail: str) -> bytes:
    return IMAGES[kind]() + (HTML_TAIL if tail == "html" else zip_tail())


# --- GIF geometry: frames outside or larger than the logical screen -------------------------


@functools.cache
def _gif_image_data(w: int, h: int) -> tuple[bytes, bytes]:
    """(global colour table, LZW data) of a solid w x h frame, as Pillow encodes it."""
    im = Image.new("P", (w, h), 0)
    im.putpalette([250, 40, 20, 20, 200, 40])
    data = _save(im, "GIF")
    table = 3 << ((data[10] & 0x07) + 1) if data[10] & 0x80 else 0
    pos = 13 + table
    while data[pos] == 0x21:  # extensions before the image
        pos += 2
        while data[pos]:
            pos += 1 + data[pos]
        pos += 1
    assert data[pos] == 0x2C and not data[pos + 9] & 0x80, "expected no local colour table"
    start = end = pos + 10
    end += 1  # LZW minimum code size
    while data[end]:
        end += 1 + data[end]
    return data[13 : 13 + table], data[start : end + 1]


def gif_with(screen: tuple[int, int], frames: list[tuple[int, int, int, int]]) -> bytes:
    """A GIF of a w x h logical screen with frames (left, top, width, height), each solid."""
    table, _ = _gif_image_data(1, 1)
    size_bits = max(0, (len(table) // 3).bit_length() - 2)
    head = b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80 | size_bits, 0, 0) + table
    body = [b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"] if len(frames) > 1 else []
    for left, top, w, h in frames:
        body.append(b"!\xf9\x04\x04\x02\x00\x00\x00")  # 20 ms, keep the previous frame
        body.append(b"," + struct.pack("<HHHHB", left, top, w, h, 0) + _gif_image_data(w, h)[1])
    return head + b"".join(body) + b";"


def gif_frame_outside() -> bytes:
    """A 64x48 screen whose second frame is placed at (200, 200): wholly off the screen."""
    return gif_with((64, 48), [(0, 0, 64, 48), (200, 200, 16, 16)])


def gif_frame_larger() -> bytes:
    """A 16x16 screen holding one 4000x4000 frame (16 MP the header never mentions)."""
    return gif_with((16, 16), [(0, 0, 4000, 4000)])


def gif_growth(count: int = 50, step: int = 120) -> bytes:
    """A 1x1 screen and 1x1 frames each further out: a decoder that grows the canvas to fit
    ends at 5881 x 5881 (35 MP) from a file that declares one pixel."""
    return gif_with((1, 1), [(i * step, i * step, 1, 1) for i in range(count)])


def gif_total_pixels(frames: int, screen: tuple[int, int] = (2000, 1000)) -> bytes:
    """`frames` 1x1 frames on a 2 MP screen: screen x frames is what the decoder paints."""
    return gif_with(screen, [(i % 2000, 0, 1, 1) for i in range(frames)])


def gif_tall(h: int = 20_000) -> bytes:
    return gif_with((1, h), [(0, 0, 1, h)])


# --- WebP geometry -------------------------------------------------------------------------


def webp_frame_outside() -> bytes:
    """An animated 64x64 canvas with a 1x1 ANMF frame at (1000, 1000)."""
    vp8x = _riff_chunk(b"VP8X", b"\x02\x00\x00\x00" + _u24(63) + _u24(63))
    anim = _riff_chunk(b"ANIM", b"\x00\x00\x00\x00\x00\x00")
    frame = _riff_chunk(
        b"ANMF", _u24(500) + _u24(500) + _u24(0) + _u24(0) + _u24(10) + b"\x00" + _one_pixel_vp8l()
    )
    return _riff(vp8x + anim + frame)


# --- JPEG: scans and coding processes ------------------------------------------------------


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each segment up to EOI; a scan's end includes its data."""
    out, pos = [], 2
    while data[pos + 1] != 0xD9:
        code = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if code == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1
        out.append((code, pos, end))
        pos = end
    return out


@functools.cache
def jpeg_progressive() -> bytes:
    """A real progressive JPEG (libjpeg's default script: 10 scans for YCbCr)."""
    return _save(imagegen.picture(256, 192), "JPEG", quality=85, progressive=True)


def jpeg_scans(data: bytes) -> int:
    return sum(code == 0xDA for code, _, _ in _jpeg_segments(data))


@functools.cache
def jpeg_scan_flood(copies: int = 150) -> bytes:
    """The progressive JPEG with its last refinement scan (header + entropy data) repeated,
    so the decoder walks 160 scans of the whole picture."""
    data = jpeg_progressive()
    _, start, end = [s for s in _jpeg_segments(data) if s[0] == 0xDA][-1]
    return data[:end] + data[start:end] * copies + data[end:]


@functools.cache
def jpeg_process(sof: int, *, precision: int = 8, dhp: bool = False) -> bytes:
    """A real baseline JPEG whose SOF0 is relabelled SOFn (and precision), optionally after a
    DHP segment (hierarchical). The coding process is what the upload must be refused for."""
    data = bytearray(imagegen.jpeg(64, 48))
    at = data.find(b"\xff\xc0")
    data[at + 1] = sof
    data[at + 4] = precision
    if dhp:
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        data[at:at] = b"\xff\xde" + data[at + 2 : at + 2 + length]
    return bytes(data)


def jpeg_arithmetic() -> bytes:
    """A real arithmetic-coded JPEG (SOF9), as libjpeg's encoder (jcarith.c) writes it: one
    8x8 grey block of zero coefficients. Its two decisions (DC difference 0, EOB at k=1) leave
    nothing to emit once the QM coder terminates, so the scan's coded data is empty; libjpeg
    decodes it to an 8x8 block of grey 128."""

    def segment(code: int, payload: bytes) -> bytes:
        return bytes((0xFF, code)) + struct.pack(">H", len(payload) + 2) + payload

    return (
        b"\xff\xd8"
        + segment(0xDB, b"\x00" + bytes([1] * 64))  # DQT 0: all ones
        + segment(0xC9, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")  # SOF9
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")  # SOS: 1 component, tables 0/0
        + b"\xff\xd9"
    )


# --- PNG: aspect ratio, iCCP bomb, chunk floods ---------------------------------------------


@functools.cache
def png_row(w: int, h: int = 1) -> bytes:
    return png_raw(w, h, bit_depth=8, colour_type=2)


def _png_insert(data: bytes, chunks: bytes, *, after_ihdr: bool = False) -> bytes:
    at = 8 + 25 if after_ihdr else data.rfind(b"IEND") - 4
    return data[:at] + chunks + data[at:]


@functools.cache
def png_iccp_bomb(inflated: int = 100 * MiB) -> bytes:
    """An iCCP chunk whose 100 KB zlib stream inflates to 100 MiB."""
    body = b"bomb\x00\x00" + zlib.compress(b"\x00" * inflated, 9)
    return _png_insert(imagegen.png(64, 48), imagegen._chunk(b"iCCP", body), after_ihdr=True)


@functools.cache
def png_chunk_flood(count: int = 20_000) -> bytes:
    """A 64x48 PNG with 20 000 empty private ancillary chunks (240 KB) before IEND."""
    return _png_insert(imagegen.png(64, 48), imagegen._chunk(b"prVt", b"") * count)


@functools.cache
def png_ancillary_bytes(total: int = 9 * MiB, size: int = MiB) -> bytes:
    """A 64x48 PNG carrying 9 MiB of unknown ancillary chunks (1 MiB each)."""
    body = MARKER + b"A" * (size - len(MARKER))
    return _png_insert(imagegen.png(64, 48), imagegen._chunk(b"prVt", body) * (total // size))


# --- EXIF parser abuse (accepted: the EXIF goes) --------------------------------------------

_ASCII, _LONG_T, _SHORT_T = 2, 4, 3


def _ifd(entries: list[tuple[int, int, int, int]], next_ifd: int) -> bytes:
    """A little-endian IFD: (tag, type, count, value or offset) entries and a next pointer."""
    out = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        out += struct.pack("<HHII", tag, kind, count, value)
    return out + struct.pack("<I", next_ifd)


def _tiff(ifd0: bytes, tail: bytes = b"") -> bytes:
    return b"II*\x00" + struct.pack("<I", 8) + ifd0 + tail + MARKER


def exif_many_entries(count: int = 5000) -> bytes:
    """IFD0 of 5000 entries (60 KiB), all ImageDescription pointing at the marker."""
    at = 8 + 2 + 12 * count + 4  # the marker follows the IFD
    return _tiff(_ifd([(0x010E, _ASCII, len(MARKER), at)] * count, 0))


def exif_ifd_loop() -> bytes:
    """IFD0 is its own next IFD, its own EXIF sub-IFD and its own GPS IFD."""
    return _tiff(_ifd([(0x8769, _LONG_T, 1, 8), (0x8825, _LONG_T, 1, 8)], 8))


def exif_past_end() -> bytes:
    """Entries, sub-IFDs and the next IFD all pointing far past the end of the block."""
    far = 0xFFFFFF00
    entries = [
        (0x010F, _ASCII, 0x7FFFFFFF, far),
        (0x0112, _SHORT_T, 0x10000, far),
        (0x8769, _LONG_T, 1, far),
        (0x8825, _LONG_T, 1, 60_000),
    ]
    return _tiff(_ifd(entries, far))


def exif_orientation_loop() -> bytes:
    """IFD0 (orientation 6) -> IFD1 -> IFD0 ..., IFD1 also holding an orientation."""
    ifd1_at = 8 + 2 + 12 * 2 + 4
    ifd0 = _ifd([(0x0112, _SHORT_T, 1, 6), (0x8769, _LONG_T, 1, ifd1_at)], ifd1_at)
    ifd1 = _ifd([(0x0112, _SHORT_T, 1, 3), (0x8769, _LONG_T, 1, 8)], 8)
    return _tiff(ifd0, ifd1)


EXIF_BOMBS: dict[str, Callable[[], bytes]] = {
    "5000-entries": exif_many_entries,
    "ifd-loop": exif_ifd_loop,
    "offsets-past-end": exif_past_end,
    "orientation-loop": exif_orientation_loop,
}


@functools.cache
def jpeg_with_exif(kind: str) -> bytes:
    data = imagegen.jpeg(64, 48)
    payload = b"Exif\x00\x00" + EXIF_BOMBS[kind]()
    assert len(payload) + 2 <= 0xFFFF
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


@functools.cache
def png_with_exif(kind: str) -> bytes:
    chunk = imagegen._chunk(b"eXIf", EXIF_BOMBS[kind]())
    return _png_insert(imagegen.png(64, 48), chunk, after_ihdr=True)


@functools.cache
def webp_with_exif(kind: str) -> bytes:
    return _save(imagegen.picture(64, 48), "WEBP", quality=80, exif=EXIF_BOMBS[kind]())


# --- formats Pillow reads but imgtree must not: all 415, whatever the declared type --------


def _pillow(fmt: str, mode: str = "RGB", **options: object) -> Callable[[], bytes]:
    return lambda: _save(imagegen.picture(64, 48, mode), fmt, **options)


def psd() -> bytes:
    """A hand-written Photoshop file: 3 channels, 8 bits, 64x48, raw pixel data."""
    head = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 48, 64, 8, 3)
    return head + struct.pack(">III", 0, 0, 0) + struct.pack(">H", 0) + b"\x80" * (3 * 64 * 48)


def eps() -> bytes:
    return (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 48\n%%EndComments\n"
        b"newpath 0 0 moveto 64 48 lineto stroke\n"
        b"/Helvetica findfont 8 scalefont setfont 2 20 moveto (" + MARKER + b") show\n"
        b"(/etc/passwd) (r) file pop\nshowpage\n%%EOF\n"
    )


def fits() -> bytes:
    """A hand-written FITS primary HDU: 8-bit 64x48, header and data padded to 2880 bytes."""
    cards = [
        "SIMPLE  =                    T",
        "BITPIX  =                    8",
        "NAXIS   =                    2",
        "NAXIS1  =                   64",
        "NAXIS2  =                   48",
        "END",
    ]
    header = "".join(card.ljust(80) for card in cards).encode().ljust(2880)
    return header + (b"\x80" * (64 * 48)).ljust(2880, b"\x00")


def heic() -> bytes:
    """The start of a HEIF/HEIC file: an `ftyp` box (brand heic) and an empty `meta` box."""
    ftyp = b"ftyp" + b"heic" + b"\x00\x00\x00\x00" + b"mif1heic"
    meta = b"meta" + b"\x00\x00\x00\x00"
    return struct.pack(">I", 4 + len(ftyp)) + ftyp + struct.pack(">I", 4 + len(meta)) + meta


def jp2() -> bytes:
    data = _save(imagegen.picture(64, 48), "JPEG2000")
    assert data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"), "expected the jp2 signature box"
    return data


FOREIGN: dict[str, tuple[Callable[[], bytes], str]] = {
    # id: (maker, extension). All are sent declared image/png: the bytes decide.
    "ico": (_pillow("ICO"), "ico"),
    "psd": (psd, "psd"),
    "eps": (eps, "eps"),
    "jpeg2000": (jp2, "jp2"),
    "dds": (_pillow("DDS", "RGBA"), "dds"),
    "fits": (fits, "fits"),
    "qoi": (_pillow("QOI"), "qoi"),
    "tga": (_pillow("TGA"), "tga"),
    "bmp": (_pillow("BMP"), "bmp"),
    "tiff": (_pillow("TIFF"), "tif"),
}


# --- ISO-BMFF (HEIC/HEIF, AVIF): walked box by box before libheif/libavif see a byte --------


def _box(kind: bytes, payload: bytes, *, full: bool = False) -> bytes:
    body = (b"\x00\x00\x00\x00" if full else b"") + payload
    return struct.pack(">I", 8 + len(body)) + kind + body


_FTYP_HEIC = _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")


def _ispe(w: int, h: int) -> bytes:
    return _box(b"ispe", struct.pack(">II", w, h), full=True)


def _heic_meta(*children: bytes) -> bytes:
    return _FTYP_HEIC + _box(b"meta", b"".join(children), full=True)


HEIC_MARKER = MARKER[: len(imagegen.CAMERA_MAKE)]


@functools.cache
def heic_photo() -> bytes:
    """A real iPhone-style HEIC: EXIF orientation 6, GPS, and the marker in its EXIF."""
    data = imagegen.heic(64, 48)
    at = data.find(imagegen.CAMERA_MAKE.encode())
    assert at > 0, "expected the camera make in the HEIC's EXIF"
    return data[:at] + HEIC_MARKER + data[at + len(imagegen.CAMERA_MAKE) :]


def heic_truncated() -> bytes:
    data = imagegen.heic(64, 48)
    return data[: len(data) // 2]


def heic_box_size_zero_nested() -> bytes:
    """A box of size 0 ("to the end of the file") inside `meta`."""
    return _heic_meta(struct.pack(">I", 0) + b"iprp" + b"\x00" * 32)


def heic_box_size_one_huge() -> bytes:
    """A box of size 1 whose 64-bit size claims 2^62 bytes."""
    return _FTYP_HEIC + struct.pack(">I", 1) + b"meta" + struct.pack(">Q", 1 << 62) + b"\x00" * 16


def heic_depth_bomb(depth: int = 10_000) -> bytes:
    """`meta` nested inside `meta` 10 000 deep (80 KB)."""
    inner = _box(b"ipco", _ispe(64, 48))
    for _ in range(depth):
        inner = _box(b"meta", inner, full=True)
    return _FTYP_HEIC + inner


def heic_ispe_bomb(w: int = 100_000, h: int = 100_000) -> bytes:
    """A real HEIC whose `ispe` declares 100000x100000 (10 gigapixels)."""
    data = bytearray(imagegen.heic(64, 48))
    at = data.find(b"ispe")
    assert at > 0
    data[at + 8 : at + 16] = struct.pack(">II", w, h)
    return bytes(data)


def heic_tiles(count: int = 5000) -> bytes:
    """An item list of 5000 grid tiles (`infe` hvc1 items of 512x512)."""
    infe = _box(b"infe", struct.pack(">HH", 1, 0) + b"hvc1\x00", full=True)
    iinf = _box(b"iinf", struct.pack(">H", count) + infe * count, full=True)
    ipco = _box(b"iprp", _box(b"ipco", _ispe(512, 512)))
    return _heic_meta(iinf, ipco)


def heic_brand_lies() -> bytes:
    """A real AVIF whose `ftyp` claims HEIC: libheif finds AV1, not HEVC."""
    data = bytearray(imagegen.avif(64, 48))
    data[8:12] = b"heic"
    return bytes(data)


def avif_brand_lies() -> bytes:
    """A real HEIC whose `ftyp` claims AVIF."""
    data = bytearray(imagegen.heic(64, 48))
    data[8:12] = b"avif"
    return bytes(data)


# --- the corpus -----------------------------------------------------------------------------

TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
_HEIC = "image/heic"
_AVIF = "image/avif"
EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp"}


@attrs.frozen
class Case:
    """One hostile file. `status` is what every path answers, except where `by_path` differs.

    For accepted files (`status == 200`), `real_type` is the type it must be published as and
    `absent` a byte string the served file must not contain.
    """

    id: str
    make: Callable[[], bytes]
    filename: str
    content_type: str
    status: int
    real_type: str | None = None
    absent: bytes | None = None
    by_path: dict[str, int] = attrs.Factory(dict)
    group: str = ""  # the hostile class, for the cost table in docs/security.md


def _refused(id: str, make: Callable[[], bytes], filename: str, ctype: str, status: int) -> Case:
    return Case(id, make, filename, ctype, status)


def _accepted(
    id: str,
    make: Callable[[], bytes],
    kind: str,
    *,
    filename: str | None = None,
    declared: str | None = None,
    absent: bytes | None = MARKER,
    by_path: dict[str, int] | None = None,
) -> Case:
    return Case(
        id,
        make,
        filename or f"{id}.{EXTENSIONS[kind]}",
        declared or TYPES[kind],
        200,
        real_type=TYPES[kind],
        absent=absent,
        by_path=by_path or {},
    )


def _in(group: str, *cases: Case) -> list[Case]:
    return [attrs.evolve(case, group=group) for case in cases]


# Declaring one type and sending another: direct uploads take the real type; a presigned
# upload is refused, since its declared type was signed for (docs/decisions.md).
_MISMATCH = {p: 415 for p in ("v1-presign", "v1-presign-batch", "session-presign", "guest-presign")}
# Over the guest limit (5 MiB): multipart is cut off at it, the guest presign refuses the
# declared size.
_OVER_GUEST_LIMIT = {"guest": 413, "guest-presign": 413}

_EXISTING: list[Case] = [
    _refused("zero-bytes", lambda: b"", "empty.png", "image/png", 400),
    _refused("one-byte", lambda: b"\xff", "one.png", "image/png", 415),
    *(
        _refused(f"truncated-{k}", functools.partial(truncated, k), f"t.{e}", TYPES[k], 422)
        for k, e in EXTENSIONS.items()
    ),
    *(
        _refused(f"header-only-{k}", functools.partial(HEADER_ONLY.get, k), f"h.{e}", TYPES[k], 422)
        for k, e in EXTENSIONS.items()
    ),
    _refused("bomb-png-60000x60000", imagegen.png_declaring, "bomb.png", "image/png", 422),
    _refused("bomb-gif-65535x65535", gif_declaring, "bomb.gif", "image/gif", 422),
    _refused("bomb-jpeg-65500x65500", jpeg_declaring, "bomb.jpg", "image/jpeg", 422),
    _refused("bomb-webp-vp8l-16384x16384", webp_declaring, "bomb.webp", "image/webp", 422),
    _refused("bomb-webp-vp8x-canvas-2^24", webp_canvas_bomb, "bomb.webp", "image/webp", 422),
    _refused("frames-gif-5000", gif_frames, "frames.gif", "image/gif", 422),
    _refused("frames-webp-5000", webp_frames, "frames.webp", "image/webp", 422),
    _refused("frames-apng-1500", apng_frames, "frames.png", "image/png", 422),
    _accepted("icc-2mb-jpeg", jpeg_big_icc, "jpeg"),
    _accepted("icc-2mb-png", png_big_icc, "png"),
    _accepted("icc-2mb-webp", webp_big_icc, "webp"),
    _accepted("comments-2mb-jpeg", jpeg_many_comments, "jpeg"),
    _accepted("text-3mb-png", png_huge_text, "png"),
    _accepted("ztxt-bomb-64mib-png", png_ztxt_bomb, "png", absent=None),
    _accepted("comment-2mb-gif", gif_huge_comment, "gif"),
    _accepted("cmyk-jpeg", cmyk_jpeg, "jpeg", absent=None),
    _accepted("16bit-grey-png", png16_grey, "png", absent=None),
    _accepted("16bit-rgb-png", png16_rgb, "png", absent=None),
    _accepted("16bit-rgba-png", png16_rgba, "png", absent=None),
    *(
        _accepted(f"{k}+{tail}", functools.partial(with_tail, k, tail), k)
        for k in ("gif", "jpeg", "png", "webp")
        for tail in ("html", "zip")
    ),
    _refused("svg-as-png", imagegen.svg, "logo.png", "image/png", 415),
    _refused("svg-as-svg", imagegen.svg, "logo.svg", "image/svg+xml", 415),
    _refused("html-as-jpeg", imagegen.html, "page.jpg", "image/jpeg", 415),
    _refused("pdf-as-gif", pdf, "doc.gif", "image/gif", 415),
    _refused("elf-as-webp", elf, "a.webp", "image/webp", 415),
    _refused("pe-as-png", pe, "setup.png", "image/png", 415),
    _refused("zip-as-png", zip_tail, "archive.png", "image/png", 415),
    _refused("html-with-gif-magic", html_with_gif_magic, "x.gif", "image/gif", 422),
    _refused("html-with-png-magic", html_with_png_magic, "x.png", "image/png", 422),
    _accepted(
        "jpeg-declared-png", IMAGES["jpeg"], "jpeg", filename="photo.png",
        declared="image/png", absent=None, by_path=_MISMATCH,
    ),
    _accepted(
        "png-declared-gif", IMAGES["png"], "png", filename="anim.gif",
        declared="image/gif", absent=None, by_path=_MISMATCH,
    ),
    _accepted(
        "webp-declared-jpeg", IMAGES["webp"], "webp", filename="photo.jpg",
        declared="image/jpeg", absent=None, by_path=_MISMATCH,
    ),
]  # fmt: skip

_GROUPS = (
    ("empty", ("zero-bytes", "one-byte")),
    ("truncated / header only", ("truncated-", "header-only-")),
    ("dimension bombs", ("bomb-",)),
    ("frame bombs", ("frames-",)),
    ("oversized metadata", ("icc-", "comments-", "text-", "ztxt-", "comment-")),
    ("colour models", ("cmyk-", "16bit-")),
    ("polyglots", ("gif+", "jpeg+", "png+", "webp+")),
    ("non-images", ("svg-", "html-as", "pdf-", "elf-", "pe-", "zip-")),
    ("HTML behind image magic", ("html-with-",)),
    ("declared type lies", ("jpeg-declared", "png-declared", "webp-declared")),
)


def _group_of(case_id: str) -> str:
    for group, prefixes in _GROUPS:
        if case_id.startswith(prefixes):
            return group
    raise ValueError(case_id)


_GIF = "image/gif"
_PNG = "image/png"
_JPEG = "image/jpeg"

CASES: list[Case] = [
    *(attrs.evolve(case, group=_group_of(case.id)) for case in _EXISTING),
    *_in(
        "GIF frame geometry",
        _refused("gif-frame-outside-screen", gif_frame_outside, "off.gif", _GIF, 422),
        _refused("gif-frame-larger-than-screen", gif_frame_larger, "big.gif", _GIF, 422),
        _refused("gif-growth-by-offset-50-frames", gif_growth, "grow.gif", _GIF, 422),
    ),
    *_in(
        "total pixels (screen x frames)",
        _refused(
            "gif-2mp-x-101-frames-over-200mp",
            functools.partial(gif_total_pixels, 101), "over.gif", _GIF, 422,
        ),
        _accepted(
            "gif-2mp-x-99-frames-under-200mp",
            functools.partial(gif_total_pixels, 99), "gif", absent=None,
        ),
    ),
    *_in(
        "WebP frame geometry",
        _refused("webp-anmf-outside-canvas", webp_frame_outside, "off.webp", "image/webp", 422),
    ),
    *_in(
        "JPEG scans",
        _refused("jpeg-progressive-160-scans", jpeg_scan_flood, "scans.jpg", _JPEG, 422),
        _accepted("jpeg-progressive-10-scans", jpeg_progressive, "jpeg", absent=None),
    ),
    *_in(
        "JPEG coding processes",
        _refused(
            "jpeg-arithmetic-sof9", functools.partial(jpeg_process, 0xC9), "a.jpg", _JPEG, 415
        ),
        _refused("jpeg-arithmetic-sof9-real", jpeg_arithmetic, "ar.jpg", _JPEG, 415),
        _refused(
            "jpeg-lossless-sof3", functools.partial(jpeg_process, 0xC3), "l.jpg", _JPEG, 415
        ),
        _refused(
            "jpeg-hierarchical-dhp-sof5",
            functools.partial(jpeg_process, 0xC5, dhp=True), "h.jpg", _JPEG, 415,
        ),
        _refused(
            "jpeg-12bit-sof1",
            functools.partial(jpeg_process, 0xC1, precision=12), "p.jpg", _JPEG, 415,
        ),
    ),
    *_in(
        "extreme aspect ratios",
        _refused("png-16385x1", functools.partial(png_row, 16385), "wide.png", _PNG, 422),
        _accepted("png-16384x1", functools.partial(png_row, 16384), "png", absent=None),
        _refused("gif-1x20000", gif_tall, "tall.gif", _GIF, 422),
    ),
    *_in(
        "iCCP zlib bomb",
        _accepted("png-iccp-bomb-100mib", png_iccp_bomb, "png", absent=b"iCCP"),
    ),
    *_in(
        "EXIF parser abuse",
        *(
            _accepted(f"exif-{k}-jpeg", functools.partial(jpeg_with_exif, k), "jpeg")
            for k in EXIF_BOMBS
        ),
        _accepted("exif-ifd-loop-png", functools.partial(png_with_exif, "ifd-loop"), "png"),
        _accepted(
            "exif-5000-entries-webp", functools.partial(webp_with_exif, "5000-entries"), "webp"
        ),
    ),
    *_in(
        "PNG chunk floods",
        _refused("png-20000-ancillary-chunks", png_chunk_flood, "flood.png", _PNG, 422),
        attrs.evolve(
            _refused("png-9mib-ancillary-bytes", png_ancillary_bytes, "anc.png", _PNG, 422),
            by_path=_OVER_GUEST_LIMIT,
        ),
    ),
    *_in(
        "ISO-BMFF (HEIC/AVIF)",
        _refused("heic-empty-meta-as-png", heic, "file.png", _PNG, 422),
        _refused("heic-truncated", heic_truncated, "t.heic", _HEIC, 422),
        _refused("heic-box-size-0-nested", heic_box_size_zero_nested, "z.heic", _HEIC, 422),
        _refused("heic-box-size-1-huge", heic_box_size_one_huge, "h.heic", _HEIC, 422),
        _refused("heic-nested-depth-10000", heic_depth_bomb, "d.heic", _HEIC, 422),
        _refused("heic-ispe-100000x100000", heic_ispe_bomb, "b.heic", _HEIC, 422),
        _refused("heic-5000-tiles", heic_tiles, "tiles.heic", _HEIC, 422),
        _refused("heic-brand-on-avif", heic_brand_lies, "lie.heic", _HEIC, 422),
        _refused("avif-brand-on-heic", avif_brand_lies, "lie.avif", _AVIF, 422),
        _accepted("heic-iphone-exif-gps", heic_photo, "jpeg", filename="IMG_0001.HEIC",
                  declared=_HEIC, absent=HEIC_MARKER),
        _accepted("avif-declared-png", functools.partial(imagegen.avif, 64, 48), "jpeg",
                  filename="photo.png", declared=_PNG, absent=None, by_path=_MISMATCH),
    ),
    *_in(
        "formats Pillow reads, imgtree refuses",
        *(
            _refused(f"{k}-as-png", make, f"file.{ext}", _PNG, 415)
            for k, (make, ext) in FOREIGN.items()
        ),
    ),
]  # fmt: skip

# Names a client may send; each must be cleaned for display and never reach a storage key.
HOSTILE_NAMES: dict[str, str] = {
    "traversal": "../../../etc/passwd/../x.png",
    "windows-traversal": "..\\..\\Windows\\System32\\x.png",
    "nul": "evil\x00.png",
    "control-chars": "a\r\nContent-Type: text/html\r\n\x07\x1b[31m.png",
    "10000-chars": "n" * 9996 + ".png",
    "rtl-override": "invoice\u202egnp.exe",
    "html": "<svg onload=alert(1)><img src=x onerror=alert(1)>.png",
    "dotfile": ".htaccess",
}

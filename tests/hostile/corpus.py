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

from tests import imagegen

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


# --- the corpus -----------------------------------------------------------------------------

TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
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


# Declaring one type and sending another: direct uploads take the real type; a presigned
# upload is refused, since its declared type was signed for (docs/decisions.md).
_MISMATCH = {"presign": 415}

CASES: list[Case] = [
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

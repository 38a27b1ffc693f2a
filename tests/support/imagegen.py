"""Tiny test images made in memory with Pillow, hostile ones included. No files, no network.

Metadata the sanitiser must remove is tagged with the marker constants below, so a test can
search the published bytes for them.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw, ImageFilter

CAMERA_MAKE = "ImgtreeTestCam"
CAMERA_SERIAL = "IMGTREE-SERIAL-0042"
MAKER_NOTE = b"IMGTREE-MAKERNOTE-SECRET"
GPS_LATITUDE = (51.0, 30.0, 26.67)  # degrees, minutes, seconds
COMMENT = b"IMGTREE-COMMENT-SECRET"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">IMGTREE-XMP-SECRET</x:xmpmeta>'

_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_ORIENTATION, _MAKE, _MAKER_NOTE, _BODY_SERIAL = 0x0112, 0x010F, 0x927C, 0xA431


def picture(w: int = 64, h: int = 48, mode: str = "RGB") -> Image.Image:
    """An asymmetric picture (a block in the top-left corner), so orientation shows."""
    im = Image.new("RGB", (w, h), (40, 120, 200))
    ImageDraw.Draw(im).rectangle((0, 0, max(0, w // 3), max(0, h // 3)), fill=(250, 40, 20))
    return im.convert(mode)


def photo(w: int = 4000, h: int = 3000, *, seed: int = 7) -> bytes:
    """A camera-like JPEG (12 MP by default, ~2.4 MB at quality 90): a sky gradient, hundreds
    of soft shapes of many sizes and sensor-like grain, so it compresses like a photograph
    rather than like a flat test card (which would make any size figure meaningless)."""
    rnd = random.Random(seed)
    g = Image.linear_gradient("L").resize((w, h))
    scene = Image.merge(
        "RGB",
        (
            g.point(lambda v: 90 + v // 3),
            g.point(lambda v: 140 + v // 4),
            g.point(lambda v: 235 - v // 4),
        ),
    )
    draw = ImageDraw.Draw(scene)
    for _ in range(400):  # hills, trees, rocks
        x, y, r = rnd.randrange(w), rnd.randrange(h // 3, h), rnd.randrange(20, 400)
        colour = (rnd.randrange(30, 120), rnd.randrange(60, 160), rnd.randrange(20, 90))
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    scene = scene.filter(ImageFilter.GaussianBlur(3))
    grain = Image.effect_noise((w, h), 40).convert("RGB")
    return _save(Image.blend(scene, grain, 0.10), "JPEG", quality=90)


def _save(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def exif_block(*, orientation: int | None = None, gps: bool = False) -> bytes:
    """A serialized EXIF block (TIFF structure, with the "Exif" prefix Pillow writes)."""
    exif = Image.Exif()
    exif[_MAKE] = CAMERA_MAKE
    if orientation is not None:
        exif[_ORIENTATION] = orientation
    if gps:
        exif.get_ifd(_GPS_IFD).update({1: "N", 2: GPS_LATITUDE, 3: "W", 4: (0.0, 7.0, 39.0)})
        exif.get_ifd(_EXIF_IFD).update({_MAKER_NOTE: MAKER_NOTE, _BODY_SERIAL: CAMERA_SERIAL})
    return exif.tobytes()


def jpeg(
    w: int = 64,
    h: int = 48,
    *,
    exif_orientation: int | None = None,
    gps: bool = False,
    quality: int = 85,
    comment: bytes | None = None,
    xmp: bytes | None = None,
    progressive: bool = False,
) -> bytes:
    options: dict[str, object] = {"quality": quality, "progressive": progressive}
    if exif_orientation is not None or gps:
        options["exif"] = exif_block(orientation=exif_orientation, gps=gps)
    if comment is not None:
        options["comment"] = comment
    if xmp is not None:
        options["xmp"] = xmp
    return _save(picture(w, h), "JPEG", **options)


def png(w: int = 64, h: int = 48, *, alpha: bool = False, text_chunk: str | None = None) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    im = picture(w, h, "RGBA" if alpha else "RGB")
    if alpha:
        im.putalpha(Image.linear_gradient("L").resize((w, h)))
    info = PngInfo()
    if text_chunk is not None:
        info.add_text("Comment", text_chunk)
        info.add_text("Description", text_chunk, zip=True)
    return _save(im, "PNG", pnginfo=info)


def _frames(w: int, h: int, count: int) -> list[Image.Image]:
    colours = [(250, 40, 20), (20, 200, 40), (30, 60, 230), (240, 220, 30)]
    return [Image.new("RGB", (w, h), colours[i % len(colours)]) for i in range(count)]


def gif(w: int = 64, h: int = 48, frames: int = 1, *, comment: bytes | None = None) -> bytes:
    extra: dict[str, object] = {} if comment is None else {"comment": comment}
    first, *rest = _frames(w, h, frames)
    if not rest:
        return _save(picture(w, h), "GIF", **extra)
    return _save(first, "GIF", save_all=True, append_images=rest, duration=80, loop=0, **extra)


def webp(
    w: int = 64,
    h: int = 48,
    frames: int = 1,
    lossless: bool = False,
    *,
    exif: bytes | None = None,
    xmp: bytes | None = None,
) -> bytes:
    extra: dict[str, object] = {"lossless": lossless}
    if exif is not None:
        extra["exif"] = exif
    if xmp is not None:
        extra["xmp"] = xmp
    first, *rest = _frames(w, h, frames)
    if not rest:
        return _save(picture(w, h), "WEBP", quality=80, **extra)
    return _save(first, "WEBP", save_all=True, append_images=rest, duration=80, loop=0, **extra)


def apng(w: int = 64, h: int = 48, frames: int = 3) -> bytes:
    first, *rest = _frames(w, h, frames)
    return _save(first, "PNG", save_all=True, append_images=rest, duration=80, loop=0)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(w: int = 60_000, h: int = 60_000) -> bytes:
    """A tiny, well-formed PNG whose IHDR claims w x h pixels (a decompression bomb header)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: max(1, int(len(data) * keep))]


def with_appended(data: bytes, tail: bytes) -> bytes:
    return data + tail


def svg() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
    )


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def zip_archive() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", html())
    return out.getvalue()


def cmyk_jpeg(w: int = 64, h: int = 48) -> bytes:
    return _save(picture(w, h, "CMYK"), "JPEG", quality=85)


def png16(w: int = 64, h: int = 48) -> bytes:
    """A 16-bit greyscale PNG."""
    im = Image.linear_gradient("L").resize((w, h)).convert("I")
    return _save(im.point(lambda v: v * 257).convert("I;16"), "PNG")


def heic(w: int = 64, h: int = 48, *, orientation: int | None = 6, gps: bool = True) -> bytes:
    """An iPhone-style HEIC (brand heic, HEVC-coded) carrying EXIF with orientation and GPS.

    The picture's left half is blue, its right half red, so a test can tell whether the
    orientation was applied by the colour of a corner."""
    import pillow_heif

    im = picture(w, h)
    im.paste((0, 0, 255), (0, 0, w // 2, h))
    im.paste((255, 0, 0), (w // 2, 0, w, h))
    out = io.BytesIO()
    exif = exif_block(orientation=orientation, gps=gps)
    pillow_heif.from_pillow(im).save(out, quality=90, exif=exif)
    return out.getvalue()


def avif(w: int = 64, h: int = 48, *, orientation: int | None = 6, gps: bool = True) -> bytes:
    """An AVIF (Pillow's own encoder) with the same halves and EXIF as `heic`."""
    im = picture(w, h)
    im.paste((0, 0, 255), (0, 0, w // 2, h))
    im.paste((255, 0, 0), (w // 2, 0, w, h))
    return _save(im, "AVIF", quality=90, exif=exif_block(orientation=orientation, gps=gps))

"""Write the committed seed corpora under tests/fuzz/corpus/<target>/ (run once, by hand).

    .venv/bin/python -m tests.fuzz.make_seeds

Small valid files of each format, made with `tests.support.imagegen` and Pillow, plus a few crafted
variants (metadata to drop, trailing bytes, truncation) so the fuzzer starts deep in every
walker. Regression inputs found by fuzzing are added next to them by hand (`crash-*`), and
are not touched here. Output is deterministic for a given Pillow.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageCms, ImageDraw

from tests.support import imagegen

CORPUS = Path(__file__).parent / "corpus"
W, H = 24, 16  # small pictures keep the seeds a few KB and the fuzzer fast


def _save(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def _srgb() -> bytes:
    """An sRGB profile with its creation date (bytes 24-35) and profile ID (84-99) zeroed,
    so the seeds do not change from one run to the next."""
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = bytes(12)
    icc[84:100] = bytes(16)
    return bytes(icc)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_insert(data: bytes, *chunks: bytes) -> bytes:
    """`chunks` inserted right after IHDR (signature 8 bytes + IHDR 25 bytes)."""
    return data[:33] + b"".join(chunks) + data[33:]


def _jpeg_segment(code: int, payload: bytes) -> bytes:
    return bytes((0xFF, code)) + struct.pack(">H", len(payload) + 2) + payload


def _gif_insert_before_first_image(data: bytes, block: bytes) -> bytes:
    packed = data[10]
    pos = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    return data[:pos] + block + data[pos:]


def _frames_with_palettes(count: int) -> list[Image.Image]:
    out = []
    for i in range(count):
        im = Image.new("RGB", (W, H), (30 * i, 200 - 40 * i, 90))
        ImageDraw.Draw(im).ellipse((i, i, W - 1 - i, H - 1), fill=(250, 20 * i, 10))
        out.append(im)
    return out


def jpeg_seeds() -> dict[str, bytes]:
    base = imagegen.jpeg(W, H)
    icc = _srgb()
    jfif_thumbnail = _jpeg_segment(0xE0, b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x01\x01abc")
    return {
        "baseline.jpg": base,
        "progressive.jpg": imagegen.jpeg(W, H, progressive=True),
        "exif_orientation6.jpg": imagegen.jpeg(W, H, exif_orientation=6),
        "exif_gps_orientation3.jpg": imagegen.jpeg(W, H, exif_orientation=3, gps=True),
        "comment_xmp.jpg": imagegen.jpeg(W, H, comment=imagegen.COMMENT, xmp=imagegen.XMP),
        "icc.jpg": _save(imagegen.picture(W, H), "JPEG", icc_profile=icc),
        "icc_progressive_exif.jpg": _save(
            imagegen.picture(W, H),
            "JPEG",
            icc_profile=icc,
            progressive=True,
            exif=imagegen.exif_block(orientation=8),
        ),
        "cmyk_adobe.jpg": imagegen.cmyk_jpeg(16, 16),
        "grey.jpg": _save(imagegen.picture(W, H, "L"), "JPEG", quality=70),
        "restart_markers.jpg": _save(imagegen.picture(W, H), "JPEG", restart_marker_blocks=1),
        "subsampling444_optimised.jpg": _save(
            imagegen.picture(W, H), "JPEG", subsampling=0, quality=95, optimize=True
        ),
        "jfif_thumbnail.jpg": base[:2] + jfif_thumbnail + base[20:],
        "trailing_bytes.jpg": imagegen.with_appended(base, b"\x00IMGTREE-TRAILER" * 4),
        "two_images.jpg": base + imagegen.jpeg(8, 8),
        "truncated.jpg": imagegen.truncated(base, 0.6),
    }


def png_seeds() -> dict[str, bytes]:
    rgb = imagegen.png(W, H)
    palette = imagegen.picture(W, H).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    exif = imagegen.exif_block(orientation=6)
    return {
        "rgb.png": rgb,
        "rgba.png": imagegen.png(W, H, alpha=True),
        "palette_trns.png": _save(palette, "PNG", transparency=0),
        "grey.png": _save(imagegen.picture(W, H, "L"), "PNG"),
        "bilevel.png": _save(imagegen.picture(W, H, "1"), "PNG"),
        "grey16.png": imagegen.png16(W, H),
        "text.png": imagegen.png(W, H, text_chunk="IMGTREE-TEXT-SECRET"),
        "exif_orientation6.png": _save(imagegen.picture(W, H), "PNG", exif=exif),
        "exif_bare_orientation3.png": _save(
            imagegen.picture(W, H), "PNG", exif=imagegen.exif_block(orientation=3)[6:]
        ),
        "icc.png": _save(imagegen.picture(W, H), "PNG", icc_profile=_srgb()),
        "apng.png": imagegen.apng(W, H, 3),
        "apng_palettes.png": _save(
            _frames_with_palettes(3)[0],
            "PNG",
            save_all=True,
            append_images=_frames_with_palettes(3)[1:],
            duration=[50, 100, 150],
            loop=2,
        ),
        "ancillary.png": _png_insert(
            rgb,
            _png_chunk(b"gAMA", struct.pack(">I", 45455)),
            _png_chunk(b"sRGB", b"\x00"),
            _png_chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)),
            _png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 1, 2, 3, 4, 5)),
            _png_chunk(b"prVt", b"IMGTREE-PRIVATE"),
            _png_chunk(b"cICP", b"\x01\x0d\x00\x01"),
        ),
        "declares_large.png": imagegen.png_declaring(4000, 4000),
        # an iCCP that inflates past MAX_ICC_BYTES (1 MiB) from 1 KB: dropped, not inflated
        "iccp_zip_bomb.png": _png_insert(
            rgb, _png_chunk(b"iCCP", b"bomb\x00\x00" + zlib.compress(bytes((1 << 20) + 64), 9))
        ),
        "trailing_bytes.png": imagegen.with_appended(rgb, b"IMGTREE-TRAILER"),
        "truncated.png": imagegen.truncated(rgb, 0.7),
    }


def gif_seeds() -> dict[str, bytes]:
    single = imagegen.gif(W, H)
    frames = _frames_with_palettes(3)
    plain_text = (
        b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control for the plain text
        + b"\x21\x01\x0c"
        + bytes(12)
        + b"\x03abc\x00"
    )
    xmp = b"\x21\xff\x0bXMP DataXMP" + b"\x08IMGTREE!" + b"\x00"
    return {
        "single.gif": single,
        "animated.gif": imagegen.gif(W, H, 3),
        "comment.gif": imagegen.gif(W, H, comment=imagegen.COMMENT),
        "transparency.gif": _save(
            imagegen.picture(W, H).convert("P", palette=Image.Palette.ADAPTIVE, colors=8),
            "GIF",
            transparency=1,
        ),
        "local_palettes.gif": _save(
            frames[0],
            "GIF",
            save_all=True,
            append_images=frames[1:],
            duration=[40, 80, 120],
            loop=3,
            disposal=2,
        ),
        "not_interlaced.gif": _save(imagegen.picture(W, H), "GIF", interlace=False),
        "plain_text.gif": _gif_insert_before_first_image(single, plain_text),
        "xmp_extension.gif": _gif_insert_before_first_image(single, xmp),
        "gif87a.gif": b"GIF87a" + single[6:],
        "trailing_bytes.gif": imagegen.with_appended(single, b"IMGTREE-TRAILER"),
    }


def webp_seeds() -> dict[str, bytes]:
    alpha = imagegen.picture(W, H, "RGBA")
    alpha.putalpha(Image.linear_gradient("L").resize((W, H)))
    return {
        "lossy.webp": imagegen.webp(W, H),
        "lossless.webp": imagegen.webp(W, H, lossless=True),
        "alpha_lossy.webp": _save(alpha, "WEBP", quality=60),
        "alpha_lossless.webp": _save(alpha, "WEBP", lossless=True),
        "animated.webp": imagegen.webp(W, H, 3),
        "animated_lossless.webp": imagegen.webp(W, H, 2, lossless=True),
        "exif_orientation6.webp": imagegen.webp(
            W, H, exif=imagegen.exif_block(orientation=6, gps=True)
        ),
        "xmp.webp": imagegen.webp(W, H, xmp=imagegen.XMP),
        "icc.webp": _save(imagegen.picture(W, H), "WEBP", icc_profile=_srgb()),
        "icc_exif_xmp_animated.webp": _save(
            _frames_with_palettes(2)[0],
            "WEBP",
            save_all=True,
            append_images=_frames_with_palettes(2)[1:],
            icc_profile=_srgb(),
            exif=imagegen.exif_block(orientation=5),
            xmp=imagegen.XMP,
        ),
        "trailing_bytes.webp": imagegen.with_appended(imagegen.webp(W, H), b"IMGTREE-TRAILER"),
    }


def _tiff(order: str, entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """A TIFF header and IFD0 with `entries` (tag, type, count, 4 value bytes)."""
    head = (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", 42, 8)
    ifd = struct.pack(order + "H", len(entries))
    ifd += b"".join(struct.pack(order + "HHI", t, k, n) + v for t, k, n, v in entries)
    return head + ifd + struct.pack(order + "I", 0)


def exif_seeds() -> dict[str, bytes]:
    seeds = {
        f"pillow_orientation{k}.tiff": imagegen.exif_block(orientation=k)[6:] for k in (1, 3, 6, 8)
    }
    seeds["pillow_gps_orientation2.tiff"] = imagegen.exif_block(orientation=2, gps=True)[6:]
    seeds["with_exif_prefix.bin"] = imagegen.exif_block(orientation=7)
    for order in "<>":
        name = "le" if order == "<" else "be"
        short = struct.pack(order + "HH", 6, 0)
        seeds[f"{name}_short6.tiff"] = _tiff(
            order, [(0x010F, 2, 4, b"Cam\x00"), (0x0112, 3, 1, short)]
        )
        seeds[f"{name}_long4.tiff"] = _tiff(order, [(0x0112, 4, 1, struct.pack(order + "I", 4))])
    seeds["wrong_type.tiff"] = _tiff("<", [(0x0112, 7, 1, b"\x06\x00\x00\x00")])
    seeds["out_of_range.tiff"] = _tiff(">", [(0x0112, 3, 1, b"\x00\x09\x00\x00")])
    seeds["no_orientation.tiff"] = _tiff("<", [(0x010F, 2, 4, b"Cam\x00")])
    return seeds


def processor_seeds() -> dict[str, bytes]:
    picks = {
        "jpeg": ("baseline.jpg", "progressive.jpg", "exif_orientation6.jpg", "icc.jpg"),
        "png": ("rgba.png", "palette_trns.png", "grey16.png", "exif_orientation6.png"),
        "gif": ("animated.gif", "transparency.gif", "plain_text.gif"),
        "webp": ("lossy.webp", "alpha_lossless.webp", "animated.webp", "exif_orientation6.webp"),
    }
    makers: dict[str, Callable[[], dict[str, bytes]]] = {
        "jpeg": jpeg_seeds,
        "png": png_seeds,
        "gif": gif_seeds,
        "webp": webp_seeds,
    }
    seeds = {}
    for target, names in picks.items():
        made = makers[target]()
        seeds.update({name: made[name] for name in names})
    seeds["cmyk_adobe.jpg"] = imagegen.cmyk_jpeg(16, 16)
    seeds["apng.png"] = imagegen.apng(W, H, 2)
    return seeds


TARGETS: dict[str, Callable[[], dict[str, bytes]]] = {
    "jpeg": jpeg_seeds,
    "png": png_seeds,
    "gif": gif_seeds,
    "webp": webp_seeds,
    "exif": exif_seeds,
    "processor": processor_seeds,
}


def main() -> None:
    for target, make in TARGETS.items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        seeds = make()
        assert len(seeds) <= 30, f"{target}: {len(seeds)} seeds, keep it under 30"
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        total = sum(len(d) for d in seeds.values())
        print(f"{target}: {len(seeds)} seeds, {total} bytes")


if __name__ == "__main__":
    main()

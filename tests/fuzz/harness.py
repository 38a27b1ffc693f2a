"""What the fuzz targets share: the atheris entry point and the properties they check.

Nothing here imports imgtree at module level: a target imports imgtree inside
`atheris.instrument_imports()`, and a module imported before that is not instrumented.
A failed property raises AssertionError, which atheris reports as a crash with its input.
"""

from __future__ import annotations

import io
import struct
import sys
import warnings
import zlib
from collections.abc import Callable
from typing import Any

from PIL import Image

# Pixel differential: only inputs this small are decoded (both original and rewritten).
MAX_PIXELS = 1 << 16
MAX_FRAMES = 16  # frames in the file; at most COMPARED_FRAMES of them are decoded
COMPARED_FRAMES = 3

warnings.simplefilter("ignore")  # Pillow warns about odd files; the fuzzer needs no noise


def main(
    test_one_input: Callable[[bytes], None],
    custom_mutator: Callable[[bytes, int, int], bytes] | None = None,
) -> None:
    import atheris

    atheris.Setup(sys.argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_crcs_fixed(data: bytes) -> bytes:
    """`data` with the CRC of every complete PNG chunk recomputed."""
    out = bytearray(data)
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(out):
        (length,) = struct.unpack_from(">I", out, pos)
        end = pos + 12 + length
        if end > len(out):
            break
        struct.pack_into(">I", out, end - 4, zlib.crc32(out[pos + 4 : end - 4]))
        pos = end
    return bytes(out)


def png_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    """libFuzzer's mutation, then (7 times in 8) PNG chunk CRCs made valid again.

    Without this nearly every mutation of a PNG dies at the first CRC check, and the chunk
    walk behind it (and the pixel differential) is hardly reached.
    """
    import atheris

    out: bytes = atheris.Mutate(data, max_size)
    if seed % 8 and out.startswith(_PNG_SIGNATURE):
        out = png_crcs_fixed(out)
    return out


def _frames(data: bytes, fmt: str) -> tuple[int, list[Image.Image]] | None:
    """The frame count and first frames of `data` fully decoded by Pillow, or None when it
    cannot or is big."""
    try:
        with Image.open(io.BytesIO(data), formats=(fmt,)) as im:
            width, height = im.size
            if width * height > MAX_PIXELS:
                return None
            count = int(getattr(im, "n_frames", 1))
            if count > MAX_FRAMES:
                return None
            out = []
            for index in range(min(count, COMPARED_FRAMES)):
                im.seek(index)
                im.load()
                if im.size[0] * im.size[1] > MAX_PIXELS:
                    return None
                out.append(im.copy())
            return count, out
    except Exception:
        return None


def _same(a: tuple[int, list[Image.Image]], b: tuple[int, list[Image.Image]]) -> bool:
    return a[0] == b[0] and all(
        x.size == y.size and x.mode == y.mode and x.tobytes() == y.tobytes()
        for x, y in zip(a[1], b[1], strict=True)
    )


def _pixels(a: Image.Image, b: Image.Image) -> tuple[bytes, bytes]:
    if a.mode == b.mode:
        return a.tobytes(), b.tobytes()
    return a.convert("RGBA").tobytes(), b.convert("RGBA").tobytes()


# WebP chunks whose payload bytes are pixels (or frame headers holding sub-chunks)
_WEBP_PIXELS = frozenset({b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"})


def webp_canonical(data: bytes) -> bytes:
    """`data` cut at its RIFF size, with pad bytes and non-pixel chunk payloads zeroed.

    libwebp decodes a truncated VP8L bitstream from whatever follows its chunk (the pad
    byte, the next chunk) instead of failing, so such a file's pixels depend on bytes the
    walker rightly drops or zeroes. The differential skips those originals: their pixels
    change when the bytes that are not pixels do.
    """
    (riff_size,) = struct.unpack_from("<I", data, 4)
    out = bytearray(data[: 8 + riff_size])

    def walk(pos: int, end: int) -> None:
        while pos + 8 <= end:
            kind = bytes(out[pos : pos + 4])
            (size,) = struct.unpack_from("<I", out, pos + 4)
            body, body_end = pos + 8, min(pos + 8 + size, end)
            if kind == b"ANMF":
                walk(body + 16, body_end)
            elif kind not in _WEBP_PIXELS:
                out[body:body_end] = bytes(body_end - body)
            if size & 1 and body_end < end:
                out[body_end] = 0
            pos = body_end + (size & 1)

    walk(12, len(out))
    return bytes(out)


def same_pixels(original: bytes, rewritten: bytes, fmt: str) -> None:
    """A rewrite that Pillow decodes shows what the decodable original showed.

    Skipped when either file does not fully decode or is larger than MAX_PIXELS, and for
    a WebP whose pixels depend on bytes that are not pixel data (see `webp_canonical`).
    """
    before = _frames(original, fmt)
    if before is None:
        return
    if fmt == "WEBP":
        canonical = _frames(webp_canonical(original), fmt)
        if canonical is None or not _same(before, canonical):
            return
    after = _frames(rewritten, fmt)
    if after is None:
        return
    assert before[0] == after[0], f"{fmt}: {before[0]} frames became {after[0]}"
    for index, (a, b) in enumerate(zip(before[1], after[1], strict=True)):
        assert a.size == b.size, f"{fmt} frame {index}: size {a.size} became {b.size}"
        pa, pb = _pixels(a, b)
        assert pa == pb, f"{fmt} frame {index}: pixels differ ({a.mode} -> {b.mode})"


def idempotent(rewrite: Callable[[bytes], Any], rewritten: Any) -> None:
    """Rewriting the rewritten file changes nothing (and it is still accepted)."""
    again = rewrite(rewritten.data)
    assert again.data == rewritten.data, "the rewrite is not idempotent"
    assert again.orientation == rewritten.orientation, "orientation changed on a second rewrite"


def windowed(plan: Callable[[Any], Any], stream: Any, data: bytes, expected: Any) -> None:
    """The streaming plan reads the same file through a tiny window, and writes it the same.

    The default window (256 KiB) is larger than any fuzz input, so the window-crossing
    paths of `stream.Reader` are only reached with a window this small.
    """
    saved = stream.CHUNK
    stream.CHUNK = 1 + zlib.crc32(data) % 37
    try:
        reader = stream.reader_for(data)
        planned = plan(reader)
        out = stream.write(planned, reader)
        try:
            written = out.read()
        finally:
            out.close()
    finally:
        stream.CHUNK = saved
    assert written == expected.data, "a small read window changes the rewritten file"
    assert planned.size == len(written), "Plan.size is not the written size"
    assert planned.orientation == expected.orientation, "a small read window changes orientation"

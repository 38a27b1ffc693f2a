"""Benchmark inputs, made with Pillow: photo-like content (smooth gradients + sensor noise)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image


def photo(w: int, h: int, sigma: float, amount: float = 0.25) -> Image.Image:
    """Smooth colour gradients plus Gaussian noise: compresses like a real photograph."""
    small = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((64, 48)),
            Image.radial_gradient("L").resize((64, 48)),
            Image.linear_gradient("L").rotate(90).resize((64, 48)),
        ),
    )
    base = small.resize((w, h), Image.Resampling.BICUBIC)
    noise = Image.merge(
        "RGB", [Image.effect_noise((w, h), sigma).point(lambda v: v - 128) for _ in range(3)]
    )
    # `amount` of zero-mean noise over the gradients: the noise level sets the file size
    return Image.blend(base, noise, amount)


def jpeg_bytes(im: Image.Image, quality: int, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"quality": quality}
    if exif is not None:
        options["exif"] = exif
    im.save(out, "JPEG", **options)
    return out.getvalue()


def png_bytes(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def rotated_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 CW to display
    exif[0x010F] = "BenchCam"
    return exif.tobytes()


def make_all(directory: Path, *, quick: bool) -> dict[str, Path]:
    """Write every input once (cached in `directory`); return name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    specs = {
        # 12 MP, quality 80: ~3.7 MB with this noise level
        "jpeg12mp": lambda: jpeg_bytes(
            photo(*((1000, 750) if quick else (4000, 3000)), 80, 0.5), 80
        ),
        "png": lambda: png_bytes(photo(400, 300, 40)),
        "rotated": lambda: jpeg_bytes(
            photo(*((800, 600) if quick else (3000, 2000)), 80, 0.5), 80, rotated_exif()
        ),
        # a real large image (~50 MB, 49 MP, quality 100, strong noise): within the pixel limit
        "large_jpeg": lambda: jpeg_bytes(
            photo(*((1200, 1200) if quick else (7000, 7000)), 90), 100
        ),
        # 50 MB that is not an image (refused after streaming)
        "blob50": lambda: os.urandom((2 if quick else 50) * 1_000_000),
    }
    paths: dict[str, Path] = {}
    tag = "quick" if quick else "full"
    for name, make in specs.items():
        path = directory / f"{name}-{tag}.bin"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(make())
            tmp.replace(path)
        paths[name] = path
    return paths

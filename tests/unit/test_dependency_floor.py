"""The decoders imgtree runs on hostile bytes are at least the versions it was hardened on.

Pillow's wheels bundle libjpeg-turbo, libwebp and zlib, so a downgraded Pillow (or a source
build against an old system library) would silently bring back fixed bugs such as libwebp's
CVE-2023-4863. The floor in pyproject.toml and the versions installed are both checked.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from PIL import Image, features

MIN_PILLOW = (13, 0)
MIN_PILLOW_HEIF = (1, 1)
MIN_LIBJPEG_TURBO = (3, 0, 0)
MIN_LIBWEBP = (1, 3, 2)  # CVE-2023-4863, the heap overflow in lossless WebP
MIN_ZLIB = (1, 2, 12)  # CVE-2018-25032
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _version(text: str | None) -> tuple[int, ...]:
    assert text, "the library is not in this Pillow build"
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_pyproject_floor_is_not_lowered() -> None:
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    (pillow,) = [d for d in deps if re.match(r"pillow\s*[<>=!~]", d.lower())]
    floor = re.search(r">=\s*([\d.]+)", pillow)
    assert floor is not None, pillow
    assert _version(floor.group(1)) >= MIN_PILLOW
    # HEIC/HEIF decoding (libheif, bundled in pillow-heif's wheels)
    (heif,) = [d for d in deps if d.lower().startswith("pillow-heif")]
    floor = re.search(r">=\s*([\d.]+)", heif)
    assert floor is not None, heif
    assert _version(floor.group(1)) >= MIN_PILLOW_HEIF


def test_installed_pillow_and_its_codecs() -> None:
    assert _version(Image.__version__) >= MIN_PILLOW
    assert features.check("libjpeg_turbo"), "JPEG must be decoded by libjpeg-turbo"
    assert _version(features.version("libjpeg_turbo")) >= MIN_LIBJPEG_TURBO
    assert _version(features.version("webp")) >= MIN_LIBWEBP
    assert _version(features.version("zlib")) >= MIN_ZLIB

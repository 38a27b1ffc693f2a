"""The ImageResizer contract (sized renditions), against both Pillow processors: in this
process and in the budgeted decode sandbox. A published original in, a smaller upright copy
of the same format out; an original over the limits is InvalidImage."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from imgtree.adapters.imaging import PillowImageProcessor
from imgtree.adapters.imaging.pool import PooledImageProcessor, pool_source
from imgtree.domain.errors import InvalidImage
from imgtree.domain.model import ImageFormat
from imgtree.domain.ports import ImageResizer
from tests.support import imagegen

RESIZERS: dict[str, Callable[[], ImageResizer]] = {
    "pillow": PillowImageProcessor,
    "pooled": lambda: PooledImageProcessor(pool_source(None, 2)),
}
PILLOW_NAMES = {"JPEG": ImageFormat.JPEG, "PNG": ImageFormat.PNG, "WEBP": ImageFormat.WEBP}
PILLOW_NAMES["GIF"] = ImageFormat.GIF


@pytest.fixture(params=sorted(RESIZERS), scope="module")
def resizer(request: pytest.FixtureRequest) -> ImageResizer:
    return RESIZERS[request.param]()


def published(data: bytes) -> bytes:
    """The bytes imgtree stores for an upload (what a rendition is made from)."""
    done = PillowImageProcessor().process(io.BytesIO(data))
    with done.published, done.thumbnail:
        return done.published.read()


CASES = {
    "jpeg": (lambda: imagegen.jpeg(400, 300), ImageFormat.JPEG),
    "png-alpha": (lambda: imagegen.png(400, 300, alpha=True), ImageFormat.PNG),
    "gif": (lambda: imagegen.gif(400, 300), ImageFormat.GIF),
    "webp": (lambda: imagegen.webp(400, 300), ImageFormat.WEBP),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_format_longest_edge_bound(resizer: ImageResizer, case: str) -> None:
    make, fmt = CASES[case]
    done = resizer.resize(io.BytesIO(published(make())), 100)
    with done.data:
        data = done.data.read()
    assert len(data) == done.size and done.format is fmt
    with Image.open(io.BytesIO(data)) as im:
        assert PILLOW_NAMES[im.format or ""] is fmt
        assert im.size == (done.width, done.height) == (100, 75)
        assert not im.getexif()  # no metadata at all
        if case == "png-alpha":
            assert im.mode == "RGBA"


def test_upright_and_never_larger(resizer: ImageResizer) -> None:
    original = published(imagegen.jpeg(120, 60, exif_orientation=6))  # shown 60x120
    done = resizer.resize(io.BytesIO(original), 1000)
    assert (done.width, done.height) == (60, 120)  # the bound never upscales
    done.data.close()
    done = resizer.resize(io.BytesIO(original), 60)
    with done.data, Image.open(done.data) as im:
        assert im.size == (30, 60)
        red = im.convert("RGB").getpixel((im.width - 3, 3))
        assert isinstance(red, tuple) and red[0] > 180 and red[2] < 100


def test_over_the_limits_is_invalid(resizer: ImageResizer) -> None:
    with pytest.raises(InvalidImage):
        resizer.resize(io.BytesIO(imagegen.png_declaring(60_000, 60_000)), 100)


@pytest.mark.parametrize("target", [ImageFormat.WEBP, ImageFormat.AVIF])
@pytest.mark.parametrize("case", sorted(CASES))
def test_other_formats(resizer: ImageResizer, case: str, target: ImageFormat) -> None:
    make, _fmt = CASES[case]
    done = resizer.resize(io.BytesIO(published(make())), 100, target)
    with done.data:
        data = done.data.read()
    assert len(data) == done.size and done.format is target
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == target.name and im.size == (100, 75)
        if case == "png-alpha":
            assert im.mode == "RGBA"


@pytest.mark.parametrize("target", [None, ImageFormat.WEBP, ImageFormat.AVIF])
def test_animations_keep_every_frame_and_their_timing(
    resizer: ImageResizer, target: ImageFormat | None
) -> None:
    done = resizer.resize(io.BytesIO(published(imagegen.gif(200, 150, frames=5))), 50, target)
    with done.data, Image.open(done.data) as im:
        assert (im.size, getattr(im, "n_frames", 1)) == ((50, 38), 5)
        im.seek(1)
        im.load()  # WebP and AVIF report a frame's duration once it is read
        assert im.info.get("duration") == 80


def test_a_format_it_cannot_write_is_unsupported(resizer: ImageResizer) -> None:
    from imgtree.domain.errors import UnsupportedMediaType

    with pytest.raises(UnsupportedMediaType):
        resizer.resize(io.BytesIO(published(imagegen.png(40, 30))), 20, ImageFormat.HEIC)


def test_make_rendition_is_the_servers_resize() -> None:
    from imgtree.adapters.imaging import make_rendition

    original = published(imagegen.jpeg(400, 300))
    data = make_rendition(original, 100, "webp")
    done = PillowImageProcessor().resize(io.BytesIO(original), 100, ImageFormat.WEBP)
    with done.data:
        assert data == done.data.read()
    with Image.open(io.BytesIO(make_rendition(original, 100))) as im:
        assert im.format == "JPEG" and im.size == (100, 75)

"""The ImageProcessor contract, run against every adapter, plus Pillow-adapter specifics.

The contract tests use only the `ImageProcessor` Protocol and check results by decoding
them with Pillow, so a new processor joins by adding one entry to `PROCESSORS`.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from imgtree.adapters.imaging import PillowImageProcessor
from imgtree.adapters.imaging.pool import PooledImageProcessor, pool_source
from imgtree.domain.errors import InvalidImage, UnsupportedMediaType
from imgtree.domain.model import ImageFormat
from imgtree.domain.ports import ImageInfo, ImageProcessor, ProcessesInto
from tests.support import imagegen

PROCESSORS: dict[str, Callable[[], ImageProcessor]] = {
    "pillow": PillowImageProcessor,
    # the app's processor: the same work in the budgeted decode sandbox
    "pooled": lambda: PooledImageProcessor(pool_source(None, 2)),
}
THUMB = 320  # the default thumbnail bound
PILLOW_FORMATS = {"JPEG": ImageFormat.JPEG, "PNG": ImageFormat.PNG, "GIF": ImageFormat.GIF}
PILLOW_FORMATS["WEBP"] = ImageFormat.WEBP
HTML_TAIL = b"<html><script>alert(document.cookie)</script></html>"
MAGICS = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"GIF87a", b"RIFF\x00\x10\x00\x00WEBP"]


@pytest.fixture(params=sorted(PROCESSORS), scope="module")
def processor(request: pytest.FixtureRequest) -> ImageProcessor:
    return PROCESSORS[request.param]()


@attrs.frozen
class Result:
    info: ImageInfo
    published: bytes
    published_size: int
    thumbnail: bytes
    thumbnail_format: ImageFormat


def process(processor: ImageProcessor, data: bytes) -> Result:
    done = processor.process(io.BytesIO(data))
    try:
        assert done.published.tell() == 0
        assert done.thumbnail.tell() == 0
        return Result(
            done.info,
            done.published.read(),
            done.published_size,
            done.thumbnail.read(),
            done.thumbnail_format,
        )
    finally:
        done.published.close()
        done.thumbnail.close()


def decode_all(data: bytes) -> Image.Image:
    """Open and fully decode every frame; leaves the image on frame 0."""
    im = Image.open(io.BytesIO(data))
    for index in range(getattr(im, "n_frames", 1)):
        im.seek(index)
        im.load()
    im.seek(0)
    return im


def frame_durations(im: Image.Image) -> list[int]:
    durations = []
    for index in range(getattr(im, "n_frames", 1)):
        im.seek(index)
        durations.append(im.info.get("duration"))
    im.seek(0)
    return durations


def is_red(pixel: tuple[int, ...]) -> bool:
    r, g, b = pixel[:3]
    return r > 180 and g < 110 and b < 110


# --- every allowed type round-trips --------------------------------------------------------

ROUND_TRIPS = {
    "jpeg": (imagegen.jpeg, ImageFormat.JPEG, (64, 48), 1),
    "jpeg-large": (lambda: imagegen.jpeg(800, 200), ImageFormat.JPEG, (800, 200), 1),
    "jpeg-progressive": (
        lambda: imagegen.jpeg(400, 300, progressive=True),
        ImageFormat.JPEG,
        (400, 300),
        1,
    ),
    "jpeg-cmyk": (imagegen.cmyk_jpeg, ImageFormat.JPEG, (64, 48), 1),
    "png": (imagegen.png, ImageFormat.PNG, (64, 48), 1),
    "png-alpha": (lambda: imagegen.png(alpha=True), ImageFormat.PNG, (64, 48), 1),
    "png-16bit": (imagegen.png16, ImageFormat.PNG, (64, 48), 1),
    "png-tall": (lambda: imagegen.png(90, 700), ImageFormat.PNG, (90, 700), 1),
    "apng": (imagegen.apng, ImageFormat.PNG, (64, 48), 3),
    "gif": (imagegen.gif, ImageFormat.GIF, (64, 48), 1),
    "gif-animated": (lambda: imagegen.gif(frames=3), ImageFormat.GIF, (64, 48), 3),
    "webp": (imagegen.webp, ImageFormat.WEBP, (64, 48), 1),
    "webp-lossless": (lambda: imagegen.webp(lossless=True), ImageFormat.WEBP, (64, 48), 1),
    "webp-animated": (lambda: imagegen.webp(frames=3), ImageFormat.WEBP, (64, 48), 3),
}


@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
def test_allowed_types_round_trip(processor: ImageProcessor, case: str) -> None:
    make, fmt, size, frames = ROUND_TRIPS[case]
    data = make()
    result = process(processor, data)

    assert result.info == ImageInfo(format=fmt, width=size[0], height=size[1], frames=frames)
    assert result.published_size == len(result.published)
    published = decode_all(result.published)
    assert PILLOW_FORMATS[published.format] is fmt
    assert published.size == size
    assert getattr(published, "n_frames", 1) == frames

    thumb = decode_all(result.thumbnail)
    assert PILLOW_FORMATS[thumb.format] is result.thumbnail_format
    assert max(thumb.size) <= THUMB
    expected = size if max(size) <= THUMB else None  # never upscaled
    if expected is not None:
        assert thumb.size == expected
    else:
        assert max(thumb.size) == THUMB
        assert abs(thumb.width / thumb.height - size[0] / size[1]) < 0.05


def test_inspect_agrees_with_process(processor: ImageProcessor) -> None:
    for make, fmt, size, frames in ROUND_TRIPS.values():
        data = make()
        expected = ImageInfo(format=fmt, width=size[0], height=size[1], frames=frames)
        assert processor.inspect(io.BytesIO(data)) == expected
        assert process(processor, data).info == expected


def test_thumbnail_keeps_transparency(processor: ImageProcessor) -> None:
    result = process(processor, imagegen.png(alpha=True))
    assert result.thumbnail_format in (ImageFormat.PNG, ImageFormat.WEBP)
    thumb = decode_all(result.thumbnail)
    assert thumb.mode in ("RGBA", "LA", "PA") or thumb.has_transparency_data
    assert thumb.convert("RGBA").getchannel("A").getextrema()[0] < 255


def test_opaque_thumbnail_is_jpeg(processor: ImageProcessor) -> None:
    assert process(processor, imagegen.png()).thumbnail_format is ImageFormat.JPEG


# --- metadata is stripped, orientation kept -------------------------------------------------

SECRETS = [
    imagegen.CAMERA_MAKE.encode(),
    imagegen.CAMERA_SERIAL.encode(),
    imagegen.MAKER_NOTE,
    imagegen.COMMENT,
    b"IMGTREE-XMP-SECRET",
]


def assert_no_secrets(data: bytes) -> None:
    for secret in SECRETS:
        assert secret not in data


def test_jpeg_exif_gps_xmp_and_comment_are_stripped(processor: ImageProcessor) -> None:
    data = imagegen.jpeg(gps=True, comment=imagegen.COMMENT, xmp=imagegen.XMP)
    assert all(secret in data for secret in SECRETS)  # the test input really carries them
    result = process(processor, data)

    assert_no_secrets(result.published)
    assert_no_secrets(result.thumbnail)
    published = decode_all(result.published)
    exif = published.getexif()
    assert dict(exif) == {}
    assert not exif.get_ifd(0x8825)  # GPS
    assert "comment" not in published.info
    assert "xmp" not in published.info


def test_orientation_is_kept_alone_and_thumbnail_is_upright(processor: ImageProcessor) -> None:
    data = imagegen.jpeg(640, 480, exif_orientation=6, gps=True)
    result = process(processor, data)

    # info gives the displayed size; the published bytes keep the stored pixels + the tag.
    assert (result.info.width, result.info.height) == (480, 640)
    published = decode_all(result.published)
    assert published.size == (640, 480)
    exif = published.getexif()
    assert dict(exif) == {0x0112: 6}
    assert not exif.get_ifd(0x8825)
    assert_no_secrets(result.published)

    thumb = decode_all(result.thumbnail).convert("RGB")
    assert thumb.size == (240, 320)  # upright: width and height swapped
    assert thumb.getexif().get(0x0112, 1) == 1  # already upright, nothing left to apply
    # The red block is top-left in the stored pixels; orientation 6 shows it top-right.
    assert is_red(thumb.getpixel((thumb.width - 5, 5)))
    assert not is_red(thumb.getpixel((5, 5)))


@pytest.mark.parametrize("frames", [1, 3])
def test_gif_comments_are_stripped(processor: ImageProcessor, frames: int) -> None:
    data = imagegen.gif(frames=frames, comment=imagegen.COMMENT)
    assert imagegen.COMMENT in data
    result = process(processor, data)
    assert imagegen.COMMENT not in result.published
    assert "comment" not in decode_all(result.published).info


@pytest.mark.parametrize("frames", [1, 3])
def test_webp_exif_and_xmp_are_stripped(processor: ImageProcessor, frames: int) -> None:
    data = imagegen.webp(frames=frames, exif=imagegen.exif_block(gps=True), xmp=imagegen.XMP)
    assert imagegen.CAMERA_SERIAL.encode() in data and b"IMGTREE-XMP-SECRET" in data
    result = process(processor, data)
    assert_no_secrets(result.published)
    published = decode_all(result.published)
    assert not dict(published.getexif())
    assert getattr(published, "n_frames", 1) == frames


def test_png_text_chunks_are_stripped(processor: ImageProcessor) -> None:
    data = imagegen.png(text_chunk="IMGTREE-PNG-TEXT")
    assert b"tEXt" in data and b"zTXt" in data
    result = process(processor, data)
    for marker in (b"tEXt", b"zTXt", b"iTXt", b"IMGTREE-PNG-TEXT"):
        assert marker not in result.published
    published = decode_all(result.published)
    assert "Comment" not in published.info and "Description" not in published.info


TAILS = {"html": HTML_TAIL, "zip": imagegen.zip_archive()}
CARRIERS = {
    "jpeg": imagegen.jpeg,
    "png": imagegen.png,
    "gif": imagegen.gif,
    "gif-animated": lambda: imagegen.gif(frames=2),
    "webp": imagegen.webp,
}


@pytest.mark.parametrize("tail", sorted(TAILS))
@pytest.mark.parametrize("carrier", sorted(CARRIERS))
def test_appended_data_is_dropped(processor: ImageProcessor, carrier: str, tail: str) -> None:
    clean = CARRIERS[carrier]()
    result = process(processor, imagegen.with_appended(clean, TAILS[tail]))
    assert TAILS[tail] not in result.published
    assert b"<script>" not in result.published
    assert b"PK\x03\x04" not in result.published
    assert len(result.published) <= len(clean)
    decode_all(result.published)


@pytest.mark.parametrize(
    ("make", "frames"),
    [
        (lambda: imagegen.gif(frames=4), 4),
        (lambda: imagegen.webp(frames=3), 3),
        (lambda: imagegen.webp(frames=3, lossless=True), 3),
        (lambda: imagegen.apng(frames=3), 3),
    ],
)
def test_animations_stay_animated_with_static_thumbnail(
    processor: ImageProcessor, make: Callable[[], bytes], frames: int
) -> None:
    data = make()
    result = process(processor, data)
    assert result.info.frames == frames and result.info.animated
    published = decode_all(result.published)
    assert published.n_frames == frames
    assert frame_durations(published) == frame_durations(decode_all(data))
    thumb = decode_all(result.thumbnail)
    assert getattr(thumb, "n_frames", 1) == 1


# --- hostile input ---------------------------------------------------------------------------

HOSTILE: dict[str, tuple[Callable[[], bytes], type[Exception]]] = {
    "truncated-jpeg": (lambda: imagegen.truncated(imagegen.jpeg(200, 150)), InvalidImage),
    "truncated-progressive-jpeg": (
        lambda: imagegen.truncated(imagegen.jpeg(200, 150, progressive=True), 0.8),
        InvalidImage,
    ),
    "truncated-png": (lambda: imagegen.truncated(imagegen.png(200, 150)), InvalidImage),
    "truncated-gif": (lambda: imagegen.truncated(imagegen.gif(200, 150)), InvalidImage),
    "truncated-animated-gif": (
        lambda: imagegen.truncated(imagegen.gif(frames=3), 0.9),
        InvalidImage,
    ),
    "truncated-webp": (lambda: imagegen.truncated(imagegen.webp(200, 150)), InvalidImage),
    "png-declaring-60000x60000": (imagegen.png_declaring, InvalidImage),
    "png-declaring-20000x20000": (lambda: imagegen.png_declaring(20_000, 20_000), InvalidImage),
    "png-declaring-zero-width": (lambda: imagegen.png_declaring(0, 10), InvalidImage),
    "jpeg-header-only": (lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", InvalidImage),
    "png-signature-only": (lambda: b"\x89PNG\r\n\x1a\n", InvalidImage),
    "gif-header-only": (lambda: b"GIF89a", InvalidImage),
    "webp-header-only": (lambda: b"RIFF\x04\x00\x00\x00WEBP", InvalidImage),
    "svg": (imagegen.svg, UnsupportedMediaType),
    "html": (imagegen.html, UnsupportedMediaType),
    "pdf": (lambda: b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n", UnsupportedMediaType),
    "zip": (imagegen.zip_archive, UnsupportedMediaType),
    "elf": (lambda: b"\x7fELF\x02\x01\x01" + bytes(64), UnsupportedMediaType),
    "bmp": (lambda: _pillow_bytes("BMP"), UnsupportedMediaType),
    "tiff": (lambda: _pillow_bytes("TIFF"), UnsupportedMediaType),
    "zero-bytes": (lambda: b"", UnsupportedMediaType),
    "one-byte": (lambda: b"\xff", UnsupportedMediaType),
    "text": (lambda: b"just some text, not an image\n", UnsupportedMediaType),
    "garbage": (lambda: bytes(range(256)) * 4, UnsupportedMediaType),
    "html-with-gif-name": (lambda: b"<html>GIF89a</html>", UnsupportedMediaType),
}


def _pillow_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    imagegen.picture().save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_raises_domain_errors(processor: ImageProcessor, case: str) -> None:
    make, error = HOSTILE[case]
    with pytest.raises(error) as raised:
        processor.process(io.BytesIO(make()))
    assert raised.value.message
    if error is UnsupportedMediaType:
        assert "JPEG, PNG, GIF, WebP, HEIC/HEIF and AVIF" in raised.value.message
    # inspect reads headers only: it must catch what headers show, and nothing else escapes.
    if error is UnsupportedMediaType or case.startswith(("png-declaring", "webp-header")):
        with pytest.raises(error):
            processor.inspect(io.BytesIO(make()))
    else:
        with contextlib.suppress(InvalidImage):
            processor.inspect(io.BytesIO(make()))


def _mutated(data: bytes, position: int, value: int) -> bytes:
    index = position % len(data)
    return data[:index] + bytes([value]) + data[index + 1 :]


SAMPLES = [
    imagegen.jpeg(32, 24),
    imagegen.jpeg(32, 24, progressive=True),
    imagegen.png(16, 12, alpha=True),
    imagegen.apng(16, 12, frames=2),
    imagegen.gif(16, 12, frames=2),
    imagegen.webp(16, 12),
    imagegen.webp(16, 12, frames=2, lossless=True),
]


def quiet(test: Callable[..., None]) -> Callable[..., None]:
    """Pillow warns (corrupt EXIF, huge headers) before the processor rejects such input."""
    test = pytest.mark.filterwarnings("ignore::UserWarning")(test)
    return pytest.mark.filterwarnings("ignore::RuntimeWarning")(test)


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def assert_only_domain_errors(processor: ImageProcessor, data: bytes) -> None:
    for call in (processor.inspect, processor.process):
        try:
            result = call(io.BytesIO(data))
        except (UnsupportedMediaType, InvalidImage):
            continue
        if call is processor.process:
            result.published.close()  # type: ignore[union-attr]
            result.thumbnail.close()  # type: ignore[union-attr]


@quiet
@FUZZ
@given(data=st.binary(max_size=1024))
def test_random_bytes_raise_only_domain_errors(processor: ImageProcessor, data: bytes) -> None:
    assert_only_domain_errors(processor, data)


@quiet
@FUZZ
@given(magic=st.sampled_from(MAGICS), tail=st.binary(max_size=1024))
def test_magic_plus_random_bytes_raise_only_domain_errors(
    processor: ImageProcessor, magic: bytes, tail: bytes
) -> None:
    assert_only_domain_errors(processor, magic + tail)


@quiet
@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=4),
    keep=st.floats(0.0, 1.0),
)
def test_damaged_images_raise_only_domain_errors(
    processor: ImageProcessor, sample: bytes, edits: list[tuple[int, int]], keep: float
) -> None:
    data = sample
    for position, value in edits:
        data = _mutated(data, position, value)
    assert_only_domain_errors(processor, data[: max(1, round(len(data) * keep))])


def test_concurrent_processing_gives_identical_results(processor: ImageProcessor) -> None:
    inputs = [imagegen.jpeg(300, 200, exif_orientation=6), imagegen.gif(frames=3), imagegen.png()]
    expected = [process(processor, data) for data in inputs]
    barrier = threading.Barrier(6)

    def run(index: int) -> Result:
        barrier.wait()
        return process(processor, inputs[index % len(inputs)])

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(run, range(6)))
    for index, result in enumerate(results):
        assert result == expected[index % len(inputs)]


# --- Pillow adapter specifics ---------------------------------------------------------------


def test_pixel_limit_is_per_instance() -> None:
    small = PillowImageProcessor(max_pixels=1000)
    with pytest.raises(InvalidImage, match="too large"):
        small.process(io.BytesIO(imagegen.jpeg(64, 48)))
    with pytest.raises(InvalidImage, match="too large"):
        small.inspect(io.BytesIO(imagegen.png(64, 48)))
    assert PillowImageProcessor().inspect(io.BytesIO(imagegen.png(64, 48))).width == 64


def test_frame_limits() -> None:
    with pytest.raises(InvalidImage, match="too many frames"):
        PillowImageProcessor(max_frames=2).process(io.BytesIO(imagegen.gif(frames=3)))
    with pytest.raises(InvalidImage, match="too many frames"):
        PillowImageProcessor(max_frames=2).inspect(io.BytesIO(imagegen.gif(frames=3)))
    with pytest.raises(InvalidImage, match="too many frames"):
        PillowImageProcessor(max_frames=2).inspect(io.BytesIO(imagegen.webp(frames=3)))
    with pytest.raises(InvalidImage, match="too many frames"):
        PillowImageProcessor(max_frames=2).process(io.BytesIO(imagegen.apng(frames=3)))
    # 3 frames of 64x48 exceed 4 x 4000 pixels of total decoding work
    with pytest.raises(InvalidImage, match="Animation is too large"):
        PillowImageProcessor(max_pixels=4000).process(io.BytesIO(imagegen.apng(frames=6)))


def test_thumbnail_size_is_configurable() -> None:
    done = PillowImageProcessor(thumbnail_size=50).process(io.BytesIO(imagegen.jpeg(400, 100)))
    assert Image.open(done.thumbnail).size == (50, 12)


def test_jpeg_without_metadata_is_published_byte_for_byte() -> None:
    data = imagegen.jpeg(120, 80)
    done = PillowImageProcessor().process(io.BytesIO(data))
    assert done.published.read() == data


def test_oversized_icc_profile_is_dropped_small_one_kept() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for fmt in ("JPEG", "PNG", "WEBP"):
        out = io.BytesIO()
        imagegen.picture().save(out, fmt, icc_profile=icc)
        kept = PillowImageProcessor().process(io.BytesIO(out.getvalue()))
        assert Image.open(kept.published).info.get("icc_profile") == icc, fmt
        dropped = PillowImageProcessor(max_icc_bytes=len(icc) - 1).process(
            io.BytesIO(out.getvalue())
        )
        assert not Image.open(dropped.published).info.get("icc_profile"), fmt


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_keep_orientation_alone(fmt: str) -> None:
    out = io.BytesIO()
    exif = imagegen.exif_block(orientation=8, gps=True)
    imagegen.picture(64, 48).save(out, fmt, exif=exif)
    data = out.getvalue()
    assert imagegen.CAMERA_SERIAL.encode() in data
    done = PillowImageProcessor().process(io.BytesIO(data))
    published = done.published.read()
    assert_no_secrets(published)
    assert dict(decode_all(published).getexif()) == {0x0112: 8}
    assert Image.open(done.thumbnail).size == (48, 64)


def test_jfif_thumbnail_is_removed() -> None:
    # A JFIF APP0 with a 1x1 embedded RGB thumbnail: the thumbnail pixels must not survive.
    jfif = b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x01\x01" + b"\xab\xcd\xef"
    segment = b"\xff\xe0" + (len(jfif) + 2).to_bytes(2, "big") + jfif
    clean = imagegen.jpeg()
    body = clean[2:]
    if body.startswith(b"\xff\xe0"):  # replace Pillow's own JFIF segment
        body = body[2 + int.from_bytes(body[2:4], "big") :]
    done = PillowImageProcessor().process(io.BytesIO(b"\xff\xd8" + segment + body))
    published = done.published.read()
    assert b"\xab\xcd\xef" not in published
    assert published.startswith(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x02")
    decode_all(published)


def pixels(data: bytes) -> list[bytes]:
    im = Image.open(io.BytesIO(data))
    frames = []
    for index in range(getattr(im, "n_frames", 1)):
        im.seek(index)
        frames.append(im.convert("RGBA").tobytes())
    return frames


@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
def test_rewrite_is_pixel_exact(case: str) -> None:
    # Container-level rewriting never touches the coded pixels, so nothing is lost.
    data = ROUND_TRIPS[case][0]()
    done = PillowImageProcessor().process(io.BytesIO(data))
    assert pixels(done.published.read()) == pixels(data)


def test_apng_whose_frame_count_disagrees_is_invalid() -> None:
    data = imagegen.apng(frames=3)
    at = data.index(b"acTL") + 4
    body = (2).to_bytes(4, "big") + data[at + 4 : at + 8]
    lied = data[:at] + body + zlib.crc32(b"acTL" + body).to_bytes(4, "big") + data[at + 12 :]
    with pytest.raises(InvalidImage, match="frame count"):
        PillowImageProcessor().process(io.BytesIO(lied))


@pytest.mark.parametrize("window", [2, 3, 7, 64])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_streamed_rewrite_does_not_depend_on_the_read_window(
    monkeypatch: pytest.MonkeyPatch, fmt: str, window: int
) -> None:
    # JPEG and PNG are rewritten from the upload file through a bounded window: markers,
    # fill bytes and 0xFF bytes at window edges must give the same result as one big window.
    import tempfile

    from imgtree.adapters.imaging import stream

    out = io.BytesIO()
    exif = imagegen.exif_block(orientation=6, gps=True)
    imagegen.picture(96, 64).save(out, fmt, exif=exif)
    data = out.getvalue()
    if fmt == "JPEG":  # fill bytes before a marker, then a comment to drop
        data = data[:2] + b"\xff" * 9 + data[2:]
    data += HTML_TAIL
    expected = PillowImageProcessor().process(io.BytesIO(data)).published.read()
    monkeypatch.setattr(stream, "CHUNK", window)
    with tempfile.TemporaryFile() as source:  # disk-backed, the image not at offset 0
        source.write(b"junk" + data)
        source.seek(4)
        done = PillowImageProcessor().process(source)
    assert done.published.read() == expected
    assert done.published_size == len(expected)
    with pytest.raises(InvalidImage, match="truncated"):
        PillowImageProcessor().process(io.BytesIO(data[: len(data) // 2]))


@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
@pytest.mark.parametrize("into_kind", ["file", "memory"])
def test_process_into_gives_what_process_gives(
    processor: ImageProcessor, case: str, into_kind: str
) -> None:
    """The staged publish (`ProcessesInto`): the same published bytes, written into the
    caller's file when it is a real one (the pool passes it to the child by descriptor)."""
    assert isinstance(processor, ProcessesInto)
    data = ROUND_TRIPS[case][0]()
    expected = process(processor, data)
    into: BinaryIO = tempfile.TemporaryFile() if into_kind == "file" else io.BytesIO()  # noqa: SIM115
    with into:
        done = processor.process_into(io.BytesIO(data), into)
        try:
            if into_kind == "file" or isinstance(processor, PillowImageProcessor):
                assert done.published is into
            assert done.published.tell() == 0
            assert done.published.read() == expected.published
            assert done.published_size == expected.published_size
            assert done.info == expected.info
            assert done.thumbnail.read() == expected.thumbnail
        finally:
            done.published.close()
            done.thumbnail.close()


@pytest.mark.parametrize("case", ["not-an-image", "truncated-jpeg"])
def test_process_into_refuses_what_process_refuses(processor: ImageProcessor, case: str) -> None:
    assert isinstance(processor, ProcessesInto)
    data = {
        "not-an-image": b"hello world" * 100,
        "truncated-jpeg": imagegen.truncated(imagegen.jpeg(200, 150)),
    }[case]
    with tempfile.TemporaryFile() as into, pytest.raises((InvalidImage, UnsupportedMediaType)):
        processor.process_into(io.BytesIO(data), into)


# --- placeholders (issue 16 item 4) ---------------------------------------------------------


def test_the_placeholder_comes_with_the_thumbnail(processor: ImageProcessor) -> None:
    """Both processors make the same placeholder (the pooled one in its decode child, carried
    back in the reply), from the thumbnail: a red picture is "#ff0000"."""
    red = io.BytesIO()
    Image.new("RGB", (300, 200), (255, 0, 0)).save(red, "PNG")
    done = processor.process(io.BytesIO(red.getvalue()))
    done.published.close()
    done.thumbnail.close()
    assert done.dominant_color == "#ff0000"
    assert done.blurhash is not None and done.blurhash[0] == "L"  # 4 x 3 components
    direct = PillowImageProcessor().process(io.BytesIO(red.getvalue()))
    direct.published.close()
    direct.thumbnail.close()
    assert (done.blurhash, done.dominant_color) == (direct.blurhash, direct.dominant_color)

"""`ImageProcessor` on Pillow: sniff, bound, sanitise at the container level, verify, thumbnail.

`process` runs in this order:

1. sniff the real type from the magic bytes (`sniff`); anything but JPEG/PNG/GIF/WebP is
   UnsupportedMediaType;
2. rewrite the file at the container level (`jpeg`, `png`, `gif`, `webp`): metadata and
   trailing bytes go, the EXIF orientation is kept as a one-tag EXIF block, truncation and
   broken structure are InvalidImage. Pixels are never re-encoded, so what is published has
   exactly the quality that was uploaded. The walk also enforces the structural limits
   from what the headers declare (sides, area, frames inside the canvas, frames x canvas,
   JPEG scans, PNG chunks and metadata bytes), stopping at the first block over a limit:
   InvalidImage; a JPEG coding variant other than baseline/progressive Huffman is
   UnsupportedMediaType;
   JPEG and PNG are streamed: read from the upload file through a bounded window and
   written to a temporary file in chunks (`stream`), so memory does not grow with the
   file; GIF and WebP (small files in practice) are rewritten in memory;
3. open the *rewritten* file with Pillow (headers only) and check the side, pixel and frame
   limits again, as a backstop, before any pixel is decoded;
4. decode every frame of the rewritten bytes (so what is published is what was verified)
   and make the thumbnail from the first frame in the same pass. JPEGs decode in draft mode:
   libjpeg still reads the whole entropy-coded stream, at a fraction of the cost;
5. turn the thumbnail upright by the kept orientation and encode it: JPEG (quality 85)
   when it has no transparency, WebP (quality 85, alpha kept) when it has;
6. make the placeholder (BlurHash and dominant colour) from the thumbnail (`placeholder`).

Limits are checked by this class per call; Pillow's global `Image.MAX_IMAGE_PIXELS` is left
alone (its DecompressionBombError is still mapped to InvalidImage). No global state is
changed per call, so one instance serves many threads.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

import attrs
from PIL import Image, ImageFile, ImageOps, features

from imgtree.adapters.imaging import bmff, gif, jpeg, png, stream, webp
from imgtree.adapters.imaging.container import (
    MAX_ICC_BYTES,
    MAX_SIDE,
    ContainerError,
    LimitExceeded,
    Rewritten,
    UnsupportedVariant,
    check_size,
)
from imgtree.adapters.imaging.placeholder import placeholder
from imgtree.adapters.imaging.sniff import sniff
from imgtree.domain.errors import (
    DomainError,
    InvalidImage,
    StorageUnavailable,
    UnsupportedMediaType,
)
from imgtree.domain.model import ImageFormat
from imgtree.domain.policies import ALLOWED_TYPES, ProcessingPolicy
from imgtree.domain.ports import ImageInfo, ProcessedImage, ResizedImage

THUMBNAIL_QUALITY = 85
RENDITION_QUALITY = 85
_ORIENTATION_TAG = 0x0112
_SNIFF_BYTES = 64  # enough for every signature `sniff` knows (an ftyp's first brands)
_REDUCING_GAP = 2.0
# rewritten from the upload file to a temporary file in bounded chunks (see `stream`)
_STREAMED = frozenset({ImageFormat.JPEG, ImageFormat.PNG})
_PILLOW_NAMES = {
    ImageFormat.JPEG: "JPEG",
    ImageFormat.PNG: "PNG",
    ImageFormat.GIF: "GIF",
    ImageFormat.WEBP: "WEBP",
    ImageFormat.HEIC: "HEIF",
    ImageFormat.HEIF: "HEIF",
    ImageFormat.AVIF: "AVIF",
}
# Decoded and re-encoded as JPEG (PNG when transparent): browsers and chat apps show
# JPEG, Chromium shows no HEIC, and re-encoding is what removes every piece of metadata.
_TRANSCODED = frozenset({ImageFormat.HEIC, ImageFormat.HEIF, ImageFormat.AVIF})
TRANSCODE_QUALITY = 85
# AVIF's quality scale runs lower than JPEG's for the same look: 60 is about JPEG's 85.
AVIF_QUALITY = 60
# libavif's speed for animations (0 slowest … 10 fastest; Pillow's default is 6): every frame
# is encoded: 200 noise frames of 320x240 took 22.9 s of CPU at 6 and 2.7 s at 8, the file
# 8.2 MB and 7.5 MB (Pillow 13, measured 2026-12-01). Stills keep the default.
AVIF_ANIMATION_SPEED = 8


def rendition_encoders() -> frozenset[ImageFormat]:
    """The formats this installation can write renditions in."""
    available = {ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.GIF}
    if features.check("webp"):
        available.add(ImageFormat.WEBP)
    if features.check("avif"):
        available.add(ImageFormat.AVIF)
    return frozenset(available)


def writable_formats(names: tuple[str, ...]) -> tuple[str, ...]:
    """The rendition format names (IMGTREE_RENDITION_FORMATS) this installation can write:
    "original" always, "webp"/"avif" when Pillow was built with them."""
    writable = {fmt.extension for fmt in RENDITION_ENCODERS}
    return tuple(name for name in names if name == "original" or name in writable)


def animated_encoders() -> frozenset[ImageFormat]:
    """The rendition formats this installation can write an animation in (APNG, GIF,
    animated WebP; animated AVIF with Pillow's own AVIF plugin, Pillow 11.3 and later)."""
    animated = {ImageFormat.GIF, ImageFormat.PNG}
    if ImageFormat.WEBP in RENDITION_ENCODERS:
        animated.add(ImageFormat.WEBP)
    if ImageFormat.AVIF in RENDITION_ENCODERS and features.check("avif"):
        animated.add(ImageFormat.AVIF)
    return frozenset(animated)


def _register_heif() -> bool:
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - pillow-heif is a dependency
        return False
    pillow_heif.register_heif_opener()
    return True


_HEIF_AVAILABLE = _register_heif()
RENDITION_ENCODERS = rendition_encoders()


def decodable_types() -> tuple[ImageFormat, ...]:
    """The upload types this installation can decode: what discovery's `allowed_types` lists."""
    extra: list[ImageFormat] = []
    if _HEIF_AVAILABLE:
        extra += [ImageFormat.HEIC, ImageFormat.HEIF]
    if features.check("avif"):
        extra.append(ImageFormat.AVIF)
    return (*ALLOWED_TYPES, *extra)


# EXIF orientation -> the transposition that shows the stored pixels upright
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@contextlib.contextmanager
def _walking() -> Iterator[None]:
    """Map what the container walkers raise to domain errors."""
    try:
        yield
    except UnsupportedVariant as exc:
        raise UnsupportedMediaType(str(exc)) from exc
    except LimitExceeded as exc:
        raise InvalidImage(str(exc)) from exc
    except ContainerError as exc:
        raise InvalidImage(f"Image could not be decoded: {exc}") from exc


@contextlib.contextmanager
def _decoding() -> Iterator[None]:
    """Map whatever Pillow and its codecs raise on hostile input to InvalidImage."""
    try:
        yield
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImage("Image is too large: its dimensions exceed the pixel limit") from exc
    except Exception as exc:  # OSError, SyntaxError, ValueError, struct.error, EOFError, ...
        raise InvalidImage("Image could not be decoded") from exc


@contextlib.contextmanager
def _storing(into: BinaryIO | None) -> Iterator[None]:
    """Writing the published file into the caller's storage file (`process_into`): a failed
    write there is the storage's failure (a full disk: 503, retry later), not the image's."""
    try:
        yield
    except OSError as exc:
        if into is None:
            raise
        raise StorageUnavailable("Blob storage is unavailable") from exc


def _seekable(source: BinaryIO) -> bool:
    seekable = getattr(source, "seekable", None)
    return seekable is not None and bool(seekable())


def _read_all(source: BinaryIO) -> bytes:
    # Sniff the magic bytes first: a file that is no image is refused without ever being
    # read into memory (it may be tens of MB, spooled on disk by the HTTP layer).
    seekable = getattr(source, "seekable", None)
    if seekable is not None and seekable():
        start = source.tell()
        sniff(source.read(_SNIFF_BYTES) or b"")
        source.seek(start)
    data = source.read()
    return bytes(data) if data else b""


def _spool(data: bytes, into: BinaryIO | None = None) -> BinaryIO:
    # Above the spool threshold, write straight to a file: a SpooledTemporaryFile would
    # first copy all of `data` into a BytesIO and only then roll over to disk.
    out = stream.temporary(len(data)) if into is None else into
    out.write(data)
    out.seek(0)
    return out


def _fit(size: tuple[int, int], bound: int) -> tuple[int, int]:
    """The largest size within bound x bound with the same aspect ratio; never larger."""
    width, height = size
    if width <= bound and height <= bound:
        return size
    if width >= height:
        return bound, max(1, round(height * bound / width))
    return max(1, round(width * bound / height)), bound


def _resizable(frame: Image.Image) -> Image.Image:
    """The frame in a mode that resizes with real filtering, transparency made explicit."""
    if frame.mode in ("1", "P", "PA") or (
        frame.mode in ("L", "RGB") and "transparency" in frame.info
    ):
        return frame.convert("RGBA" if frame.has_transparency_data else "RGB")
    return frame


def _resized(frame: Image.Image, bound: int) -> Image.Image:
    size = _fit(frame.size, bound)
    if size == frame.size:
        return frame.copy()
    return frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)


def _upright(frame: Image.Image, orientation: int) -> Image.Image:
    upright = _UPRIGHT.get(orientation)
    return frame if upright is None else frame.transpose(upright)


def _displayable(thumb: Image.Image, orientation: int = 1) -> Image.Image:
    """The thumbnail upright (by the EXIF `orientation`) as L, RGB or RGBA; alpha only when
    something is actually transparent."""
    thumb = _upright(thumb, orientation)
    if thumb.mode.startswith("I"):  # 16-bit greyscale: scale down rather than clip
        thumb = thumb.convert("I").point(lambda v: v / 256).convert("L")
    elif thumb.mode == "LA":
        thumb = thumb.convert("RGBA")
    elif thumb.mode not in ("L", "RGB", "RGBA"):  # CMYK, YCbCr, LAB, HSV, F
        thumb = thumb.convert("RGB")
    if thumb.mode == "RGBA":
        low, _high = thumb.getchannel("A").getextrema()
        if low == 255:
            thumb = thumb.convert("RGB")
    return thumb


def _matching_icc(icc: bytes | None, mode: str) -> bytes | None:
    """The profile if its colour space fits the thumbnail's mode (header bytes 16-19)."""
    if not icc or len(icc) < 20:
        return None
    space = icc[16:20]
    if (space == b"RGB " and mode in ("RGB", "RGBA")) or (space == b"GRAY" and mode == "L"):
        return icc
    return None


class PillowImageProcessor:
    """The `ImageProcessor` port. See the module docstring for what `process` guarantees."""

    def __init__(
        self,
        *,
        max_pixels: int = 50_000_000,
        max_frames: int = 1000,
        thumbnail_size: int = 320,
        max_icc_bytes: int = MAX_ICC_BYTES,
        max_side: int = MAX_SIDE,
    ) -> None:
        if min(max_pixels, max_frames, thumbnail_size, max_icc_bytes, max_side) < 1:
            raise ValueError("limits and the thumbnail size must be positive")
        if ImageFile.LOAD_TRUNCATED_IMAGES:
            # Truncated pixel data would then decode silently as grey or black.
            raise ValueError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must be False")
        self.max_pixels = max_pixels
        self.max_frames = max_frames
        self.thumbnail_size = thumbnail_size
        self.max_icc_bytes = max_icc_bytes
        self.max_side = max_side
        # Animations decode every frame at full canvas size: bound the total work too.
        self.max_total_pixels = 4 * max_pixels

    @classmethod
    def from_policy(
        cls, policy: ProcessingPolicy, *, thumbnail_size: int = 320
    ) -> PillowImageProcessor:
        """The image limits a deployment publishes, checked in the calling process. The
        policy's CPU, wall-clock and memory budget needs the sandbox (`PooledImageProcessor`)."""
        return cls(
            max_pixels=policy.max_image_pixels,
            max_frames=policy.max_frames,
            thumbnail_size=thumbnail_size,
            max_side=policy.max_image_side,
        )

    # --- the port ------------------------------------------------------------------------

    def inspect(self, source: BinaryIO) -> ImageInfo:
        data = _read_all(source)
        fmt = sniff(data)
        if fmt in _TRANSCODED:
            self._check_bmff(fmt, data)
            with _decoding(), self._open(data, fmt) as im:
                return self._info(im, fmt, 1)
        # The structural checks of `process`, so both refuse the same headers. Pillow
        # counts GIF frames by walking them in Python; the block walk is bounded.
        if fmt in _STREAMED:
            self._plan(fmt, stream.reader_for(data))
            frames = None
        else:
            frames = self._rewrite(fmt, data).frames
            if fmt is not ImageFormat.GIF:
                frames = None
        with _decoding(), self._open(data, fmt) as im:
            return self._info(im, fmt, frames)

    def process(self, source: BinaryIO) -> ProcessedImage:
        return self._process(source, None)

    def process_into(self, source: BinaryIO, into: BinaryIO) -> ProcessedImage:
        """`process`, the published bytes written to `into` (which `published` then is)."""
        return self._process(source, into)

    def _process(self, source: BinaryIO, into: BinaryIO | None) -> ProcessedImage:
        if not _seekable(source):
            source = io.BytesIO(_read_all(source))
        start = source.tell()
        fmt = sniff(source.read(_SNIFF_BYTES) or b"")
        source.seek(start)
        if fmt in _TRANSCODED:
            return self._transcode(fmt, _read_all(source), into)
        if fmt in _STREAMED:
            # Read through a bounded window and written chunk by chunk to a temporary
            # file: neither the upload nor the rewritten file is held in memory whole.
            reader = stream.Reader(source)
            planned = self._plan(fmt, reader)
            with _storing(into):
                published = stream.write(planned, reader, into)
            published_size = planned.size
            orientation, frames = planned.orientation, planned.frames
        else:
            # GIF and WebP: small-file formats in practice, rewritten in memory.
            data = _read_all(source)
            rewritten = self._rewrite(fmt, data)
            del data  # only the rewritten bytes matter from here on
            with _storing(into):
                published = _spool(rewritten.data, into)
            published_size = len(rewritten.data)
            orientation, frames = rewritten.orientation, rewritten.frames
            del rewritten
        try:
            with _decoding(), self._open_file(published, fmt) as im:
                info = self._info(im, fmt, frames)
                icc = im.info.get("icc_profile")
                thumb = _displayable(self._verify_and_thumbnail(im, info), orientation)
                thumbnail, thumbnail_format = self._encode_thumbnail(thumb, icc)
                blurhash, dominant_color = placeholder(thumb)
            published.seek(0)
        except BaseException:
            if published is not into:
                published.close()
            raise
        if orientation in (5, 6, 7, 8):
            # Quarter turns: report the dimensions the picture is displayed at.
            info = attrs.evolve(info, width=info.height, height=info.width)
        return ProcessedImage(
            info=info,
            published=published,
            published_size=published_size,
            thumbnail=_spool(thumbnail),
            thumbnail_format=thumbnail_format,
            blurhash=blurhash,
            dominant_color=dominant_color,
        )

    def resize(
        self, source: BinaryIO, bound: int, format: ImageFormat | None = None
    ) -> ResizedImage:
        """A smaller copy of a published (already sanitised) image, upright, in `format`
        (None: its own), every frame of an animation resized (timing and loop kept).

        The same header limits as `process` (sides, pixels, frames, frames x pixels) are
        checked before any pixel is decoded; JPEGs decode in draft mode at the smallest DCT
        scale still at least `bound`."""
        if bound < 1:
            raise ValueError("bound must be positive")
        if not _seekable(source):
            source = io.BytesIO(_read_all(source))
        start = source.tell()
        fmt = sniff(source.read(_SNIFF_BYTES) or b"")
        source.seek(start)
        target = format or fmt
        if target not in RENDITION_ENCODERS:
            raise UnsupportedMediaType(f"Renditions cannot be written as {target.value}")
        with _decoding(), self._open_file(source, fmt) as im:
            info = self._info(im, fmt, None)
            if info.animated and target not in animated_encoders():
                raise UnsupportedMediaType(f"{target.value} cannot keep the animation")
            orientation = int(im.getexif().get(_ORIENTATION_TAG, 1) or 1)
            icc = im.info.get("icc_profile")
            if fmt is ImageFormat.JPEG:
                im.draft(im.mode if im.mode in ("L", "RGB") else "RGB", (bound, bound))
            frames: list[Image.Image] = []
            durations: list[int] = []
            for index in range(info.frames):
                im.seek(index)
                im.load()
                frames.append(_upright(_resized(_resizable(im), bound), orientation))
                durations.append(int(im.info.get("duration", 100) or 100))
            loop = int(im.info.get("loop", 0) or 0)
            first = frames[0]
            if len(frames) == 1:
                first = _displayable(first)
            else:  # one mode for every frame: RGBA when any has transparency
                alpha = any(frame.mode not in ("L", "RGB") for frame in frames)
                frames = [frame.convert("RGBA" if alpha else "RGB") for frame in frames]
                first = frames[0]
            out = io.BytesIO()
            options: dict[str, object] = {}
            profile = _matching_icc(icc if isinstance(icc, bytes) else None, first.mode)
            if profile is not None and target is not ImageFormat.GIF:
                options["icc_profile"] = profile
            if target is ImageFormat.JPEG:
                first = first if first.mode in ("L", "RGB") else first.convert("RGB")
                options.update(quality=RENDITION_QUALITY, progressive=True, optimize=True)
            elif target is ImageFormat.WEBP:
                options["quality"] = RENDITION_QUALITY
            elif target is ImageFormat.AVIF:
                options["quality"] = AVIF_QUALITY
                if len(frames) > 1:
                    options["speed"] = AVIF_ANIMATION_SPEED
            if len(frames) > 1:
                options.update(
                    save_all=True, append_images=frames[1:], duration=durations, loop=loop
                )
            first.save(out, _PILLOW_NAMES[target], **options)
        size_bytes = out.tell()
        out.seek(0)
        return ResizedImage(
            data=out, size=size_bytes, format=target, width=first.width, height=first.height
        )

    def placeholder_of(self, thumbnail: BinaryIO) -> tuple[str | None, str | None]:
        """The placeholder of a stored thumbnail (backfill): decoded like an upload's first
        frame, within the same limits, shrunk to the thumbnail bound first (a thumbnail made
        with a larger bound, or a swapped blob, costs no more than a thumbnail)."""
        data = _read_all(thumbnail)
        fmt = sniff(data)
        if fmt in _TRANSCODED:  # never a thumbnail this processor made
            raise UnsupportedMediaType("Not a thumbnail")
        with _decoding(), self._open(data, fmt) as im:
            info = self._info(im, fmt, 1)
            return placeholder(_displayable(self._verify_and_thumbnail(im, info)))

    # --- steps -----------------------------------------------------------------------------

    def _check_bmff(self, fmt: ImageFormat, data: bytes) -> None:
        if fmt is ImageFormat.AVIF and not features.check("avif"):
            raise UnsupportedMediaType("AVIF images are not accepted by this server")
        if fmt is not ImageFormat.AVIF and not _HEIF_AVAILABLE:
            raise UnsupportedMediaType("HEIC/HEIF images are not accepted by this server")
        with _walking():
            bmff.check(
                data,
                max_side=self.max_side,
                max_pixels=self.max_pixels,
                max_total_pixels=self.max_total_pixels,
            )

    def _transcode(self, fmt: ImageFormat, data: bytes, into: BinaryIO | None) -> ProcessedImage:
        """HEIC/HEIF/AVIF: bound by the box tree, decode the primary image, turn it upright,
        and publish it through the JPEG (or PNG, when transparent) path with no metadata."""
        self._check_bmff(fmt, data)
        with _decoding(), self._open(data, fmt) as im:
            self._info(im, fmt, 1)  # the decoder's own idea of the size, before decoding
            im.load()
            frame = ImageOps.exif_transpose(im)
            icc = im.info.get("icc_profile")
            frame = _displayable(_resizable(frame))
            out = io.BytesIO()
            options: dict[str, object] = {}
            profile = _matching_icc(icc if isinstance(icc, bytes) else None, frame.mode)
            if profile is not None:
                options["icc_profile"] = profile
            if frame.mode == "RGBA":
                frame.save(out, "PNG", **options)
            else:
                options.update(quality=TRANSCODE_QUALITY, progressive=True, optimize=True)
                frame.save(out, "JPEG", **options)
            del frame
        del data
        out.seek(0)
        processed = self._process(out, into)
        info = attrs.evolve(processed.info, source_format=fmt)
        return attrs.evolve(processed, info=info)

    def _rewrite(self, fmt: ImageFormat, data: bytes) -> Rewritten:
        size = {"max_side": self.max_side, "max_pixels": self.max_pixels}
        animation = {"max_frames": self.max_frames, "max_total_pixels": self.max_total_pixels}
        icc = self.max_icc_bytes
        rewriters: dict[ImageFormat, Callable[[], Rewritten]] = {
            ImageFormat.JPEG: lambda: jpeg.rewrite(data, max_icc=icc, **size),
            ImageFormat.PNG: lambda: png.rewrite(data, max_icc=icc, **size),
            ImageFormat.GIF: lambda: gif.rewrite(data, **size, **animation),
            ImageFormat.WEBP: lambda: webp.rewrite(data, max_icc=icc, **size, **animation),
        }
        with _walking():
            return rewriters[fmt]()

    def _plan(self, fmt: ImageFormat, reader: stream.Reader) -> stream.Plan:
        size = {"max_side": self.max_side, "max_pixels": self.max_pixels}
        with _walking():
            if fmt is ImageFormat.JPEG:
                return jpeg.plan(reader, max_icc=self.max_icc_bytes, **size)
            return png.plan(reader, max_icc=self.max_icc_bytes, **size)

    def _open(self, data: bytes, fmt: ImageFormat) -> Image.Image:
        return self._open_file(io.BytesIO(data), fmt)

    def _open_file(self, file: BinaryIO, fmt: ImageFormat) -> Image.Image:
        # `formats` pins the decoder to the sniffed type: no other plugin gets a say.
        return Image.open(file, formats=(_PILLOW_NAMES[fmt],))

    def _info(self, im: Image.Image, fmt: ImageFormat, frames: int | None) -> ImageInfo:
        width, height = im.size
        if width < 1 or height < 1:
            raise InvalidImage("Image has no pixels")
        pixels = width * height
        try:
            check_size(width, height, max_side=self.max_side, max_pixels=self.max_pixels)
        except LimitExceeded as exc:
            raise InvalidImage(str(exc)) from exc
        if fmt is ImageFormat.JPEG:
            frames = 1  # secondary images (MPO) are not published
        elif frames is None:
            frames = int(getattr(im, "n_frames", 1))
        if frames < 1:
            raise InvalidImage("Image has no frames")
        if frames > self.max_frames:
            raise InvalidImage(
                f"Image has too many frames: {frames}, the limit is {self.max_frames}"
            )
        if pixels * frames > self.max_total_pixels:
            raise InvalidImage(
                f"Animation is too large: {frames} frames of {width}x{height} pixels"
            )
        return ImageInfo(format=fmt, width=width, height=height, frames=frames)

    def _verify_and_thumbnail(self, im: Image.Image, info: ImageInfo) -> Image.Image:
        bound = self.thumbnail_size
        if info.format is ImageFormat.JPEG:
            # DCT-domain downscaling: every entropy-coded byte is still decoded (so damage
            # is still found) but far fewer pixels are produced.
            im.draft("RGB", (bound, bound))
        im.load()
        frame = _resizable(im)
        size = _fit(frame.size, bound)
        if size != frame.size:
            thumb = frame.resize(size, Image.Resampling.BICUBIC, reducing_gap=_REDUCING_GAP)
        else:
            thumb = frame.copy()
        for index in range(1, info.frames):
            im.seek(index)
            im.load()
        return thumb

    def _encode_thumbnail(self, thumb: Image.Image, icc: bytes | None) -> tuple[bytes, ImageFormat]:
        out = io.BytesIO()
        options: dict[str, object] = {"quality": THUMBNAIL_QUALITY}
        profile = _matching_icc(icc, thumb.mode)
        if profile is not None:
            options["icc_profile"] = profile
        if thumb.mode == "RGBA":
            thumb.save(out, "WEBP", **options)
            return out.getvalue(), ImageFormat.WEBP
        thumb.save(out, "JPEG", **options)
        return out.getvalue(), ImageFormat.JPEG


def make_rendition(data: bytes, bound: int, format: ImageFormat | str | None = None) -> bytes:
    """One rendition of a published image's bytes, made by exactly the code the server runs
    in its decode sandbox (`PillowImageProcessor.resize`), without the sandbox: the hook
    `make bench` times against other libraries. `format` is an ImageFormat, its extension
    ("webp", "avif") or None for the image's own."""
    if isinstance(format, str):
        format = next(f for f in ImageFormat if format in (f.extension, f.value))
    done = PillowImageProcessor().resize(io.BytesIO(data), bound, format)
    with done.data:
        return done.data.read()

"""Renditions of a published image, in sizes and formats: made on first request, stored,
served ever after.

A rendition lives in the same BlobStorage as its original, under a key derived from the
original's (`rendition_key`): `images/<stem>.jpg` at 1280 px is `renditions/<stem>.1280.jpg`,
as WebP `renditions/<stem>.1280.webp`; a full-size conversion carries the original's own
longest edge. Images sharing their bytes share their renditions too (`shared_blobs`), and
these are removed with the last reference to the original. The key carries the pixel size,
not the preset's name, so an operator who changes what `medium` means gets new files rather
than stale ones, and a signed size that comes out at a preset's size shares its file.

Three ways name a rendition: a preset (`of`), the full size in another format (`of` with
FULL), a signed box (`sized`, fit within W x H, never upscaled). Negotiation (`negotiated`)
picks the full-size conversion a browser accepts, unless it would be larger than the original.

Generation is single-flight within a process (one lock per key: concurrent requests for the
same rendition make it once, the others wait and then read it). Across processes two workers
may both make it; both `put` the same key, each write atomic (BlobStorage.put), and the bytes
of the same original at the same size are equivalent, so whichever lands last is served: the
write is idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from base64 import urlsafe_b64encode
from collections import OrderedDict
from collections.abc import Callable, Sequence

import attrs

from imgtree.domain.errors import DomainError, NotFound, ProcessingBusy, StorageUnavailable
from imgtree.domain.model import Image, ImageFormat
from imgtree.domain.policies import MAX_SIGNED_SIDE, RenditionPolicy
from imgtree.domain.ports import BlobStorage, ImageResizer
from imgtree.domain.services.shared_blobs import RENDITIONS_PREFIX

# The size segment of a full-size conversion (/media/full/{slug}.webp).
FULL = "full"
# How many "serve the original instead" decisions a process remembers (see `negotiated`).
_REMEMBERED = 10_000


def rendition_key(image: Image, bound: int, fmt: ImageFormat | None = None) -> str:
    """Where the image's rendition at `bound` px in `fmt` (None: its own format) is stored:
    beside the original."""
    name = image.storage_key.rsplit("/", 1)[-1]
    stem, dot, extension = name.partition(".")
    if fmt is not None and fmt is not image.content_type:
        dot, extension = ".", fmt.extension
    return f"{RENDITIONS_PREFIX}{stem}.{bound}{dot}{extension}"


def fit_within(width: int, height: int, box_width: int, box_height: int) -> int:
    """The longest edge of an image of width x height fit within the box, never upscaled."""
    scale = min(box_width / width, box_height / height, 1.0)
    return max(1, round(max(width, height) * scale))


def sign_media_path(key: bytes, path: str) -> str:
    """The signature of a signed media path (what follows the signature, `{W}x{H}/{slug}.{ext}`):
    base64url HMAC-SHA256 without padding, as imgproxy does."""
    digest = hmac.new(key, path.encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def signature_matches(key: bytes, path: str, signature: str) -> bool:
    """Whether `signature` signs `path`, compared in constant time."""
    return hmac.compare_digest(sign_media_path(key, path).encode(), signature.encode("utf-8"))


@attrs.frozen
class Rendition:
    """A stored picture of `image` (`key`): the rendition `name` at `bound` px in `format`.
    `key` is the original's own when a signed size asks for exactly the original."""

    image: Image
    name: str
    bound: int
    key: str
    format: ImageFormat

    @property
    def etag(self) -> str:
        """Strong and distinct per stored picture; the original's when it is the original."""
        if self.key == self.image.storage_key:
            return f'"{self.image.id.hex}"'
        suffix = "" if self.format is self.image.content_type else self.format.extension
        return f'"{self.image.id.hex}r{self.bound}{suffix}"'


class _KeyLocks:
    """One lock per key, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    def acquire(self, key: str) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        lock.acquire()
        return lock

    def release(self, key: str, lock: threading.Lock) -> None:
        lock.release()
        with self._guard:
            _, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


@attrs.define
class Renditions:
    """GET a rendition: who may see it is who may see the original (`view_image`)."""

    view_image: Callable[..., Image]
    storage: BlobStorage
    resizer: ImageResizer
    policy: RenditionPolicy = attrs.field(factory=RenditionPolicy)
    _locks: _KeyLocks = attrs.field(factory=_KeyLocks, init=False)
    # Negotiated conversions found no smaller than their original (or impossible to make).
    _originals: OrderedDict[str, None] = attrs.field(factory=OrderedDict, init=False)
    _originals_guard: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def offered(self, image: Image) -> tuple[tuple[str, int], ...]:
        """(name, longest edge) of each rendition the image has in its own format, smallest
        first."""
        return self.policy.offered(image.width, image.height, animated=image.animated)

    def formats(self, image: Image) -> tuple[ImageFormat, ...]:
        """The other formats the image is offered in (each preset it has, and FULL)."""
        return self.policy.converted(image.content_type, animated=image.animated)

    def __call__(
        self,
        slug: str,
        name: str,
        *,
        viewer_id: uuid.UUID | None = None,
        fmt: ImageFormat | None = None,
    ) -> Rendition:
        """The stored rendition `name` of the image, made now if it is the first request.
        NotFound for an image the viewer may not see, an unknown preset, or a preset the image
        does not have (it is not larger than it): the original is the largest picture there
        is."""
        return self.of(self.view_image(slug, viewer_id=viewer_id), name, fmt)

    def of(self, image: Image, name: str, fmt: ImageFormat | None = None) -> Rendition:
        """`__call__` for an image the caller already found visible to its viewer. `fmt` None
        or the image's own format: a preset of `offered`; another format: one of `formats`,
        at a preset smaller than the image or at FULL size."""
        fmt = fmt or image.content_type
        if fmt is image.content_type:
            bound = dict(self.offered(image)).get(name)
        elif fmt in self.formats(image):
            longest = max(image.width, image.height)
            sizes = dict(self.policy.sizes(image.width, image.height))
            bound = longest if name == FULL else sizes.get(name)
        else:
            bound = None
        if bound is None:
            raise NotFound("Image not found")
        return self._ensure(Rendition(image, name, bound, rendition_key(image, bound, fmt), fmt))

    def sized(
        self, image: Image, width: int, height: int, fmt: ImageFormat | None = None
    ) -> Rendition:
        """The image fit within width x height (a signed size: the caller checked the
        signature), never upscaled, in its own format or one of `formats`. At or past the
        image's own size in its own format that is the original itself."""
        if not (1 <= width <= MAX_SIGNED_SIDE and 1 <= height <= MAX_SIGNED_SIDE):
            raise NotFound("Image not found")
        fmt = fmt or image.content_type
        if fmt is not image.content_type and fmt not in self.formats(image):
            raise NotFound("Image not found")
        bound = fit_within(image.width, image.height, width, height)
        name = f"{width}x{height}"
        if fmt is image.content_type and bound >= max(image.width, image.height):
            return Rendition(image, name, bound, image.storage_key, fmt)
        return self._ensure(Rendition(image, name, bound, rendition_key(image, bound, fmt), fmt))

    def negotiated(self, image: Image, accepted: Sequence[ImageFormat]) -> Rendition | None:
        """The full-size conversion to serve in place of the original to a client accepting
        `accepted` (most preferred first): the first the image is offered in that is smaller
        than the original and can be made (within the processing budget); None for the
        original. A conversion found no smaller, or impossible to make, is remembered per
        image and format, so that comparison (or failing encode) happens once per process;
        a busy processor or storage is not (the next request tries again)."""
        offered = self.formats(image)
        for fmt in accepted:
            key = rendition_key(image, max(image.width, image.height), fmt)
            if fmt not in offered or key in self._originals:
                continue
            try:
                rendition: Rendition | None = self.of(image, FULL, fmt)
            except (ProcessingBusy, StorageUnavailable):
                return None  # busy now, maybe not on the next request
            except DomainError:
                rendition = None  # cannot be made (over the budget): not worth retrying
            info = None if rendition is None else self.storage.stat(rendition.key)
            if rendition is not None and info is not None and info.size < image.size_bytes:
                return rendition
            self._remember_original(key)
        return None

    def _remember_original(self, key: str) -> None:
        with self._originals_guard:
            self._originals[key] = None
            while len(self._originals) > _REMEMBERED:
                self._originals.popitem(last=False)

    def _ensure(self, rendition: Rendition) -> Rendition:
        if self.storage.stat(rendition.key) is None:
            self._make(rendition)
        return rendition

    def _make(self, rendition: Rendition) -> None:
        lock = self._locks.acquire(rendition.key)
        try:
            if self.storage.stat(rendition.key) is not None:
                return  # made while this request waited
            try:
                original = self.storage.open(rendition.image.storage_key)
            except KeyError:
                raise NotFound("Image not found") from None
            with original:
                if rendition.format is rendition.image.content_type:
                    resized = self.resizer.resize(original, rendition.bound)
                else:
                    resized = self.resizer.resize(original, rendition.bound, rendition.format)
            if resized.format is not rendition.format:
                resized.data.close()
                raise NotFound("Image not found")  # a resizer that cannot make this format
            with resized.data:
                self.storage.put(rendition.key, resized.data, resized.format.value)
        finally:
            self._locks.release(rendition.key, lock)

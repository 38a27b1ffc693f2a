"""Sized renditions of a published image: made on first request, stored, served ever after.

A rendition lives in the same BlobStorage as its original, under a key derived from the
original's (`rendition_key`): `images/<stem>.jpg` at 1280 px is `renditions/<stem>.1280.jpg`,
so images sharing their bytes share their renditions too (`shared_blobs`), and these are
removed with the last reference to the original. The
key carries the pixel size, not the preset's name, so an operator who changes what `medium`
means gets new files rather than stale ones.

Generation is single-flight within a process (one lock per key: concurrent requests for the
same rendition make it once, the others wait and then read it). Across processes two workers
may both make it; both `put` the same key, each write atomic (BlobStorage.put), and the bytes
of the same original at the same size are equivalent, so whichever lands last is served: the
write is idempotent.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import attrs

from imgtree.domain.errors import NotFound
from imgtree.domain.model import Image
from imgtree.domain.policies import RenditionPolicy
from imgtree.domain.ports import BlobStorage, ImageResizer
from imgtree.domain.services.shared_blobs import RENDITIONS_PREFIX


def rendition_key(image: Image, bound: int) -> str:
    """Where the image's rendition at `bound` px is stored: beside the original, same format."""
    name = image.storage_key.rsplit("/", 1)[-1]
    stem, dot, extension = name.partition(".")
    return f"{RENDITIONS_PREFIX}{stem}.{bound}{dot}{extension}"


@attrs.frozen
class Rendition:
    image: Image
    name: str
    bound: int
    key: str


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

    def offered(self, image: Image) -> tuple[tuple[str, int], ...]:
        """(name, longest edge) of each rendition the image has, smallest first."""
        return self.policy.offered(image.width, image.height, animated=image.animated)

    def __call__(self, slug: str, name: str, *, viewer_id: uuid.UUID | None = None) -> Rendition:
        """The stored rendition `name` of the image, made now if it is the first request.
        NotFound for an image the viewer may not see, an unknown preset, or a preset the image
        does not have (it is not larger than it, or it is animated): the original is the
        largest picture there is."""
        return self.of(self.view_image(slug, viewer_id=viewer_id), name)

    def of(self, image: Image, name: str) -> Rendition:
        """`__call__` for an image the caller already found visible to its viewer."""
        bound = dict(self.offered(image)).get(name)
        if bound is None:
            raise NotFound("Image not found")
        rendition = Rendition(image, name, bound, rendition_key(image, bound))
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
                resized = self.resizer.resize(original, rendition.bound)
            with resized.data:
                self.storage.put(rendition.key, resized.data, resized.format.value)
        finally:
            self._locks.release(rendition.key, lock)

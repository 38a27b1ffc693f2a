"""Purge: reclaim storage that nothing references any more. Idempotent, safe beside traffic.

- pending uploads that expired (their raw objects and rows; completed ones just the row);
- expired images (`Image.expires_at` passed; already hidden from every reader), at once with
  no retention: marked deleted (freeing their owner's quota) and removed like the next item;
- soft-deleted images older than the retention: the row, and its reference to the shared
  bytes; with the last reference, the bytes (published, thumbnails, renditions), deleted in
  the same transaction under the content's row lock (`shared_blobs`);
- orphan blobs, older than a grace period, that no row references: what a crash between
  "blob written" and "row committed" leaves behind (blob first, row second). An `images/`,
  `thumbs/` or `renditions/` key is referenced iff a `blobs` row counts its stem, an
  `uploads/` key iff its pending upload exists; the delete is decided under the row lock;
- kept originals (`originals/<image id>.<ext>`, never shared) go with their image's row, and
  one whose image row does not name it is an orphan like the rest;
- leftovers of writes interrupted by a crash (a local temp file), older than the grace
  period, where the storage can find them (`LeftoverSweeper`).

The grace period is what makes it safe beside live traffic: an upload in flight has written
its blobs seconds ago and is not touched.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from imgtree.domain.model import Image, PendingUpload
from imgtree.domain.ports import (
    BlobStorage,
    Clock,
    LeftoverSweeper,
    UnitOfWork,
    UnitOfWorkFactory,
)
from imgtree.domain.services.publisher import ORIGINALS_PREFIX
from imgtree.domain.services.shared_blobs import (
    IMAGES_PREFIX,
    RENDITIONS_PREFIX,
    THUMBS_PREFIX,
    content_keys,
    discard_if_unreferenced,
    release,
    stem_of,
)

UPLOADS_PREFIX = "uploads/"

BATCH = 500
T = TypeVar("T")


@attrs.frozen
class PurgeReport:
    expired_uploads: int = 0
    purged_images: int = 0
    orphan_blobs: int = 0
    expired_images: int = 0  # of which were removed because their expiry came


def _uuid_of(key: str) -> uuid.UUID | None:
    """The UUID in a key such as `uploads/<uuid>.png` (a pending upload's) or
    `originals/<uuid>.heic` (an image's), or None."""
    name = key.rsplit("/", 1)[-1].split(".", 1)[0]
    try:
        return uuid.UUID(name)
    except ValueError:
        return None


@attrs.define
class Purge:
    uow: UnitOfWorkFactory
    storage: BlobStorage
    clock: Clock

    def __call__(self, *, retention_seconds: int, orphan_grace_seconds: int = 3600) -> PurgeReport:
        now = self.clock.now()
        expired = self._expired_uploads(now - timedelta(seconds=orphan_grace_seconds))
        expired_images = self._expired_images(now)
        purged = self._deleted_images(now - timedelta(seconds=retention_seconds))
        orphans = self._orphans(now - timedelta(seconds=orphan_grace_seconds))
        return PurgeReport(
            expired_uploads=expired,
            purged_images=purged + expired_images,
            orphan_blobs=orphans,
            expired_images=expired_images,
        )

    def _drain(self, batch: Callable[[UnitOfWork], Sequence[T]], act: Callable[[T], None]) -> int:
        """Act on every item `batch` lists (BATCH at a time, read-only), until it lists none;
        each act removes its item, so the next batch moves on. The number acted on."""
        count = 0
        while True:
            with self.uow(read_only=True) as uow:
                items = batch(uow)
            if not items:
                return count
            for item in items:
                act(item)
                count += 1

    def _expired_uploads(self, before: datetime) -> int:
        return self._drain(
            lambda uow: uow.pending_uploads.list_stale(before, limit=BATCH), self._drop_upload
        )

    def _drop_upload(self, pending: PendingUpload) -> None:
        # Bytes first, row second: a crash here leaves a row whose bytes are gone, which the
        # next purge removes (not an orphan blob nobody can find).
        self.storage.delete(pending.object_key)
        with self.uow() as uow:
            uow.pending_uploads.remove(pending.id)
            uow.commit()

    def _expired_images(self, now: datetime) -> int:
        """Expired images go now: readers stopped seeing them at their expiry already."""
        return self._drain(
            lambda uow: uow.images.list_expired(now, limit=BATCH),
            lambda image: self._remove(image, mark_deleted_at=image.expires_at),
        )

    def _deleted_images(self, before: datetime) -> int:
        return self._drain(
            lambda uow: uow.images.list_deleted_before(before, limit=BATCH), self._remove
        )

    def _remove(self, image: Image, *, mark_deleted_at: datetime | None = None) -> None:
        """The row, its kept original and its reference to the shared bytes (with the last
        reference, the bytes). `mark_deleted_at`: a live row is soft-deleted first, in the
        same transaction, so its owner's usage moves as for any delete."""
        if image.original_key is not None:  # the image's own file: no reference
            self.storage.delete(image.original_key)
        keys = content_keys(self.storage, image)  # listed before the lock
        # Row and reference go together; the last reference takes the bytes with it
        # before the commit (a failure rolls both back: the next purge retries).
        with self.uow() as uow:
            if mark_deleted_at is not None and not uow.images.mark_deleted(
                image.id, mark_deleted_at
            ):
                return  # deleted meanwhile: the retention now applies to it
            uow.images.remove(image.id)
            release(uow, self.storage, keys)
            uow.commit()

    def _orphans(self, before: datetime) -> int:
        count = 0
        prefixes = (
            IMAGES_PREFIX,
            THUMBS_PREFIX,
            UPLOADS_PREFIX,
            ORIGINALS_PREFIX,
            RENDITIONS_PREFIX,
        )
        for prefix in prefixes:
            for key in list(self.storage.iter_keys(prefix)):
                if self._referenced(prefix, key):
                    continue
                info = self.storage.stat(key)
                if info is None or info.modified_at >= before:
                    continue  # gone already, or possibly an upload still in flight
                with contextlib.suppress(Exception):
                    if prefix in (UPLOADS_PREFIX, ORIGINALS_PREFIX):  # per row, not shared
                        self.storage.delete(key)
                        count += 1
                    elif discard_if_unreferenced(self.uow, self.storage, key):
                        count += 1  # (an upload may have counted it since the look above)
        if isinstance(self.storage, LeftoverSweeper):
            count += self.storage.sweep_leftovers(before)
        return count

    def _referenced(self, prefix: str, key: str) -> bool:
        """A first look, without locks (most keys are referenced)."""
        with self.uow(read_only=True) as uow:
            if prefix == ORIGINALS_PREFIX:  # originals/<image id>.<ext>
                owner = _uuid_of(key)
                image = None if owner is None else uow.images.get(owner)
                return image is not None and image.original_key == key
            if prefix != UPLOADS_PREFIX:
                return uow.blobs.refs(stem_of(key)) > 0
            owner = _uuid_of(key)
            return owner is not None and uow.pending_uploads.get(owner) is not None

"""Backfill placeholders: give images uploaded before placeholders (issue 16 item 4) their
BlurHash and dominant colour, made from their stored thumbnails (`imgtree
backfill-placeholders`). Idempotent and safe beside traffic: in batches by id, each image
written in its own short transaction, only if it still has none.

An image whose thumbnail is missing or does not decode is counted and skipped (the batches
move on by id, so one run always ends); one with no visible pixel keeps null placeholders,
exactly as an upload of it would.
"""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.errors import DomainError, ProcessingBusy, StorageUnavailable
from imgtree.domain.model import Image
from imgtree.domain.ports import BlobStorage, MakesPlaceholders, UnitOfWorkFactory

BATCH = 200


@attrs.frozen
class BackfillReport:
    filled: int = 0  # images given a placeholder
    empty: int = 0  # thumbnails with no visible pixel: left null
    failed: int = 0  # thumbnails missing or not decodable: left null


@attrs.define
class BackfillPlaceholders:
    uow: UnitOfWorkFactory
    storage: BlobStorage
    processor: MakesPlaceholders

    def __call__(self, *, batch: int = BATCH) -> BackfillReport:
        if batch < 1:
            raise ValueError("batch must be positive")
        filled = empty = failed = 0
        after: uuid.UUID | None = None
        while True:
            with self.uow(read_only=True) as uow:
                images = uow.images.list_without_placeholder(after=after, limit=batch)
            if not images:
                return BackfillReport(filled=filled, empty=empty, failed=failed)
            for image in images:
                outcome = self._fill(image)
                filled += outcome == "filled"
                empty += outcome == "empty"
                failed += outcome == "failed"
            after = images[-1].id

    def _fill(self, image: Image) -> str:
        try:
            with self.storage.open(image.thumb_key) as thumbnail:
                blurhash, colour = self.processor.placeholder_of(thumbnail)
        except (ProcessingBusy, StorageUnavailable):
            raise  # the whole run should stop and be retried, not skip every image
        except (KeyError, DomainError):
            return "failed"
        if blurhash is None and colour is None:
            return "empty"
        with self.uow() as uow:
            current = uow.images.get(image.id)
            # Deleted meanwhile, or given one by a concurrent run: leave it be.
            if current is None or not current.is_live or current.blurhash is not None:
                return "skipped"
            uow.images.update(attrs.evolve(current, blurhash=blurhash, dominant_color=colour))
            uow.commit()
        return "filled"

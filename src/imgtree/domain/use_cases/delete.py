"""Soft-delete an image: by its owner, or by anyone holding its delete token.

Soft delete hides the image at once (pages, listings and media stop serving it); its row
keeps its reference to the shared bytes, which `purge` releases later, so a delete never races
a reader mid-download. When the storage serves blobs itself (a public bucket or CDN), the app
cannot hide them, so they are deleted right after the row, unless another live image still
uses the same bytes (`shared_blobs`).
"""

from __future__ import annotations

import contextlib
import uuid

import attrs

from imgtree.domain.errors import Forbidden, NotFound, Unauthenticated
from imgtree.domain.model import Image
from imgtree.domain.ports import BlobStorage, Clock, SecretHasher, UnitOfWork, UnitOfWorkFactory
from imgtree.domain.rules import live_image, owned_image
from imgtree.domain.services.shared_blobs import content_keys, stem_of


@attrs.define
class DeleteImage:
    uow: UnitOfWorkFactory
    hasher: SecretHasher
    clock: Clock
    storage: BlobStorage | None = None

    def by_owner(self, owner_id: uuid.UUID, image_id: uuid.UUID) -> Image:
        with self.uow() as uow:
            # Someone else's image is "not found": existence is not disclosed.
            image = owned_image(uow.images.get(image_id), owner_id, self.clock.now())
            deleted = self._delete(uow, image)
        return self.unpublish(deleted)

    def by_token(self, image_id: uuid.UUID, token: str | None) -> Image:
        if not token:
            raise Unauthenticated("A delete token or a signed-in owner is required")
        with self.uow() as uow:
            image = live_image(uow.images.get(image_id), self.clock.now())
            if not self.hasher.verify(token, image.delete_token_hash):
                raise Forbidden("Invalid delete token")
            deleted = self._delete(uow, image)
        return self.unpublish(deleted)

    def check_token(self, image_id: uuid.UUID, token: str | None) -> Image:
        """The live image the token would delete (for a confirmation page); deletes nothing."""
        if not token:
            raise Unauthenticated("A delete token is required")
        with self.uow(read_only=True) as uow:
            image = live_image(uow.images.get(image_id), self.clock.now())
        if not self.hasher.verify(token, image.delete_token_hash):
            raise Forbidden("Invalid delete token")
        return image

    def _delete(self, uow: UnitOfWork, image: Image) -> Image:
        now = self.clock.now()
        if not uow.images.mark_deleted(image.id, now):
            raise NotFound("Image not found")  # a concurrent delete won
        uow.commit()
        return attrs.evolve(image, deleted_at=now)

    def unpublish(self, image: Image) -> Image:
        """On a public bucket, delete the bytes (after the row's commit) unless another live
        image shows them. Under the content's row lock: an upload of the same bytes either
        counted before (and is seen live here) or puts them again after (`shared_blobs`)."""
        if self.storage is None or not self.storage.serves_publicly:
            return image
        if image.original_key is not None:  # the image's own file, never shared
            with contextlib.suppress(Exception):  # purge retries what fails here
                self.storage.delete(image.original_key)
        with contextlib.suppress(Exception):  # purge deletes them with the last reference
            keys = content_keys(self.storage, image)  # listed before the lock
            with self.uow() as uow:
                stem = stem_of(image.storage_key)
                if uow.blobs.lock(stem) == 0:
                    uow.blobs.forget(stem)  # no reference (cannot happen after 0019): no row
                if uow.images.count_live_with_key(image.storage_key) == 0:
                    for key in keys:
                        self.storage.delete(key)
                uow.commit()
        return image

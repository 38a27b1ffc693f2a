"""Soft-delete an image: by its owner, or by anyone holding its delete token.

Soft delete hides the image at once (pages, listings and media stop serving it); its blobs
are removed later by `purge`, so a delete never races a reader mid-download. When the storage
serves blobs itself (a public bucket or CDN), the app cannot hide them, so they are deleted
right after the row.
"""

from __future__ import annotations

import contextlib
import uuid

import attrs

from imgtree.domain.errors import Forbidden, NotFound, Unauthenticated
from imgtree.domain.model import Image
from imgtree.domain.ports import BlobStorage, Clock, SecretHasher, UnitOfWork, UnitOfWorkFactory
from imgtree.domain.rules import live_image, owned_image
from imgtree.domain.use_cases.renditions import delete_renditions


@attrs.define
class DeleteImage:
    uow: UnitOfWorkFactory
    hasher: SecretHasher
    clock: Clock
    storage: BlobStorage | None = None

    def by_owner(self, owner_id: uuid.UUID, image_id: uuid.UUID) -> Image:
        with self.uow() as uow:
            # Someone else's image is "not found": existence is not disclosed.
            image = owned_image(uow.images.get(image_id), owner_id)
            return self._delete(uow, image)

    def by_token(self, image_id: uuid.UUID, token: str | None) -> Image:
        if not token:
            raise Unauthenticated("A delete token or a signed-in owner is required")
        with self.uow() as uow:
            image = live_image(uow.images.get(image_id))
            if not self.hasher.verify(token, image.delete_token_hash):
                raise Forbidden("Invalid delete token")
            return self._delete(uow, image)

    def check_token(self, image_id: uuid.UUID, token: str | None) -> Image:
        """The live image the token would delete (for a confirmation page); deletes nothing."""
        if not token:
            raise Unauthenticated("A delete token is required")
        with self.uow(read_only=True) as uow:
            image = live_image(uow.images.get(image_id))
        if not self.hasher.verify(token, image.delete_token_hash):
            raise Forbidden("Invalid delete token")
        return image

    def _delete(self, uow: UnitOfWork, image: Image) -> Image:
        now = self.clock.now()
        if not uow.images.mark_deleted(image.id, now):
            raise NotFound("Image not found")  # a concurrent delete won
        uow.commit()
        if self.storage is not None and self.storage.serves_publicly:
            for key in image.file_keys:
                with contextlib.suppress(Exception):  # purge retries what fails here
                    self.storage.delete(key)
            with contextlib.suppress(Exception):
                delete_renditions(self.storage, image)
        return attrs.evolve(image, deleted_at=now)

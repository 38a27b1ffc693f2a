"""The uploaded file of a converted image, for its owner only (IMGTREE_KEEP_ORIGINALS).

A HEIC or AVIF upload is published as JPEG (docs/decisions.md, "Phone photos"); when the
deployment keeps originals, the file as uploaded is stored too, at `Image.original_key`. It
still carries its metadata (location, camera), so it is never served on a public link: only
its owner fetches it, through their session or an API key with `images:read`.
"""

from __future__ import annotations

import uuid
from typing import BinaryIO

import attrs

from imgtree.domain.errors import NotFound
from imgtree.domain.model import Image, ImageFormat
from imgtree.domain.ports import BlobStorage, Clock, UnitOfWorkFactory
from imgtree.domain.rules import owned_image


@attrs.frozen
class Original:
    image: Image
    content_type: ImageFormat
    size: int
    data: BinaryIO  # positioned at 0, owned by the caller, who closes it


@attrs.define
class DownloadOriginal:
    uow: UnitOfWorkFactory
    storage: BlobStorage
    # Expired images are gone at the moment of expiry (Image.expires_at), for every reader.
    clock: Clock = attrs.field(kw_only=True)

    def __call__(self, owner_id: uuid.UUID, image_id: uuid.UUID) -> Original:
        """NotFound unless the owner's live image has a kept original (someone else's image
        is not found either: existence is not disclosed)."""
        with self.uow(read_only=True) as uow:
            image = owned_image(uow.images.get(image_id), owner_id, self.clock.now())
        if image.original_key is None or image.original_content_type is None:
            raise NotFound("This image has no original kept: it was published as uploaded")
        try:
            data = self.storage.open(image.original_key)
        except KeyError:
            raise NotFound("Image not found") from None
        return Original(image, image.original_content_type, image.original_size_bytes, data)

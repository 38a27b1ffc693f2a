"""Upload a batch of images: one outcome per file, published by the shared `Publisher`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import attrs

from imgtree.domain.commands import IncomingFile, Uploader
from imgtree.domain.errors import DomainError, InvalidInput, NoFiles
from imgtree.domain.model import Visibility, expiry_after, image_description, image_title
from imgtree.domain.policies import UploadPolicy
from imgtree.domain.services.publisher import (
    Publisher,
    Uploaded,
    UploadFailed,
    UploadOutcome,
    check_room,
    stream_size,
)
from imgtree.domain.services.shared_blobs import storage_keys

__all__ = [
    "IncomingFile",
    "UploadFailed",
    "UploadImages",
    "UploadOutcome",
    "Uploaded",
    "Uploader",
    "check_room",
    "storage_keys",
    "stream_size",
]


@attrs.define
class UploadImages:
    publisher: Publisher

    @property
    def policy(self) -> UploadPolicy:
        """The limits this upload enforces (callers size their request parsing by them)."""
        return self.publisher.policy

    def __call__(
        self,
        uploader: Uploader,
        files: Sequence[IncomingFile],
        *,
        album_id: uuid.UUID | None = None,
        visibility: Visibility = Visibility.UNLISTED,
        expires_in: int | None = None,
        title: str = "",
        description: str = "",
    ) -> list[UploadOutcome]:
        """NoFiles, InvalidInput (too many, a title or description too long) or NotFound (not
        the uploader's album) for the request; otherwise one outcome per file, in order: one
        bad file fails only itself. `title` and `description` are given to every image."""
        policy = self.publisher.policy
        if not files:
            raise NoFiles("No files provided")
        if len(files) > policy.batch_limit:
            raise InvalidInput(f"At most {policy.batch_limit} files per request")
        self.publisher.check_visibility(uploader, visibility)
        expiry_after(self.publisher.clock.now(), expires_in)  # checks the value before any file
        title, description = image_title(title), image_description(description)
        if album_id is not None:
            self.publisher.check_album(uploader, album_id)
        outcomes: list[UploadOutcome] = []
        for incoming in files:
            try:
                done = self.publisher.publish(
                    uploader,
                    incoming,
                    album_id,
                    visibility,
                    expires_in=expires_in,
                    title=title,
                    description=description,
                )
            except DomainError as exc:
                outcomes.append(UploadFailed(error=exc, filename=incoming.filename))
            else:
                outcomes.append(done)
        return outcomes

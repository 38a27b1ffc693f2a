"""Bulk actions on a signed-in owner's images: delete, move to an album, change visibility.

One request, one result per id. Each id runs through the single-image use case
(`DeleteImage.by_owner`, `EditImage`) in its own transaction, so the rules are written once
and one image that vanished mid-way (deleted in another tab) fails alone instead of rolling
back the others. Someone else's image, a missing one and a deleted one all read `not_found`:
existence is not disclosed.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence

import attrs

from imgtree.domain.commands import ImageChanges
from imgtree.domain.errors import InvalidInput, NotFound
from imgtree.domain.model import Visibility
from imgtree.domain.rules import owned_album
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.edit_image import EditImage

MAX_BULK_IDS = 100  # one gallery page at its largest limit


class BulkStatus(enum.StrEnum):
    DELETED = "deleted"
    MOVED = "moved"
    UPDATED = "updated"
    NOT_FOUND = "not_found"


@attrs.frozen
class BulkOutcome:
    image_id: uuid.UUID
    status: BulkStatus

    @property
    def succeeded(self) -> bool:
        return self.status is not BulkStatus.NOT_FOUND


@attrs.frozen
class BulkResult:
    outcomes: tuple[BulkOutcome, ...]

    @property
    def succeeded(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.succeeded)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.succeeded


def checked_ids(ids: Sequence[uuid.UUID]) -> tuple[uuid.UUID, ...]:
    """InvalidInput for an empty list, more than MAX_BULK_IDS, or a repeated id."""
    if not ids:
        raise InvalidInput("ids must list at least one image id")
    if len(ids) > MAX_BULK_IDS:
        raise InvalidInput(f"ids: at most {MAX_BULK_IDS} images per request")
    if len(set(ids)) != len(ids):
        raise InvalidInput("ids must not repeat an image id")
    return tuple(ids)


@attrs.define
class BulkImages:
    delete_image: DeleteImage
    edit_image: EditImage

    def delete(self, owner_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> BulkResult:
        return self._each(
            checked_ids(ids),
            lambda image_id: self.delete_image.by_owner(owner_id, image_id),
            BulkStatus.DELETED,
        )

    def move(
        self, owner_id: uuid.UUID, ids: Sequence[uuid.UUID], album_id: uuid.UUID | None
    ) -> BulkResult:
        """album_id None takes the images out of their albums. A missing or someone else's
        album is NotFound for the whole request (before any image moves)."""
        checked = checked_ids(ids)
        if album_id is not None:
            with self.edit_image.uow(read_only=True) as uow:
                owned_album(uow.albums.get(album_id), owner_id)
        changes = ImageChanges(album_id=album_id)
        return self._each(
            checked,
            lambda image_id: self.edit_image(owner_id, image_id, changes),
            BulkStatus.MOVED,
        )

    def set_visibility(
        self, owner_id: uuid.UUID, ids: Sequence[uuid.UUID], visibility: Visibility
    ) -> BulkResult:
        changes = ImageChanges(visibility=visibility)
        return self._each(
            checked_ids(ids),
            lambda image_id: self.edit_image(owner_id, image_id, changes),
            BulkStatus.UPDATED,
        )

    @staticmethod
    def _each(
        ids: tuple[uuid.UUID, ...], act: Callable[[uuid.UUID], object], done: BulkStatus
    ) -> BulkResult:
        outcomes = []
        for image_id in ids:
            try:
                act(image_id)
            except NotFound:
                outcomes.append(BulkOutcome(image_id, BulkStatus.NOT_FOUND))
            else:
                outcomes.append(BulkOutcome(image_id, done))
        return BulkResult(tuple(outcomes))

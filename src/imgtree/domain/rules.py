"""The NotFound rule, written once: a caller gets an entity only if it may act on it.

Missing, deleted, someone else's and (for viewers) private all answer the same NotFound,
so existence is never disclosed. The predicates themselves live on the model.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from imgtree.domain.errors import NotFound
from imgtree.domain.model import Album, Image

IMAGE_NOT_FOUND = "Image not found"
ALBUM_NOT_FOUND = "Album not found"
T = TypeVar("T")


def found(entity: T | None, allowed: Callable[[T], bool], message: str) -> T:
    """`entity` when it exists and `allowed(entity)`; NotFound(`message`) otherwise."""
    if entity is None or not allowed(entity):
        raise NotFound(message)
    return entity


def live_image(image: Image | None, now: datetime) -> Image:
    """The image unless missing, deleted or expired at `now` (whoever holds its delete token
    may act on it)."""
    return found(image, lambda i: i.alive(now), IMAGE_NOT_FOUND)


def owned_image(image: Image | None, user_id: uuid.UUID | None, now: datetime) -> Image:
    """The live, unexpired image if `user_id` owns it (an expired image is gone for its
    owner too)."""
    return found(image, lambda i: i.alive(now) and i.owned_by(user_id), IMAGE_NOT_FOUND)


def visible_image(
    image: Image | None, viewer_id: uuid.UUID | None, now: datetime, *, owner_active: bool = True
) -> Image:
    """The image if `viewer_id` may see it at `now` (see `Image.visible_to`)."""
    return found(
        image, lambda i: i.visible_to(viewer_id, now, owner_active=owner_active), IMAGE_NOT_FOUND
    )


def owned_album(album: Album | None, user_id: uuid.UUID | None) -> Album:
    """The album if `user_id` owns it."""
    return found(album, lambda a: a.owned_by(user_id), ALBUM_NOT_FOUND)


def visible_album(album: Album | None, viewer_id: uuid.UUID | None) -> Album:
    """The album if `viewer_id` may see it: public, or theirs."""
    return found(album, lambda a: a.visible_to(viewer_id), ALBUM_NOT_FOUND)

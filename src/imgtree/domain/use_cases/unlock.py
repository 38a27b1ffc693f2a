"""Passwords on images and albums: set by the owner, entered by visitors.

Only the argon2id hash of a password is kept (PasswordHasher). A visitor who enters the
right one is told which locks it opens; the HTTP layer turns that into a short-lived signed
cookie bound to the lock's fingerprint (a new password revokes every earlier unlock). The
costly argon2 check runs only after the caller's rate limit let the attempt through.
"""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.errors import WrongPassword
from imgtree.domain.model import Lock, album_lock
from imgtree.domain.ports import PasswordHasher, UnitOfWorkFactory
from imgtree.domain.rules import visible_album
from imgtree.domain.use_cases.accounts import password_matches
from imgtree.domain.use_cases.view_image import ViewImage

WRONG_PASSWORD = "Wrong password"  # noqa: S105 - a message, not a password


@attrs.define
class Unlock:
    """Check a visitor's password for an image (its own and its album's) or an album."""

    view_image: ViewImage
    uow: UnitOfWorkFactory
    passwords: PasswordHasher

    def image(
        self, slug: str, password: str, *, viewer_id: uuid.UUID | None = None
    ) -> tuple[Lock, ...]:
        """The locks of the image `password` opens (none when it has no lock); NotFound as
        its page; WrongPassword when it opens none."""
        viewed = self.view_image.view(slug, viewer_id=viewer_id, unlocked=lambda _lock: True)
        return self._open(viewed.locks, password)

    def album(
        self, album_id: uuid.UUID, password: str, *, viewer_id: uuid.UUID | None = None
    ) -> tuple[Lock, ...]:
        """The album's lock when `password` opens it (none when it has none)."""
        with self.uow(read_only=True) as uow:
            album = visible_album(uow.albums.get(album_id), viewer_id)
        lock = album_lock(album)
        return self._open((lock,) if lock is not None else (), password)

    def _open(self, locks: tuple[Lock, ...], password: str) -> tuple[Lock, ...]:
        if not locks:
            return ()
        if not password:
            raise WrongPassword(WRONG_PASSWORD)
        opened = tuple(
            lock for lock in locks if password_matches(self.passwords, password, lock.password_hash)
        )
        if not opened:
            raise WrongPassword(WRONG_PASSWORD)
        return opened

"""Typed inputs of the use cases that take more than a few plain values.

Commands are frozen and carry Python values only (str, bool, int, UUID, enums): parsing a
wire format, and naming its fields, belongs to the entrypoints. A field left at `UNSET` is
not to be changed, which is different from `None` where `None` means something (an image
taken out of its album, an unlimited quota).
"""

from __future__ import annotations

import enum
import uuid
from typing import BinaryIO, Final, TypeVar

import attrs

from imgtree.domain.model import UNPRINTABLE, ImageFormat, Role, Scope, User, Visibility

T = TypeVar("T")


class Unset(enum.Enum):
    """The type of `UNSET`: "leave this field as it is"."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def is_set(value: T | Unset) -> bool:
    return value is not UNSET


@attrs.frozen
class Uploader:
    """Who is uploading: an account (optionally through an API key) or a guest (user None).

    `address` is the client address, used only to tell guests apart (their open presigned
    uploads are bounded per address). `scopes`: an API key's scopes (None: a browser session
    or a guest, bounded by the account alone)."""

    user: User | None = None
    api_key_id: uuid.UUID | None = None
    address: str | None = None
    scopes: frozenset[Scope] | None = None


@attrs.frozen
class IncomingFile:
    """One file as received. `source` is seekable; `declared_type` is informational only."""

    source: BinaryIO
    filename: str | None = None
    declared_type: str | None = None


@attrs.frozen
class PresignRequest:
    """One file a client declares before uploading it. `None`: the client did not say (or
    said it in a form that is not a string / an integer); each is refused per file."""

    filename: str | None
    content_type: str | None
    size_bytes: int | None


@attrs.frozen
class AlbumChanges:
    """Album fields to change (`description=""` clears the description)."""

    title: str | Unset = UNSET
    description: str | Unset = UNSET
    is_public: bool | Unset = UNSET
    cover_image_id: uuid.UUID | Unset | None = UNSET  # None: back to the first image
    # The visitors' password: a new one replaces the old, None clears it.
    password: str | Unset | None = UNSET

    @property
    def empty(self) -> bool:
        return not any(
            map(
                is_set,
                (self.title, self.description, self.is_public, self.cover_image_id, self.password),
            )
        )


MAX_SEARCH = 100  # characters of a gallery search


class ImageSort(enum.Enum):
    """How a gallery page is ordered (ties always by id, so pages are stable)."""

    NEWEST = "newest"
    OLDEST = "oldest"
    SIZE = "size"  # largest first: what to delete to free space
    NAME = "name"  # file name, A to Z, case-insensitive


@attrs.frozen
class ImageQuery:
    """Which of an owner's images a gallery page shows, and in what order. The default
    (everything, newest first) is the plain listing."""

    search: str = ""  # a case-insensitive part of the file name or the title
    sort: ImageSort = ImageSort.NEWEST
    visibility: Visibility | None = None
    content_type: ImageFormat | None = None

    @property
    def plain(self) -> bool:
        return (
            not self.needle
            and self.sort is ImageSort.NEWEST
            and self.visibility is None
            and self.content_type is None
        )

    @property
    def needle(self) -> str:
        """The search text as the repositories compare it: control and invisible characters
        (which no stored name or title keeps) become spaces, runs of spaces one, trimmed,
        lower case."""
        return " ".join(UNPRINTABLE.sub(" ", self.search).split()).lower()


PLAIN_QUERY: Final = ImageQuery()


@attrs.frozen
class ImageChanges:
    """An image's own fields to change; `album_id=None` takes it out of its album."""

    title: str | Unset = UNSET
    album_id: uuid.UUID | Unset | None = UNSET
    # The first API's flag: True makes a private image unlisted (a public one stays public),
    # False makes it private. `visibility` says exactly which.
    is_public: bool | Unset = UNSET
    visibility: Visibility | Unset = UNSET
    description: str | Unset = UNSET
    # "Delete after" this many seconds from the change; None: never.
    expires_in: int | Unset | None = UNSET
    # The visitors' password: a new one replaces the old, None clears it.
    password: str | Unset | None = UNSET

    @property
    def empty(self) -> bool:
        fields = (
            self.title,
            self.album_id,
            self.is_public,
            self.visibility,
            self.description,
            self.expires_in,
            self.password,
        )
        return not any(map(is_set, fields))


@attrs.frozen
class UserChanges:
    """What an operator changes about an account; `quota_bytes=None` means unlimited."""

    role: Role | Unset = UNSET
    active: bool | Unset = UNSET
    quota_bytes: int | Unset | None = UNSET

    @property
    def empty(self) -> bool:
        return not any(map(is_set, (self.role, self.active, self.quota_bytes)))


@attrs.frozen
class ModerationQuery:
    """Which images the moderators list (every owner's and guests', newest first).

    `text`: contained in the title, original name or slug (case-insensitive; "" for all);
    `owner_id`: one account's; `guests_only`: only uploads without an account;
    `reported_only`: only images with an open report."""

    text: str = ""
    owner_id: uuid.UUID | None = None
    guests_only: bool = False
    reported_only: bool = False

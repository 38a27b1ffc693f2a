"""Shared blobs: identical published bytes are stored once, under content-addressed keys.

An upload's published file is stored as `images/<sha256 of its bytes>.<ext>` and its
thumbnail as `thumbs/<same>.<ext>`; renditions derive from the same stem
(`renditions/<stem>.<px>.<ext>`), so they are shared too. The `blobs` repository counts, per
stem, the image rows (live or soft-deleted) using it. Images stored before shared blobs keep
their `images/<uuid>.<ext>` keys, each its own stem with one reference (migration 0019): one
code path for both.

The protocol (every step on a stem's row runs under that row's lock, held to the commit):

- Upload: put the bytes unless the key is already stored (that skipped put is the saving),
  outside any transaction. Then, in the transaction that inserts the image row: `acquire`
  (refs + 1, locking the row), stat the keys, put again whatever is missing, commit.
- Last release: purge lists the content's keys (published, every thumbnail and rendition of
  the stem), then removes the image row and `release`s in one transaction; at 0 it deletes
  those keys before it commits.
- Unreferenced bytes (an orphan, or what a failed upload wrote): `lock` (creating a row at 0),
  delete the key only if it is still 0, `forget`, commit.
- Public bucket soft delete: mark deleted and commit; then `lock` and delete the bytes only if
  no live image uses the key any more (the soft-deleted rows keep their references until purge).

Interleavings considered (U uploads content C, R removes the last reference to C):

1. R commits before U's `acquire`: U's acquire waits for R's lock (Postgres: the upsert
   waits on the deleted row; SQLite and memory: one writer at a time), creates a new row, and
   U's stat under the lock finds the bytes gone and puts them again before U commits.
2. U's `acquire` before R's `release`: R waits for U's commit and then counts U's reference:
   not the last, nothing deleted. (If U rolls back, R goes on and deletes: U's image never
   existed.)
3. U skipped its put because C was stored, R deletes C, U acquires: case 1; the stat under
   the lock is what catches it, so it never depends on what U saw before its transaction.
4. Two uploads of C at once: both may put (each put is atomic, same bytes: idempotent);
   both acquire in turn: refs 2, one file.
5. U fails after putting (quota, slug, commit): U `lock`s the row and deletes the bytes only
   at 0, so a concurrent upload that already counted C keeps them.
6. Orphan sweep vs U reusing an old orphan's bytes: the sweep deletes only under the lock at
   refs 0; U either counted first (kept) or stats after the sweep (put again).
7. Public bucket soft delete vs U: under the lock the delete counts live images; U's
   reference is either committed (counted: kept) or not yet taken (U re-puts: case 1).
8. A rendition being made while R deletes: it may land after R; no row names its stem,
   so the orphan sweep removes it after the grace period (as before shared blobs).
9. A reader mid-download of a soft-deleted image: its row still holds the reference, so the
   bytes stay until purge (except on a public bucket, where deletion is immediate by design).

Quotas: every image still charges its owner its full `size_bytes`. Owners cannot see each
other's uploads, so a discount for sharing bytes with a stranger would leak that someone
else stored the same file, and it would make usage change when an unrelated account deletes
an image; dedupe saves the operator storage, it is not a quota discount.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import BinaryIO

from imgtree.domain.model import Image
from imgtree.domain.ports import BlobStorage, UnitOfWork, UnitOfWorkFactory

IMAGES_PREFIX = "images/"
THUMBS_PREFIX = "thumbs/"
RENDITIONS_PREFIX = "renditions/"
_CHUNK = 1 << 20


def stem_of(key: str) -> str:
    """The content stem of an imgtree key: `images/<stem>.png`, `thumbs/<stem>.webp` and
    `renditions/<stem>.1280.png` all name `<stem>`."""
    return key.rsplit("/", 1)[-1].partition(".")[0]


def content_stem(published: BinaryIO) -> str:
    """The SHA-256 (hex) of the published bytes, read from the start; leaves the stream at 0."""
    published.seek(0)
    digest = hashlib.sha256()
    while chunk := published.read(_CHUNK):
        digest.update(chunk)
    published.seek(0)
    return digest.hexdigest()


def storage_keys(stem: str, ext: str, thumb_ext: str) -> tuple[str, str]:
    """The published and thumbnail keys of content `stem` (a SHA-256 hex digest: never
    anything the client sent)."""
    return f"{IMAGES_PREFIX}{stem}.{ext}", f"{THUMBS_PREFIX}{stem}.{thumb_ext}"


def content_keys(storage: BlobStorage, image: Image) -> list[str]:
    """The keys to delete with the last reference to the image's content: published file,
    thumbnail, and every other thumbnail and rendition of the stem stored now. Listed before
    taking the row's lock (a listing walks a whole directory on local disk, too slow to do
    while holding SQLite's write lock); one made after the listing has no row left to count
    it once the last reference is gone, so the orphan sweep removes it."""
    stem = stem_of(image.storage_key)
    keys = [image.storage_key, image.thumb_key]
    for prefix in (THUMBS_PREFIX, RENDITIONS_PREFIX):
        keys += storage.iter_keys(f"{prefix}{stem}.")
    return list(dict.fromkeys(keys))


def release(uow: UnitOfWork, storage: BlobStorage, keys: Sequence[str]) -> bool:
    """Drop one reference to the content of `keys` (from `content_keys`) in `uow`, which
    also removes the image row and then commits; with the last one, delete the keys, still
    under the row's lock. True when they were deleted."""
    if uow.blobs.release(stem_of(keys[0])) > 0:
        return False
    for key in keys:
        storage.delete(key)
    return True


def discard_if_unreferenced(uow: UnitOfWorkFactory, storage: BlobStorage, key: str) -> bool:
    """Delete `key` unless an image row uses its stem; decided and done under the stem's
    lock. True when deleted."""
    stem = stem_of(key)
    with uow() as work:
        if work.blobs.lock(stem) > 0:
            return False
        storage.delete(key)
        work.blobs.forget(stem)
        work.commit()
    return True


def stored_copy(stream: BinaryIO) -> BinaryIO:
    """A fresh reader of `stream`'s bytes from the start, for putting them a second time
    (a first `put` may have taken the stream over: local staging renames the file)."""
    stream.seek(0)
    return io.BytesIO(stream.read())

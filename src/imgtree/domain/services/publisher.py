"""Publishing one file: verify, sanitise, thumbnail and store it, and record the image.

Direct uploads, completed presigned uploads and guest uploads all publish through this one
service, under one policy. Blob first, row second: a crash between the two leaves an orphan
blob for `purge`, never a row without bytes. Identical published bytes are stored once and
reference-counted (`shared_blobs`); a failed upload deletes what it wrote unless an image
already uses it.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from datetime import datetime
from typing import BinaryIO

import attrs

from imgtree.domain.commands import IncomingFile, Uploader
from imgtree.domain.errors import (
    Blocked,
    DomainError,
    FileTooLarge,
    Forbidden,
    InvalidInput,
    QuotaExceeded,
    UnsupportedMediaType,
)
from imgtree.domain.model import (
    SLUG_ALPHABET,
    SLUG_MAX_LENGTH,
    Image,
    ImageFormat,
    Scope,
    User,
    Visibility,
    clean_original_name,
    expiry_after,
)
from imgtree.domain.policies import UploadPolicy
from imgtree.domain.ports import (
    AddressHasher,
    BlobStorage,
    Clock,
    ImageProcessor,
    ProcessedImage,
    ProcessesInto,
    SecretHasher,
    SecureRandom,
    StagingStorage,
    UnitOfWork,
    UnitOfWorkFactory,
)
from imgtree.domain.rules import owned_album
from imgtree.domain.services.shared_blobs import (
    IMAGES_PREFIX,
    content_stem,
    discard_if_unreferenced,
    stem_of,
    storage_keys,
    stored_copy,
)

DELETE_TOKEN_BYTES = 24


@attrs.frozen
class Uploaded:
    image: Image
    delete_token: str  # plain token for the delete_url; only its hash is stored


@attrs.frozen
class UploadFailed:
    error: DomainError
    filename: str | None = None


UploadOutcome = Uploaded | UploadFailed


def stream_size(source: BinaryIO) -> int:
    pos = source.tell()
    size = source.seek(0, os.SEEK_END)
    source.seek(pos)
    return size


ORIGINALS_PREFIX = "originals/"


def original_key(image_id: uuid.UUID, ext: str) -> str:
    """Where a kept original lives: by the image's UUID, never by the client's file name.
    Unlike the published bytes it is never shared: it is its own image's alone."""
    return f"{ORIGINALS_PREFIX}{image_id}.{ext}"


def check_room(
    uow: UnitOfWork, user: User, extra_bytes: int, now: datetime, *, reserved: int | None = None
) -> None:
    """QuotaExceeded unless used + open presigned bytes + `extra_bytes` fit the user's quota.

    `reserved`: the declared bytes of the user's open presigns when the caller already summed
    them (read here otherwise, and only for a user with a quota)."""
    current = uow.users.get(user.id)
    if current is None or current.unlimited:
        return  # unlimited: no need to sum the reservations
    if reserved is None:
        reserved = uow.pending_uploads.open_for_owner(user.id, now).declared_bytes
    if not current.has_room_for(extra_bytes, reserved_bytes=reserved):
        assert current.quota_bytes is not None  # has_room_for is True without a quota
        raise QuotaExceeded.over_quota(
            used=current.used_bytes,
            quota=current.quota_bytes,
            needed=extra_bytes,
            reserved=reserved,
        )


@attrs.define
class Publisher:
    uow: UnitOfWorkFactory
    storage: BlobStorage
    processor: ImageProcessor
    hasher: SecretHasher
    clock: Clock
    random: SecureRandom
    policy: UploadPolicy
    # Keys the uploader's client address into Image.uploader_hash (None: not recorded).
    addresses: AddressHasher | None = None

    @staticmethod
    def check_visibility(uploader: Uploader, visibility: Visibility) -> None:
        """A guest's image cannot be private: with no owner, nobody could ever see it."""
        if uploader.user is None and visibility is Visibility.PRIVATE:
            raise InvalidInput(
                "A guest upload cannot be private (nobody could see it): choose unlisted,"
                " or sign in"
            )

    def check_album(self, uploader: Uploader, album_id: uuid.UUID) -> None:
        """NotFound unless the album exists and belongs to the uploader (guests have none);
        Forbidden for an API key without the albums scope."""
        if uploader.scopes is not None and Scope.ALBUMS not in uploader.scopes:
            raise Forbidden("This API key lacks the albums scope")
        with self.uow(read_only=True) as uow:
            owned_album(uow.albums.get(album_id), uploader.user.id if uploader.user else None)

    def check_quota(self, user: User | None, extra_bytes: int) -> None:
        """QuotaExceeded when `extra_bytes` more would take the user over their quota, counting
        the declared bytes of their open presigned uploads as taken (a presign reserves room
        until it completes or expires; one being completed is already claimed, so it does not
        count twice).

        An early, cheap refusal (before decoding or storing anything); the binding check is
        the atomic reservation made in the same transaction as the image row.
        """
        if user is None:
            return
        with self.uow(read_only=True) as uow:
            check_room(uow, user, extra_bytes, self.clock.now())

    def check_not_blocked(self, *digests: str) -> None:
        """Blocked when the raw upload's or the published bytes' SHA-256 is on the block
        list. Both: the published bytes are what a moderator removed (and what we store),
        the raw digest also catches the original file of a kept original. One read after
        processing, so an upload that is not blocked pays one indexed lookup."""
        with self.uow(read_only=True) as uow:
            if uow.blocked_hashes.any_of(digests):
                raise Blocked("This file was removed by the moderators and cannot be uploaded")

    def publish(
        self,
        uploader: Uploader,
        incoming: IncomingFile,
        album_id: uuid.UUID | None,
        visibility: Visibility,
        *,
        require_type: ImageFormat | None = None,
        expires_in: int | None = None,
        title: str = "",
        description: str = "",
    ) -> Uploaded:
        """Verify, sanitise, thumbnail and store one file (album already checked).

        With `require_type`, the real type must be that one (a presigned upload must be
        what was declared and signed for).
        """
        size = stream_size(incoming.source)
        if size > self.policy.max_file_bytes:
            raise FileTooLarge(
                f"File exceeds the maximum size of {self.policy.max_file_bytes} bytes"
            )
        if size == 0:
            raise InvalidInput("Empty file")
        raw_digest = content_stem(incoming.source)  # leaves the stream at 0
        processed = self._process(incoming.source)
        try:
            actual = processed.info.uploaded_format
            if require_type is not None and not _same_type(actual, require_type):
                raise UnsupportedMediaType(
                    f"The file is {actual.value}, not {require_type.value} as declared"
                )
            stem = content_stem(processed.published)
            self.check_not_blocked(raw_digest, stem)
            return self._store(
                uploader,
                incoming,
                processed,
                stem,
                album_id,
                visibility,
                expires_in,
                text=(title, description),
            )
        finally:
            processed.published.close()
            processed.thumbnail.close()

    def _process(self, source: BinaryIO) -> ProcessedImage:
        """Verify and sanitise; where storage and processor both can, the published bytes are
        written straight into the storage's staging file, which `put` then takes over (local
        disk: a rename), instead of being copied from the processor's file into storage."""
        if not (
            isinstance(self.storage, StagingStorage) and isinstance(self.processor, ProcessesInto)
        ):
            return self.processor.process(source)
        staged = self.storage.staging(IMAGES_PREFIX)
        try:
            processed = self.processor.process_into(source, staged)
        except BaseException:
            staged.close()
            raise
        if processed.published is not staged:
            staged.close()  # the processor kept its own file: the staged one is not needed
        return processed

    def _store(
        self,
        uploader: Uploader,
        incoming: IncomingFile,
        processed: ProcessedImage,
        stem: str,
        album_id: uuid.UUID | None,
        visibility: Visibility,
        expires_in: int | None = None,
        *,
        text: tuple[str, str] = ("", ""),
    ) -> Uploaded:
        """`text`: the image's (title, description), already checked."""
        info = processed.info
        user = uploader.user
        # A converted upload (HEIC/AVIF published as JPEG) keeps its original when the
        # deployment says so; an upload published in its own format has nothing more to keep.
        kept = self.policy.keep_originals and info.uploaded_format is not info.format
        original_size = stream_size(incoming.source) if kept else 0
        self.check_quota(user, processed.published_size + original_size)
        image_id = self.random.uuid()
        key, thumb_key = storage_keys(
            stem,
            info.format.extension,
            processed.thumbnail_format.extension,
        )
        source_key = original_key(image_id, info.uploaded_format.extension) if kept else None
        delete_token = self.random.token(DELETE_TOKEN_BYTES)
        written: list[str] = []
        try:
            # Outside the transaction, and only what is not stored yet: the same file again
            # costs no put. (The stat under the row lock below is what guarantees the bytes.)
            self._put_missing(key, thumb_key, processed, written)
            if source_key is not None:
                incoming.source.seek(0)
                self.storage.put(source_key, incoming.source, info.uploaded_format.value)
            with self.uow() as uow:
                slug = self._new_slug(uow)
                now = self.clock.now()
                image = Image(
                    id=image_id,
                    slug=slug,
                    owner_id=user.id if user else None,
                    original_name=clean_original_name(incoming.filename),
                    content_type=info.format,
                    size_bytes=processed.published_size,
                    width=info.width,
                    height=info.height,
                    storage_key=key,
                    thumb_key=thumb_key,
                    thumb_content_type=processed.thumbnail_format,
                    delete_token_hash=self.hasher.hash(delete_token),
                    created_at=now,
                    expires_at=expiry_after(now, expires_in),
                    album_id=album_id,
                    title=text[0],
                    description=text[1],
                    api_key_id=uploader.api_key_id,
                    animated=info.animated,
                    is_public=visibility.is_public,
                    listed=visibility.listed,
                    original_key=source_key,
                    original_content_type=info.uploaded_format if kept else None,
                    original_size_bytes=original_size,
                    blurhash=processed.blurhash,
                    dominant_color=processed.dominant_color,
                    uploader_hash=(
                        self.addresses.digest(uploader.address)
                        if self.addresses is not None and uploader.address
                        else None
                    ),
                )
                uow.images.add(image)  # refuses atomically past the owner's quota
                uow.blobs.acquire(stem_of(key))  # locks the content's row until the commit
                # A last release that committed since the put above may have deleted the
                # bytes; under the lock nobody else can, so what is here now stays.
                self._put_missing(key, thumb_key, processed, written, again=True)
                if uploader.api_key_id is not None:
                    uow.api_keys.increment_uploads(uploader.api_key_id, 1)
                uow.commit()
        except BaseException:
            # Compensate: the row never landed, so what this upload wrote must not linger,
            # unless another image uses the same bytes (decided under the row's lock).
            for k in written:
                with contextlib.suppress(Exception):  # else an orphan, for purge
                    discard_if_unreferenced(self.uow, self.storage, k)
            if source_key is not None:  # the image's own: nobody else can use it
                with contextlib.suppress(Exception):
                    self.storage.delete(source_key)
            raise
        return Uploaded(image=image, delete_token=delete_token)

    def _put_missing(
        self,
        key: str,
        thumb_key: str,
        processed: ProcessedImage,
        written: list[str],
        *,
        again: bool = False,
    ) -> None:
        """Put the published file and thumbnail unless already stored, adding the keys put
        to `written`. `again`: a first put may have taken a stream over, so copy it."""
        for k, stream, content_type in (
            (key, processed.published, processed.info.format.value),
            (thumb_key, processed.thumbnail, processed.thumbnail_format.value),
        ):
            if self.storage.stat(k) is not None:
                continue
            if again:
                with stored_copy(stream) as copy:
                    self.storage.put(k, copy, content_type)
            else:
                stream.seek(0)
                self.storage.put(k, stream, content_type)
            written.append(k)

    def _new_slug(self, uow: UnitOfWork) -> str:
        images, length = uow.images, self.policy.slug_length
        for _ in range(10):
            slug = self.random.choice_string(SLUG_ALPHABET, length)
            if not images.slug_exists(slug):
                return slug
        # Ten collisions in a row means the space is crowded: lengthen (within the column).
        return self.random.choice_string(SLUG_ALPHABET, min(length + 4, SLUG_MAX_LENGTH))


_HEIF_FAMILY = frozenset({ImageFormat.HEIC, ImageFormat.HEIF})


def _same_type(actual: ImageFormat, declared: ImageFormat) -> bool:
    """image/heic and image/heif name the same container (phones label it either way)."""
    return actual is declared or {actual, declared} <= _HEIF_FAMILY

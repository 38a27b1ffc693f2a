"""Presign -> PUT -> complete: the way around small proxy body limits for large files.

1. `PresignUploads` checks each declared file (name, type, size, album) and the uploader's
   open presigns (at most `max_open_presigns` per account or guest address; an account's
   declared bytes are reserved against its quota until they complete or expire), then records
   a pending upload; the client gets a put URL and an opaque completion token.
2. The client PUTs the bytes: straight to the bucket when the storage can presign (the URL
   signs the declared Content-Type and Content-Length, so the store refuses anything else),
   otherwise to the app, where `ReceiveUpload` streams them into storage, enforcing the
   declared type and size as the bytes arrive, and accepts one successful PUT (a failed one
   may be retried).
3. `CompleteUploads` trusts nothing the client did: it claims the token exactly once, then
   verifies the object (exists, size within declared and maximum, real type allowed, decodes),
   publishes it like any upload and deletes the raw object. A failed check deletes it too.
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import BinaryIO, cast

import attrs

from imgtree.domain.commands import IncomingFile, PresignRequest, Uploader
from imgtree.domain.errors import (
    Conflict,
    DomainError,
    FileTooLarge,
    Forbidden,
    InvalidInput,
    NoFiles,
    NotUploaded,
    TooManyOpenUploads,
    UnsupportedMediaType,
)
from imgtree.domain.model import (
    ImageFormat,
    PendingUpload,
    Visibility,
    clean_original_name,
    expiry_after,
)
from imgtree.domain.ports import (
    BlobStorage,
    Clock,
    OpenUploads,
    Readable,
    SecretHasher,
    SecureRandom,
    UnitOfWork,
    UnitOfWorkFactory,
)
from imgtree.domain.services.publisher import (
    Publisher,
    Uploaded,
    UploadFailed,
    UploadOutcome,
    check_room,
    stream_size,
)

__all__ = [
    "CompleteUploads",
    "PresignFailed",
    "PresignOutcome",
    "PresignRequest",
    "PresignUploads",
    "Presigned",
    "ReceiveUpload",
]

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200
INVALID_TOKEN = "Invalid or expired upload token"  # noqa: S105 (a message, not a secret)


@attrs.frozen
class Presigned:
    pending: PendingUpload
    completion_token: str
    put_token: str  # for the app's own put URL
    direct_put_url: str | None  # set when the storage presigned the PUT itself


@attrs.frozen
class PresignFailed:
    error: DomainError


PresignOutcome = Presigned | PresignFailed


@attrs.define
class PresignUploads:
    uow: UnitOfWorkFactory
    storage: BlobStorage
    publisher: Publisher  # shares policy, album and quota rules with direct uploads
    hasher: SecretHasher
    clock: Clock
    random: SecureRandom

    def __call__(
        self,
        uploader: Uploader,
        requests: Sequence[PresignRequest],
        *,
        album_id: uuid.UUID | None = None,
        visibility: Visibility = Visibility.UNLISTED,
        expires_in: int | None = None,
    ) -> list[PresignOutcome]:
        policy = self.publisher.policy
        if not requests:
            raise NoFiles("No files provided")
        if len(requests) > policy.batch_limit:
            raise InvalidInput(f"At most {policy.batch_limit} files per request")
        self.publisher.check_visibility(uploader, visibility)
        expiry_after(self.clock.now(), expires_in)  # checks the value before any file
        if album_id is not None:
            self.publisher.check_album(uploader, album_id)
        outcomes: list[PresignOutcome] = []
        for request in requests:
            try:
                declared_type, size = self._validate(request)
                outcomes.append(
                    self._presign(
                        uploader, request, declared_type, size, album_id, visibility, expires_in
                    )
                )
            except DomainError as exc:
                outcomes.append(PresignFailed(exc))
        return outcomes

    def _validate(self, request: PresignRequest) -> tuple[ImageFormat, int]:
        policy = self.publisher.policy
        if request.filename is None or not request.filename.strip():
            raise InvalidInput("Filename required")
        try:
            declared_type = ImageFormat((request.content_type or "").split(";")[0].strip().lower())
        except ValueError:
            raise UnsupportedMediaType(
                "Unsupported file type: only "
                + ", ".join(t.value for t in policy.allowed_types)
                + " are accepted"
            ) from None
        if declared_type not in policy.allowed_types:
            raise UnsupportedMediaType(f"{declared_type.value} is not accepted here")
        size = request.size_bytes
        if size is None or size <= 0:
            raise InvalidInput("size_bytes must be a positive integer")
        if size > policy.max_file_bytes:
            raise FileTooLarge(f"File exceeds the maximum size of {policy.max_file_bytes} bytes")
        return declared_type, size

    def _presign(
        self,
        uploader: Uploader,
        request: PresignRequest,
        declared_type: ImageFormat,
        size: int,
        album_id: uuid.UUID | None,
        visibility: Visibility,
        image_expires_in: int | None = None,
    ) -> Presigned:
        expires_in = self.publisher.policy.presign_expires_seconds
        now = self.clock.now()
        pending_id = self.random.uuid()
        completion_token = self.random.token(TOKEN_BYTES)
        put_token = self.random.token(TOKEN_BYTES)
        # The raw object's key comes from our id only; its extension names the declared type.
        object_key = f"uploads/{pending_id}.{declared_type.extension}"
        user = uploader.user
        pending = PendingUpload(
            id=pending_id,
            owner_id=user.id if user else None,
            api_key_id=uploader.api_key_id,
            album_id=album_id,
            is_public=visibility.is_public,
            listed=visibility.listed,
            filename=clean_original_name(request.filename or ""),
            declared_type=declared_type,
            declared_size=size,
            object_key=object_key,
            completion_token_hash=self.hasher.lookup_key(completion_token),
            put_token_hash=self.hasher.hash(put_token),
            created_at=now,
            expires_at=now + timedelta(seconds=expires_in),
            address=None if user else uploader.address,
            image_expires_in=image_expires_in,
        )
        direct = self.storage.presign_put(object_key, declared_type.value, size, expires_in)
        # The checks and the insert share one write transaction, so earlier items of a batch
        # (already committed) count, and on SQLite concurrent presigns serialise on them.
        with self.uow() as uow:
            self._check_open(uow, uploader, size, now)
            uow.pending_uploads.add(pending)
            uow.commit()
        return Presigned(pending, completion_token, put_token, direct)

    def _check_open(self, uow: UnitOfWork, uploader: Uploader, size: int, now: datetime) -> None:
        """TooManyOpenUploads at the cap of open presigns; QuotaExceeded when an account's
        used bytes, its open presigns' declared bytes and `size` would pass its quota."""
        user = uploader.user
        if user is None:
            open_now = uow.pending_uploads.open_for_guest(uploader.address, now)
        else:
            open_now = uow.pending_uploads.open_for_owner(user.id, now)
        cap = self.publisher.policy.max_open_presigns
        if open_now.count >= cap:
            raise _too_many(cap, open_now, now)
        if user is not None:
            check_room(uow, user, size, now, reserved=open_now.declared_bytes)


def _too_many(cap: int, open_now: OpenUploads, now: datetime) -> TooManyOpenUploads:
    first = open_now.first_expiry or now
    retry_after = max(1, math.ceil((first - now).total_seconds()))
    return TooManyOpenUploads(
        f"Too many unfinished uploads: at most {cap} presigned uploads may be open at once;"
        f" complete some, or retry in {retry_after} seconds",
        limit=cap,
        retry_after=retry_after,
    )


class _LimitedReader:
    """Pass bytes through, failing with FileTooLarge the moment more than `limit` arrive."""

    def __init__(self, source: Readable, limit: int) -> None:
        self._source, self._limit, self.received = source, limit, 0

    def read(self, size: int = -1) -> bytes:
        # Never ask for more than one byte past the limit: that one byte proves the overflow.
        room = self._limit - self.received + 1
        data = self._source.read(room if size is None or size < 0 else min(size, room))
        self.received += len(data)
        if self.received > self._limit:
            raise FileTooLarge(f"Body exceeds the declared size of {self._limit} bytes")
        return data


@attrs.define
class ReceiveUpload:
    """Accept the one PUT of a pending upload whose storage cannot presign (local disk)."""

    uow: UnitOfWorkFactory
    storage: BlobStorage
    hasher: SecretHasher
    clock: Clock

    def __call__(
        self,
        pending_id: uuid.UUID,
        put_token: str | None,
        content_type: str | None,
        body: Readable,
        content_length: int | None = None,
    ) -> PendingUpload:
        now = self.clock.now()
        with self.uow() as uow:
            pending = uow.pending_uploads.get(pending_id)
            if (
                pending is None
                or not put_token
                or not self.hasher.verify(put_token, pending.put_token_hash)
                or pending.expired(now)
            ):
                raise Forbidden("Invalid or expired upload URL")
            declared = pending.declared_type.value
            if (content_type or "").split(";")[0].strip().lower() != declared:
                raise UnsupportedMediaType(f"Content-Type must be {declared}, as declared")
            if content_length is not None and content_length > pending.declared_size:
                raise FileTooLarge(
                    f"Body exceeds the declared size of {pending.declared_size} bytes"
                )
            if pending.claimed_at is not None or not uow.pending_uploads.mark_received(
                pending.id, now
            ):
                raise Conflict("This upload URL was already used")
            uow.commit()
        try:
            limited = cast(BinaryIO, _LimitedReader(body, pending.declared_size))
            self.storage.put(pending.object_key, limited, declared)
        except BaseException:
            # Nothing usable was stored: free the URL for another try (until it expires).
            with contextlib.suppress(Exception):
                self.storage.delete(pending.object_key)
            with contextlib.suppress(Exception), self.uow() as uow:
                uow.pending_uploads.reset_received(pending.id)
                uow.commit()
            raise
        return pending


@attrs.define
class CompleteUploads:
    uow: UnitOfWorkFactory
    storage: BlobStorage
    publisher: Publisher
    hasher: SecretHasher
    clock: Clock

    def __call__(self, uploader: Uploader, tokens: Sequence[str]) -> list[UploadOutcome]:
        """One outcome per completion token, in order (a wrong, expired, already used or
        someone else's token is the same failure: `INVALID_TOKEN`)."""
        policy = self.publisher.policy
        if not tokens:
            raise NoFiles("No completion tokens provided")
        if len(tokens) > policy.batch_limit:
            raise InvalidInput(f"At most {policy.batch_limit} tokens per request")
        outcomes: list[UploadOutcome] = []
        for token in tokens:
            try:
                outcomes.append(self._complete(uploader, token))
            except DomainError as exc:
                outcomes.append(UploadFailed(exc))
        return outcomes

    def _complete(self, uploader: Uploader, token: str) -> Uploaded:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidInput(INVALID_TOKEN)
        now = self.clock.now()
        owner_id = uploader.user.id if uploader.user else None
        with self.uow(read_only=True) as uow:
            pending = uow.pending_uploads.get_by_completion_hash(self.hasher.lookup_key(token))
            # Another account's token is indistinguishable from a wrong one.
            if pending is None or not pending.completable_by(owner_id, now):
                raise InvalidInput(INVALID_TOKEN)
        info = self.storage.stat(pending.object_key)
        if info is None:
            # Nothing consumed: the client may PUT and complete again before expiry.
            raise NotUploaded("Upload not found: upload the file before completing")
        with self.uow() as uow:
            if not uow.pending_uploads.claim(pending.id, now):
                raise InvalidInput(INVALID_TOKEN)  # a concurrent complete won
            uow.commit()
        try:
            uploaded = self._verify_and_publish(uploader, pending, info.size)
        finally:
            with contextlib.suppress(Exception):
                self.storage.delete(pending.object_key)
        with self.uow() as uow:
            uow.pending_uploads.set_image(pending.id, uploaded.image.id)
            uow.commit()
        return uploaded

    def _verify_and_publish(
        self, uploader: Uploader, pending: PendingUpload, size: int
    ) -> Uploaded:
        limit = min(pending.declared_size, self.publisher.policy.max_file_bytes)
        if size > limit:
            raise FileTooLarge(f"Uploaded object is larger than the declared {limit} bytes")
        if pending.album_id is not None:
            self.publisher.check_album(uploader, pending.album_id)
        with self.storage.open(pending.object_key) as source:
            # A presigned URL takes PUTs until it expires: the object read here may not be
            # the one `stat` measured, so the bytes actually read are checked again.
            if stream_size(source) > limit:
                raise FileTooLarge(f"Uploaded object is larger than the declared {limit} bytes")
            return self.publisher.publish(
                uploader,
                IncomingFile(source, pending.filename, pending.declared_type.value),
                pending.album_id,
                pending.visibility,
                require_type=pending.declared_type,
                expires_in=pending.image_expires_in,
            )

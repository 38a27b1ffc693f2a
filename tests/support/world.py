"""In-memory worlds for the unit tests: adapters, use cases and helpers in one object.

`World` wires the use cases to the memory adapters, a fixed clock and fakes (no Pillow, no
I/O): `FakeImageProcessor` sniffs magic bytes, `FakePasswordHasher` stands in for argon2, and
`png()` / `jpeg()` / `text()` make the IncomingFiles it accepts or refuses. `PresignWorld` is
the presign -> PUT -> complete world on the real Pillow processor, optionally behind a
`BucketStorage` that presigns and serves like a public bucket.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from typing import Any, BinaryIO

import attrs

from imgtree.adapters.imaging.pillow import PillowImageProcessor
from imgtree.adapters.memory import FixedClock, MemoryBlobStorage, MemoryStore, memory_uow_factory
from imgtree.adapters.system import HmacAddressHasher, Sha256SecretHasher, SystemRandom
from imgtree.domain.errors import InvalidImage, UnsupportedMediaType
from imgtree.domain.model import Album, ApiKey, Image, ImageFormat, PendingUpload, User
from imgtree.domain.policies import UploadPolicy
from imgtree.domain.ports import ImageInfo, ProcessedImage, UnitOfWorkFactory
from imgtree.domain.services import Publisher
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.keys import AuthenticateApiKey, CreateApiKey
from imgtree.domain.use_cases.presign import (
    CompleteUploads,
    Presigned,
    PresignRequest,
    PresignUploads,
    ReceiveUpload,
)
from imgtree.domain.use_cases.upload import (
    IncomingFile,
    Uploaded,
    Uploader,
    UploadFailed,
    UploadImages,
    UploadOutcome,
)
from tests.support import imagegen

# --- the use-case world: memory adapters and fakes ---------------------------------------------

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


class FakeImageProcessor:
    """Sniffs magic bytes only: PNG, JPEG and GIF are accepted, anything else is refused.

    Bytes containing b"CORRUPT" claim a type but "fail to decode". The published bytes are
    the input; the thumbnail is always a JPEG. Every stream it hands out is recorded so tests
    can check the use case closes them.
    """

    MAGIC = (
        (PNG_MAGIC, ImageFormat.PNG),
        (JPEG_MAGIC, ImageFormat.JPEG),
        (b"GIF8", ImageFormat.GIF),
    )

    def __init__(self) -> None:
        self.handed_out: list[io.BytesIO] = []

    def _info(self, data: bytes) -> ImageInfo:
        for magic, fmt in self.MAGIC:
            if data.startswith(magic):
                if b"CORRUPT" in data:
                    raise InvalidImage("The image could not be decoded")
                return ImageInfo(format=fmt, width=len(data), height=1)
        raise UnsupportedMediaType("Not a supported image type")

    def inspect(self, source: BinaryIO) -> ImageInfo:
        return self._info(source.read())

    def process(self, source: BinaryIO) -> ProcessedImage:
        data = source.read()
        info = self._info(data)
        published, thumbnail = io.BytesIO(data), io.BytesIO(b"thumb:" + data[:16])
        self.handed_out += [published, thumbnail]
        return ProcessedImage(
            info=info,
            published=published,
            published_size=len(data),
            thumbnail=thumbnail,
            thumbnail_format=ImageFormat.JPEG,
        )


class FakePasswordHasher:
    """Fast stand-in for argon2 (test_use_cases.py checks the real one once)."""

    def hash(self, password: str) -> str:
        return "fake$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password: str, hashed: str) -> bool:
        return self.hash(password) == hashed


@attrs.define
class World:
    store: MemoryStore = attrs.Factory(MemoryStore)
    clock: FixedClock = attrs.Factory(FixedClock)
    processor: FakeImageProcessor = attrs.Factory(FakeImageProcessor)
    random: SystemRandom = attrs.Factory(SystemRandom)
    hasher: Sha256SecretHasher = attrs.Factory(Sha256SecretHasher)
    passwords: FakePasswordHasher = attrs.Factory(FakePasswordHasher)
    policy: UploadPolicy = attrs.Factory(lambda: UploadPolicy(max_file_bytes=1000, batch_limit=5))
    addresses: HmacAddressHasher = attrs.Factory(lambda: HmacAddressHasher("k" * 32))
    storage: MemoryBlobStorage = attrs.field(init=False)
    uow: UnitOfWorkFactory = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.storage = MemoryBlobStorage(self.clock)
        self.uow = memory_uow_factory(self.store)

    # use cases
    def create_user(self) -> CreateUser:
        return CreateUser(self.uow, self.passwords, self.clock, self.random)

    def create_key(self) -> CreateApiKey:
        return CreateApiKey(self.uow, self.hasher, self.clock, self.random)

    def authenticate(self) -> AuthenticateApiKey:
        return AuthenticateApiKey(self.uow, self.hasher, self.clock)

    def publisher(self, uow: UnitOfWorkFactory | None = None) -> Publisher:
        return Publisher(
            uow or self.uow,
            self.storage,
            self.processor,
            self.hasher,
            self.clock,
            self.random,
            self.policy,
            self.addresses,
        )

    def upload_images(self, uow: UnitOfWorkFactory | None = None) -> UploadImages:
        return UploadImages(self.publisher(uow))

    def delete(self) -> DeleteImage:
        return DeleteImage(self.uow, self.hasher, self.clock)

    # helpers
    def user(self, email: str | None = None, password: str | None = None, **kwargs: object) -> User:
        if email is None:
            email = f"{uuid.uuid4().hex[:10]}@example.com"
        return self.create_user()(email, password, **kwargs)  # type: ignore[arg-type]

    def update_user(self, user: User, **changes: object) -> User:
        with self.uow() as uow:
            user = attrs.evolve(user, **changes)
            uow.users.update(user)
            uow.commit()
        return user

    def album(self, owner: User) -> Album:
        album = Album(
            id=uuid.uuid4(), owner_id=owner.id, title="Holiday", created_at=self.clock.now()
        )
        with self.uow() as uow:
            uow.albums.add(album)
            uow.commit()
        return album

    def upload(
        self, uploader: Uploader | User | None, *files: IncomingFile, **kwargs: object
    ) -> list[UploadOutcome]:
        who = uploader if isinstance(uploader, Uploader) else Uploader(user=uploader)
        return self.upload_images()(who, list(files), **kwargs)  # type: ignore[arg-type]

    def upload_one(self, uploader: Uploader | User | None, **kwargs: object) -> Uploaded:
        (outcome,) = self.upload(uploader, png(), **kwargs)
        assert isinstance(outcome, Uploaded), outcome
        return outcome

    def image(self, image_id: uuid.UUID) -> Image | None:
        with self.uow() as uow:
            return uow.images.get(image_id)

    def key(self, key_id: uuid.UUID) -> ApiKey | None:
        with self.uow() as uow:
            return uow.api_keys.get(key_id)

    def all_images(self) -> list[Image]:
        return list(self.store.tables.images.values())


def png(size: int = 50, filename: str | None = "cat.png", **kwargs: object) -> IncomingFile:
    data = PNG_MAGIC + bytes(i % 251 for i in range(max(0, size - len(PNG_MAGIC))))
    return IncomingFile(io.BytesIO(data), filename=filename, **kwargs)  # type: ignore[arg-type]


def jpeg(size: int = 40, filename: str | None = "dog.jpg") -> IncomingFile:
    return IncomingFile(io.BytesIO(JPEG_MAGIC + b"j" * (size - len(JPEG_MAGIC))), filename=filename)


def text(filename: str = "notes.txt") -> IncomingFile:
    return IncomingFile(io.BytesIO(b"just some text"), filename=filename)


# --- the presign world: memory adapters and the real Pillow processor ---------------------------

MAX_BYTES = 50_000


class BucketStorage(MemoryBlobStorage):
    """Memory storage that behaves like a public bucket: it presigns PUTs and serves blobs."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__(clock)
        self.presigned: list[tuple[str, str, int, int]] = []

    def presign_put(self, key: str, content_type: str, size: int, expires_in: int) -> str | None:
        self.presigned.append((key, content_type, size, expires_in))
        return f"https://bucket.test/{key}?signed=1"

    def public_url(self, key: str) -> str | None:
        return f"https://cdn.test/{key}"

    @property
    def serves_publicly(self) -> bool:
        return True


@attrs.define
class PresignWorld:
    store: MemoryStore = attrs.Factory(MemoryStore)
    clock: FixedClock = attrs.Factory(FixedClock)
    random: SystemRandom = attrs.Factory(SystemRandom)
    hasher: Sha256SecretHasher = attrs.Factory(Sha256SecretHasher)
    processor: PillowImageProcessor = attrs.Factory(PillowImageProcessor)
    policy: UploadPolicy = attrs.Factory(
        lambda: UploadPolicy(max_file_bytes=MAX_BYTES, batch_limit=6, presign_expires_seconds=900)
    )
    bucket: bool = False
    storage: MemoryBlobStorage = attrs.field(init=False)
    uow: UnitOfWorkFactory = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.storage = BucketStorage(self.clock) if self.bucket else MemoryBlobStorage(self.clock)
        self.uow = memory_uow_factory(self.store)

    # use cases
    def publisher(self) -> Publisher:
        return Publisher(
            self.uow,
            self.storage,
            self.processor,
            self.hasher,
            self.clock,
            self.random,
            self.policy,
        )

    def uploads(self) -> UploadImages:
        return UploadImages(self.publisher())

    def presign(self) -> PresignUploads:
        return PresignUploads(
            self.uow, self.storage, self.publisher(), self.hasher, self.clock, self.random
        )

    def receive(self) -> ReceiveUpload:
        return ReceiveUpload(self.uow, self.storage, self.hasher, self.clock)

    def complete(self) -> CompleteUploads:
        return CompleteUploads(self.uow, self.storage, self.publisher(), self.hasher, self.clock)

    # helpers
    def user(self, **kwargs: Any) -> User:
        user = User(
            id=uuid.uuid4(),
            email=f"{uuid.uuid4().hex[:10]}@example.com",
            created_at=self.clock.now(),
            **kwargs,
        )
        with self.uow() as uow:
            uow.users.add(user)
            uow.commit()
        return user

    def api_key(self, user: User) -> ApiKey:
        key = ApiKey(
            id=uuid.uuid4(),
            user_id=user.id,
            name="ci",
            prefix=uuid.uuid4().hex[:12],
            secret_hash="sha256$x",
            created_at=self.clock.now(),
        )
        with self.uow() as uow:
            uow.api_keys.add(key)
            uow.commit()
        return key

    def album(self, owner: User) -> Album:
        album = Album(id=uuid.uuid4(), owner_id=owner.id, title="Trip", created_at=self.clock.now())
        with self.uow() as uow:
            uow.albums.add(album)
            uow.commit()
        return album

    def presign_one(
        self,
        who: Uploader | User | None,
        data: bytes | None = None,
        content_type: str = "image/png",
        size: int | None = None,
        filename: str = "cat.png",
        **kwargs: Any,
    ) -> Presigned:
        uploader = who if isinstance(who, Uploader) else Uploader(user=who)
        if size is None:
            size = len(data if data is not None else imagegen.png())
        (outcome,) = self.presign()(
            uploader, [PresignRequest(filename, content_type, size)], **kwargs
        )
        assert isinstance(outcome, Presigned), outcome
        return outcome

    def put(
        self, presigned: Presigned, data: bytes, content_type: str | None = None
    ) -> PendingUpload:
        return self.receive()(
            presigned.pending.id,
            presigned.put_token,
            content_type or presigned.pending.declared_type.value,
            io.BytesIO(data),
            len(data),
        )

    def complete_one(self, who: Uploader | User | None, token: Any) -> Uploaded | UploadFailed:
        uploader = who if isinstance(who, Uploader) else Uploader(user=who)
        (outcome,) = self.complete()(uploader, [token])
        return outcome

    def pending(self, pending_id: uuid.UUID) -> PendingUpload | None:
        with self.uow() as uow:
            return uow.pending_uploads.get(pending_id)

    def images(self) -> list[Image]:
        return list(self.store.tables.images.values())

    def image_ids(self) -> set[uuid.UUID]:
        return set(self.store.tables.images)

    def image(self, image_id: uuid.UUID) -> Image | None:
        with self.uow() as uow:
            return uow.images.get(image_id)

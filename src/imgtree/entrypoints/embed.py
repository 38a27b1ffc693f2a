"""The embedding API: imgtree's use cases inside another program, without the HTTP app.

    import imgtree

    with imgtree.build_in_memory() as img:      # every port in memory: tests
        img.upload_images(imgtree.Uploader(), [imgtree.IncomingFile(stream, filename="a.png")])

    img = imgtree.build(imgtree.Settings(database_url=..., media_dir=...), migrate=True)
    ...                                         # SQLite or Postgres, local disk or S3
    img.close()                                 # at shutdown: engine disposed, S3 client closed

Both return an `ImgTree`: the use cases the HTTP app runs on, built by the same containers
(entrypoints/containers), with the same policies. docs/embedding.md shows both, executed by
tests/unit/test_embedding_doc.py; tests/unit/test_public_api.py pins this surface.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import attrs

from imgtree.domain.ports import BlobStorage, Clock
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.admin import Admin
from imgtree.domain.use_cases.albums import Albums
from imgtree.domain.use_cases.bulk import BulkImages
from imgtree.domain.use_cases.capabilities import DescribeCapabilities
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.edit_image import EditImage
from imgtree.domain.use_cases.keys import (
    AuthenticateApiKey,
    CreateApiKey,
    ListApiKeys,
    RevokeApiKey,
)
from imgtree.domain.use_cases.list_images import ListImages
from imgtree.domain.use_cases.presign import CompleteUploads, PresignUploads, ReceiveUpload
from imgtree.domain.use_cases.purge import Purge
from imgtree.domain.use_cases.rate_limit import EnforceRateLimit
from imgtree.domain.use_cases.sessions import (
    AuthenticateSession,
    ChangePassword,
    SignIn,
    SignOut,
    SignUp,
)
from imgtree.domain.use_cases.upload import UploadImages
from imgtree.domain.use_cases.view_image import ViewImage
from imgtree.entrypoints.containers import (
    Application,
    MemoryAdapters,
    ProductionAdapters,
    build_container,
    flush_views,
)
from imgtree.entrypoints.settings import Settings

__all__ = ["ImgTree", "build", "build_in_memory"]


@attrs.frozen(kw_only=True)
class ImgTree:
    """imgtree's use cases, ready to call; each is one thread-safe instance.

    `settings` are those it was built with and `storage` is its `BlobStorage` (read what an
    upload published: `storage.open(image.storage_key)`). Guests' upload variants, the HTTP
    app's rate limits per client address and its sessions' cookies stay in the app.
    `close()` (or leaving a `with` block) releases what it holds open, the database engine's
    pool and the S3 client: call it once, when the program is done with imgtree.
    """

    settings: Settings
    storage: BlobStorage
    # accounts and API keys
    create_user: CreateUser
    create_api_key: CreateApiKey
    list_api_keys: ListApiKeys
    revoke_api_key: RevokeApiKey
    authenticate_api_key: AuthenticateApiKey
    # uploads
    upload_images: UploadImages
    presign_uploads: PresignUploads
    receive_upload: ReceiveUpload
    complete_uploads: CompleteUploads
    # images and albums
    list_images: ListImages
    view_image: ViewImage
    edit_image: EditImage
    delete_image: DeleteImage
    bulk_images: BulkImages
    albums: Albums
    purge: Purge
    # limits
    describe_capabilities: DescribeCapabilities
    enforce_rate_limit: EnforceRateLimit
    # sessions and administration
    sign_up: SignUp
    sign_in: SignIn
    authenticate_session: AuthenticateSession
    sign_out: SignOut
    change_password: ChangePassword
    admin: Admin
    _container: Application = attrs.field(repr=False, eq=False, alias="container")

    @classmethod
    def from_container(cls, container: Application) -> ImgTree:
        """The use cases of an application container (entrypoints/containers)."""
        cases = container.use_cases
        named = {name: getattr(cases, name)() for name in USE_CASES}
        return cls(
            settings=container.settings(),
            storage=container.adapters.storage(),
            container=container,
            **named,
        )

    def close(self) -> None:
        """Write counted views, dispose the database engine and close the S3 client
        (idempotent)."""
        flush_views(self._container)
        self._container.shutdown_resources()

    def __enter__(self) -> ImgTree:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# Every attribute of ImgTree but settings, storage and the container: the use cases.
USE_CASES: tuple[str, ...] = tuple(
    field.name
    for field in attrs.fields(ImgTree)
    if field.name not in ("settings", "storage", "_container")
)


def build(settings: Settings | None = None, *, migrate: bool = False) -> ImgTree:
    """imgtree on its production adapters: SQLite or Postgres (`settings.database_url`),
    local disk or S3 (`settings.storage`), decodes in sandboxed processes within the
    processing budget. `settings` default to the IMGTREE_* environment, like the app's (none
    set: SQLite in ./var/imgtree.sqlite3, media in ./var/media). `migrate=True` creates or
    upgrades the schema first (as `imgtree migrate` does; a no-op when it is current)."""
    settings = settings or Settings.from_env()
    if migrate:
        from imgtree.adapters.sql.migrate import upgrade

        upgrade(settings.database_url)
    return ImgTree.from_container(build_container(settings, adapters=ProductionAdapters))


def build_in_memory(settings: Settings | None = None, *, clock: Clock | None = None) -> ImgTree:
    """imgtree with every port in memory (one private store), for tests: nothing touches a
    disk, a database or the network, and decodes run in the calling process (same image limits,
    no sandbox: use `build` for files from the internet). `settings` default to `Settings()`,
    never the environment; pass a `clock` (`imgtree.adapters.memory.FixedClock`) to move time
    by hand."""
    overrides: dict[str, Any] = {} if clock is None else {"clock": clock}
    container = build_container(settings or Settings(), adapters=MemoryAdapters, **overrides)
    return ImgTree.from_container(container)

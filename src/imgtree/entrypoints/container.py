"""The composition root: the only place that knows concrete adapter classes.

Resources receive use cases, never the container. Tests override providers, e.g.
``container.uow_factory.override(providers.Object(memory_uow_factory(store)))``.
"""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from imgtree.adapters.imaging.pool import PooledImageProcessor, pool_source
from imgtree.adapters.sql import SqlRateLimiter, create_engine_for, sql_uow_factory
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.storage.s3 import S3BlobStorage
from imgtree.adapters.system import (
    Argon2PasswordHasher,
    Sha256SecretHasher,
    SystemClock,
    SystemRandom,
)
from imgtree.domain.policies import (
    GuestPolicy,
    PagePolicy,
    ProcessingPolicy,
    RatePolicy,
    SessionPolicy,
    UploadPolicy,
)
from imgtree.domain.services import Publisher, SessionStarter
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.admin import Admin
from imgtree.domain.use_cases.albums import Albums
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
from imgtree.entrypoints.settings import Settings


def _upload_flow(
    uow: providers.Provider[Any],
    storage: providers.Provider[Any],
    processor: providers.Provider[Any],
    hasher: providers.Provider[Any],
    clock: providers.Provider[Any],
    random: providers.Provider[Any],
    policy: providers.Provider[Any],
) -> tuple[providers.Singleton[Any], providers.Singleton[Any], providers.Singleton[Any]]:
    """Direct upload, presign and complete sharing one Publisher (one policy)."""
    publisher = providers.Singleton(
        Publisher,
        uow=uow,
        storage=storage,
        processor=processor,
        hasher=hasher,
        clock=clock,
        random=random,
        policy=policy,
    )
    upload = providers.Singleton(UploadImages, publisher=publisher)
    presign = providers.Singleton(
        PresignUploads,
        uow=uow,
        storage=storage,
        publisher=publisher,
        hasher=hasher,
        clock=clock,
        random=random,
    )
    complete = providers.Singleton(
        CompleteUploads, uow=uow, storage=storage, publisher=publisher, hasher=hasher, clock=clock
    )
    return upload, presign, complete


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    # --- system ---
    clock = providers.Singleton(SystemClock)
    random = providers.Singleton(SystemRandom)
    secret_hasher = providers.Singleton(Sha256SecretHasher)
    password_hasher = providers.Singleton(Argon2PasswordHasher)

    # --- infrastructure ---
    engine = providers.Singleton(
        create_engine_for,
        settings.provided.database_url,
        pool_size=settings.provided.db_pool_size,
        max_overflow=settings.provided.db_max_overflow,
    )
    uow_factory = providers.Singleton(sql_uow_factory, engine)
    storage = providers.Selector(
        settings.provided.storage,
        local=providers.Singleton(LocalBlobStorage, settings.provided.media_dir),
        s3=providers.Singleton(
            S3BlobStorage,
            bucket=settings.provided.s3_bucket,
            region=settings.provided.s3_region,
            endpoint_url=settings.provided.s3_endpoint_url,
            access_key_id=settings.provided.s3_access_key_id,
            secret_access_key=settings.provided.s3_secret_access_key,
            public_base_url=settings.provided.s3_public_base_url,
            path_style=settings.provided.s3_path_style,
        ),
    )
    processing_policy = providers.Singleton(
        ProcessingPolicy,
        max_image_pixels=settings.provided.max_image_pixels,
        max_image_side=settings.provided.max_image_side,
        max_frames=settings.provided.max_frames,
        cpu_seconds=settings.provided.process_cpu_seconds,
        wall_seconds=settings.provided.process_wall_seconds,
        memory_bytes=settings.provided.process_memory_bytes,
        concurrent=settings.provided.process_workers,
        queue_seconds=settings.provided.process_queue_seconds,
    )
    # Every decode runs in the sandbox, inside the processing budget (adapters/imaging/pool),
    # built from the same policy the discovery document publishes.
    image_processor = providers.Singleton(
        PooledImageProcessor.from_policy,
        pool=providers.Callable(
            pool_source, settings.provided.process_socket, settings.provided.process_workers
        ),
        policy=processing_policy,
        thumbnail_size=settings.provided.thumbnail_size,
    )
    # On the database, so the per-IP limit holds across gunicorn workers and hosts.
    rate_limiter = providers.Singleton(SqlRateLimiter, engine, clock)

    # --- policies ---
    upload_policy = providers.Singleton(
        UploadPolicy,
        max_file_bytes=settings.provided.max_upload_bytes,
        presign_expires_seconds=settings.provided.presign_expires_seconds,
    )
    rate_policy = providers.Singleton(
        RatePolicy, per_minute=settings.provided.rate_limit_per_minute
    )
    page_policy = providers.Singleton(PagePolicy)
    session_policy = providers.Singleton(
        SessionPolicy,
        lifetime_seconds=providers.Callable(
            lambda days: days * 86400, settings.provided.session_days
        ),
        signup_open=settings.provided.signup_open,
    )
    guest_policy = providers.Singleton(
        GuestPolicy,
        enabled=settings.provided.guest_uploads,
        max_file_bytes=settings.provided.guest_max_upload_bytes,
        per_minute=settings.provided.guest_rate_limit_per_minute,
    )
    guest_upload_policy = providers.Singleton(
        UploadPolicy,
        max_file_bytes=settings.provided.guest_max_upload_bytes,
        presign_expires_seconds=settings.provided.presign_expires_seconds,
        max_open_presigns=20,  # per guest client address (accounts: the default, 100)
    )
    guest_rate_policy = providers.Singleton(
        RatePolicy, per_minute=settings.provided.guest_rate_limit_per_minute
    )

    # --- use cases ---
    create_user = providers.Singleton(
        CreateUser,
        uow=uow_factory,
        passwords=password_hasher,
        clock=clock,
        random=random,
        default_quota_bytes=settings.provided.default_quota_bytes,
    )
    create_api_key = providers.Singleton(
        CreateApiKey, uow=uow_factory, hasher=secret_hasher, clock=clock, random=random
    )
    list_api_keys = providers.Singleton(ListApiKeys, uow=uow_factory)
    revoke_api_key = providers.Singleton(RevokeApiKey, uow=uow_factory, clock=clock)
    authenticate_api_key = providers.Singleton(
        AuthenticateApiKey, uow=uow_factory, hasher=secret_hasher, clock=clock
    )
    # Accounts and guests upload through the same use cases; guests have their own policy.
    upload_images, presign_uploads, complete_uploads = _upload_flow(
        uow_factory, storage, image_processor, secret_hasher, clock, random, upload_policy
    )
    guest_upload_images, guest_presign_uploads, guest_complete_uploads = _upload_flow(
        uow_factory, storage, image_processor, secret_hasher, clock, random, guest_upload_policy
    )
    receive_upload = providers.Singleton(
        ReceiveUpload, uow=uow_factory, storage=storage, hasher=secret_hasher, clock=clock
    )
    list_images = providers.Singleton(ListImages, uow=uow_factory, policy=page_policy)
    delete_image = providers.Singleton(
        DeleteImage, uow=uow_factory, hasher=secret_hasher, clock=clock, storage=storage
    )
    view_image = providers.Singleton(
        ViewImage,
        uow=uow_factory,
        hide_inactive_owners=providers.Callable(
            lambda choice: choice == "hide", settings.provided.inactive_images
        ),
    )
    describe_capabilities = providers.Singleton(
        DescribeCapabilities,
        upload=upload_policy,
        rate=rate_policy,
        paging=page_policy,
        processing=processing_policy,
    )
    enforce_rate_limit = providers.Singleton(
        EnforceRateLimit, limiter=rate_limiter, policy=rate_policy
    )
    purge = providers.Singleton(Purge, uow=uow_factory, storage=storage, clock=clock)

    # --- the web app: accounts, sessions, albums, guests ---
    albums = providers.Singleton(
        Albums, uow=uow_factory, clock=clock, random=random, paging=page_policy
    )
    edit_image = providers.Singleton(EditImage, uow=uow_factory)
    admin = providers.Singleton(
        Admin, uow=uow_factory, clock=clock, random=random, paging=page_policy
    )
    session_starter = providers.Singleton(
        SessionStarter,
        uow=uow_factory,
        hasher=secret_hasher,
        clock=clock,
        random=random,
        policy=session_policy,
    )
    sign_in = providers.Singleton(
        SignIn,
        uow=uow_factory,
        passwords=password_hasher,
        limiter=rate_limiter,
        policy=session_policy,
        sessions=session_starter,
    )
    sign_up = providers.Singleton(
        SignUp,
        create_user=create_user,
        limiter=rate_limiter,
        policy=session_policy,
        sessions=session_starter,
    )
    authenticate_session = providers.Singleton(
        AuthenticateSession,
        uow=uow_factory,
        hasher=secret_hasher,
        clock=clock,
        policy=session_policy,
    )
    sign_out = providers.Singleton(SignOut, uow=uow_factory, hasher=secret_hasher, clock=clock)
    change_password = providers.Singleton(
        ChangePassword, uow=uow_factory, passwords=password_hasher, clock=clock
    )
    guest_rate_limit = providers.Singleton(
        EnforceRateLimit, limiter=rate_limiter, policy=guest_rate_policy
    )


def build_container(settings: Settings | None = None) -> Container:
    container = Container(settings=settings or Settings.from_env())
    return container

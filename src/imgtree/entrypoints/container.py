"""The composition root: the only place that knows concrete adapter classes.

Resources receive use cases, never the container. Tests override providers, e.g.
``container.uow_factory.override(providers.Object(memory_uow_factory(store)))``.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from imgtree.adapters.imaging.pillow import PillowImageProcessor
from imgtree.adapters.sql import SqlRateLimiter, create_engine_for, sql_uow_factory
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.storage.s3 import S3BlobStorage
from imgtree.adapters.system import (
    Argon2PasswordHasher,
    Sha256SecretHasher,
    SystemClock,
    SystemRandom,
)
from imgtree.domain.policies import PagePolicy, RatePolicy, UploadPolicy
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.capabilities import DescribeCapabilities
from imgtree.domain.use_cases.delete import DeleteImage
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
from imgtree.domain.use_cases.upload import UploadImages
from imgtree.domain.use_cases.view_image import ViewImage
from imgtree.entrypoints.settings import Settings


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
    image_processor = providers.Singleton(
        PillowImageProcessor,
        max_pixels=settings.provided.max_image_pixels,
        max_frames=settings.provided.max_frames,
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

    # --- use cases ---
    create_user = providers.Singleton(
        CreateUser, uow=uow_factory, passwords=password_hasher, clock=clock, random=random
    )
    create_api_key = providers.Singleton(
        CreateApiKey, uow=uow_factory, hasher=secret_hasher, clock=clock, random=random
    )
    list_api_keys = providers.Singleton(ListApiKeys, uow=uow_factory)
    revoke_api_key = providers.Singleton(RevokeApiKey, uow=uow_factory, clock=clock)
    authenticate_api_key = providers.Singleton(
        AuthenticateApiKey, uow=uow_factory, hasher=secret_hasher, clock=clock
    )
    upload_images = providers.Singleton(
        UploadImages,
        uow=uow_factory,
        storage=storage,
        processor=image_processor,
        hasher=secret_hasher,
        clock=clock,
        random=random,
        policy=upload_policy,
    )
    list_images = providers.Singleton(ListImages, uow=uow_factory, policy=page_policy)
    delete_image = providers.Singleton(
        DeleteImage, uow=uow_factory, hasher=secret_hasher, clock=clock, storage=storage
    )
    view_image = providers.Singleton(ViewImage, uow=uow_factory)
    describe_capabilities = providers.Singleton(
        DescribeCapabilities, upload=upload_policy, rate=rate_policy, paging=page_policy
    )
    enforce_rate_limit = providers.Singleton(
        EnforceRateLimit, limiter=rate_limiter, policy=rate_policy
    )
    presign_uploads = providers.Singleton(
        PresignUploads,
        uow=uow_factory,
        storage=storage,
        uploads=upload_images,
        hasher=secret_hasher,
        clock=clock,
        random=random,
    )
    receive_upload = providers.Singleton(
        ReceiveUpload, uow=uow_factory, storage=storage, hasher=secret_hasher, clock=clock
    )
    complete_uploads = providers.Singleton(
        CompleteUploads,
        uow=uow_factory,
        storage=storage,
        uploads=upload_images,
        hasher=secret_hasher,
        clock=clock,
    )
    purge = providers.Singleton(Purge, uow=uow_factory, storage=storage, clock=clock)


def build_container(settings: Settings | None = None) -> Container:
    container = Container(settings=settings or Settings.from_env())
    return container

"""The adapters side of the hexagon: one container per choice of outside world.

`ProductionAdapters` is what `imgtree serve`, the CLI and `imgtree.build()` run on: SQL
(SQLite or Postgres), local disk or S3, decodes in the sandboxed pool. `MemoryAdapters`
is every port in memory with decodes in the calling process: for tests and embedders'
tests (`imgtree.build_in_memory()`). Both provide the same names, so the use cases
(containers/use_cases.py) run unchanged on either.

What holds a connection pool or a client is a `providers.Resource`: `shutdown_resources()`
on the application container (the CLI after each command, each server worker as it exits,
`ImgTree.close()`) disposes the engine and closes the S3 client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dependency_injector import containers, providers
from sqlalchemy import Engine

from imgtree.adapters.imaging.pillow import PillowImageProcessor
from imgtree.adapters.imaging.pool import PooledImageProcessor, pool_source
from imgtree.adapters.memory import (
    MemoryBlobStorage,
    MemoryRateLimiter,
    MemoryStore,
    memory_uow_factory,
)
from imgtree.adapters.sql import SqlRateLimiter, create_engine_for, sql_uow_factory
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.storage.s3 import S3BlobStorage
from imgtree.adapters.system import (
    Argon2PasswordHasher,
    CommonPasswordScreen,
    HmacAddressHasher,
    Sha256SecretHasher,
    SystemClock,
    SystemRandom,
)
from imgtree.adapters.totp import PyOtpPasswords
from imgtree.entrypoints.metrics import Metrics
from imgtree.entrypoints.settings import Settings


def sql_engine(url: str, *, pool_size: int, max_overflow: int) -> Iterator[Engine]:
    """The engine for as long as the container runs; disposed (its pool closed) at shutdown."""
    engine = create_engine_for(url, pool_size=pool_size, max_overflow=max_overflow)
    try:
        yield engine
    finally:
        engine.dispose()


def s3_storage(**options: Any) -> Iterator[S3BlobStorage]:
    """One S3 client for the container's life, closed at shutdown."""
    storage = S3BlobStorage(**options)
    try:
        yield storage
    finally:
        storage.close()


class SystemAdapters(containers.DeclarativeContainer):
    """What both sides share: the clock, randomness and hashing of this machine."""

    settings = providers.Dependency(instance_of=Settings)
    policies = providers.DependenciesContainer()

    clock = providers.Singleton(SystemClock)
    random = providers.Singleton(SystemRandom)
    secret_hasher = providers.Singleton(Sha256SecretHasher)
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    password_screen = providers.Singleton(CommonPasswordScreen)
    one_time_passwords = providers.Singleton(PyOtpPasswords)
    # Uploaders' and reporters' client addresses, keyed (never stored raw).
    address_hasher = providers.Singleton(HmacAddressHasher, settings.provided.address_hash_key)
    # This process's Prometheus metrics (entrypoints/metrics.py), one set per container.
    metrics = providers.Singleton(Metrics)


class ProductionAdapters(SystemAdapters):
    """SQL, local disk or S3 (`settings.storage`), the sandboxed decode pool."""

    # The shared providers, named here for the definitions below (the same objects).
    settings = SystemAdapters.settings
    policies = SystemAdapters.policies
    clock = SystemAdapters.clock
    metrics = SystemAdapters.metrics

    engine = providers.Resource(
        sql_engine,
        settings.provided.database_url,
        pool_size=settings.provided.db_pool_size,
        max_overflow=settings.provided.db_max_overflow,
    )
    uow_factory = providers.Singleton(sql_uow_factory, engine)
    storage = providers.Selector(
        settings.provided.storage,
        local=providers.Singleton(LocalBlobStorage, settings.provided.media_dir),
        s3=providers.Resource(
            s3_storage,
            bucket=settings.provided.s3_bucket,
            region=settings.provided.s3_region,
            endpoint_url=settings.provided.s3_endpoint_url,
            access_key_id=settings.provided.s3_access_key_id,
            secret_access_key=settings.provided.s3_secret_access_key,
            public_base_url=settings.provided.s3_public_base_url,
            path_style=settings.provided.s3_path_style,
        ),
    )
    # Every decode in the sandbox, inside the processing budget the discovery document
    # publishes (adapters/imaging/pool): the host's pool when `imgtree serve` started one,
    # else this process's own, started on first use and stopped at exit.
    image_processor = providers.Singleton(
        PooledImageProcessor.from_policy,
        pool=providers.Callable(
            pool_source, settings.provided.process_socket, settings.provided.process_workers
        ),
        policy=policies.processing_policy,
        thumbnail_size=settings.provided.thumbnail_size,
        observer=metrics,
    )
    # On the database, so the per-IP limit holds across gunicorn workers and hosts.
    rate_limiter = providers.Singleton(SqlRateLimiter, engine, clock)


class MemoryAdapters(SystemAdapters):
    """Every port in memory, one `MemoryStore` per container; decodes in the calling process
    with the policy's image limits but no sandbox or CPU/memory budget (tests, trusted input).
    """

    # The shared providers, named here for the definitions below (the same objects).
    settings = SystemAdapters.settings
    policies = SystemAdapters.policies
    clock = SystemAdapters.clock

    store = providers.Singleton(MemoryStore)
    uow_factory = providers.Singleton(memory_uow_factory, store)
    storage = providers.Singleton(MemoryBlobStorage, clock)
    image_processor = providers.Singleton(
        PillowImageProcessor.from_policy,
        policies.processing_policy,
        thumbnail_size=settings.provided.thumbnail_size,
    )
    rate_limiter = providers.Singleton(MemoryRateLimiter, clock)

"""Static proof that every adapter implements its port: the Protocol counterpart of
zope.interface's verifyClass.

Nothing here runs (the module is never imported at run time, and everything sits under
TYPE_CHECKING): mypy checks each typed line below, so an adapter whose method drifts from
its port (a renamed keyword, a narrower parameter, a wider return) fails `mypy` here rather
than in whichever use case happens to receive it. Add a line for every new adapter.

A `type[Port] = Adapter` line checks the class; a `Port = adapter(...)` line checks what a
factory returns; `type[UnitOfWork] = ...` also checks the repositories each unit of work
holds. The SQL repositories come from the `imgtree.adapters.sql.repositories` package, not
from the module that defines each one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from imgtree.adapters.imaging.pillow import PillowImageProcessor
    from imgtree.adapters.imaging.pool import PooledImageProcessor
    from imgtree.adapters.memory import (
        FixedClock,
        MemoryBlobStorage,
        MemoryRateLimiter,
        MemoryStore,
        MemoryUnitOfWork,
        memory_uow_factory,
    )
    from imgtree.adapters.memory.uow import (
        _AlbumRepo,
        _ApiKeyRepo,
        _AuditLog,
        _ImageRepo,
        _PendingUploadRepo,
        _SessionRepo,
        _Stats,
        _UserRepo,
    )
    from imgtree.adapters.sql import SqlRateLimiter, SqlUnitOfWork, sql_uow_factory
    from imgtree.adapters.sql.repositories import (
        SqlAlbumRepository,
        SqlApiKeyRepository,
        SqlAuditLog,
        SqlImageRepository,
        SqlPendingUploadRepository,
        SqlSessionRepository,
        SqlStats,
        SqlUserRepository,
    )
    from imgtree.adapters.storage.local import LocalBlobStorage
    from imgtree.adapters.storage.s3 import S3BlobStorage
    from imgtree.adapters.system import (
        Argon2PasswordHasher,
        Sha256SecretHasher,
        SystemClock,
        SystemRandom,
    )
    from imgtree.adapters.totp import PyOtpPasswords
    from imgtree.domain.ports import (
        AlbumRepository,
        ApiKeyRepository,
        AuditLog,
        BlobStorage,
        Clock,
        ImageProcessor,
        ImageRepository,
        LeftoverSweeper,
        OneTimePasswords,
        PasswordHasher,
        PendingUploadRepository,
        RateLimiter,
        SecretHasher,
        SecureRandom,
        SessionRepository,
        StatsQueries,
        UnitOfWork,
        UnitOfWorkFactory,
        UserRepository,
    )

    # --- blob storage -----------------------------------------------------------------------
    _storage_memory: type[BlobStorage] = MemoryBlobStorage
    _storage_local: type[BlobStorage] = LocalBlobStorage
    _storage_local_sweeper: type[LeftoverSweeper] = LocalBlobStorage
    _storage_s3: type[BlobStorage] = S3BlobStorage

    # --- image processing -------------------------------------------------------------------
    _imaging_pillow: type[ImageProcessor] = PillowImageProcessor
    _imaging_pool: type[ImageProcessor] = PooledImageProcessor

    # --- system -----------------------------------------------------------------------------
    _clock_system: type[Clock] = SystemClock
    _clock_fixed: type[Clock] = FixedClock
    _random_system: type[SecureRandom] = SystemRandom
    _secret_hasher: type[SecretHasher] = Sha256SecretHasher
    _password_hasher: type[PasswordHasher] = Argon2PasswordHasher
    _one_time_passwords: type[OneTimePasswords] = PyOtpPasswords

    # --- rate limiting ----------------------------------------------------------------------
    _rate_memory: type[RateLimiter] = MemoryRateLimiter
    _rate_sql: type[RateLimiter] = SqlRateLimiter

    # --- units of work and their factories --------------------------------------------------
    _uow_memory: type[UnitOfWork] = MemoryUnitOfWork
    _uow_sql: type[UnitOfWork] = SqlUnitOfWork

    def _factories(store: MemoryStore, engine: Engine) -> None:
        _memory: UnitOfWorkFactory = memory_uow_factory(store)
        _sql: UnitOfWorkFactory = sql_uow_factory(engine)

    # --- repositories: memory ---------------------------------------------------------------
    _users_memory: type[UserRepository] = _UserRepo
    _api_keys_memory: type[ApiKeyRepository] = _ApiKeyRepo
    _albums_memory: type[AlbumRepository] = _AlbumRepo
    _images_memory: type[ImageRepository] = _ImageRepo
    _pending_memory: type[PendingUploadRepository] = _PendingUploadRepo
    _sessions_memory: type[SessionRepository] = _SessionRepo
    _audit_memory: type[AuditLog] = _AuditLog
    _stats_memory: type[StatsQueries] = _Stats

    # --- repositories: SQL ------------------------------------------------------------------
    _users_sql: type[UserRepository] = SqlUserRepository
    _api_keys_sql: type[ApiKeyRepository] = SqlApiKeyRepository
    _albums_sql: type[AlbumRepository] = SqlAlbumRepository
    _images_sql: type[ImageRepository] = SqlImageRepository
    _pending_sql: type[PendingUploadRepository] = SqlPendingUploadRepository
    _sessions_sql: type[SessionRepository] = SqlSessionRepository
    _audit_sql: type[AuditLog] = SqlAuditLog
    _stats_sql: type[StatsQueries] = SqlStats

"""The use cases, wired to whichever adapters container they are given.

`UseCases(settings=..., policies=Policies(...), adapters=ProductionAdapters(...))` or the
same with `MemoryAdapters(...)`: the use cases name the ports they need (`adapters.storage`,
`adapters.uow_factory`...), never a concrete class. Each use case is one instance for the
container's life (they hold no per-request state).
"""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from imgtree.domain.services import Publisher, SecondFactor, SessionStarter, ViewCounter
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.admin import Admin
from imgtree.domain.use_cases.albums import Albums
from imgtree.domain.use_cases.bulk import BulkImages
from imgtree.domain.use_cases.capabilities import DescribeCapabilities
from imgtree.domain.use_cases.claim import ClaimImages
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.edit_image import EditImage
from imgtree.domain.use_cases.keys import (
    AuthenticateApiKey,
    CreateApiKey,
    ListApiKeys,
    RevokeApiKey,
)
from imgtree.domain.use_cases.list_images import ListImages
from imgtree.domain.use_cases.misses import MissBudget
from imgtree.domain.use_cases.moderation import Moderation
from imgtree.domain.use_cases.originals import DownloadOriginal
from imgtree.domain.use_cases.placeholders import BackfillPlaceholders
from imgtree.domain.use_cases.presign import CompleteUploads, PresignUploads, ReceiveUpload
from imgtree.domain.use_cases.profile import ViewProfile
from imgtree.domain.use_cases.purge import Purge
from imgtree.domain.use_cases.rate_limit import EnforceRateLimit
from imgtree.domain.use_cases.renditions import Renditions
from imgtree.domain.use_cases.sessions import (
    AuthenticateSession,
    ChangePassword,
    SignIn,
    SignOut,
    SignUp,
    UserSessions,
)
from imgtree.domain.use_cases.two_factor import TwoFactor
from imgtree.domain.use_cases.unlock import Unlock
from imgtree.domain.use_cases.upload import UploadImages
from imgtree.domain.use_cases.view_image import ViewImage
from imgtree.entrypoints.settings import Settings


def _publisher(
    adapters: providers.DependenciesContainer, policy: providers.Provider[Any]
) -> providers.Singleton[Publisher]:
    return providers.Singleton(
        Publisher,
        uow=adapters.uow_factory,
        storage=adapters.storage,
        processor=adapters.image_processor,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
        random=adapters.random,
        policy=policy,
        addresses=adapters.address_hasher,
    )


def _upload_flow(
    adapters: providers.DependenciesContainer, publisher: providers.Provider[Publisher]
) -> tuple[providers.Singleton[Any], providers.Singleton[Any], providers.Singleton[Any]]:
    """Direct upload, presign and complete sharing one Publisher (one policy)."""
    upload = providers.Singleton(UploadImages, publisher=publisher)
    presign = providers.Singleton(
        PresignUploads,
        uow=adapters.uow_factory,
        storage=adapters.storage,
        publisher=publisher,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
        random=adapters.random,
    )
    complete = providers.Singleton(
        CompleteUploads,
        uow=adapters.uow_factory,
        storage=adapters.storage,
        publisher=publisher,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
    )
    return upload, presign, complete


class UseCases(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    policies = providers.DependenciesContainer()
    adapters = providers.DependenciesContainer()

    # --- accounts and API keys ---
    create_user = providers.Singleton(
        CreateUser,
        uow=adapters.uow_factory,
        passwords=adapters.password_hasher,
        clock=adapters.clock,
        random=adapters.random,
        default_quota_bytes=settings.provided.default_quota_bytes,
        screen=adapters.password_screen,
    )
    create_api_key = providers.Singleton(
        CreateApiKey,
        uow=adapters.uow_factory,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
        random=adapters.random,
    )
    list_api_keys = providers.Singleton(ListApiKeys, uow=adapters.uow_factory)
    revoke_api_key = providers.Singleton(
        RevokeApiKey, uow=adapters.uow_factory, clock=adapters.clock
    )
    authenticate_api_key = providers.Singleton(
        AuthenticateApiKey,
        uow=adapters.uow_factory,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
    )

    # --- uploads: accounts and guests through the same use cases, guests with their policy ---
    # One Publisher (a domain service: verify, sanitise, store one file) per upload policy.
    publisher = _publisher(adapters, policies.upload_policy)
    guest_publisher = _publisher(adapters, policies.guest_upload_policy)
    upload_images, presign_uploads, complete_uploads = _upload_flow(adapters, publisher)
    guest_upload_images, guest_presign_uploads, guest_complete_uploads = _upload_flow(
        adapters, guest_publisher
    )
    receive_upload = providers.Singleton(
        ReceiveUpload,
        uow=adapters.uow_factory,
        storage=adapters.storage,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
    )

    # --- images ---
    view_profile = providers.Singleton(
        ViewProfile, uow=adapters.uow_factory, policy=policies.page_policy, clock=adapters.clock
    )
    list_images = providers.Singleton(
        ListImages, uow=adapters.uow_factory, policy=policies.page_policy, clock=adapters.clock
    )
    delete_image = providers.Singleton(
        DeleteImage,
        uow=adapters.uow_factory,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
        storage=adapters.storage,
    )
    claim_images = providers.Singleton(
        ClaimImages, uow=adapters.uow_factory, hasher=adapters.secret_hasher, clock=adapters.clock
    )
    view_image = providers.Singleton(
        ViewImage,
        uow=adapters.uow_factory,
        clock=adapters.clock,
        hide_inactive_owners=providers.Callable(
            lambda choice: choice == "hide", settings.provided.inactive_images
        ),
    )
    renditions = providers.Singleton(
        Renditions,
        view_image=view_image,
        storage=adapters.storage,
        resizer=adapters.image_processor,
        policy=policies.rendition_policy,
    )
    edit_image = providers.Singleton(
        EditImage,
        uow=adapters.uow_factory,
        clock=adapters.clock,
        passwords=adapters.password_hasher,
    )
    # Visitors' passwords on images and albums (docs/decisions.md).
    unlock = providers.Singleton(
        Unlock, view_image=view_image, uow=adapters.uow_factory, passwords=adapters.password_hasher
    )
    bulk_images = providers.Singleton(BulkImages, delete_image=delete_image, edit_image=edit_image)
    download_original = providers.Singleton(
        DownloadOriginal, uow=adapters.uow_factory, storage=adapters.storage, clock=adapters.clock
    )
    albums = providers.Singleton(
        Albums,
        uow=adapters.uow_factory,
        clock=adapters.clock,
        random=adapters.random,
        paging=policies.page_policy,
        passwords=adapters.password_hasher,
    )
    purge = providers.Singleton(
        Purge, uow=adapters.uow_factory, storage=adapters.storage, clock=adapters.clock
    )
    backfill_placeholders = providers.Singleton(
        BackfillPlaceholders,
        uow=adapters.uow_factory,
        storage=adapters.storage,
        processor=adapters.image_processor,
    )

    # --- limits: the discovery document, rate limits ---
    describe_capabilities = providers.Singleton(
        DescribeCapabilities,
        upload=policies.upload_policy,
        rate=policies.rate_policy,
        paging=policies.page_policy,
        processing=policies.processing_policy,
    )
    enforce_rate_limit = providers.Singleton(
        EnforceRateLimit, limiter=adapters.rate_limiter, policy=policies.rate_policy
    )
    guest_rate_limit = providers.Singleton(
        EnforceRateLimit, limiter=adapters.rate_limiter, policy=policies.guest_rate_policy
    )
    # One per process: its map of over-budget clients is what spares hits the limiter.
    miss_budget = providers.Singleton(
        MissBudget, limiter=adapters.rate_limiter, clock=adapters.clock, policy=policies.miss_policy
    )

    # --- the web app: sessions, administration ---
    # A domain service sign-in and sign-up share (domain/services/session_starter.py).
    # One per process: each worker counts its own views and flushes them in batches.
    view_counter = providers.Singleton(
        ViewCounter,
        uow=adapters.uow_factory,
        clock=adapters.clock,
        flush_seconds=settings.provided.view_flush_seconds,
    )
    session_starter = providers.Singleton(
        SessionStarter,
        uow=adapters.uow_factory,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
        random=adapters.random,
        policy=policies.session_policy,
    )
    # The second factor (TOTP or recovery code) sign-in and the two-factor settings share.
    second_factor = providers.Singleton(
        SecondFactor,
        uow=adapters.uow_factory,
        otp=adapters.one_time_passwords,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
        random=adapters.random,
    )
    sign_in = providers.Singleton(
        SignIn,
        uow=adapters.uow_factory,
        passwords=adapters.password_hasher,
        limiter=adapters.rate_limiter,
        policy=policies.session_policy,
        sessions=session_starter,
        second_factor=second_factor,
    )
    two_factor = providers.Singleton(
        TwoFactor,
        uow=adapters.uow_factory,
        otp=adapters.one_time_passwords,
        second_factor=second_factor,
        passwords=adapters.password_hasher,
        clock=adapters.clock,
        limiter=adapters.rate_limiter,
        policy=policies.session_policy,
    )
    sign_up = providers.Singleton(
        SignUp,
        create_user=create_user,
        limiter=adapters.rate_limiter,
        policy=policies.session_policy,
        sessions=session_starter,
    )
    authenticate_session = providers.Singleton(
        AuthenticateSession,
        uow=adapters.uow_factory,
        hasher=adapters.secret_hasher,
        clock=adapters.clock,
        policy=policies.session_policy,
    )
    sign_out = providers.Singleton(
        SignOut, uow=adapters.uow_factory, hasher=adapters.secret_hasher, clock=adapters.clock
    )
    user_sessions = providers.Singleton(
        UserSessions, uow=adapters.uow_factory, clock=adapters.clock
    )
    change_password = providers.Singleton(
        ChangePassword,
        uow=adapters.uow_factory,
        passwords=adapters.password_hasher,
        clock=adapters.clock,
        screen=adapters.password_screen,
    )
    admin = providers.Singleton(
        Admin,
        uow=adapters.uow_factory,
        clock=adapters.clock,
        random=adapters.random,
        paging=policies.page_policy,
        require_two_factor=settings.provided.require_admin_2fa,
    )
    moderation = providers.Singleton(
        Moderation,
        admin=admin,
        uow=adapters.uow_factory,
        clock=adapters.clock,
        random=adapters.random,
        storage=adapters.storage,
        deleter=delete_image,
        addresses=adapters.address_hasher,
        limiter=adapters.rate_limiter,
        view_image=view_image,
        paging=policies.page_policy,
        report_limit=settings.provided.report_limit_per_hour,
    )

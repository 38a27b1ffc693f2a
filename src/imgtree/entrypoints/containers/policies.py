"""Policies: the limits and rules of one deployment, built once from Settings.

The adapters (the image processor) and the use cases (uploads, sessions, paging, the
discovery document) are given the same instances, so what the processor enforces is what
the discovery document publishes.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from imgtree.adapters.imaging.pillow import animated_encoders, decodable_types, writable_formats
from imgtree.domain.policies import (
    GuestPolicy,
    PagePolicy,
    ProcessingPolicy,
    RatePolicy,
    RenditionPolicy,
    SessionPolicy,
    UploadPolicy,
)
from imgtree.entrypoints.settings import Settings

# Open presigns one guest client address may hold (accounts keep UploadPolicy's default, 100).
GUEST_MAX_OPEN_PRESIGNS = 20


class Policies(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    upload_policy = providers.Singleton(
        UploadPolicy,
        max_file_bytes=settings.provided.max_upload_bytes,
        presign_expires_seconds=settings.provided.presign_expires_seconds,
        allowed_types=providers.Callable(decodable_types),
        slug_length=settings.provided.slug_length,
        # Accounts only: a guest upload has no owner who could download its original.
        keep_originals=settings.provided.keep_originals,
    )
    rate_policy = providers.Singleton(
        RatePolicy, per_minute=settings.provided.rate_limit_per_minute
    )
    page_policy = providers.Singleton(PagePolicy)
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
    rendition_policy = providers.Singleton(
        RenditionPolicy,
        presets=settings.provided.rendition_sizes,
        # Only those this Pillow can write: an .avif URL on a build without AVIF is a 404.
        formats=providers.Callable(writable_formats, settings.provided.rendition_formats),
        # What the imaging adapter can keep animated (animated AVIF needs Pillow's own plugin).
        animates=providers.Callable(animated_encoders),
    )
    session_policy = providers.Singleton(
        SessionPolicy,
        lifetime_seconds=providers.Callable(
            lambda days: days * 86400, settings.provided.session_days
        ),
        max_lifetime_seconds=providers.Callable(
            lambda days: days * 86400, settings.provided.session_max_days
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
        max_open_presigns=GUEST_MAX_OPEN_PRESIGNS,
        allowed_types=providers.Callable(decodable_types),
        slug_length=settings.provided.slug_length,
    )
    guest_rate_policy = providers.Singleton(
        RatePolicy, per_minute=settings.provided.guest_rate_limit_per_minute
    )
    # Misses on public links (unknown slugs, files, delete links) per client per window.
    miss_policy = providers.Singleton(
        RatePolicy,
        per_minute=settings.provided.miss_limit,
        window_seconds=settings.provided.miss_window_seconds,
    )

"""Describe this deployment's limits (the unauthenticated discovery document)."""

from __future__ import annotations

import attrs

from imgtree.domain.model import ImageFormat
from imgtree.domain.policies import PagePolicy, ProcessingPolicy, RatePolicy, UploadPolicy


@attrs.frozen
class Capabilities:
    max_file_size_bytes: int
    allowed_types: tuple[ImageFormat, ...]
    presign_expires_seconds: int
    batch_limit: int
    rate_limit_per_minute: int
    rate_limit_window_seconds: int
    page_default_limit: int
    page_max_limit: int
    processing: ProcessingPolicy


@attrs.define
class DescribeCapabilities:
    upload: UploadPolicy
    rate: RatePolicy
    paging: PagePolicy = attrs.Factory(PagePolicy)
    processing: ProcessingPolicy = attrs.Factory(ProcessingPolicy)

    def __call__(self) -> Capabilities:
        return Capabilities(
            max_file_size_bytes=self.upload.max_file_bytes,
            allowed_types=self.upload.allowed_types,
            presign_expires_seconds=self.upload.presign_expires_seconds,
            batch_limit=self.upload.batch_limit,
            rate_limit_per_minute=self.rate.per_minute,
            rate_limit_window_seconds=self.rate.window_seconds,
            page_default_limit=self.paging.default_limit,
            page_max_limit=self.paging.max_limit,
            processing=self.processing,
        )

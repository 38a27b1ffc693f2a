"""imgtree: a self-hostable image host and an embeddable image-upload domain library.

The curated public surface is `__all__` (pinned by tests/unit/test_public_api.py): the build
functions and what they return, the model, the errors, the typed commands the use cases take
and the upload outcomes.
Importing `imgtree` loads only the framework-free domain; `build`, `build_in_memory`,
`ImgTree` and `Settings` load the composition root (dependency-injector, SQLAlchemy...) on
first use. See docs/embedding.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from imgtree.domain.commands import (
    UNSET,
    AlbumChanges,
    ImageChanges,
    ImageQuery,
    ImageSort,
    IncomingFile,
    ModerationQuery,
    PresignRequest,
    Uploader,
    UserChanges,
)
from imgtree.domain.errors import (
    AccountInactive,
    Blocked,
    Conflict,
    DomainError,
    FileTooLarge,
    Forbidden,
    ImageTooComplex,
    InvalidImage,
    InvalidInput,
    Locked,
    NoFiles,
    NotFound,
    NothingToChange,
    NotUploaded,
    ProcessingBusy,
    QuotaExceeded,
    RateLimited,
    StorageUnavailable,
    TooManyOpenUploads,
    TwoFactorRequired,
    Unauthenticated,
    UnsupportedMediaType,
    WrongPassword,
)
from imgtree.domain.model import Album, ApiKey, Image, ImageFormat, Page, Role, Scope, User
from imgtree.domain.services.publisher import Uploaded, UploadFailed

if TYPE_CHECKING:
    from imgtree.entrypoints.embed import ImgTree, build, build_in_memory
    from imgtree.entrypoints.settings import Settings

__version__ = "0.1.0"

# Loaded on first access (PEP 562), so `import imgtree` stays framework-free.
_LAZY = {
    "ImgTree": "imgtree.entrypoints.embed",
    "Settings": "imgtree.entrypoints.settings",
    "build": "imgtree.entrypoints.embed",
    "build_in_memory": "imgtree.entrypoints.embed",
}

__all__ = [
    "UNSET",
    "AccountInactive",
    "Album",
    "AlbumChanges",
    "ApiKey",
    "Blocked",
    "Conflict",
    "DomainError",
    "FileTooLarge",
    "Forbidden",
    "Image",
    "ImageChanges",
    "ImageFormat",
    "ImageQuery",
    "ImageSort",
    "ImageTooComplex",
    "ImgTree",
    "IncomingFile",
    "InvalidImage",
    "InvalidInput",
    "Locked",
    "ModerationQuery",
    "NoFiles",
    "NotFound",
    "NotUploaded",
    "NothingToChange",
    "Page",
    "PresignRequest",
    "ProcessingBusy",
    "QuotaExceeded",
    "RateLimited",
    "Role",
    "Scope",
    "Settings",
    "StorageUnavailable",
    "TooManyOpenUploads",
    "TwoFactorRequired",
    "Unauthenticated",
    "UnsupportedMediaType",
    "UploadFailed",
    "Uploaded",
    "Uploader",
    "User",
    "UserChanges",
    "WrongPassword",
    "build",
    "build_in_memory",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'imgtree' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

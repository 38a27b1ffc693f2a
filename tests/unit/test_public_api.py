"""The public, documented embedding API (docs/embedding.md), pinned: adding, removing or
renaming anything here is an API change and must be deliberate (update this test, the doc
and the changelog together)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import attrs
import pytest

import imgtree

PUBLIC = [
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

IMGTREE_ATTRIBUTES = [
    "settings",
    "storage",
    "create_user",
    "create_api_key",
    "list_api_keys",
    "revoke_api_key",
    "authenticate_api_key",
    "upload_images",
    "presign_uploads",
    "receive_upload",
    "complete_uploads",
    "list_images",
    "view_image",
    "edit_image",
    "delete_image",
    "bulk_images",
    "albums",
    "purge",
    "describe_capabilities",
    "enforce_rate_limit",
    "sign_up",
    "sign_in",
    "authenticate_session",
    "sign_out",
    "change_password",
    "admin",
]


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(imgtree.__all__) == sorted(PUBLIC)
    assert len(set(imgtree.__all__)) == len(imgtree.__all__)


def test_every_public_name_resolves_and_is_listed_by_dir() -> None:
    for name in PUBLIC:
        assert getattr(imgtree, name) is not None, name
        assert name in dir(imgtree)
    with pytest.raises(AttributeError):
        imgtree.build_container  # type: ignore[attr-defined]  # noqa: B018


def test_the_errors_are_the_domain_errors() -> None:
    from imgtree.domain import errors

    public_errors = {n for n in PUBLIC if isinstance(getattr(imgtree, n), type)}
    public_errors = {n for n in public_errors if issubclass(getattr(imgtree, n), Exception)}
    domain_errors = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.DomainError)
    }
    assert public_errors == domain_errors  # every one of them, and nothing else


def test_the_commands_are_the_domain_commands() -> None:
    from imgtree.domain import commands

    public = {
        n
        for n in PUBLIC
        if getattr(getattr(imgtree, n), "__module__", None) == commands.__name__
        or getattr(imgtree, n) is commands.UNSET
    }
    typed = {
        name
        for name, value in vars(commands).items()
        if isinstance(value, type) and attrs.has(value) and value.__module__ == commands.__name__
    }
    # every command, the "leave as it is" marker, and the orders a listing query names
    assert public == typed | {"UNSET", "ImageSort"}


def test_the_build_functions_signatures() -> None:
    assert str(inspect.signature(imgtree.build)) == (
        "(settings: 'Settings | None' = None, *, migrate: 'bool' = False) -> 'ImgTree'"
    )
    assert str(inspect.signature(imgtree.build_in_memory)) == (
        "(settings: 'Settings | None' = None, *, clock: 'Clock | None' = None) -> 'ImgTree'"
    )


def test_imgtree_carries_the_use_cases_and_nothing_else_public() -> None:
    fields = [f.name for f in attrs.fields(imgtree.ImgTree) if not f.name.startswith("_")]
    assert fields == IMGTREE_ATTRIBUTES
    methods = {
        name
        for name, _ in inspect.getmembers(imgtree.ImgTree, callable)
        if not name.startswith("_")
    }
    assert methods == {"close", "from_container"}
    with imgtree.build_in_memory() as img:
        assert all(getattr(img, name) is not None for name in IMGTREE_ATTRIBUTES)


@pytest.mark.parametrize("module", ["imgtree", "imgtree.domain.model", "imgtree.domain.errors"])
def test_importing_the_library_loads_no_framework(module: str) -> None:
    frameworks = ["falcon", "sqlalchemy", "dependency_injector", "boto3", "PIL", "gunicorn"]
    code = f"import sys, {module}\nprint(','.join(m for m in {frameworks!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""

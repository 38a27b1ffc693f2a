"""Domain error types. The HTTP layer maps each type to a status in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: every expected failure of a use case is one of these."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The request is malformed or a value is out of range (HTTP 400)."""


class NoFiles(InvalidInput):
    """An upload request carried no files."""


class NothingToChange(InvalidInput):
    """An edit named no field to change (each surface may word which fields it takes)."""


class NotUploaded(InvalidInput):
    """A presigned upload was completed before its file was uploaded. Nothing is consumed:
    upload the file and complete again, before the upload expires."""


class Unauthenticated(DomainError):
    """Missing or invalid credentials (HTTP 401)."""


class TwoFactorRequired(Unauthenticated):
    """The password was right, but the account signs in with a second factor and none was
    given (HTTP 401, with `two_factor_required` in the body). No session is started."""


class Locked(Unauthenticated):
    """The image or album is password-protected and this viewer has not unlocked it
    (HTTP 401): pages ask for the password, media and JSON answer 401."""

    def __init__(self, message: str, locks: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.locks = locks  # the model.Lock(s) still closed, in order


class AccountInactive(DomainError):
    """The credentials are valid but the account is switched off (HTTP 403)."""


class Forbidden(DomainError):
    """The caller may not do this to this resource (HTTP 403)."""


class WrongPassword(Forbidden):
    """The password given to unlock an image or album is not its password."""


class NotFound(DomainError):
    """The resource does not exist, or is not visible to the caller (HTTP 404)."""


class Conflict(DomainError):
    """The request conflicts with existing state, e.g. an email already taken (HTTP 409)."""


class FileTooLarge(DomainError):
    """A file is larger than the deployment allows (HTTP 413)."""


class UnsupportedMediaType(DomainError):
    """The bytes are not one of the allowed image types (HTTP 415)."""


class InvalidImage(DomainError):
    """The bytes claim to be an allowed image but do not decode, or exceed pixel limits (HTTP 422)."""


class ImageTooComplex(InvalidImage):
    """Verifying the image ran over its processing budget: CPU time, memory or wall time
    (HTTP 422). Retrying the same file gives the same answer."""


class Blocked(DomainError):
    """The file's content hash is on the moderators' block list: an image removed as abusive
    cannot be uploaded again (HTTP 451, Unavailable For Legal Reasons)."""


class QuotaExceeded(DomainError):
    """The upload would take the account over its storage quota (HTTP 413).

    Built with `over_quota`, it carries the figures (used, quota, what the file needs, what
    unfinished uploads hold) and says them, with what to do, so nobody is left guessing."""

    def __init__(
        self,
        message: str = "Storage quota exceeded",
        *,
        used_bytes: int | None = None,
        quota_bytes: int | None = None,
        needed_bytes: int | None = None,
        reserved_bytes: int = 0,
    ) -> None:
        super().__init__(message)
        self.used_bytes = used_bytes
        self.quota_bytes = quota_bytes
        self.needed_bytes = needed_bytes
        self.reserved_bytes = reserved_bytes

    @classmethod
    def over_quota(cls, *, used: int, quota: int, needed: int, reserved: int = 0) -> QuotaExceeded:
        held = f" ({human_size(reserved)} held by unfinished uploads)" if reserved else ""
        return cls(
            f"Storage quota exceeded: this file needs {human_size(needed)}, and you use "
            f"{human_size(used)} of your {human_size(quota)}{held}. Delete images you no "
            "longer need, or ask the administrator for a larger quota.",
            used_bytes=used,
            quota_bytes=quota,
            needed_bytes=needed,
            reserved_bytes=reserved,
        )


def human_size(n: int) -> str:
    """Bytes as people read them: 512 B, 3.1 KB, 18.2 MB, 1.5 GB (binary multiples)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class RateLimited(DomainError):
    """Too many requests in the current window (HTTP 429)."""

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        window_seconds: int,
        retry_after: int,
        policy: str = "uploads",
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.window_seconds = window_seconds
        self.retry_after = retry_after
        self.policy = policy  # the limit's name, as the RateLimit headers give it


class TooManyOpenUploads(DomainError):
    """The uploader already holds as many unfinished presigned uploads as allowed (HTTP 429).

    `retry_after`: seconds until the oldest of them expires (one completing frees a slot
    sooner)."""

    def __init__(self, message: str, *, limit: int, retry_after: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.retry_after = retry_after


class StorageUnavailable(DomainError):
    """A backing store failed; the request may be retried (HTTP 503)."""


class ProcessingBusy(DomainError):
    """No image-processing capacity came free within the bounded wait (HTTP 503).

    Nothing was done; the same request may succeed after `retry_after` seconds.
    """

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after

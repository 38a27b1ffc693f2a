"""The errors the client raises: what failed, the HTTP status and the server's own message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ImgtreeError(Exception):
    """Base of every error imgtree.client raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServerUnreachable(ImgtreeError):
    """No connection to the server (refused, name not found, timed out), after the retries;
    or what answered is not an imgtree server."""


class ApiError(ImgtreeError):
    """The server answered with an error: `status` and its JSON `error` message."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        body: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: Mapping[str, Any] = body or {}
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.message} (HTTP {self.status})"


class AuthError(ApiError):
    """401 or 403: the key is missing, invalid, revoked or expired, lacks a scope, or the
    account is inactive."""


class RateLimited(ApiError):
    """429 still, after waiting out Retry-After as many times as the retry policy allows."""


def error_for(
    status: int, message: str, body: Mapping[str, Any] | None, retry_after: float | None
) -> ApiError:
    kind = AuthError if status in (401, 403) else RateLimited if status == 429 else ApiError
    return kind(status, message, body=body, retry_after=retry_after)

"""The one place where domain errors become HTTP statuses, and every error becomes JSON.

Errors never carry stack traces or internals: unexpected exceptions are logged server-side
and answered with a generic 500.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon
import sqlalchemy.exc

from imgtree.domain import errors as e
from imgtree.entrypoints.http import observe

log = logging.getLogger("imgtree.http")
RETRY_AFTER_SECONDS = "5"  # for 503s: a passing storage or database outage

STATUS_BY_ERROR: tuple[tuple[type[e.DomainError], int], ...] = (
    (e.RateLimited, 429),
    (e.TooManyOpenUploads, 429),
    (e.Unauthenticated, 401),
    (e.AccountInactive, 403),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Blocked, 451),
    (e.Conflict, 409),
    (e.FileTooLarge, 413),
    (e.QuotaExceeded, 413),
    (e.UnsupportedMediaType, 415),
    (e.InvalidImage, 422),
    (e.InvalidInput, 400),
    (e.StorageUnavailable, 503),
    (e.ProcessingBusy, 503),
)


# The domain words its errors for any caller; where a step is HTTP's own (PUT to put_url),
# the wire says it its way. Keyed by error type; everything else is the domain's message.
WIRE_WORDING: dict[type[e.DomainError], str] = {
    e.NotUploaded: "Upload not found: PUT the file to put_url before completing",
}


def message_of(error: e.DomainError) -> str:
    return WIRE_WORDING.get(type(error), error.message)


def status_of(error: e.DomainError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 400


def error_body(message: str) -> dict[str, Any]:
    return {"success": False, "error": message}


def rate_limit_headers(
    limit: int, remaining: int, reset_after: int, window: int, policy: str = "uploads"
) -> dict[str, str]:
    """RateLimit / RateLimit-Policy per the IETF httpapi rate-limit headers draft."""
    return {
        "RateLimit-Policy": f'"{policy}";q={limit};w={window}',
        "RateLimit": f'"{policy}";r={remaining};t={reset_after}',
    }


def handle_domain_error(
    req: falcon.Request, resp: falcon.Response, ex: e.DomainError, params: dict[str, Any]
) -> None:
    status = status_of(ex)
    observe.note_error(resp, ex)
    resp.status = status
    resp.media = error_body(message_of(ex))
    if isinstance(ex, e.TwoFactorRequired):
        resp.media["two_factor_required"] = True  # the sign-in form then asks for a code
    if isinstance(ex, e.RateLimited):
        resp.set_header("Retry-After", str(ex.retry_after))
        resp.set_headers(
            rate_limit_headers(ex.limit, 0, ex.retry_after, ex.window_seconds, ex.policy)
        )
    elif isinstance(ex, e.TooManyOpenUploads):
        # Not the request rate: the route's RateLimit headers (set by its guard) stay as set.
        resp.set_header("Retry-After", str(ex.retry_after))
    elif isinstance(ex, e.Unauthenticated):
        resp.set_header("WWW-Authenticate", 'Bearer realm="imgtree"')
    elif isinstance(ex, e.QuotaExceeded) and ex.quota_bytes is not None:
        # The figures behind the sentence, for clients that show their own message.
        resp.media["quota"] = {
            "used_bytes": ex.used_bytes,
            "quota_bytes": ex.quota_bytes,
            "needed_bytes": ex.needed_bytes,
            "reserved_bytes": ex.reserved_bytes,
        }
    elif isinstance(ex, e.StorageUnavailable):
        resp.set_header("Retry-After", RETRY_AFTER_SECONDS)
    elif isinstance(ex, e.ProcessingBusy):
        resp.set_header("Retry-After", str(ex.retry_after))


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict[str, Any]
) -> None:
    # The request's id is on the record (entrypoints/logs.py); the path is the loggable one.
    log.exception("unhandled error on %s %s", req.method, observe.loggable_path(req))
    observe.note_unexpected(resp)
    resp.status = 500
    resp.media = error_body("Internal server error")


def handle_database_down(
    req: falcon.Request, resp: falcon.Response, error: Exception, params: dict[str, Any]
) -> None:
    """The database is unreachable or overloaded: a clear, retryable 503. The pool reconnects
    (pre-ping) on a later request, so the process recovers without a restart."""
    # Parameters named as in falcon's ErrorHandler protocol, which types a handler registered
    # for several exception types at once (falcon itself passes them positionally).
    log.warning(
        "database unavailable on %s %s: %s",
        req.method,
        observe.loggable_path(req),
        type(error).__name__,
    )
    observe.note_database_error(resp, error)
    resp.status = 503
    resp.set_header("Retry-After", RETRY_AFTER_SECONDS)
    resp.media = error_body("Service temporarily unavailable, please retry")


def serialize_http_error(req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError) -> None:
    """Falcon's own errors (404 route, 405, malformed media...) in the same JSON shape."""
    # Falcon's titles repeat the status line ("404 Not Found"); say it in words instead.
    message = ex.description or (ex.title or "Error").split(" ", 1)[-1]
    resp.content_type = falcon.MEDIA_JSON
    resp.media = error_body(message)


def install(app: falcon.App[falcon.Request, falcon.Response]) -> None:
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(e.DomainError, handle_domain_error)
    # Connection-level database failures (not integrity errors, which adapters translate).
    app.add_error_handler(
        (
            sqlalchemy.exc.OperationalError,
            sqlalchemy.exc.InterfaceError,
            sqlalchemy.exc.TimeoutError,
        ),
        handle_database_down,
    )
    app.set_error_serializer(serialize_http_error)

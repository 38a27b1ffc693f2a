"""What every request leaves behind: its id, its metrics and one log line.

`Observe` is the first middleware: it takes the request's id (a sane `X-Request-ID`, else a
new one), echoes it on the response, binds it for every log record written while the request
runs (entrypoints/logs.py), and at the end counts the request (route template, method,
status, latency), its uploads and refusals (entrypoints/metrics.py) and writes the request's
log line (`imgtree.access`).

Resources and error handlers leave what only they know on the request or response context,
through the `note_*` functions here: who asked (`note_identity`), the files an upload
received (`note_received`), the upload's outcomes (`note_uploads`, `note_presign_failures`),
the domain error answered (`note_error`), a database outage (`note_database_error`), an
unexpected exception (`note_unexpected`).

Never logged: the query string (delete links and the app's PUT URLs carry their token there),
headers other than the user agent (Authorization, cookies), bodies; path segments that are
credentials (a route field named `signature` or `token`) show as the route's `{field}`.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import random
import re
import time
from collections.abc import Sequence
from typing import Any

import falcon

from imgtree.domain import errors as e
from imgtree.domain.model import ImageFormat
from imgtree.domain.use_cases.presign import PresignFailed
from imgtree.domain.use_cases.upload import Uploaded, UploadFailed, UploadOutcome, stream_size
from imgtree.entrypoints.http.requests import ParsedUpload, client_ip
from imgtree.entrypoints.logs import bind_request_id, reset_request_id
from imgtree.entrypoints.metrics import Metrics

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or client may hand us as a request id; anything else is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=@/-]{0,127}")
SECRET_FIELDS = frozenset({"signature", "token"})
MAX_LOGGED = 512  # characters of a path or user agent in a log line

# Routes where files land (uploads and completions) and where they are refused before any
# lands (presign, the app's PUT target): refusals count on both, accepted files on the first.
LANDING_ROUTES = frozenset(
    {
        "/api/v1/upload",
        "/api/v1/upload/complete",
        "/api/v1/upload/complete/batch",
        "/api/upload",
        "/api/upload/complete",
        "/api/upload/guest",
        "/api/upload/guest/complete",
    }
)
REFUSING_ROUTES = frozenset(
    {
        "/api/v1/upload/presign",
        "/api/v1/upload/presign/batch",
        "/api/v1/upload/put/{pending_id}",
        "/api/upload/presign",
        "/api/upload/guest/presign",
    }
)
UPLOAD_METHODS = frozenset({"POST", "PUT"})

# A refusal's reason, as metrics label it (docs/operations.md); the first matching type wins.
REFUSAL_REASONS: tuple[tuple[type[e.DomainError], str], ...] = (
    (e.RateLimited, "rate_limited"),
    (e.TooManyOpenUploads, "too_many_open_uploads"),
    (e.QuotaExceeded, "quota"),
    (e.FileTooLarge, "too_large"),
    (e.UnsupportedMediaType, "unsupported_type"),
    (e.ImageTooComplex, "too_complex"),
    (e.InvalidImage, "invalid_image"),
    (e.Blocked, "blocked"),
    (e.ProcessingBusy, "busy"),
    (e.StorageUnavailable, "storage_error"),
    (e.Unauthenticated, "unauthenticated"),
    (e.AccountInactive, "forbidden"),
    (e.Forbidden, "forbidden"),
    (e.NotFound, "not_found"),
    (e.Conflict, "conflict"),
    (e.InvalidInput, "invalid_input"),
)
# Refusals that are not domain errors (falcon's own, a database outage), by status.
REASON_BY_STATUS = {
    400: "invalid_input",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    411: "length_required",
    413: "too_large",
    415: "unsupported_type",
    429: "rate_limited",
    503: "unavailable",
}
_KNOWN_TYPES = frozenset(f.value for f in ImageFormat)

access_log = logging.getLogger("imgtree.access")


def refusal_reason(error: e.DomainError) -> str:
    return next((name for kind, name in REFUSAL_REASONS if isinstance(error, kind)), "error")


def type_label(declared: str | None) -> str:
    """A client-declared content type as a metric label: one of the image types, or `other`."""
    if not declared:
        return "unknown"
    value = declared.split(";", 1)[0].strip().lower()
    return value if value in _KNOWN_TYPES else "other"


# --- what resources and error handlers note -------------------------------------------------


def note_identity(req: falcon.Request, user_id: object, key_id: object = None) -> None:
    """Who is asking (ids only, never a key or a session token)."""
    req.context.user_id = str(user_id) if user_id is not None else None
    if key_id is not None:
        req.context.key_id = str(key_id)


def note_received(req: falcon.Request, parsed: ParsedUpload) -> None:
    """The files an upload request carried, in request order: (declared type, bytes), or
    None where a file was refused while it was read (too large)."""
    received: list[tuple[str | None, int] | None] = [None] * parsed.count
    failed = {position for position, _ in parsed.failures}
    files = iter(parsed.files)
    for position in range(parsed.count):
        if position not in failed:
            incoming = next(files)
            received[position] = (incoming.declared_type, stream_size(incoming.source))
    req.context.upload_received = received


def note_uploads(resp: falcon.Response, outcomes: Sequence[UploadOutcome]) -> None:
    resp.context.upload_outcomes = list(outcomes)


def note_presign_failures(resp: falcon.Response, outcomes: Sequence[object]) -> None:
    resp.context.presign_errors = [o.error for o in outcomes if isinstance(o, PresignFailed)]


def note_error(resp: falcon.Response, error: e.DomainError) -> None:
    resp.context.error = error


def note_database_error(resp: falcon.Response, error: Exception) -> None:
    resp.context.database_error = type(error).__name__


def note_unexpected(resp: falcon.Response) -> None:
    resp.context.unexpected = True


# --- the middleware -------------------------------------------------------------------------


def request_id_of(req: falcon.Request) -> str:
    given = req.get_header(REQUEST_ID_HEADER)
    if given and _SANE_REQUEST_ID.fullmatch(given):
        return given
    # Unique, not secret: Python's generator (reseeded in every forked worker) instead of
    # os.urandom, a system call per request.
    return f"{random.getrandbits(128):032x}"


def route_of(req: falcon.Request) -> str:
    """The route template (never the raw path: metric labels stay few)."""
    template = req.uri_template
    if template:
        return template
    if req.path.startswith("/static/"):
        return "/static/{path}"
    return "unmatched"


@functools.lru_cache(maxsize=512)
def _secret_segments(template: str) -> tuple[int, ...]:
    """Positions of a route template's credential fields (`{signature}`, `{token}`)."""
    return tuple(
        i
        for i, part in enumerate(template.split("/"))
        if part.startswith("{") and part[1:-1] in SECRET_FIELDS
    )


def loggable_path(req: falcon.Request) -> str:
    """The path without the query string, credential segments shown as their `{field}`."""
    path = req.path
    template = req.uri_template
    if template and "{" in template:
        secret = _secret_segments(template)
        if secret:
            fields, segments = template.split("/"), path.split("/")
            if len(segments) != len(fields):
                return template
            for i in secret:
                segments[i] = fields[i]
            path = "/".join(segments)
    return path[:MAX_LOGGED]


def _bytes_out(resp: falcon.Response) -> int | None:
    if resp.content_length is not None:
        return int(resp.content_length)
    if resp.stream is not None:
        return None
    body = resp.render_body()
    return len(body) if body is not None else 0


def _status_code(resp: falcon.Response) -> int:
    return int(falcon.http_status_to_code(resp.status))


class Observe:
    """Request id, metrics and the request log line; the first middleware of the app."""

    def __init__(
        self,
        metrics: Metrics,
        trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
    ) -> None:
        self.metrics = metrics
        self.trusted_proxies = trusted_proxies

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        request_id = request_id_of(req)
        req.context.request_id = request_id
        req.context.log_binding = bind_request_id(request_id)
        req.context.started = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        context = req.context
        request_id = context.get("request_id") or request_id_of(req)
        resp.set_header(REQUEST_ID_HEADER, request_id)
        now = time.perf_counter()
        started = context.get("started")
        seconds = now - started if isinstance(started, float) else 0.0
        route = route_of(req)
        status = _status_code(resp)
        try:
            self.metrics.request(route, req.method, status, seconds)
            self._count_outcomes(req, resp, route, status)
            if access_log.isEnabledFor(logging.INFO):
                # A record made here, not by access_log.info: no caller lookup (its file and
                # line would always be this one), a third of the line's cost.
                fields = self._fields(req, resp, route, status, seconds)
                access_log.handle(
                    access_log.makeRecord(
                        access_log.name,
                        logging.INFO,
                        __file__,
                        0,
                        "request",
                        (),
                        None,
                        extra={"fields": fields},
                    )
                )
        finally:
            binding = context.get("log_binding")
            if binding is not None:
                context.log_binding = None
                reset_request_id(binding)

    def _fields(
        self, req: falcon.Request, resp: falcon.Response, route: str, status: int, seconds: float
    ) -> dict[str, Any]:
        agent = req.user_agent
        return {
            "method": req.method,
            "route": route,
            "path": loggable_path(req),
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "bytes_in": req.content_length or 0,
            "bytes_out": _bytes_out(resp),
            "client": client_ip(req, self.trusted_proxies),
            "user_id": req.context.get("user_id"),
            "key_id": req.context.get("key_id"),
            "user_agent": agent[:MAX_LOGGED] if agent else None,
        }

    def _count_outcomes(
        self, req: falcon.Request, resp: falcon.Response, route: str, status: int
    ) -> None:
        metrics, context = self.metrics, resp.context
        error = context.get("error")
        if isinstance(error, e.RateLimited):
            metrics.rate_limited(error.policy, route)
        elif isinstance(error, e.TooManyOpenUploads):
            metrics.rate_limited("open_uploads", route)
        elif isinstance(error, e.StorageUnavailable):
            metrics.storage_error()
        database_error = context.get("database_error")
        if database_error:
            metrics.database_error(database_error)
        if context.get("unexpected"):
            metrics.unhandled_error()
        if req.method not in UPLOAD_METHODS:
            return
        if route in LANDING_ROUTES:
            outcomes = context.get("upload_outcomes")
            if outcomes is not None:
                self._count_files(req, outcomes)
                return
        elif route in REFUSING_ROUTES:
            for refused in context.get("presign_errors") or ():
                metrics.upload("unknown", refusal_reason(refused), 0)
        else:
            return
        if status >= 400:
            # The whole request was refused before any file was read (or while its one
            # file was): one refused upload of unknown type.
            if isinstance(error, e.DomainError):
                reason = refusal_reason(error)
            elif database_error:
                reason = "database_error"
            elif status >= 500:
                reason = "internal_error"
            else:
                reason = REASON_BY_STATUS.get(status, "error")
            metrics.upload("unknown", reason, req.content_length or 0)

    def _count_files(self, req: falcon.Request, outcomes: Sequence[UploadOutcome]) -> None:
        received = req.context.get("upload_received") or []
        for position, outcome in enumerate(outcomes):
            if isinstance(outcome, Uploaded):
                image = outcome.image
                self.metrics.upload(image.content_type.value, "accepted", image.size_bytes)
                continue
            assert isinstance(outcome, UploadFailed)
            facts = received[position] if position < len(received) else None
            declared, size = facts if facts is not None else (None, 0)
            self.metrics.upload(type_label(declared), refusal_reason(outcome.error), size)
            if isinstance(outcome.error, e.StorageUnavailable):
                self.metrics.storage_error()

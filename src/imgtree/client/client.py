"""`Client`: the /api/v1 Bearer API of one imgtree server, over HTTP only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from imgtree.client.errors import ServerUnreachable, error_for
from imgtree.client.retry import RETRY_STATUSES, RetryPolicy, parse_retry_after
from imgtree.client.streams import FileBody, MultipartBody, Progress
from imgtree.client.types import (
    Capabilities,
    ImagePage,
    ListedImage,
    Presigned,
    UploadFailure,
    UploadResult,
    UploadSource,
    upload_result,
)

USER_AGENT = "imgtree-client/0.1"


@dataclass(frozen=True)
class RetryNotice:
    """Told to `on_retry` before each wait: why, how long, which attempt comes next."""

    reason: str  # "429", "503" or "connection"
    seconds: float
    attempt: int
    attempts: int
    url: str


def _connect_failed(exc: requests.ConnectionError) -> bool:
    """True when the request never reached the server (refused, no route, DNS, connect
    timeout): then even an upload may safely be sent again."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason: object = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError)


class Client:
    """One server, one key. Every call raises `ApiError` (`AuthError` for 401/403,
    `RateLimited` for a 429 that outlasted the retries) with the server's message, or
    `ServerUnreachable`; 429/503 and connection failures are retried per `retry`."""

    def __init__(
        self,
        server: str,
        key: str | None = None,
        *,
        timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> None:
        parts = urlsplit(server)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"server must be an http(s) URL, e.g. https://img.example.com: {server!r}"
            )
        self.server = server.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return path if "://" in path else f"{self.server}{path}"

    def _headers(self, auth: bool, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", **(extra or {})}
        if auth and self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        return headers

    def send(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        body: Callable[[], Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
    ) -> requests.Response:
        """One request with the retries. `body` makes a fresh body for each attempt (a
        stream cannot be sent twice). Returns the last response, whatever its status."""
        url = self._url(path)
        idempotent = (
            method in ("GET", "HEAD", "PUT", "DELETE") if idempotent is None else idempotent
        )
        attempt = 0
        while True:
            attempt += 1
            data = body() if body is not None else None
            extra = dict(headers or {})
            if isinstance(data, MultipartBody):
                extra["Content-Type"] = data.content_type
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    data=data,
                    headers=self._headers(auth, extra),
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                retryable = idempotent or (
                    isinstance(exc, requests.ConnectionError) and _connect_failed(exc)
                )
                if not retryable or attempt >= min(
                    self.retry.attempts, self.retry.connection_attempts
                ):
                    raise ServerUnreachable(f"{method} {_safe(url)}: {_describe(exc)}") from None
                self.pause(
                    "connection",
                    self.retry.backoff_for(attempt),
                    attempt,
                    url,
                    min(self.retry.attempts, self.retry.connection_attempts),
                )
                continue
            finally:
                close = getattr(data, "close", None)
                if close is not None:
                    close()
            if response.status_code in retry_statuses and attempt < self.retry.attempts:
                wait = self.retry.wait_for(
                    response.status_code, parse_retry_after(response.headers.get("Retry-After"))
                )
                if wait is not None:
                    self.pause(str(response.status_code), wait, attempt, url)
                    continue
            return response

    def pause(
        self, reason: str, seconds: float, attempt: int, url: str, attempts: int | None = None
    ) -> None:
        """Tell `on_retry`, then wait `seconds` before attempt `attempt + 1`."""
        if self.on_retry is not None:
            total = self.retry.attempts if attempts is None else attempts
            self.on_retry(RetryNotice(reason, seconds, attempt + 1, total, _safe(url)))
        self.retry.sleep(seconds)

    def _json(self, response: requests.Response, *, ok: Iterable[int] = (200,)) -> dict[str, Any]:
        """The JSON body of a success; an ApiError with the server's message otherwise."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code in ok and isinstance(body, dict):
            return body
        if not isinstance(body, dict):
            if response.status_code in ok:
                raise ServerUnreachable(
                    f"{_safe(response.url)} did not answer JSON: is this an imgtree server?"
                )
            body = {}
        message = str(body.get("error") or body.get("title") or response.reason or "error")
        raise error_for(
            response.status_code,
            message,
            body,
            parse_retry_after(response.headers.get("Retry-After")),
        )

    # --- discovery -------------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        """GET /api/v1/upload. With the client's key, a valid key's scopes come back too
        (`scopes` is None when the key is not valid: see `verify`)."""
        response = self.send("GET", "/api/v1/upload", auth=True)
        body = self._json(response)
        if "max_file_size_bytes" not in body:
            raise ServerUnreachable(f"{self.server} is not an imgtree server (no upload limits)")
        return Capabilities.from_json(body)

    def verify(self) -> Capabilities:
        """The capabilities, after checking the key: raises AuthError with the server's
        reason when it is not good."""
        caps = self.capabilities()
        if caps.scopes is None:
            # The discovery document ignores a bad key; a listing says why it is bad.
            self._json(self.send("GET", "/api/v1/images", params={"limit": 1}))
        return caps

    # --- uploads ---------------------------------------------------------------------------

    @staticmethod
    def _fields(album_id: str | None, visibility: str | None) -> list[tuple[str, str]]:
        fields = []
        if album_id:
            fields.append(("albumId", album_id))
        if visibility:
            fields.append(("visibility", visibility))
        return fields

    def _results(self, response: requests.Response, count: int) -> list[UploadResult]:
        """Per-file results of an upload or complete response, in order. A response where
        every file failed carries them too (with the first failure's status)."""
        try:
            body = response.json()
        except ValueError:
            body = None
        images = body.get("images") if isinstance(body, dict) else None
        if isinstance(images, list) and len(images) == count:
            return [upload_result(item) for item in images]
        self._json(response)  # raises the request's own error
        raise ServerUnreachable(f"{_safe(response.url)}: unexpected upload response")

    def upload(
        self,
        files: Sequence[UploadSource],
        *,
        album_id: str | None = None,
        visibility: str | None = None,
        progress: Progress | None = None,
    ) -> list[UploadResult]:
        """POST /api/v1/upload, multipart, one `file` part per file (at most the server's
        batch_limit). One result per file, in order."""
        if not files:
            raise ValueError("no files to upload")
        fields = self._fields(album_id, visibility)
        response = self.send(
            "POST",
            "/api/v1/upload",
            body=lambda: MultipartBody(fields, files, progress=progress),
        )
        return self._results(response, len(files))

    def upload_base64(
        self, source: UploadSource, *, album_id: str | None = None, visibility: str | None = None
    ) -> UploadResult:
        """POST /api/v1/upload as JSON with the file in base64 (one file)."""
        import base64

        with source.open() as f:
            encoded = base64.b64encode(f.read()).decode("ascii")
        payload: dict[str, Any] = {
            "filename": source.filename,
            "contentType": source.content_type,
            "file_base64": encoded,
        }
        payload.update(self._fields(album_id, visibility))
        return self._results(self.send("POST", "/api/v1/upload", json=payload), 1)[0]

    def presign(
        self,
        source: UploadSource,
        *,
        album_id: str | None = None,
        visibility: str | None = None,
    ) -> Presigned:
        """POST /api/v1/upload/presign: where to PUT the file, and its completion token."""
        payload: dict[str, Any] = {
            "filename": source.filename,
            "contentType": source.content_type,
            "sizeBytes": source.size,
            **dict(self._fields(album_id, visibility)),
        }
        body = self._json(self.send("POST", "/api/v1/upload/presign", json=payload))
        return Presigned.from_json(body, source.content_type)

    def presign_batch(
        self,
        sources: Sequence[UploadSource],
        *,
        album_id: str | None = None,
        visibility: str | None = None,
    ) -> list[Presigned | UploadFailure]:
        """POST /api/v1/upload/presign/batch: one presign or failure per file, in order."""
        payload: dict[str, Any] = {
            "files": [
                {"filename": s.filename, "contentType": s.content_type, "sizeBytes": s.size}
                for s in sources
            ],
            **dict(self._fields(album_id, visibility)),
        }
        body = self._json(self.send("POST", "/api/v1/upload/presign/batch", json=payload))
        uploads = body.get("uploads")
        if not isinstance(uploads, list) or len(uploads) != len(sources):
            raise ServerUnreachable("unexpected presign/batch response")
        return [
            UploadFailure.from_json(u) if "error" in u else Presigned.from_json(u, s.content_type)
            for u, s in zip(uploads, sources, strict=True)
        ]

    def put(
        self,
        presigned: Presigned,
        source: UploadSource,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """PUT the file's bytes to the put_url (the bucket, on S3: no key is sent there)."""
        response = self.send(
            "PUT",
            presigned.put_url,
            auth=presigned.put_url.startswith(self.server + "/"),
            body=lambda: FileBody(source, progress),
            headers=presigned.headers,
        )
        if not 200 <= response.status_code < 300:
            try:
                body = response.json()
            except ValueError:
                body = None
            message = (
                str(body.get("error"))
                if isinstance(body, dict) and body.get("error")
                else f"PUT to the upload URL failed: {response.reason}"
            )
            raise error_for(
                response.status_code, message, body if isinstance(body, dict) else None, None
            )

    def complete(self, completion_token: str) -> UploadResult:
        """POST /api/v1/upload/complete: verify and publish what was PUT."""
        return self._complete(completion_token)[0]

    def _complete(self, completion_token: str) -> tuple[UploadResult, float | None]:
        """The result, and the Retry-After of a 503."""
        # Only a 429 is sent again: it is refused before the token is claimed, while a 503
        # (no decoder free) has used the token up, and the upload must start over.
        response = self.send(
            "POST",
            "/api/v1/upload/complete",
            json={"completion_token": completion_token},
            retry_statuses=frozenset({429}),
        )
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return self._results(response, 1)[0], retry_after

    def complete_batch(self, completion_tokens: Sequence[str]) -> list[UploadResult]:
        """POST /api/v1/upload/complete/batch: one result per token, in order."""
        response = self.send(
            "POST",
            "/api/v1/upload/complete/batch",
            json={"completion_tokens": list(completion_tokens)},
            retry_statuses=frozenset({429}),
        )
        return self._results(response, len(completion_tokens))

    def upload_large(
        self,
        source: UploadSource,
        *,
        album_id: str | None = None,
        visibility: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> UploadResult:
        """presign -> PUT -> complete for one file; when the server was too busy to verify
        it (503, which uses the token up) the whole flow starts again after Retry-After."""
        attempt = 0
        while True:
            attempt += 1
            presigned = self.presign(source, album_id=album_id, visibility=visibility)
            self.put(presigned, source, progress=progress)
            result, retry_after = self._complete(presigned.completion_token)
            if not (isinstance(result, UploadFailure) and result.status == 503):
                return result
            wait = self.retry.wait_for(503, retry_after)
            if attempt >= self.retry.attempts or wait is None:
                return result
            self.pause("503", wait, attempt, self._url("/api/v1/upload/complete"))

    # --- your images -----------------------------------------------------------------------

    def list_images(self, page: int = 1, limit: int = 24) -> ImagePage:
        """GET /api/v1/images: the key owner's images, newest first."""
        body = self._json(self.send("GET", "/api/v1/images", params={"page": page, "limit": limit}))
        return ImagePage(
            images=tuple(ListedImage.from_json(i) for i in body.get("images", [])),
            page=int(body.get("page", page)),
            limit=int(body.get("limit", limit)),
            total=int(body.get("total", 0)),
            has_more=bool(body.get("has_more", False)),
        )

    def delete(self, image_id: str) -> None:
        """DELETE /api/v1/images/{id} (the image's UUID, as listed)."""
        self._json(self.send("DELETE", f"/api/v1/images/{image_id}"))

    def delete_by_url(self, delete_url: str) -> None:
        """DELETE an upload's delete_url (its token is the credential: no key is sent)."""
        self._json(self.send("DELETE", delete_url, auth=False))


def _safe(url: str) -> str:
    """A URL fit for messages: without its query (put URLs and delete links carry tokens)."""
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    return "the server"


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    reason: object = exc.args[0] if exc.args else exc
    if isinstance(reason, urllib3.exceptions.MaxRetryError) and reason.reason is not None:
        reason = reason.reason
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "host name not found"
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "connection refused or no route to host"
    return "connection failed"

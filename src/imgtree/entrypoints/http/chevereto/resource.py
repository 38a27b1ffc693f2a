"""POST /api/1/upload: Chevereto's API v1 upload, answered by imgtree's own upload use case.

The same API keys as /api/v1 (hashed at rest, the upload scope required, albums scope for an
album), the same rate limit, quotas and file limits, the same publishing pipeline. Only the
wire differs: Chevereto's field names in, Chevereto's JSON (or the direct URL as text, or a
redirect to the image page) out, and its error shape with the HTTP status imgtree gives the
same error (errors.STATUS_BY_ERROR, with its Retry-After and rate-limit headers).
"""

from __future__ import annotations

import attrs
import falcon

from imgtree.domain.errors import DomainError, FileTooLarge, InvalidInput, Unauthenticated
from imgtree.domain.model import Visibility
from imgtree.domain.use_cases.upload import Uploaded, Uploader, UploadImages
from imgtree.entrypoints.http import errors
from imgtree.entrypoints.http.chevereto import form as f
from imgtree.entrypoints.http.chevereto import shapes
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.presenters import Urls

NO_KEY = "No key provided"  # Chevereto's words; 400, as Chevereto answers it
API_KEY_HEADER = "X-API-Key"
KEY_CODE = 100  # Chevereto's error code for a missing or invalid key


@attrs.define
class CheveretoUploadResource:
    upload: UploadImages
    guards: Guards
    urls: Urls

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.chevereto_format = "json"  # how a refusal is written, once known
        try:
            self._post(req, resp)
        except DomainError as exc:
            _refuse(req, resp, exc)
        except falcon.HTTPError as exc:  # 411, a malformed Content-Type: falcon's own
            message = exc.description or (exc.title or "Error").split(" ", 1)[-1]
            _write(req, resp, exc.status_code, message, None)
            if exc.headers:
                resp.set_headers(exc.headers)

    def _post(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = f.query_fields(req)
        req.context.chevereto_format = f.parse_format(query.get("format"))
        self.guards.rate_limit(req, resp)
        header_key = req.get_header(API_KEY_HEADER)
        # A key in the header or the URL is checked before the body is read; one in the body
        # (ShareX's Chevereto preset) once the body is parsed, its size bounded as always.
        early = header_key if header_key is not None else query.get("key")
        uploader = self._uploader(req, early) if early is not None else None
        policy = self.upload.policy
        parsed = f.parse_body(req, policy.max_file_bytes)
        try:
            fields = f.merged(query, parsed.fields)
            fmt = f.parse_format(fields.get("format"))
            req.context.chevereto_format = fmt
            key = fields.get("key")
            if header_key is not None and key is not None and key != header_key:
                raise InvalidInput("key given twice (X-API-Key and key) with different values")
            if uploader is None:
                uploader = self._uploader(req, key)
            if parsed.too_large:
                raise FileTooLarge(
                    f"File exceeds the maximum size of {policy.max_file_bytes} bytes"
                )
            incoming = parsed.incoming()
            album_id = f.parse_album_id(fields.get("album_id"))
            expires_in = f.parse_expiration(fields.get("expiration"))
            source_md5 = parsed.source_md5()
            (outcome,) = self.upload(
                uploader,
                [incoming],
                album_id=album_id,
                visibility=Visibility.UNLISTED,
                expires_in=expires_in,
                title=fields.get("title", ""),
                description=fields.get("description", ""),
            )
        finally:
            parsed.close()
        if not isinstance(outcome, Uploaded):
            raise outcome.error
        self._answer(resp, fmt, outcome, source_md5)

    def _uploader(self, req: falcon.Request, key: str | None) -> Uploader:
        key = (key or "").strip()
        if not key:
            raise f.FormError(NO_KEY, KEY_CODE)
        return self.guards.uploader_for(req, key)

    def _answer(self, resp: falcon.Response, fmt: str, outcome: Uploaded, md5: str) -> None:
        if fmt == "txt":
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = self.urls.direct(outcome.image)
        elif fmt == "redirect":
            resp.status = falcon.HTTP_302
            resp.location = self.urls.page(outcome.image)
        else:
            resp.media = shapes.success_body(self.urls, outcome, md5)


def _refuse(req: falcon.Request, resp: falcon.Response, exc: DomainError) -> None:
    """The status and headers imgtree gives this error (one table for every route), in
    Chevereto's error shape; txt and redirect clients get the message as text."""
    errors.handle_domain_error(req, resp, exc, {})
    quota = resp.media.get("quota") if isinstance(resp.media, dict) else None
    code = exc.code if isinstance(exc, f.FormError) else None
    if isinstance(exc, Unauthenticated):
        code = KEY_CODE
        resp.set_header("WWW-Authenticate", f'{API_KEY_HEADER} realm="imgtree"')
    _write(req, resp, errors.status_of(exc), errors.message_of(exc), code)
    if quota is not None and isinstance(resp.media, dict):
        resp.media["error"]["quota"] = quota  # the figures behind the sentence, as on /api/v1


def _write(
    req: falcon.Request, resp: falcon.Response, status: int, message: str, code: int | None
) -> None:
    resp.status = status
    if req.context.get("chevereto_format", "json") == "json":
        resp.media = shapes.error_body(status, message, code)
    else:
        resp.media = None
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = message

"""/api/v1/upload: discovery (GET) and upload (POST multipart or JSON base64)."""

from __future__ import annotations

import attrs
import falcon

from imgtree.domain.errors import DomainError, NoFiles, UnsupportedMediaType
from imgtree.domain.use_cases.capabilities import DescribeCapabilities
from imgtree.domain.use_cases.upload import Uploader, UploadImages, UploadOutcome
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.observe import note_received
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import (
    ParsedUpload,
    close_all,
    media_type,
    parse_json_upload,
    parse_multipart,
)


def run_upload(
    upload: UploadImages, uploader: Uploader, parsed: ParsedUpload
) -> list[UploadOutcome]:
    """Upload the parsed files and splice parse-time failures back into request order."""
    try:
        if parsed.count == 0:
            raise NoFiles("No files provided")
        outcomes: list[UploadOutcome] = (
            list(
                upload(
                    uploader,
                    parsed.files,
                    album_id=parsed.album_id,
                    visibility=parsed.visibility,
                    expires_in=parsed.expires_in,
                )
            )
            if parsed.files
            else []
        )
        for position, failure in parsed.failures:
            outcomes.insert(position, failure)
        return outcomes
    finally:
        close_all(parsed.files)


@attrs.define
class UploadResource:
    upload: UploadImages
    describe: DescribeCapabilities
    guards: Guards
    urls: Urls

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = presenters.capabilities(self.describe())
        if req.get_header("Authorization"):
            # No auth is needed here; a valid key additionally learns its account's room
            # and what it may do.
            try:
                auth = self.guards.api_key(req)
            except DomainError:
                pass
            else:
                body["quota"] = presenters.quota(auth.user)
                body["scopes"] = auth.scopes
                body["key_expires_at"] = presenters.timestamp(auth.key.expires_at)
        resp.media = body

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.guards.rate_limit(req, resp)
        uploader = self.guards.key_uploader(req)
        policy = self.upload.policy
        kind = media_type(req)
        if kind == "multipart/form-data":
            parsed = parse_multipart(
                req, max_file_bytes=policy.max_file_bytes, batch_limit=policy.batch_limit
            )
        elif kind == "application/json":
            parsed = parse_json_upload(req, max_file_bytes=policy.max_file_bytes)
        else:
            raise UnsupportedMediaType(
                "Unsupported Content-Type: use multipart/form-data or application/json"
            )
        note_received(req, parsed)
        outcomes = run_upload(upload=self.upload, uploader=uploader, parsed=parsed)
        presenters.respond_upload(resp, self.urls, outcomes)

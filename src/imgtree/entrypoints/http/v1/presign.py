"""/api/v1/upload/presign[/batch], the app's own PUT target, and /complete[/batch]."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import falcon

from imgtree.domain.commands import Uploader
from imgtree.domain.errors import InvalidInput
from imgtree.domain.use_cases.presign import (
    CompleteUploads,
    PresignFailed,
    PresignUploads,
    ReceiveUpload,
)
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.commands import (
    completion_token,
    completion_tokens,
    presign_request,
)
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.observe import note_presign_failures
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import (
    optional_uuid,
    parse_uuid,
    query_param,
    read_json_object,
    upload_expiry,
    upload_visibility,
)


@attrs.define
class PresignFlow:
    """The presign → PUT → complete flow for one kind of caller (v1 keys, sessions, guests).

    `uploader` turns a request into who is uploading (authenticating as that surface does).
    """

    presign: PresignUploads
    complete: CompleteUploads
    guards: Guards
    urls: Urls

    def presign_one(self, req: falcon.Request, resp: falcon.Response, uploader: Uploader) -> None:
        doc = read_json_object(req)
        (outcome,) = self.presign(
            uploader,
            [presign_request(doc)],
            album_id=optional_uuid(doc.get("albumId"), "albumId"),
            visibility=upload_visibility(doc),
            expires_in=upload_expiry(doc),
        )
        if isinstance(outcome, PresignFailed):
            raise outcome.error
        resp.media = {"success": True, **presenters.presigned(self.urls, outcome)}

    def presign_batch(self, req: falcon.Request, resp: falcon.Response, uploader: Uploader) -> None:
        doc = read_json_object(req)
        files = doc.get("files")
        if not isinstance(files, list):
            raise InvalidInput("files must be a list")
        outcomes = self.presign(
            uploader,
            [presign_request(f) for f in files],
            album_id=optional_uuid(doc.get("albumId"), "albumId"),
            visibility=upload_visibility(doc),
            expires_in=upload_expiry(doc),
        )
        note_presign_failures(resp, outcomes)
        resp.media = {
            "success": True,
            "uploads": [presenters.presigned(self.urls, o) for o in outcomes],
        }

    def complete_one(self, req: falcon.Request, resp: falcon.Response, uploader: Uploader) -> None:
        outcomes = self.complete(uploader, [completion_token(read_json_object(req))])
        presenters.respond_upload(resp, self.urls, outcomes)

    def complete_batch(
        self, req: falcon.Request, resp: falcon.Response, uploader: Uploader
    ) -> None:
        outcomes = self.complete(uploader, completion_tokens(read_json_object(req)))
        presenters.respond_upload(resp, self.urls, outcomes)


Step = Callable[[PresignFlow, falcon.Request, falcon.Response, Uploader], None]


@attrs.define
class V1FlowStep:
    """One step of the flow for an API key: PresignFlow.presign_one/presign_batch/
    complete_one/complete_batch."""

    flow: PresignFlow
    step: Step

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.flow.guards.rate_limit(req, resp)
        self.step(self.flow, req, resp, self.flow.guards.key_uploader(req))


@attrs.define
class PutTarget:
    """PUT /api/v1/upload/put/{pending_id}?token=: the put_url when storage cannot presign.

    The URL itself is the credential (an unguessable single-use token, stored hashed, that
    expires with the upload), as with a bucket's presigned URL: no Authorization header.
    """

    receive: ReceiveUpload

    def on_put(self, req: falcon.Request, resp: falcon.Response, pending_id: str) -> None:
        pending = self.receive(
            parse_uuid(pending_id, "upload id"),
            query_param(req, "token"),
            req.content_type,
            req.bounded_stream,
            req.content_length,
        )
        resp.media = {"success": True, "size_limit": pending.declared_size}

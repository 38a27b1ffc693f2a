"""/api/upload (signed in) and /api/upload/guest (no account), each with presign/complete."""

from __future__ import annotations

import attrs
import falcon

from imgtree.domain.errors import Forbidden
from imgtree.domain.policies import GuestPolicy
from imgtree.domain.use_cases.rate_limit import EnforceRateLimit
from imgtree.domain.use_cases.upload import Uploader, UploadImages
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.errors import rate_limit_headers
from imgtree.entrypoints.http.observe import note_received
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import parse_multipart, rate_limit_client
from imgtree.entrypoints.http.session.guard import SessionGuard
from imgtree.entrypoints.http.v1.presign import PresignFlow, Step
from imgtree.entrypoints.http.v1.upload import run_upload

FILE_FIELDS = ("files", "file")


def upload_multipart(
    req: falcon.Request, resp: falcon.Response, upload: UploadImages, uploader: Uploader, urls: Urls
) -> None:
    policy = upload.policy
    parsed = parse_multipart(
        req,
        max_file_bytes=policy.max_file_bytes,
        batch_limit=policy.batch_limit,
        file_fields=FILE_FIELDS,
    )
    note_received(req, parsed)
    outcomes = run_upload(upload, uploader, parsed)
    presenters.respond_upload(resp, urls, outcomes)


@attrs.define
class SessionUpload:
    """POST /api/upload, /api/upload/presign, /api/upload/complete for the signed-in user."""

    upload: UploadImages
    flow: PresignFlow
    guard: SessionGuard
    step: Step | None = None  # a presign-flow step; None: multipart upload

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.flow.guards.rate_limit(req, resp)
        context = self.guard.require(req)
        uploader = Uploader(context.user)
        if self.step is not None:
            self.step(self.flow, req, resp, uploader)
        else:
            upload_multipart(req, resp, self.upload, uploader, self.flow.urls)


@attrs.define
class GuestUpload:
    """POST /api/upload/guest[/presign|/complete]: no account, own size and rate limits."""

    upload: UploadImages
    flow: PresignFlow
    policy: GuestPolicy
    rate_limit: EnforceRateLimit
    step: Step | None = None  # a presign-flow step; None: multipart upload

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not self.policy.enabled:
            raise Forbidden("Guest uploads are disabled")
        address = rate_limit_client(req, self.flow.guards.trusted_proxies)
        decision = self.rate_limit(address, scope="guest")
        resp.set_headers(
            rate_limit_headers(
                decision.limit,
                decision.remaining,
                decision.reset_after,
                self.rate_limit.policy.window_seconds,
            )
        )
        guest = Uploader(address=address)  # guests' open presigns are bounded per address
        if self.step is not None:
            self.step(self.flow, req, resp, guest)
        else:
            upload_multipart(req, resp, self.upload, guest, self.flow.urls)

"""Guest uploads (`/api/upload/guest*`): no account, their own size and rate limits."""

from __future__ import annotations

from typing import Any

from imgtree.entrypoints.http.openapi.builders import json_body, ref
from imgtree.entrypoints.http.openapi.operations import (
    GUEST,
    NONE,
    errors,
    ok,
    op,
    upload_results,
)


def guest_paths() -> dict[str, Any]:
    """Guest multipart upload, presign and complete."""
    return {
        "/api/upload/guest": {
            "post": op(
                GUEST,
                "guestUploadImages",
                "Upload without an account (own size and rate limits)",
                upload_results(auth=False, multipart=True),
                security=NONE,
                body={"multipart/form-data": {"schema": ref("GuestUploadMultipart")}},
                description="403 when guest uploads are disabled on this instance.",
            )
        },
        "/api/upload/guest/presign": {
            "post": op(
                GUEST,
                "guestPresignUpload",
                "Guest presign",
                {
                    "200": ok("Presign", rate=True),
                    **errors(400, 403, 404, 413, 415, 429, rate=True),
                },
                security=NONE,
                body=json_body(ref("PresignRequest")),
                description="Guests have no albums: an albumId is 404.",
            )
        },
        "/api/upload/guest/complete": {
            "post": op(
                GUEST,
                "guestCompleteUpload",
                "Guest complete after PUT",
                upload_results(auth=False),
                security=NONE,
                body=json_body(ref("CompleteRequest")),
            )
        },
    }

"""Operation building: the tags, the security requirements, `op` (one operation object), its
`ok` and `errors` responses, and the responses every upload route shares."""

from __future__ import annotations

from typing import Any

from imgtree.entrypoints.http.openapi.builders import json_body, ref
from imgtree.entrypoints.http.openapi.components import RATE_HEADERS, error_response

Security = list[dict[str, list[str]]]

V1, SESSION, GUEST, ADMIN, PUBLIC, PAGES = (
    "v1",
    "session",
    "guest",
    "admin",
    "public",
    "web pages",
)

BEARER: Security = [{"bearerAuth": []}]
SESSION_READ: Security = [{"sessionCookie": []}]
SESSION_WRITE: Security = [{"sessionCookie": [], "csrfToken": []}]
ADMIN_READ: Security = [{"bearerAuth": []}, {"sessionCookie": []}]
ADMIN_WRITE: Security = [{"bearerAuth": []}, {"sessionCookie": [], "csrfToken": []}]
NONE: Security = []


def op(
    tag: str,
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    security: Security | None = None,
    body: dict[str, Any] | None = None,
    body_required: bool = True,
    parameters: list[dict[str, Any]] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tags": [tag],
        "operationId": operation_id,
        "summary": summary,
    }
    if description:
        out["description"] = description
    if parameters:
        out["parameters"] = parameters
    if body is not None:
        out["requestBody"] = {"required": body_required, "content": body}
        if "application/json" in body:
            # Any JSON body: not JSON or not an object is 400, over 64 KiB 413, another
            # Content-Type 415.
            for status in (400, 413, 415):
                responses.setdefault(str(status), {"$ref": f"#/components/responses/Error{status}"})
    out["responses"] = dict(sorted(responses.items()))
    if security is not None:
        out["security"] = security
    return out


def errors(*statuses: int, upload: tuple[int, ...] = (), rate: bool = False) -> dict[str, Any]:
    """Error responses: `statuses` as plain errors, `upload` ones as UploadError (where every
    file of an upload failed). 503 (database or storage down) can happen on any of them."""
    out: dict[str, Any] = {}
    for status in sorted({*statuses, *upload, 503}):
        if status in upload:
            out[str(status)] = error_response(status, "UploadError", rate=rate)
        elif rate:
            out[str(status)] = error_response(status, rate=rate)
        else:
            out[str(status)] = {"$ref": f"#/components/responses/Error{status}"}
    return out


def ok(
    schema: str | None,
    description: str = "OK",
    *,
    rate: bool = False,
    content: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if content is not None:
        out["content"] = content
    elif schema is not None:
        out["content"] = json_body(ref(schema))
    all_headers = {**(RATE_HEADERS if rate else {}), **(headers or {})}
    if all_headers:
        out["headers"] = all_headers
    return out


def upload_results(*, auth: bool, multipart: bool = False) -> dict[str, Any]:
    """An upload (multipart, JSON or complete): 200 when any file landed, else the first
    failure's status with every file's failure. A multipart body without Content-Length
    is 411."""
    plain = (401, 403, 429) if auth else (403, 429)
    if multipart:
        plain = (*plain, 411)
    return {
        "200": ok("UploadResponse", "At least one file landed.", rate=True),
        **errors(*plain, upload=(400, 404, 413, 415, 422, 451), rate=True),
    }

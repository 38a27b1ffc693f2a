"""The v1 surface (`/api/v1/*`): the Bearer API-key API for integrations."""

from __future__ import annotations

from typing import Any

from imgtree.entrypoints.http.openapi.builders import (
    IMAGE_TYPES,
    UUID,
    binary_content,
    json_body,
    path_param,
    query,
    ref,
)
from imgtree.entrypoints.http.openapi.components import PAGE_PARAMS, QUERY_PARAMS
from imgtree.entrypoints.http.openapi.limits import (
    BATCH_LIMIT,
    GUEST_MAX_OPEN_PRESIGNS,
    MAX_OPEN_PRESIGNS,
)
from imgtree.entrypoints.http.openapi.operations import (
    BEARER,
    NONE,
    V1,
    errors,
    ok,
    op,
    upload_results,
)
from imgtree.entrypoints.http.openapi.paths_public import original_download

UPLOAD_MULTIPART = {
    "multipart/form-data": {
        "schema": ref("UploadMultipart"),
        "encoding": {"file": {"contentType": ", ".join(IMAGE_TYPES)}},
    }
}


OPEN_PRESIGNS = (
    f"An account holds at most {MAX_OPEN_PRESIGNS} unfinished presigned uploads (a guest address "
    f"{GUEST_MAX_OPEN_PRESIGNS}): past "
    "that a presign is 429 with Retry-After (until the oldest expires). The declared bytes of "
    "an account's unfinished presigns count against its quota until they complete or expire "
    "(413). On a bucket the put_url signs the declared Content-Type and size: PUT exactly "
    "those bytes."
)


def v1_paths() -> dict[str, Any]:
    presign_errors = errors(400, 401, 403, 404, 413, 415, 429, rate=True)
    return {
        "/api/v1/upload": {
            "get": op(
                V1,
                "getCapabilities",
                "Limits, allowed types, rate limit and upload routes of this deployment",
                {"200": ok("Capabilities")},
                security=[{}, {"bearerAuth": []}],
                description="No auth needed. With a valid API key the answer also carries "
                "`quota`, the key's `scopes` and `key_expires_at`; an invalid key is ignored.",
            ),
            "post": op(
                V1,
                "uploadImages",
                "Upload images (multipart, repeat `file`; or JSON base64, one image)",
                upload_results(auth=True, multipart=True),
                security=BEARER,
                body={
                    **UPLOAD_MULTIPART,
                    "application/json": {"schema": ref("UploadJson")},
                },
                # Always needed (none: 415). Documented optional because openapi-python-client
                # 0.29 writes an unimportable module for a *required* body of two content types
                # (its issue #1451: `Unset` used, never imported); see docs/decisions.md.
                body_required=False,
                description=f"Any other request Content-Type is 415. More than {BATCH_LIMIT} files is 400 "
                "(nothing stored). Per-file failures are FailedItem objects in order. A body is "
                "required (none: 415); it is marked optional only for client generators that "
                "cannot handle a required body of two content types.",
            ),
        },
        "/api/v1/upload/presign": {
            "post": op(
                V1,
                "presignUpload",
                "Get a put_url and completion_token for one (large) file",
                {"200": ok("Presign", rate=True), **presign_errors},
                security=BEARER,
                body=json_body(ref("PresignRequest")),
                description=OPEN_PRESIGNS,
            )
        },
        "/api/v1/upload/presign/batch": {
            "post": op(
                V1,
                "presignUploads",
                f"Up to {BATCH_LIMIT} presigns in one call",
                {
                    "200": ok("PresignBatch", "Each file's outcome, in order.", rate=True),
                    **presign_errors,
                },
                security=BEARER,
                body=json_body(ref("PresignBatchRequest")),
                description=OPEN_PRESIGNS,
            )
        },
        "/api/v1/upload/put/{pendingId}": {
            "put": op(
                V1,
                "putUpload",
                "The put_url when storage cannot presign: PUT the raw bytes",
                {
                    "200": ok("PutReceived", "Bytes received; now complete."),
                    **errors(400, 403, 409, 413, 415),
                },
                security=NONE,
                parameters=[
                    path_param("pendingId", UUID, "From the put_url."),
                    query(
                        "token",
                        {"type": "string"},
                        "From the put_url (single use).",
                        required=True,
                    ),
                ],
                body=binary_content(*IMAGE_TYPES),
                description="The URL is the credential. Content-Type must equal the declared "
                "type (415); the body may not exceed the declared size (413); a second PUT "
                "after success is 409.",
            )
        },
        "/api/v1/upload/complete": {
            "post": op(
                V1,
                "completeUpload",
                "Finish a presigned upload",
                upload_results(auth=True),
                security=BEARER,
                body=json_body(ref("CompleteRequest")),
            )
        },
        "/api/v1/upload/complete/batch": {
            "post": op(
                V1,
                "completeUploads",
                f"Finish up to {BATCH_LIMIT} presigned uploads",
                upload_results(auth=True),
                security=BEARER,
                body=json_body(ref("CompleteBatchRequest")),
            )
        },
        "/api/v1/images": {
            "get": op(
                V1,
                "listImages",
                "List the key owner's images: newest first, or searched, filtered, sorted",
                {"200": ok("ImagePage"), **errors(400, 401, 403)},
                security=BEARER,
                parameters=[*PAGE_PARAMS, *QUERY_PARAMS],
            )
        },
        "/api/v1/images/{imageId}": {
            "delete": op(
                V1,
                "deleteImage",
                "Soft-delete one of your images",
                {"200": ok("Deleted"), **errors(400, 401, 403, 404)},
                security=BEARER,
                parameters=[{"$ref": "#/components/parameters/imageId"}],
            )
        },
        "/api/v1/images/{imageId}/original": {
            "get": original_download("downloadOriginal", V1, BEARER),
        },
        "/api/v1/openapi.json": {
            "get": op(
                V1,
                "getOpenApiDocument",
                "This document",
                {
                    "200": ok(
                        None,
                        content=json_body({"type": "object", "required": ["openapi", "paths"]}),
                    )
                },
                security=NONE,
            )
        },
    }

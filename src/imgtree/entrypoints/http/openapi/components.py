"""components/headers, components/responses and components/parameters: the shared headers, one
error response per status, and the paging and id parameters."""

from __future__ import annotations

from typing import Any

from imgtree.domain.commands import MAX_SEARCH, ImageSort
from imgtree.domain.model import ImageFormat, Visibility
from imgtree.entrypoints.http.openapi.builders import UUID, json_body, path_param, query, ref
from imgtree.entrypoints.http.openapi.limits import MAX_PAGE, PAGE_DEFAULT_LIMIT, PAGE_MAX_LIMIT

HEADERS: dict[str, Any] = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit": {
        "description": 'Remaining quota: `"<policy>";r=<remaining>;t=<seconds to reset>` '
        "(IETF httpapi rate-limit headers draft); the policy is `uploads` for request rates "
        "and `misses` for the miss budget on public links.",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'The policy: `"<policy>";q=<limit>;w=<window seconds>`.',
        "schema": {"type": "string"},
    },
    "WWW-Authenticate": {
        "description": 'On a missing or invalid API key: `Bearer realm="imgtree"`.',
        "schema": {"type": "string"},
    },
    "Set-Cookie": {
        "description": "`imgtree_session` (HttpOnly, SameSite=Lax, Path=/); over https "
        "`__Host-imgtree_session`, Secure.",
        "schema": {"type": "string"},
    },
}

RATE_HEADERS = {
    "RateLimit": {"$ref": "#/components/headers/RateLimit"},
    "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"},
}

ERROR_MEANING = {
    400: "Bad request: malformed body or parameter.",
    401: "Not authenticated: missing or invalid API key or session.",
    403: "Forbidden: account inactive, missing CSRF token, wrong token or role.",
    404: "Not found (or not yours).",
    409: "Conflict.",
    411: "Length required: a multipart body must carry Content-Length (not chunked).",
    413: "Too large: file, request body or storage quota.",
    415: "Unsupported media type (request Content-Type or image type).",
    416: "Range not satisfiable.",
    422: "Not a decodable image, over the image limits, or over the processing budget"
    " (`Image too complex to process`).",
    429: "Too many requests.",
    451: "Blocked: the file's content hash is on the moderators' block list (an image removed"
    " as abusive cannot be uploaded again).",
    500: "Server error (never with internals).",
    503: "Service temporarily unavailable (database, storage, or every image-decode process"
    " busy); retry after Retry-After.",
}


def error_response(status: int, schema: str = "Error", *, rate: bool = False) -> dict[str, Any]:
    headers: dict[str, Any] = dict(RATE_HEADERS) if rate else {}
    if status == 401:
        headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
    if status in (429, 503):
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    if status == 429:
        headers = {
            name: {**HEADERS[name], "required": True} for name in ("RateLimit", "RateLimit-Policy")
        } | {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    out: dict[str, Any] = {
        "description": ERROR_MEANING[status],
        "content": json_body(ref(schema)),
    }
    if headers:
        out["headers"] = headers
    return out


RESPONSES: dict[str, Any] = {
    f"Error{status}": error_response(status)
    for status in (400, 401, 403, 404, 409, 411, 413, 415, 416, 422, 429, 451, 500, 503)
}


PARAMETERS: dict[str, Any] = {
    "page": query(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "Page number (default 1).",
    ),
    "limit": query(
        "limit",
        {"type": "integer", "minimum": 1},
        f"Page size (default {PAGE_DEFAULT_LIMIT}); values above {PAGE_MAX_LIMIT} are capped to "
        f"{PAGE_MAX_LIMIT}.",
    ),
    "search": query(
        "search",
        {"type": "string", "maxLength": MAX_SEARCH},
        "Only images whose file name or title contains this (any case; trimmed).",
    ),
    "sort": query(
        "sort",
        {"type": "string", "enum": [s.value for s in ImageSort]},
        "Order: newest (default), oldest, size (largest first) or name (A to Z); ties by id.",
    ),
    "visibility": query(
        "visibility",
        {"type": "string", "enum": [v.value for v in Visibility]},
        "Only images with this visibility.",
    ),
    "type": query(
        "type",
        {"type": "string", "enum": [f.value for f in ImageFormat]},
        "Only images of this published type.",
    ),
    "imageId": path_param("imageId", UUID, "The image's UUID (not a UUID: 400)."),
    "albumId": path_param("albumId", UUID, "The album's UUID (not a UUID: 400)."),
}
PAGE_PARAMS = [
    {"$ref": "#/components/parameters/page"},
    {"$ref": "#/components/parameters/limit"},
]
# A gallery listing's search, order and filters (GET /api/v1/images, GET /api/images).
QUERY_PARAMS = [
    {"$ref": f"#/components/parameters/{name}"} for name in ("search", "sort", "visibility", "type")
]

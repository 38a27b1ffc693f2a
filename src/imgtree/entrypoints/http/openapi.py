"""The OpenAPI 3.1 description of every HTTP route, served at GET /api/v1/openapi.json.

Hand-written next to the resources and presenters it describes (no introspection magic): when a
presenter gains a field or a resource a status, this document changes with it. The schemas are
exact (`additionalProperties: false` on every shape the presenters build), so
tests/http/test_openapi.py and the schemathesis smoke run catch any drift between the two.

Three API surfaces plus the public pages:
- v1 (`/api/v1/*`): the Bearer API-key API of the API documentation;
- session (`/api/auth/*`, `/api/images*`, `/api/albums*`, `/api/keys*`, `/api/upload*`): the web
  app's cookie API (unsafe methods need `X-CSRF-Token`), and guest uploads;
- admin (`/api/admin/*`): admin session or an admin's API key;
- public HTML pages and media (`/i/{slug}`, `/media/...`, `/delete/{imageId}`, the web app).
"""

from __future__ import annotations

import copy
from importlib import metadata
from typing import Any

import attrs
import falcon

from imgtree.domain.model import ImageFormat
from imgtree.domain.use_cases.list_images import MAX_PAGE

Schema = dict[str, Any]

IMAGE_TYPES = [t.value for t in ImageFormat]
BATCH_LIMIT = 20
# A 2x2 PNG: the JSON upload example (a real image, so the example succeeds).
EXAMPLE_PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGM8ISfHwMDAxMDAwMDAAAANBAEIfXHKZgAAAABJRU5ErkJggg=="

# --- small builders ---------------------------------------------------------------------------


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A closed object: every listed property, the first group required, nothing else."""
    out: Schema = {"type": "object", "properties": {**required, **(optional or {})}}
    if required:
        out["required"] = list(required)
    out["additionalProperties"] = False
    return out


def nullable(schema: Schema) -> Schema:
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


STRING: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NON_NEGATIVE: Schema = {"type": "integer", "minimum": 0}
BOOL: Schema = {"type": "boolean"}
UUID: Schema = {"type": "string", "format": "uuid"}
URL: Schema = {"type": "string", "format": "uri"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
TRUE: Schema = {"type": "boolean", "const": True}
FALSE: Schema = {"type": "boolean", "const": False}
IMAGE_TYPE: Schema = {"type": "string", "enum": IMAGE_TYPES}
SLUG: Schema = {"type": "string", "pattern": "^[a-z0-9]{4,32}$"}
PAGING: dict[str, Schema] = {
    "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100},
    "total": NON_NEGATIVE,
    "has_more": BOOL,
}


def json_body(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}


# --- schemas ----------------------------------------------------------------------------------

_LISTED_IMAGE: dict[str, Schema] = {
    "id": {**UUID, "description": "The image's UUID (used to delete it)."},
    "slug": SLUG,
    "url": URL,
    "direct_url": URL,
    "thumb_url": URL,
    "original_name": STRING,
    "content_type": IMAGE_TYPE,
    "size_bytes": NON_NEGATIVE,
    "width": NON_NEGATIVE,
    "height": NON_NEGATIVE,
    "created_at": TIMESTAMP,
}

_USER: dict[str, Schema] = {
    "id": UUID,
    "email": STRING,
    "name": STRING,
    "role": {"type": "string", "enum": ["user", "admin"]},
    "active": BOOL,
    "quota_bytes": {
        **nullable(NON_NEGATIVE),
        "description": "Storage quota in bytes; null means unlimited.",
    },
    "used_bytes": NON_NEGATIVE,
    "created_at": nullable(TIMESTAMP),
}

_ALBUM: dict[str, Schema] = {
    "id": UUID,
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": STRING,
    "isPublic": BOOL,
    "created_at": nullable(TIMESTAMP),
}

_API_KEY: dict[str, Schema] = {
    "id": UUID,
    "name": STRING,
    "prefix": {"type": "string", "pattern": "^imgt_", "description": "Public part of the key."},
    "created_at": nullable(TIMESTAMP),
    "last_used_at": nullable(TIMESTAMP),
    "revoked_at": nullable(TIMESTAMP),
    "active": BOOL,
    "upload_count": NON_NEGATIVE,
}

_PRESIGN_FILE: dict[str, Schema] = {
    "filename": {"type": "string", "minLength": 1},
    "contentType": IMAGE_TYPE,
    "sizeBytes": {"type": "integer", "minimum": 1},
}

_ALBUM_CHOICE: dict[str, Schema] = {
    "albumId": {
        **nullable(UUID),
        "description": "An album of yours (404 when it is not); not a UUID is 400.",
    },
    "isPublic": {**BOOL, "description": "Default true."},
}

SCHEMAS: dict[str, Schema] = {
    "Error": {
        **obj({"success": FALSE, "error": {"type": "string", "minLength": 1}}),
        "description": "Every error, whatever the route: a human-readable message.",
    },
    "UploadError": {
        **obj(
            {"success": FALSE, "error": {"type": "string", "minLength": 1}},
            {"images": {"type": "array", "items": ref("FailedItem")}},
        ),
        "description": "An upload where nothing landed: the first failure's status and message, "
        "and (when files were read) each file's failure in request order.",
    },
    "EmbedCodes": obj(
        {
            "bbcode": STRING,
            "bbcode_thumb": STRING,
            "html": STRING,
            "markdown": STRING,
            "direct": URL,
        }
    ),
    "UploadedImage": obj(
        {
            "id": {**SLUG, "description": "The image slug (public page /i/{slug})."},
            "url": URL,
            "direct_url": URL,
            "thumb_url": URL,
            "delete_url": {
                **URL,
                "description": "/api/images/{uuid}?token={delete_token}; shown only once.",
            },
            "codes": ref("EmbedCodes"),
        }
    ),
    "FailedItem": obj(
        {
            "error": {"type": "string", "minLength": 1},
            "status": {"type": "integer", "enum": [400, 401, 403, 404, 409, 413, 415, 422, 503]},
        },
        {"filename": STRING},
    ),
    "UploadResponse": obj(
        {
            "success": TRUE,
            "images": {
                "type": "array",
                "minItems": 1,
                "items": {"anyOf": [ref("UploadedImage"), ref("FailedItem")]},
                "description": "One entry per file (or token), in request order.",
            },
        }
    ),
    "UploadJson": {
        **obj(
            {},
            {
                "filename": STRING,
                "contentType": {**STRING, "description": "Informative only: never trusted."},
                "file_base64": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Base64 (or a data: URL) of the image bytes.",
                },
                "base64": {"type": "string", "minLength": 1, "description": "Alias."},
                "albumId": _ALBUM_CHOICE["albumId"],
            },
        ),
        "anyOf": [{"required": ["file_base64"]}, {"required": ["base64"]}],
        "examples": [{"filename": "dot.png", "file_base64": EXAMPLE_PNG_BASE64}],
    },
    "UploadMultipart": {
        "type": "object",
        "properties": {
            "file": {
                "type": "array",
                "maxItems": BATCH_LIMIT,
                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                "description": "Repeat the field for several images.",
            },
            "albumId": UUID,
        },
        "required": ["file"],
    },
    "SessionUploadMultipart": {
        "type": "object",
        "properties": {
            "files": {
                "type": "array",
                "maxItems": BATCH_LIMIT,
                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                "description": "Repeat the field for several images (`file` is an alias).",
            },
            "albumId": UUID,
            "isPublic": {"type": "string", "enum": ["true", "false"]},
        },
        "required": ["files"],
    },
    "GuestUploadMultipart": {
        "type": "object",
        "properties": {
            "files": {
                "type": "array",
                "maxItems": BATCH_LIMIT,
                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                "description": "Repeat the field for several images (`file` is an alias).",
            },
        },
        "required": ["files"],
    },
    "Capabilities": obj(
        {
            "success": TRUE,
            "max_file_size_bytes": {"type": "integer", "minimum": 1},
            "allowed_types": {"type": "array", "items": IMAGE_TYPE},
            "presign_expires_seconds": {"type": "integer", "minimum": 1},
            "batch_limit": {"type": "integer", "minimum": 1},
            "rate_limit": obj({"per_minute": {"type": "integer", "minimum": 1}, "text": STRING}),
            "pagination": obj(
                {
                    "default_limit": {"type": "integer", "minimum": 1},
                    "max_limit": {"type": "integer", "minimum": 1},
                }
            ),
            "auth": obj({"header": {"const": "Authorization"}, "scheme": {"const": "Bearer"}}),
            "processing": {
                **obj(
                    {
                        name: {"type": "integer", "minimum": 1}
                        for name in (
                            "max_image_pixels",
                            "max_image_side",
                            "max_frames",
                            "cpu_seconds",
                            "wall_seconds",
                            "memory_bytes",
                            "concurrent",
                            "queue_seconds",
                        )
                    }
                ),
                "description": "Image limits checked before decoding, and the hard budget of"
                " one file's verification (past it: 422). `concurrent` decodes run at once;"
                " a file waits at most `queue_seconds` for one (then 503 with Retry-After).",
            },
            "routes": {
                "type": "array",
                "items": obj(
                    {
                        "method": {"type": "string", "enum": ["GET", "POST", "PUT", "DELETE"]},
                        "path": STRING,
                        "description": STRING,
                    }
                ),
            },
        },
        {"quota": ref("Quota")},
    ),
    "Quota": {
        **obj(
            {
                "used_bytes": NON_NEGATIVE,
                "quota_bytes": nullable(NON_NEGATIVE),
                "remaining_bytes": nullable(NON_NEGATIVE),
            }
        ),
        "description": "Only with a valid API key. null quota: unlimited.",
    },
    "PresignRequest": {
        **obj(
            {"filename": _PRESIGN_FILE["filename"]},
            {
                "contentType": _PRESIGN_FILE["contentType"],
                "content_type": {**IMAGE_TYPE, "description": "Alias of contentType."},
                "sizeBytes": _PRESIGN_FILE["sizeBytes"],
                "size_bytes": {
                    **_PRESIGN_FILE["sizeBytes"],
                    "description": "Alias of sizeBytes.",
                },
                **_ALBUM_CHOICE,
            },
        ),
        "anyOf": [
            {"required": ["contentType", "sizeBytes"]},
            {"required": ["content_type", "size_bytes"]},
        ],
        "examples": [{"filename": "photo.jpg", "contentType": "image/jpeg", "sizeBytes": 123456}],
    },
    "PresignFile": obj(
        {
            "filename": _PRESIGN_FILE["filename"],
            "contentType": _PRESIGN_FILE["contentType"],
            "sizeBytes": _PRESIGN_FILE["sizeBytes"],
        }
    ),
    "PresignBatchRequest": obj(
        {
            "files": {
                "type": "array",
                "minItems": 1,
                "maxItems": BATCH_LIMIT,
                "items": ref("PresignFile"),
            }
        },
        _ALBUM_CHOICE,
    ),
    "PresignedUpload": obj(
        {
            "put_url": {**URL, "description": "PUT the raw bytes here."},
            "completion_token": {"type": "string", "minLength": 1},
            "method": {"const": "PUT"},
            "headers": obj({"Content-Type": IMAGE_TYPE}),
            "expires_at": TIMESTAMP,
        }
    ),
    "Presign": {
        **obj(
            {
                "success": TRUE,
                "put_url": URL,
                "completion_token": {"type": "string", "minLength": 1},
                "method": {"const": "PUT"},
                "headers": obj({"Content-Type": IMAGE_TYPE}),
                "expires_at": TIMESTAMP,
            }
        ),
        "description": "PUT the bytes to put_url with the declared Content-Type, then complete.",
    },
    "PresignFailedItem": obj(
        {
            "error": {"type": "string", "minLength": 1},
            "status": {
                "type": "integer",
                "enum": [400, 403, 404, 409, 413, 415, 429, 503],
                "description": "413: over the maximum size or the storage quota (open presigns "
                "reserve their declared bytes); 429: too many unfinished presigned uploads.",
            },
        }
    ),
    "PresignBatch": obj(
        {
            "success": TRUE,
            "uploads": {
                "type": "array",
                "items": {"anyOf": [ref("PresignedUpload"), ref("PresignFailedItem")]},
                "description": "In the order of `files`.",
            },
        }
    ),
    "CompleteRequest": {
        **obj(
            {},
            {
                "completion_token": {"type": "string", "minLength": 1},
                "token": {"type": "string", "minLength": 1, "description": "Alias."},
            },
        ),
        "anyOf": [{"required": ["completion_token"]}, {"required": ["token"]}],
    },
    "CompleteBatchRequest": {
        **obj(
            {},
            {
                "completion_tokens": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": BATCH_LIMIT,
                    "items": {"type": "string", "minLength": 1},
                },
                "tokens": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": BATCH_LIMIT,
                    "items": {"type": "string", "minLength": 1},
                    "description": "Alias.",
                },
            },
        ),
        "anyOf": [{"required": ["completion_tokens"]}, {"required": ["tokens"]}],
    },
    "PutReceived": obj({"success": TRUE, "size_limit": NON_NEGATIVE}),
    "ListedImage": obj(_LISTED_IMAGE),
    "OwnedImage": {
        **obj(
            {
                **_LISTED_IMAGE,
                "title": STRING,
                "album_id": nullable(UUID),
                "is_public": BOOL,
            }
        ),
        "description": "What the owner sees: the listing plus the editable fields.",
    },
    "ImagePage": obj(
        {"success": TRUE, "images": {"type": "array", "items": ref("ListedImage")}, **PAGING}
    ),
    "OwnedImagePage": obj(
        {"success": TRUE, "images": {"type": "array", "items": ref("OwnedImage")}, **PAGING}
    ),
    "Deleted": obj({"success": TRUE, "id": UUID, "slug": SLUG}),
    "Ok": obj({"success": TRUE}),
    "User": obj(_USER),
    "AdminUser": obj({**_USER, "remaining_bytes": nullable(NON_NEGATIVE)}),
    "SignedIn": obj(
        {
            "success": TRUE,
            "user": ref("User"),
            "csrf_token": {
                "type": "string",
                "minLength": 1,
                "description": "Send as X-CSRF-Token on unsafe cookie-authenticated requests.",
            },
        }
    ),
    "SignUpRequest": obj(
        {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "minLength": 8, "maxLength": 1024},
        },
        {"name": STRING},
    ),
    "LoginRequest": obj({"email": STRING, "password": STRING}),
    "PasswordRequest": obj(
        {
            "current_password": STRING,
            "new_password": {"type": "string", "minLength": 8, "maxLength": 1024},
        }
    ),
    "ImageEdit": {
        **obj(
            {},
            {
                "title": STRING,
                "albumId": nullable(UUID),
                "album_id": {**nullable(UUID), "description": "Alias of albumId."},
                "isPublic": BOOL,
                "is_public": {**BOOL, "description": "Alias of isPublic."},
            },
        ),
        "minProperties": 1,
        "description": "Only these fields change; sending none of them is 400.",
    },
    "ImageEdited": obj({"success": TRUE, "image": ref("OwnedImage")}),
    "Album": obj(_ALBUM, {"image_count": NON_NEGATIVE}),
    "AlbumList": obj({"success": TRUE, "albums": {"type": "array", "items": ref("Album")}}),
    "AlbumEnvelope": obj({"success": TRUE, "album": ref("Album")}),
    "AlbumCreate": obj(
        {"title": _ALBUM["title"]},
        {"description": {"type": "string", "maxLength": 5000}, "isPublic": BOOL},
    ),
    "AlbumEdit": obj(
        {},
        {
            "title": _ALBUM["title"],
            "description": {"type": "string", "maxLength": 5000},
            "isPublic": BOOL,
            "is_public": {**BOOL, "description": "Alias of isPublic."},
        },
    ),
    "AlbumView": {
        **obj(
            {
                "success": TRUE,
                "images": {
                    "type": "array",
                    "items": {"anyOf": [ref("OwnedImage"), ref("ListedImage")]},
                    "description": "The owner sees every image (owned shape); others only "
                    "the public ones (listed shape).",
                },
                **PAGING,
                "album": ref("Album"),
                "is_owner": BOOL,
            }
        ),
    },
    "ApiKey": obj(_API_KEY),
    "ApiKeyList": obj({"success": TRUE, "keys": {"type": "array", "items": ref("ApiKey")}}),
    "ApiKeyCreate": obj({"name": {"type": "string", "minLength": 1, "maxLength": 100}}),
    "CreatedApiKey": obj(
        {
            "success": TRUE,
            **_API_KEY,
            "key": {
                "type": "string",
                "pattern": "^imgt_",
                "description": "The secret: shown this once only.",
            },
        }
    ),
    "KeyRevoked": obj({"success": TRUE, "id": UUID}),
    "ShareXConfig": obj(
        {
            "Version": STRING,
            "Name": STRING,
            "DestinationType": {"const": "ImageUploader"},
            "RequestMethod": {"const": "POST"},
            "RequestURL": URL,
            "Headers": obj({"Authorization": {"type": "string", "pattern": "^Bearer imgt_"}}),
            "Body": {"const": "MultipartFormData"},
            "FileFormName": {"const": "file"},
            "URL": STRING,
            "ThumbnailURL": STRING,
            "DeletionURL": STRING,
            "ErrorMessage": STRING,
        }
    ),
    "AdminStats": obj(
        {
            "success": TRUE,
            "users": NON_NEGATIVE,
            "active_users": NON_NEGATIVE,
            "images": NON_NEGATIVE,
            "bytes_stored": NON_NEGATIVE,
            "uploads": obj(
                {"last_24h": NON_NEGATIVE, "last_7d": NON_NEGATIVE, "last_30d": NON_NEGATIVE}
            ),
            "guest_uploads": NON_NEGATIVE,
            "account_uploads": NON_NEGATIVE,
            "by_type": {
                "type": "object",
                "additionalProperties": NON_NEGATIVE,
                "description": "Images per content type.",
            },
            "top_uploaders": {
                "type": "array",
                "items": obj(
                    {"id": UUID, "email": STRING, "images": NON_NEGATIVE, "bytes": NON_NEGATIVE}
                ),
            },
            "pending_presigns": NON_NEGATIVE,
            "uploads_per_day": {
                "type": "array",
                "items": obj(
                    {
                        "day": {"type": "string", "format": "date"},
                        "uploads": NON_NEGATIVE,
                        "bytes": NON_NEGATIVE,
                    }
                ),
            },
            "storage_over_time": {
                "type": "array",
                "items": obj(
                    {
                        "day": {"type": "string", "format": "date"},
                        "bytes_uploaded_cumulative": NON_NEGATIVE,
                    }
                ),
            },
        }
    ),
    "AdminUserPage": obj(
        {"success": TRUE, "users": {"type": "array", "items": ref("AdminUser")}, **PAGING}
    ),
    "AdminUserEdit": {
        **obj(
            {},
            {
                "role": {"type": "string", "enum": ["user", "admin"]},
                "active": BOOL,
                "quota_bytes": nullable(NON_NEGATIVE),
            },
        ),
        "minProperties": 1,
        "description": "Demoting or deactivating the last active admin is 409.",
    },
    "AdminUserEnvelope": obj({"success": TRUE, "user": ref("AdminUser")}),
    "AuditEntry": obj(
        {
            "id": UUID,
            "actor_id": {**nullable(UUID), "description": "null: the command line."},
            "action": STRING,
            "target_id": nullable(UUID),
            "details": {"description": "The changed fields, old and new values."},
            "created_at": TIMESTAMP,
        }
    ),
    "AuditPage": obj(
        {"success": TRUE, "entries": {"type": "array", "items": ref("AuditEntry")}, **PAGING}
    ),
}

# --- headers, responses, parameters -----------------------------------------------------------

HEADERS: dict[str, Any] = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit": {
        "description": 'Remaining quota: `"uploads";r=<remaining>;t=<seconds to reset>` '
        "(IETF httpapi rate-limit headers draft).",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'The policy: `"uploads";q=<limit>;w=<window seconds>`.',
        "schema": {"type": "string"},
    },
    "WWW-Authenticate": {
        "description": 'On a missing or invalid API key: `Bearer realm="imgtree"`.',
        "schema": {"type": "string"},
    },
    "Set-Cookie": {
        "description": "`imgtree_session` (HttpOnly, SameSite=Lax, Path=/; Secure over https).",
        "schema": {"type": "string"},
    },
}

RATE_HEADERS = {
    "RateLimit": {"$ref": "#/components/headers/RateLimit"},
    "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"},
}

_ERROR_MEANING = {
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
    500: "Server error (never with internals).",
    503: "Service temporarily unavailable (database, storage, or every image-decode process"
    " busy); retry after Retry-After.",
}


def _error_response(status: int, schema: str = "Error", *, rate: bool = False) -> dict[str, Any]:
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
        "description": _ERROR_MEANING[status],
        "content": json_body(ref(schema)),
    }
    if headers:
        out["headers"] = headers
    return out


RESPONSES: dict[str, Any] = {
    f"Error{status}": _error_response(status)
    for status in (400, 401, 403, 404, 409, 411, 413, 415, 416, 422, 429, 500, 503)
}


def errors(*statuses: int, upload: tuple[int, ...] = (), rate: bool = False) -> dict[str, Any]:
    """Error responses: `statuses` as plain errors, `upload` ones as UploadError (where every
    file of an upload failed). 503 (database or storage down) can happen on any of them."""
    out: dict[str, Any] = {}
    for status in sorted({*statuses, *upload, 503}):
        if status in upload:
            out[str(status)] = _error_response(status, "UploadError", rate=rate)
        elif rate:
            out[str(status)] = _error_response(status, rate=rate)
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


def path_param(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def query(name: str, schema: Schema, description: str, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
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
        "Page size (default 24); values above 100 are capped to 100.",
    ),
    "imageId": path_param("imageId", UUID, "The image's UUID (not a UUID: 400)."),
    "albumId": path_param("albumId", UUID, "The album's UUID (not a UUID: 400)."),
}
PAGE_PARAMS = [
    {"$ref": "#/components/parameters/page"},
    {"$ref": "#/components/parameters/limit"},
]

BEARER = [{"bearerAuth": []}]
SESSION_READ = [{"sessionCookie": []}]
SESSION_WRITE = [{"sessionCookie": [], "csrfToken": []}]
ADMIN_READ = [{"bearerAuth": []}, {"sessionCookie": []}]
ADMIN_WRITE = [{"bearerAuth": []}, {"sessionCookie": [], "csrfToken": []}]
NONE: list[dict[str, list[str]]] = []


def op(
    tag: str,
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    security: list[dict[str, list[str]]] | None = None,
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


# --- paths ------------------------------------------------------------------------------------

V1, SESSION, GUEST, ADMIN, PUBLIC, PAGES = (
    "v1",
    "session",
    "guest",
    "admin",
    "public",
    "web pages",
)

UPLOAD_MULTIPART = {
    "multipart/form-data": {
        "schema": ref("UploadMultipart"),
        "encoding": {"file": {"contentType": ", ".join(IMAGE_TYPES)}},
    }
}


def _upload_results(*, auth: bool, multipart: bool = False) -> dict[str, Any]:
    """An upload (multipart, JSON or complete): 200 when any file landed, else the first
    failure's status with every file's failure. A multipart body without Content-Length
    is 411."""
    plain = (401, 403, 429) if auth else (403, 429)
    if multipart:
        plain = (*plain, 411)
    return {
        "200": ok("UploadResponse", "At least one file landed.", rate=True),
        **errors(*plain, upload=(400, 404, 413, 415, 422), rate=True),
    }


OPEN_PRESIGNS = (
    "An account holds at most 100 unfinished presigned uploads (a guest address 20): past "
    "that a presign is 429 with Retry-After (until the oldest expires). The declared bytes of "
    "an account's unfinished presigns count against its quota until they complete or expire "
    "(413). On a bucket the put_url signs the declared Content-Type and size: PUT exactly "
    "those bytes."
)


def _v1_paths() -> dict[str, Any]:
    presign_errors = errors(400, 401, 403, 404, 413, 415, 429, rate=True)
    return {
        "/api/v1/upload": {
            "get": op(
                V1,
                "discovery",
                "Limits, allowed types, rate limit and upload routes of this deployment",
                {"200": ok("Capabilities")},
                security=[{}, {"bearerAuth": []}],
                description="No auth needed. With a valid API key the answer also carries "
                "`quota`; an invalid key is ignored.",
            ),
            "post": op(
                V1,
                "upload",
                "Upload images (multipart, repeat `file`; or JSON base64, one image)",
                _upload_results(auth=True, multipart=True),
                security=BEARER,
                body={
                    **UPLOAD_MULTIPART,
                    "application/json": {"schema": ref("UploadJson")},
                },
                description="Any other request Content-Type is 415. More than 20 files is 400 "
                "(nothing stored). Per-file failures are FailedItem objects in order.",
            ),
        },
        "/api/v1/upload/presign": {
            "post": op(
                V1,
                "presign",
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
                "presignBatch",
                "Up to 20 presigns in one call",
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
                body={
                    t: {"schema": {"type": "string", "contentMediaType": t}} for t in IMAGE_TYPES
                },
                description="The URL is the credential. Content-Type must equal the declared "
                "type (415); the body may not exceed the declared size (413); a second PUT "
                "after success is 409.",
            )
        },
        "/api/v1/upload/complete": {
            "post": op(
                V1,
                "complete",
                "Finish a presigned upload",
                _upload_results(auth=True),
                security=BEARER,
                body=json_body(ref("CompleteRequest")),
            )
        },
        "/api/v1/upload/complete/batch": {
            "post": op(
                V1,
                "completeBatch",
                "Finish up to 20 presigned uploads",
                _upload_results(auth=True),
                security=BEARER,
                body=json_body(ref("CompleteBatchRequest")),
            )
        },
        "/api/v1/images": {
            "get": op(
                V1,
                "listImages",
                "List the key owner's images, newest first",
                {"200": ok("ImagePage"), **errors(400, 401, 403)},
                security=BEARER,
                parameters=PAGE_PARAMS,
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
        "/api/v1/openapi.json": {
            "get": op(
                V1,
                "openapi",
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


def _session_paths() -> dict[str, Any]:
    session_cookie = {"Set-Cookie": {"$ref": "#/components/headers/Set-Cookie"}}
    return {
        "/api/auth/signup": {
            "post": op(
                SESSION,
                "signUp",
                "Create an account and sign in",
                {
                    "201": ok("SignedIn", "Signed up and in.", headers=session_cookie),
                    **errors(400, 403, 409, 429),
                },
                security=NONE,
                body=json_body(ref("SignUpRequest")),
                description="403 when sign-up is closed on this instance; throttled per client "
                "IP like sign-in (429).",
            )
        },
        "/api/auth/login": {
            "post": op(
                SESSION,
                "logIn",
                "Sign in",
                {
                    "200": ok("SignedIn", "Signed in.", headers=session_cookie),
                    **errors(400, 401, 403, 429),
                },
                security=NONE,
                body=json_body(ref("LoginRequest")),
                description="Throttled per client IP and per account (429).",
            )
        },
        "/api/auth/logout": {
            "post": op(
                SESSION,
                "logOut",
                "Sign out (revokes the session server-side)",
                {"200": ok("Ok", headers=session_cookie), **errors(401, 403)},
                security=SESSION_WRITE,
            )
        },
        "/api/auth/me": {
            "get": op(
                SESSION,
                "me",
                "Who is signed in, and the CSRF token",
                {"200": ok("SignedIn"), **errors(401, 403)},
                security=SESSION_READ,
            )
        },
        "/api/auth/password": {
            "post": op(
                SESSION,
                "changePassword",
                "Change password (revokes every other session)",
                {"200": ok("Ok"), **errors(400, 401, 403)},
                security=SESSION_WRITE,
                body=json_body(ref("PasswordRequest")),
            )
        },
        "/api/images": {
            "get": op(
                SESSION,
                "sessionListImages",
                "The signed-in user's images, newest first",
                {"200": ok("OwnedImagePage"), **errors(400, 401, 403, 404)},
                security=SESSION_READ,
                parameters=[
                    *PAGE_PARAMS,
                    query("albumId", UUID, "Only this album's images."),
                ],
            )
        },
        "/api/images/{imageId}": {
            "parameters": [{"$ref": "#/components/parameters/imageId"}],
            "get": op(
                SESSION,
                "deleteConfirmPage",
                "A delete_url opened in a browser: a confirmation page (never deletes)",
                {
                    "200": ok(None, "The confirmation page.", content=HTML),
                    **{
                        str(s): ok(None, _ERROR_MEANING[s], content=HTML)
                        for s in (400, 401, 403, 404)
                    },
                    **errors(),
                },
                security=NONE,
                parameters=[query("token", {"type": "string"}, "The delete token.")],
            ),
            "patch": op(
                SESSION,
                "editImage",
                "Change title, album or visibility (owner only)",
                {"200": ok("ImageEdited"), **errors(400, 401, 403, 404)},
                security=SESSION_WRITE,
                body=json_body(ref("ImageEdit")),
            ),
            "delete": op(
                SESSION,
                "sessionDeleteImage",
                "Soft-delete: the owner's session, or ?token= from a delete_url",
                {
                    "200": ok("Deleted", rate=True),
                    **errors(400, 401, 403, 404, 429),
                },
                security=[*SESSION_WRITE, {}],
                parameters=[
                    query(
                        "token",
                        {"type": "string"},
                        "The delete token (then no session is needed; rate limited).",
                    )
                ],
            ),
        },
        "/api/albums": {
            "get": op(
                SESSION,
                "listAlbums",
                "The signed-in user's albums",
                {"200": ok("AlbumList"), **errors(401, 403)},
                security=SESSION_READ,
            ),
            "post": op(
                SESSION,
                "createAlbum",
                "Create an album",
                {"201": ok("AlbumEnvelope", "Created."), **errors(400, 401, 403, 415)},
                security=SESSION_WRITE,
                body=json_body(ref("AlbumCreate")),
            ),
        },
        "/api/albums/{albumId}": {
            "parameters": [{"$ref": "#/components/parameters/albumId"}],
            "get": op(
                SESSION,
                "viewAlbum",
                "An album and its images (the owner's, or anyone's public album)",
                {"200": ok("AlbumView"), **errors(400, 404)},
                security=[{}, *SESSION_READ],
                parameters=PAGE_PARAMS,
            ),
            "patch": op(
                SESSION,
                "editAlbum",
                "Update an album",
                {"200": ok("AlbumEnvelope"), **errors(400, 401, 403, 404, 415)},
                security=SESSION_WRITE,
                body=json_body(ref("AlbumEdit")),
            ),
            "delete": op(
                SESSION,
                "deleteAlbum",
                "Delete an album (its images stay, out of the album)",
                {"200": ok("Ok"), **errors(400, 401, 403, 404)},
                security=SESSION_WRITE,
            ),
        },
        "/api/keys": {
            "get": op(
                SESSION,
                "listKeys",
                "API keys (metadata only)",
                {"200": ok("ApiKeyList"), **errors(401, 403)},
                security=SESSION_READ,
            ),
            "post": op(
                SESSION,
                "createKey",
                "Create an API key (the secret is returned once)",
                {"201": ok("CreatedApiKey", "Created."), **errors(400, 401, 403, 415)},
                security=SESSION_WRITE,
                body=json_body(ref("ApiKeyCreate")),
            ),
        },
        "/api/keys/sharex": {
            "post": op(
                SESSION,
                "sharexConfig",
                "A new key inside a ready-made ShareX uploader (.sxcu download)",
                {
                    "200": ok(
                        "ShareXConfig",
                        "The .sxcu file (Content-Disposition: attachment).",
                        headers={
                            "Content-Disposition": {
                                "description": 'attachment; filename="imgtree.sxcu"',
                                "required": True,
                                "schema": {"type": "string"},
                            }
                        },
                    ),
                    **errors(400, 401, 403, 415),
                },
                security=SESSION_WRITE,
                body=json_body(obj({}, {"name": STRING})),
                body_required=False,
            )
        },
        "/api/keys/{keyId}": {
            "delete": op(
                SESSION,
                "revokeKey",
                "Revoke an API key",
                {"200": ok("KeyRevoked"), **errors(400, 401, 403, 404)},
                security=SESSION_WRITE,
                parameters=[path_param("keyId", UUID, "The key's id (not a UUID: 400).")],
            )
        },
        "/api/upload": {
            "post": op(
                SESSION,
                "sessionUpload",
                "Signed-in multipart upload (`files`, optional albumId, isPublic)",
                _upload_results(auth=True, multipart=True),
                security=SESSION_WRITE,
                body={"multipart/form-data": {"schema": ref("SessionUploadMultipart")}},
            )
        },
        "/api/upload/presign": {
            "post": op(
                SESSION,
                "sessionPresign",
                "Presign for the signed-in user",
                {
                    "200": ok("Presign", rate=True),
                    **errors(400, 401, 403, 404, 413, 415, 429, rate=True),
                },
                security=SESSION_WRITE,
                body=json_body(ref("PresignRequest")),
            )
        },
        "/api/upload/complete": {
            "post": op(
                SESSION,
                "sessionComplete",
                "Complete after PUT (session)",
                _upload_results(auth=True),
                security=SESSION_WRITE,
                body=json_body(ref("CompleteRequest")),
            )
        },
        "/api/upload/guest": {
            "post": op(
                GUEST,
                "guestUpload",
                "Upload without an account (own size and rate limits)",
                _upload_results(auth=False, multipart=True),
                security=NONE,
                body={"multipart/form-data": {"schema": ref("GuestUploadMultipart")}},
                description="403 when guest uploads are disabled on this instance.",
            )
        },
        "/api/upload/guest/presign": {
            "post": op(
                GUEST,
                "guestPresign",
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
                "guestComplete",
                "Guest complete after PUT",
                _upload_results(auth=False),
                security=NONE,
                body=json_body(ref("CompleteRequest")),
            )
        },
    }


def _admin_paths() -> dict[str, Any]:
    return {
        "/api/admin/stats": {
            "get": op(
                ADMIN,
                "adminStats",
                "Aggregated statistics",
                {"200": ok("AdminStats"), **errors(401, 403)},
                security=ADMIN_READ,
            )
        },
        "/api/admin/users": {
            "get": op(
                ADMIN,
                "adminUsers",
                "User list / search",
                {"200": ok("AdminUserPage"), **errors(400, 401, 403)},
                security=ADMIN_READ,
                parameters=[
                    query("q", {"type": "string"}, "Search in email and name."),
                    *PAGE_PARAMS,
                ],
            )
        },
        "/api/admin/users/{userId}": {
            "patch": op(
                ADMIN,
                "adminEditUser",
                "Update a user's role, active state or quota (audited)",
                {"200": ok("AdminUserEnvelope"), **errors(400, 401, 403, 404, 409, 415)},
                security=ADMIN_WRITE,
                parameters=[path_param("userId", UUID, "The user's id (not a UUID: 400).")],
                body=json_body(ref("AdminUserEdit")),
            )
        },
        "/api/admin/audit": {
            "get": op(
                ADMIN,
                "adminAudit",
                "The audit log of admin changes, newest first",
                {"200": ok("AuditPage"), **errors(400, 401, 403)},
                security=ADMIN_READ,
                parameters=PAGE_PARAMS,
            )
        },
    }


MEDIA_HEADERS = {
    name: {"description": text, "schema": {"type": "string"}}
    for name, text in (
        ("ETag", "Strong validator."),
        ("Cache-Control", "public (private for a private image), max-age=31536000, immutable."),
        ("Content-Disposition", 'inline; filename="{slug}.{ext}"'),
        ("Content-Security-Policy", "default-src 'none'; sandbox"),
        ("Accept-Ranges", "bytes"),
    )
}
MEDIA_CONTENT = {t: {"schema": {"type": "string", "contentMediaType": t}} for t in IMAGE_TYPES}


def _media_op(operation_id: str, summary: str, *, head: bool) -> dict[str, Any]:
    return op(
        PUBLIC,
        operation_id,
        summary,
        {
            "200": ok(
                None,
                "The image (Content-Type: its sniffed type).",
                content=None if head else MEDIA_CONTENT,
                headers=MEDIA_HEADERS,
            ),
            "206": ok(
                None,
                "A single byte range.",
                content=None if head else MEDIA_CONTENT,
                headers=MEDIA_HEADERS,
            ),
            "304": {"description": "Not modified (If-None-Match)."},
            **errors(404, 416),
        },
        security=NONE,
        parameters=[
            path_param(
                "filename",
                {"type": "string", "pattern": r"^[a-z0-9]{4,32}\.[a-z]{3,4}$"},
                "`{slug}.{ext}`, the extension of the real type.",
            )
        ],
    )


def _public_paths() -> dict[str, Any]:
    html_ok = ok(None, "An HTML page.", content=HTML)
    return {
        "/i/{slug}": {
            "get": op(
                PUBLIC,
                "imagePage",
                "The image's public page",
                {
                    "200": html_ok,
                    "404": ok(None, "Not found, deleted, or private.", content=HTML),
                    **errors(),
                },
                security=NONE,
                parameters=[path_param("slug", {"type": "string"}, "The image slug.")],
            )
        },
        "/media/{filename}": {
            "get": _media_op("media", "The direct link: the published image", head=False),
            "head": _media_op("mediaHead", "Headers of the direct link", head=True),
        },
        "/media/thumb/{filename}": {
            "get": _media_op("thumb", "The thumbnail", head=False),
            "head": _media_op("thumbHead", "Headers of the thumbnail", head=True),
        },
        "/delete/{imageId}": {
            "post": op(
                PUBLIC,
                "deleteForm",
                "The confirmation page's form target (works without JavaScript)",
                {
                    "200": ok(None, "Deleted (an HTML page).", rate=True, content=HTML),
                    **{
                        str(s): ok(None, _ERROR_MEANING[s], rate=True, content=HTML)
                        for s in (401, 403, 404)
                    },
                    **errors(429, rate=True),
                },
                security=NONE,
                parameters=[path_param("imageId", {"type": "string"}, "The image's UUID.")],
                body={
                    "application/x-www-form-urlencoded": {
                        "schema": obj({"token": STRING}),
                    }
                },
            )
        },
    }


def _page_paths() -> dict[str, Any]:
    see_other = {
        "description": "Sign in first (or, on /login and /signup, already signed in).",
        "headers": {
            "Location": {"required": True, "schema": {"type": "string"}},
        },
    }
    html_ok = ok(None, "An HTML page.", content=HTML)

    def page(operation_id: str, summary: str, **extra: Any) -> dict[str, Any]:
        responses = {"200": html_ok, **extra.pop("responses", {}), **errors()}
        return {"get": op(PAGES, operation_id, summary, responses, security=NONE, **extra)}

    return {
        "/": page("uploadPage", "Upload (guests and signed-in users)"),
        "/login": page(
            "loginPage",
            "Sign-in form",
            responses={"303": see_other},
            parameters=[query("next", {"type": "string"}, "Same-site path to go to after.")],
        ),
        "/signup": page(
            "signupPage",
            "Sign-up form",
            responses={"303": see_other},
            parameters=[query("next", {"type": "string"}, "Same-site path to go to after.")],
        ),
        "/gallery": page(
            "galleryPage",
            "Your images",
            responses={"303": see_other},
            parameters=[query("page", {"type": "integer"}, "Page number.")],
        ),
        "/albums": page("albumsPage", "Your albums", responses={"303": see_other}),
        "/albums/{albumId}": page(
            "albumPage",
            "An album",
            responses={"404": ok(None, "Not a UUID.", content=HTML)},
            parameters=[
                path_param("albumId", {"type": "string"}, "The album's UUID."),
                query("page", {"type": "integer"}, "Page number."),
            ],
        ),
        "/settings": page("settingsPage", "Settings and API keys", responses={"303": see_other}),
        "/admin": page(
            "adminPage",
            "The operator's dashboard",
            responses={
                "303": see_other,
                "403": ok(None, "Signed in without the admin role.", content=HTML),
            },
        ),
    }


def _version() -> str:
    try:
        return metadata.version("imgtree")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def build_document(base_url: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document, its server being this deployment's base URL."""
    paths = {**_v1_paths(), **_session_paths(), **_admin_paths(), **_public_paths()}
    paths.update(_page_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "imgtree",
            "version": _version(),
            "summary": "Self-hostable image host",
            "description": "The v1 Bearer API (`/api/v1/*`) is the stable surface for third "
            "parties. The session API powers the web app (cookie + `X-CSRF-Token` on unsafe "
            "methods); the admin API needs the admin role. Every error is "
            '`{"success": false, "error": "..."}`. Live limits: `GET /api/v1/upload`.',
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [{"url": base_url, "description": "This deployment"}],
        "tags": [
            {"name": V1, "description": "The Bearer API-key API (stable, for integrations)."},
            {"name": SESSION, "description": "The web app's cookie-session API."},
            {"name": GUEST, "description": "Uploads without an account."},
            {"name": ADMIN, "description": "The operator API (admin role)."},
            {"name": PUBLIC, "description": "Public pages, media and delete links."},
            {"name": PAGES, "description": "The browser app's HTML pages."},
        ],
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "responses": copy.deepcopy(RESPONSES),
            "parameters": copy.deepcopy(PARAMETERS),
            "headers": copy.deepcopy(HEADERS),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from Settings or `imgtree keys create` "
                    "(`imgt_<prefix>_<secret>`). Missing or invalid: 401; inactive account: 403.",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "imgtree_session",
                    "description": "Set by /api/auth/login and /api/auth/signup (HttpOnly).",
                },
                "csrfToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "The csrf_token from login, signup or /api/auth/me; required "
                    "on unsafe cookie-authenticated requests (missing or wrong: 403).",
                },
            },
        },
    }


@attrs.define
class OpenApiResource:
    """GET /api/v1/openapi.json: the document, built once per process."""

    base_url: str
    document: dict[str, Any] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.document = build_document(self.base_url)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.document

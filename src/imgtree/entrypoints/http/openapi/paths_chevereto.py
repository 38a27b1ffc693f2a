"""Chevereto API v1 compatibility (`POST /api/1/upload`), self-contained: its own tag, schemas
and responses, in Chevereto's shapes rather than imgtree's (docs/chevereto.md)."""

from __future__ import annotations

from typing import Any

from imgtree.domain.model import MAX_IMAGE_DESCRIPTION, MAX_IMAGE_TITLE
from imgtree.entrypoints.http.chevereto.form import FIELD_BYTES, FORMATS

CHEVERETO = "Chevereto compatibility"
CHEVERETO_TAG = {
    "name": CHEVERETO,
    "description": "Chevereto's API v1 upload, for ShareX's Chevereto preset, PicGo plugins "
    "and other Chevereto clients: the same API keys, limits and pipeline as /api/v1.",
}

_STRING: dict[str, Any] = {"type": "string"}
_URL: dict[str, Any] = {"type": "string", "format": "uri"}
_WHEN: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"}


def _closed(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _file(size: bool = False) -> dict[str, Any]:
    fields = {k: _STRING for k in ("filename", "name", "mime", "extension")}
    return _closed({**fields, "url": _URL, **({"size": {"type": "integer"}} if size else {})})


IMAGE = _closed(
    {
        "name": _STRING,
        "extension": _STRING,
        "size": {"type": "integer", "minimum": 0},
        "width": {"type": "integer", "minimum": 0},
        "height": {"type": "integer", "minimum": 0},
        "date": _WHEN,
        "date_gmt": _WHEN,
        "title": _STRING,
        "description": {"type": ["string", "null"]},
        "nsfw": {"type": "integer", "const": 0},
        "storage_mode": {"type": "string", "const": "direct"},
        "md5": {"type": "null", "description": "Not computed: imgtree hashes with SHA-256."},
        "source_md5": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "original_filename": _STRING,
        "views": {"type": "integer"},
        "expiration_date_gmt": {**_WHEN, "type": ["string", "null"]},
        "is_animated": {"type": "integer", "enum": [0, 1]},
        "id_encoded": _STRING,
        "filename": _STRING,
        "mime": _STRING,
        "ratio": {"type": "number"},
        "size_formatted": _STRING,
        "url": _URL,
        "url_viewer": _URL,
        "url_short": _URL,
        "image": _file(size=True),
        "thumb": _file(),
        "medium": _file(),
        "display_url": _URL,
        "display_width": {"type": "integer"},
        "display_height": {"type": "integer"},
        "delete_url": _URL,
        "views_label": _STRING,
        "how_long_ago": _STRING,
    }
)

UPLOADED = _closed(
    {
        "status_code": {"type": "integer", "const": 200},
        "success": _closed(
            {"message": _STRING, "code": {"type": "integer", "const": 200}},
        ),
        "image": IMAGE,
        "status_txt": {"type": "string", "const": "OK"},
    }
)

_QUOTA = _closed(
    {
        k: {"type": ["integer", "null"]}
        for k in ("used_bytes", "quota_bytes", "needed_bytes", "reserved_bytes")
    }
)

CHEVERETO_ERROR: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status_code": {"type": "integer"},
        "error": {
            "type": "object",
            "properties": {
                "message": _STRING,
                "code": {"type": "integer"},
                "context": _STRING,
                "quota": _QUOTA,
            },
            "required": ["message", "code", "context"],
            "additionalProperties": False,
        },
        "status_txt": _STRING,
    },
    "required": ["status_code", "error", "status_txt"],
    "additionalProperties": False,
}
# A database outage is answered by the app-wide handler, in imgtree's error shape.
IMGTREE_ERROR = {"$ref": "#/components/schemas/Error"}

_RETRY_AFTER = {"description": "Seconds to wait.", "schema": {"type": "integer"}}
_TEXT = {"text/plain": {"schema": _STRING}}


def _error(description: str, *, retry: bool = False, anyshape: bool = False) -> dict[str, Any]:
    schema = {"anyOf": [CHEVERETO_ERROR, IMGTREE_ERROR]} if anyshape else CHEVERETO_ERROR
    out: dict[str, Any] = {
        "description": f"{description} (format=txt or redirect: the message as text).",
        "content": {"application/json": {"schema": schema}, **_TEXT},
    }
    if retry:
        out["headers"] = {"Retry-After": _RETRY_AFTER}
    return out


def _fields(source: dict[str, Any]) -> dict[str, Any]:
    text = {k: {"type": "string", "maxLength": FIELD_BYTES[k]} for k in FIELD_BYTES}
    text["format"] = {"type": "string", "enum": list(FORMATS)}
    text["title"] = {"type": "string", "maxLength": MAX_IMAGE_TITLE}
    text["description"] = {"type": "string", "maxLength": MAX_IMAGE_DESCRIPTION}
    text["album_id"] = {"type": "string", "format": "uuid"}
    text["expiration"] = {"type": "string", "examples": ["PT5M", "P1D", "P1Y"]}
    return {"type": "object", "properties": {"source": source, **text}, "required": ["source"]}


BASE64 = {"type": "string", "description": "The image as base64 (or a data: URL)."}


def chevereto_paths() -> dict[str, Any]:
    return {
        "/api/1/upload": {
            "post": {
                "tags": [CHEVERETO],
                "operationId": "cheveretoUploadImage",
                "summary": "Upload one image as Chevereto's API v1 does",
                "description": "The key: the `X-API-Key` header, or a `key` field (body or "
                "query string); a key needs the upload scope (and albums for `album_id`). "
                "`source`: a file part, or base64 text; a URL is refused (400). Every field "
                "may also be sent in the query string. `format`: json (default), txt (the "
                "direct URL as text) or redirect (302 to the image page). `nsfw`, `tags`, "
                "`category_id` and `width` are accepted and ignored.",
                "security": [],
                "parameters": [
                    {
                        "name": "X-API-Key",
                        "in": "header",
                        "required": False,
                        "schema": _STRING,
                        "description": "The API key (or send `key`).",
                    },
                    {
                        "name": "key",
                        "in": "query",
                        "required": False,
                        "schema": _STRING,
                        "description": "The API key (or send X-API-Key).",
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(FORMATS)},
                    },
                ],
                "requestBody": {
                    "required": False,
                    "content": {
                        "multipart/form-data": {
                            "schema": _fields(
                                {"anyOf": [{"type": "string", "format": "binary"}, BASE64]}
                            )
                        },
                        "application/x-www-form-urlencoded": {"schema": _fields(BASE64)},
                        "application/json": {"schema": _fields(BASE64)},
                    },
                },
                "responses": {
                    "200": {
                        "description": "Uploaded (format=txt: the direct URL as text).",
                        "content": {"application/json": {"schema": UPLOADED}, **_TEXT},
                    },
                    "302": {
                        "description": "Uploaded, format=redirect: to the image page.",
                        "headers": {"Location": {"schema": _URL}},
                    },
                    "400": _error("Bad input; no key (code 100), no source (code 130)"),
                    "401": _error("Invalid, expired or revoked key (code 100)"),
                    "403": _error("The key lacks the upload (or albums) scope"),
                    "404": _error("album_id is not one of the key owner's albums"),
                    "411": _error("A multipart body without Content-Length"),
                    "413": _error("The file or the body is too large, or over quota"),
                    "415": _error("Not an image type imgtree takes, or an unknown body type"),
                    "422": _error("The file is not a valid image"),
                    "429": _error("Rate limited", retry=True),
                    "451": _error("The file was removed by the moderators"),
                    "503": _error(
                        "Storage, processing or database busy", retry=True, anyshape=True
                    ),
                },
            }
        }
    }

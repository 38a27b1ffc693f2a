"""Schema building blocks: references, closed objects, nullable types, the primitive schemas and
request parameters every other part of the document is assembled from."""

from __future__ import annotations

from typing import Any

from imgtree.domain.model import ImageFormat
from imgtree.entrypoints.http.openapi.limits import MAX_PAGE, PAGE_MAX_LIMIT

Schema = dict[str, Any]

IMAGE_TYPES = [t.value for t in ImageFormat]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A closed object: every listed property, the first group required, nothing else."""
    out: Schema = {"type": "object", "properties": {**required, **(optional or {})}}
    if required:
        out["required"] = list(required)
    out["additionalProperties"] = False
    return out


def one_spelling(*pairs: tuple[str, str], required: tuple[tuple[str, str], ...] = ()) -> Schema:
    """A field's two spellings (`isPublic`/`is_public`) never both: the app answers 400; of the
    pairs in `required`, one spelling must be there (neither: 400 too).

    Every such rule sits in one `not` beside a plain object's `properties`, never as a top-level
    `anyOf` of `required` alternatives: validators read it exactly, while client generators
    (which ignore `not`) see one object and make a real model of it instead of `Any`."""
    both = [*pairs, *(pair for pair in required if pair not in pairs)]
    forbidden: list[Schema] = [{"required": list(pair)} for pair in both]
    forbidden += [{"not": {"anyOf": [{"required": [name]} for name in pair]}} for pair in required]
    return {"not": {"anyOf": forbidden}}


def binary(media_type: str = "application/octet-stream") -> Schema:
    """Raw bytes: `format: binary` (what generators turn into a file or Blob type) beside 3.1's
    `contentMediaType` (what the bytes are)."""
    return {"type": "string", "format": "binary", "contentMediaType": media_type}


def binary_content(*media_types: str) -> dict[str, Any]:
    """A request or response body of raw bytes, one entry per media type."""
    return {t: {"schema": binary(t)} for t in media_types}


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
    "limit": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX_LIMIT},
    "total": NON_NEGATIVE,
    "has_more": BOOL,
}


def json_body(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}


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

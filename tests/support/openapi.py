"""The served OpenAPI document and a checker of responses against it.

`document(app)` fetches /api/v1/openapi.json; `Contract(doc).check(path, method, result)`
asserts that a falcon.testing result has a status the operation documents, its required
headers, a documented content type and (JSON) a body valid against the documented schema.
Used by tests/http/test_openapi.py and the authorisation matrix (tests/http/test_authz_matrix.py).
"""

from __future__ import annotations

from typing import Any

import attrs
import falcon.testing
import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.support.app import App

DOC_URI = "urn:imgtree:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document(app: App) -> dict[str, Any]:
    r = app.client.simulate_get("/api/v1/openapi.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@attrs.define
class Contract:
    doc: dict[str, Any]
    registry: Registry = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        resource = DRAFT202012.create_resource(self.doc)
        self.registry = Registry().with_resource(DOC_URI, resource)

    def response(self, template: str, method: str, status: int) -> tuple[str, dict[str, Any]]:
        """The documented response for this status, and its JSON pointer in the document."""
        item = self.doc["paths"][template]
        operation = item[method.lower()]
        documented = operation["responses"]
        assert str(status) in documented, (
            f"{method} {template} answered {status}, which is not documented "
            f"(documented: {sorted(documented)})"
        )
        pointer = "/" + "/".join(
            _escape(t) for t in ("paths", template, method.lower(), "responses", str(status))
        )
        found = documented[str(status)]
        if "$ref" in found:
            pointer = found["$ref"].removeprefix("#")
            name = pointer.rsplit("/", 1)[-1]
            found = self.doc["components"]["responses"][name]
        return pointer, found

    def check(self, template: str, method: str, result: falcon.testing.Result) -> None:
        pointer, documented = self.response(template, method, result.status_code)
        for name, header in documented.get("headers", {}).items():
            if "$ref" in header:
                header = self.doc["components"]["headers"][header["$ref"].rsplit("/", 1)[-1]]
            if header.get("required"):
                assert name.lower() in {h.lower() for h in result.headers}, (template, name)
        content = documented.get("content")
        if method.upper() == "HEAD":  # the GET's headers, never a body
            assert not result.content, f"HEAD {template}: a body"
            return
        if not content:
            assert not result.content, f"{method} {template}: undocumented body"
            return
        media_type = (result.headers.get("content-type") or "").split(";", 1)[0].strip()
        assert media_type in content, (template, method, media_type, sorted(content))
        if media_type != "application/json":
            return
        schema = {"$ref": f"{DOC_URI}#{pointer}/content/{_escape(media_type)}/schema"}
        validator = jsonschema.Draft202012Validator(
            schema,
            registry=self.registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        errors = sorted(validator.iter_errors(result.json), key=lambda e: list(e.path))
        assert not errors, f"{method} {template} {result.status_code}: " + "; ".join(
            f"{list(e.path)}: {e.message}" for e in errors[:5]
        )

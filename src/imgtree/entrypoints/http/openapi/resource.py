"""The Falcon resource serving the document."""

from __future__ import annotations

from typing import Any

import attrs
import falcon

from imgtree.entrypoints.http.openapi.document import build_document


@attrs.define
class OpenApiResource:
    """GET /api/v1/openapi.json: the document, built once per process."""

    base_url: str
    document: dict[str, Any] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.document = build_document(self.base_url)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.document

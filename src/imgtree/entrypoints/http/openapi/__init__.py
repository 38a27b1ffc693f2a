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

Layout: `builders` (schema helpers), `limits` (numbers from the domain's policies and rules),
`schemas` (components/schemas), `components` (shared headers, error responses, parameters),
`operations` (tags, security, `op`/`ok`/`errors`), one `paths_*` module per surface (`v1`,
`session`, `guest`, `admin`, `public`), `document` (assembly) and `resource` (the Falcon
resource).
"""

from imgtree.entrypoints.http.openapi.document import build_document
from imgtree.entrypoints.http.openapi.resource import OpenApiResource

__all__ = ["OpenApiResource", "build_document"]

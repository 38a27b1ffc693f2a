"""The whole document: info, servers, tags, every surface's paths and the components."""

from __future__ import annotations

import copy
from importlib import metadata
from typing import Any

from imgtree.entrypoints.http.openapi.components import HEADERS, PARAMETERS, RESPONSES
from imgtree.entrypoints.http.openapi.operations import ADMIN, GUEST, PAGES, PUBLIC, SESSION, V1
from imgtree.entrypoints.http.openapi.paths_admin import admin_paths
from imgtree.entrypoints.http.openapi.paths_chevereto import CHEVERETO_TAG, chevereto_paths
from imgtree.entrypoints.http.openapi.paths_guest import guest_paths
from imgtree.entrypoints.http.openapi.paths_ops import OPERATIONS_TAG, ops_paths
from imgtree.entrypoints.http.openapi.paths_public import page_paths, public_paths
from imgtree.entrypoints.http.openapi.paths_session import session_paths
from imgtree.entrypoints.http.openapi.paths_v1 import v1_paths
from imgtree.entrypoints.http.openapi.schemas import SCHEMAS


def _version() -> str:
    try:
        return metadata.version("imgtree")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def build_document(base_url: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document, its server being this deployment's base URL."""
    paths = {
        **v1_paths(),
        **session_paths(),
        **guest_paths(),
        **admin_paths(),
        **public_paths(),
        **page_paths(),
        **ops_paths(),
        **chevereto_paths(),
    }
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
            OPERATIONS_TAG,
            CHEVERETO_TAG,
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
                    "(`imgt_<prefix>_<secret><checksum>`). Missing, invalid, revoked or "
                    "expired: 401; inactive account, or a key without the operation's scope "
                    "(upload: upload, presign, complete; images:read: list; images:delete: "
                    "delete by id; albums: an albumId target; admin: /api/admin/*): 403.",
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

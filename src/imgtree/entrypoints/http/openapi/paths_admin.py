"""The admin surface (`/api/admin/*`): an admin session or an admin's API key."""

from __future__ import annotations

from typing import Any

from imgtree.entrypoints.http.openapi.builders import UUID, json_body, path_param, query, ref
from imgtree.entrypoints.http.openapi.components import PAGE_PARAMS
from imgtree.entrypoints.http.openapi.operations import (
    ADMIN,
    ADMIN_READ,
    ADMIN_WRITE,
    errors,
    ok,
    op,
)


def admin_paths() -> dict[str, Any]:
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
        "/api/admin/users/{userId}/sessions": {
            "delete": op(
                ADMIN,
                "adminEndUserSessions",
                "Sign a user out everywhere: end all their sessions (audited)",
                {"200": ok("Revoked", "How many sessions ended."), **errors(400, 401, 403, 404)},
                security=ADMIN_WRITE,
                parameters=[path_param("userId", UUID, "The user's id (not a UUID: 400).")],
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

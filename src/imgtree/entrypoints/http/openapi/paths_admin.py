"""The admin surface (`/api/admin/*`): an admin session or an admin's API key."""

from __future__ import annotations

from typing import Any

from imgtree.entrypoints.http.openapi.builders import UUID, json_body, path_param, query, ref
from imgtree.entrypoints.http.openapi.components import PAGE_PARAMS
from imgtree.entrypoints.http.openapi.operations import (
    ADMIN,
    ADMIN_READ,
    ADMIN_WRITE,
    NONE,
    PUBLIC,
    errors,
    ok,
    op,
)

IMAGE_ID = path_param("imageId", UUID, "The image's id (not a UUID: 400).")


def moderation_paths() -> dict[str, Any]:
    """Moderation (docs/decisions.md, "Moderation"): every action is audited."""
    visibility = {"200": ok("ModerationHidden"), **errors(400, 401, 403, 404)}
    return {
        "/api/admin/images": {
            "get": op(
                ADMIN,
                "adminListImages",
                "Every live image (guests' and hidden ones too), newest first",
                {"200": ok("ModeratedImagePage"), **errors(400, 401, 403)},
                security=ADMIN_READ,
                parameters=[
                    query("search", {"type": "string"}, "In the title, file name or slug."),
                    query(
                        "owner",
                        {
                            "type": "string",
                            "pattern": "^(guest|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                            "[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
                        },
                        "A user id, or `guest`.",
                    ),
                    query("reported", {"type": "boolean"}, "Only images with open reports."),
                    *PAGE_PARAMS,
                ],
            )
        },
        "/api/admin/images/{imageId}": {
            "delete": op(
                ADMIN,
                "adminDeleteImage",
                "Remove an image (soft delete, purged later), closing its reports; with "
                "`block`, its content can never be uploaded again",
                {"200": ok("ModerationDeleted"), **errors(400, 401, 403, 404)},
                security=ADMIN_WRITE,
                parameters=[IMAGE_ID],
                body=json_body(ref("ModerationDelete")),
                body_required=False,
            )
        },
        "/api/admin/images/{imageId}/hide": {
            "post": op(
                ADMIN,
                "adminHideImage",
                "Hide an image: not found for everyone but admins (its owner included)",
                visibility,
                security=ADMIN_WRITE,
                parameters=[IMAGE_ID],
            )
        },
        "/api/admin/images/{imageId}/unhide": {
            "post": op(
                ADMIN,
                "adminUnhideImage",
                "Show a hidden image again",
                dict(visibility),
                security=ADMIN_WRITE,
                parameters=[IMAGE_ID],
            )
        },
        "/api/admin/reports": {
            "get": op(
                ADMIN,
                "adminListReports",
                "The report queue: images with open reports, each with its reports",
                {"200": ok("ReportQueue"), **errors(400, 401, 403)},
                security=ADMIN_READ,
                parameters=PAGE_PARAMS,
            )
        },
        "/api/admin/reports/{reportId}/dismiss": {
            "post": op(
                ADMIN,
                "adminDismissReport",
                "Close a report without acting on the image",
                {"200": ok("ReportDismissed"), **errors(400, 401, 403, 404)},
                security=ADMIN_WRITE,
                parameters=[path_param("reportId", UUID, "The report's id (not a UUID: 400).")],
            )
        },
        "/api/admin/blocked": {
            "get": op(
                ADMIN,
                "adminBlockedHashes",
                "The content-hash block list, the most recently blocked first",
                {"200": ok("BlockedHashPage"), **errors(400, 401, 403)},
                security=ADMIN_READ,
                parameters=PAGE_PARAMS,
            )
        },
        "/api/admin/blocked/{sha256}": {
            "delete": op(
                ADMIN,
                "adminUnblockHash",
                "Take a digest off the block list: that content may be uploaded again",
                {"200": ok("BlockedHashRemoved"), **errors(400, 401, 403, 404)},
                security=ADMIN_WRITE,
                parameters=[
                    path_param(
                        "sha256",
                        {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                        "The SHA-256 digest (64 hex digits; anything else: 400; not listed: 404).",
                    )
                ],
                description="Audited as `image.unblock` on the image the digest came from.",
            )
        },
        "/i/{slug}/report": {
            "post": op(
                PUBLIC,
                "reportImage",
                "Report an image to the moderators (no account needed)",
                {
                    "201": ok("ReportRecorded", "Recorded."),
                    "200": ok("ReportRecorded", "Already reported from this address."),
                    **errors(400, 404, 429),
                },
                security=NONE,
                parameters=[path_param("slug", {"type": "string"}, "The image slug.")],
                body=json_body(ref("ReportCreate")),
                description="Limited per client address (IMGTREE_REPORT_LIMIT_PER_HOUR); "
                "anyone who may see the image may report it.",
            )
        },
    }


def admin_paths() -> dict[str, Any]:
    return {
        **moderation_paths(),
        "/api/admin/stats": {
            "get": op(
                ADMIN,
                "adminGetStats",
                "Aggregated statistics",
                {"200": ok("AdminStats"), **errors(401, 403)},
                security=ADMIN_READ,
            )
        },
        "/api/admin/users": {
            "get": op(
                ADMIN,
                "adminListUsers",
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
                "adminListAudit",
                "The audit log of admin changes, newest first",
                {"200": ok("AuditPage"), **errors(400, 401, 403)},
                security=ADMIN_READ,
                parameters=PAGE_PARAMS,
            )
        },
    }

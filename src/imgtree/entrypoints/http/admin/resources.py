"""/api/admin/stats, /api/admin/users, /api/admin/users/{id}[/sessions], /api/admin/audit.

Callable from the admin page (session cookie + CSRF) or from scripts (an admin's API key).
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import falcon

from imgtree.domain.errors import InvalidInput, NothingToChange
from imgtree.domain.model import AuditEntry, Scope, User
from imgtree.domain.use_cases.admin import Admin, AdminStats
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.commands import USER_NOTHING_TO_CHANGE, user_changes
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.requests import parse_uuid, query_param, read_json_object
from imgtree.entrypoints.http.session.guard import SessionGuard
from imgtree.entrypoints.http.v1.images import query_int


@attrs.define
class AdminAuth:
    guard: SessionGuard
    guards: Guards

    def actor(self, req: falcon.Request) -> User:
        """The signed-in user (session, with CSRF on writes) or the API key's owner."""
        if self.guard.token(req) and not req.get_header("Authorization"):
            return self.guard.require(req).user
        return self.guards.api_key(req, Scope.ADMIN).user


def admin_user(u: User) -> dict[str, Any]:
    return {
        **presenters.user(u),
        "used_bytes": u.used_bytes,
        "remaining_bytes": u.remaining_bytes,
    }


def stats_body(stats: AdminStats) -> dict[str, Any]:
    s = stats.images
    running = 0
    storage_over_time = []
    for day, _count, added in s.per_day:
        running += added
        storage_over_time.append({"day": day, "bytes_uploaded_cumulative": running})
    return {
        "success": True,
        "users": stats.users,
        "active_users": stats.active_users,
        "images": s.images,
        "bytes_stored": s.bytes_stored,
        "bytes_in_storage": s.bytes_in_storage,
        "uploads": {"last_24h": s.uploads_24h, "last_7d": s.uploads_7d, "last_30d": s.uploads_30d},
        "guest_uploads": s.guest_uploads,
        "account_uploads": s.account_uploads,
        "by_type": s.by_type,
        "top_uploaders": [
            {"id": str(uid), "email": email, "images": n, "bytes": b}
            for uid, email, n, b in s.top_uploaders
        ],
        "pending_presigns": stats.pending_presigns,
        "uploads_per_day": [{"day": d, "uploads": n, "bytes": b} for d, n, b in s.per_day],
        "storage_over_time": storage_over_time,
    }


def audit_entry(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "actor_id": str(e.actor_id) if e.actor_id else None,
        "action": e.action,
        "target_id": str(e.target_id) if e.target_id else None,
        "details": json.loads(e.details),
        "created_at": e.created_at.isoformat().replace("+00:00", "Z"),
    }


@attrs.define
class StatsResource:
    admin: Admin
    auth: AdminAuth

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = stats_body(self.admin.stats(self.auth.actor(req)))


@attrs.define
class UsersResource:
    admin: Admin
    auth: AdminAuth

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self.admin.users(
            self.auth.actor(req),
            query=query_param(req, "q"),
            page=query_int(req, "page"),
            limit=query_int(req, "limit"),
        )
        resp.media = {
            "success": True,
            "users": [admin_user(u) for u in page.items],
            **presenters.paging(page),
        }


@attrs.define
class UserResource:
    admin: Admin
    auth: AdminAuth

    def on_patch(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        actor = self.auth.actor(req)
        changes = user_changes(read_json_object(req))
        try:
            user = self.admin.update_user(actor, parse_uuid(user_id, "userId"), changes)
        except NothingToChange:
            raise InvalidInput(USER_NOTHING_TO_CHANGE) from None
        resp.media = {"success": True, "user": admin_user(user)}


@attrs.define
class UserSessionsResource:
    admin: Admin
    auth: AdminAuth

    def on_delete(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        count = self.admin.end_sessions(self.auth.actor(req), parse_uuid(user_id, "userId"))
        resp.media = {"success": True, "revoked": count}


@attrs.define
class AuditResource:
    admin: Admin
    auth: AdminAuth

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self.admin.audit_log(
            self.auth.actor(req), page=query_int(req, "page"), limit=query_int(req, "limit")
        )
        resp.media = {
            "success": True,
            "entries": [audit_entry(e) for e in page.items],
            **presenters.paging(page),
        }

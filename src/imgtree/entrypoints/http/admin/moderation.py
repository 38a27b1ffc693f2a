"""Moderation routes: /api/admin/images[/{id}[/hide|/unhide]], /api/admin/reports[/{id}/dismiss],
/api/admin/blocked[/{sha256}] (admin session with CSRF, or an admin's API key) and the public
POST /i/{slug}/report."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

import attrs
import falcon

from imgtree.domain.commands import ModerationQuery
from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import BlockedHash, Report
from imgtree.domain.use_cases.moderation import (
    ModeratedImage,
    Moderation,
    ReportedImage,
    report_reason,
)
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.admin.resources import AdminAuth
from imgtree.entrypoints.http.requests import (
    parse_uuid,
    query_param,
    rate_limit_client,
    read_json_object,
)
from imgtree.entrypoints.http.session.guard import SessionGuard
from imgtree.entrypoints.http.v1.images import query_int

_TRUE = ("true", "1", "yes")


def moderated_image(urls: presenters.Urls, m: ModeratedImage) -> dict[str, Any]:
    i = m.image
    return {
        "id": str(i.id),
        "slug": i.slug,
        "title": i.title,
        "original_name": i.original_name,
        "url": urls.page(i),
        "direct_url": urls.direct(i),
        "thumb_url": urls.thumb(i),
        "owner": {"id": str(m.owner.id), "email": m.owner.email} if m.owner else None,
        "size_bytes": i.size_bytes,
        "content_type": i.content_type.value,
        "created_at": presenters.timestamp(i.created_at),
        "visibility": i.visibility.value,
        "uploader_hash": i.uploader_hash,
        "reports": m.open_reports,
        "hidden": i.hidden,
    }


def report_body(r: Report) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "reason": r.reason.value,
        "text": r.text,
        "reporter_hash": r.reporter_hash,
        "created_at": presenters.timestamp(r.created_at),
    }


def _flag(req: falcon.Request, name: str) -> bool:
    raw = (query_param(req, name) or "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in _TRUE:
        return True
    raise InvalidInput(f"{name} must be true or false")


def moderation_query(req: falcon.Request) -> ModerationQuery:
    """`search`, `owner` (a user id, or `guest`), `reported=true`."""
    owner = (query_param(req, "owner") or "").strip()
    guests = owner.lower() == "guest"
    return ModerationQuery(
        text=query_param(req, "search") or "",
        owner_id=parse_uuid(owner, "owner") if owner and not guests else None,
        guests_only=guests,
        reported_only=_flag(req, "reported"),
    )


@attrs.define
class AdminImagesResource:
    moderation: Moderation
    auth: AdminAuth
    urls: presenters.Urls

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = moderation_query(req)
        page = self.moderation.images(
            self.auth.actor(req), query, page=query_int(req, "page"), limit=query_int(req, "limit")
        )
        resp.media = {
            "success": True,
            "images": [moderated_image(self.urls, m) for m in page.items],
            **presenters.paging(page),
        }


@attrs.define
class AdminImageResource:
    moderation: Moderation
    auth: AdminAuth

    def on_delete(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        actor = self.auth.actor(req)
        doc = read_json_object(req) if req.content_length else {}
        block, reason = doc.get("block", False), doc.get("reason", "")
        if not isinstance(block, bool):
            raise InvalidInput("block must be true or false")
        if not isinstance(reason, str):
            raise InvalidInput("reason must be a string")
        image, blocked = self.moderation.delete(
            actor, parse_uuid(image_id, "imageId"), block=block, reason=reason
        )
        resp.media = {"success": True, "id": str(image.id), "blocked_hashes": list(blocked)}


@attrs.define
class AdminImageVisibilityResource:
    moderation: Moderation
    auth: AdminAuth
    hidden: bool

    def on_post(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        image = self.moderation.set_hidden(
            self.auth.actor(req), parse_uuid(image_id, "imageId"), self.hidden
        )
        resp.media = {"success": True, "id": str(image.id), "hidden": image.hidden}


def reported_image(urls: presenters.Urls, r: ReportedImage) -> dict[str, Any]:
    i = r.image
    return {
        "image_id": str(r.image_id),
        "image": None
        if i is None
        else {
            "slug": i.slug,
            "url": urls.page(i),
            "thumb_url": urls.thumb(i),
            "owner_id": str(i.owner_id) if i.owner_id else None,
            "hidden": i.hidden,
            "deleted": i.deleted,
        },
        "reports": [report_body(x) for x in r.reports],
    }


def blocked_hash(b: BlockedHash) -> dict[str, Any]:
    return {
        "sha256": b.sha256,
        "reason": b.reason,
        "image_id": str(b.image_id) if b.image_id else None,
        "created_at": presenters.timestamp(b.created_at),
    }


@attrs.define
class AdminBlockedResource:
    """GET /api/admin/blocked: the content-hash block list, the most recently blocked first."""

    moderation: Moderation
    auth: AdminAuth

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self.moderation.blocked(
            self.auth.actor(req), page=query_int(req, "page"), limit=query_int(req, "limit")
        )
        resp.media = {
            "success": True,
            "blocked": [blocked_hash(b) for b in page.items],
            **presenters.paging(page),
        }


@attrs.define
class AdminBlockedHashResource:
    """DELETE /api/admin/blocked/{sha256}: take a digest off the list (audited; 404 when it
    is not on it), so that content may be uploaded again."""

    moderation: Moderation
    auth: AdminAuth

    def on_delete(self, req: falcon.Request, resp: falcon.Response, sha256: str) -> None:
        removed = self.moderation.unblock(self.auth.actor(req), sha256)
        resp.media = {"success": True, "unblocked": blocked_hash(removed)}


@attrs.define
class AdminReportsResource:
    moderation: Moderation
    auth: AdminAuth
    urls: presenters.Urls

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self.moderation.reports(
            self.auth.actor(req), page=query_int(req, "page"), limit=query_int(req, "limit")
        )
        resp.media = {
            "success": True,
            "images": [reported_image(self.urls, r) for r in page.items],
            **presenters.paging(page),
        }


@attrs.define
class AdminReportDismissResource:
    moderation: Moderation
    auth: AdminAuth

    def on_post(self, req: falcon.Request, resp: falcon.Response, report_id: str) -> None:
        report = self.moderation.dismiss(self.auth.actor(req), parse_uuid(report_id, "reportId"))
        resp.media = {"success": True, "id": str(report.id), "dismissed": True}


@attrs.define
class ReportImageResource:
    """POST /i/{slug}/report: anyone who can see the image, no account; JSON only (a
    cross-site form cannot send it without a CORS preflight, which is never granted)."""

    moderation: Moderation
    guard: SessionGuard
    trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = ()

    def on_post(self, req: falcon.Request, resp: falcon.Response, slug: str) -> None:
        doc = read_json_object(req)
        text = doc.get("text", "")
        if not isinstance(text, str):
            raise InvalidInput("text must be a string")
        context = self.guard.optional(req)
        recorded = self.moderation.report(
            slug,
            reason=report_reason(doc.get("reason")),
            text=text,
            address=rate_limit_client(req, self.trusted_proxies),
            viewer=context.user if context else None,
        )
        resp.status = 201 if recorded else 200
        resp.media = {"success": True, "recorded": recorded}

"""/api/keys: the signed-in user's API keys, and a ready-made ShareX uploader (.sxcu)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import attrs
import falcon

from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import Scope
from imgtree.domain.use_cases.keys import CreateApiKey, ListApiKeys, RevokeApiKey
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import parse_uuid, read_json_object
from imgtree.entrypoints.http.session.guard import SessionGuard


def requested_scopes(doc: dict[str, Any]) -> list[object] | None:
    """`scopes`: a list of scope names, or absent/null for every scope the account allows."""
    scopes = doc.get("scopes")
    if scopes is None:
        return None
    if not isinstance(scopes, list):
        raise InvalidInput("scopes must be a list of scope names")
    return scopes


def requested_expiry(doc: dict[str, Any]) -> datetime | None:
    """`expires_at` (alias `expiresAt`): ISO 8601, or absent/null for a key that never
    expires. A time without an offset is UTC."""
    raw = doc.get("expires_at", doc.get("expiresAt"))
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 64:
        raise InvalidInput("expires_at must be an ISO 8601 date-time or null")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("expires_at must be an ISO 8601 date-time or null") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def host_name(base_url: str) -> str:
    return urlsplit(base_url).netloc or "imgtree"


def sharex_config(base_url: str, secret: str) -> dict[str, Any]:
    """A ShareX custom uploader (Version 14+ syntax: {json:...} expressions), named after
    this host so several instances stay apart in ShareX's list."""
    return {
        "Version": "14.0.0",
        "Name": host_name(base_url),
        "DestinationType": "ImageUploader",
        "RequestMethod": "POST",
        "RequestURL": f"{base_url}/api/v1/upload",
        "Headers": {"Authorization": f"Bearer {secret}"},
        "Body": "MultipartFormData",
        "FileFormName": "file",
        "URL": "{json:images[0].url}",
        "ThumbnailURL": "{json:images[0].thumb_url}",
        "DeletionURL": "{json:images[0].delete_url}",
        "ErrorMessage": "{json:error}",
    }


@attrs.define
class KeysResource:
    create_key: CreateApiKey
    list_keys: ListApiKeys
    guard: SessionGuard

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        keys = self.list_keys(context.user.id)
        resp.media = {"success": True, "keys": [presenters.api_key(k) for k in keys]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        doc = read_json_object(req)
        name = doc.get("name")
        created = self.create_key(
            context.user.id,
            name if isinstance(name, str) else "",
            scopes=requested_scopes(doc),
            expires_at=requested_expiry(doc),
        )
        resp.status = falcon.HTTP_201
        resp.media = {"success": True, **presenters.api_key(created.key), "key": created.secret}


@attrs.define
class KeyResource:
    revoke_key: RevokeApiKey
    guard: SessionGuard

    def on_delete(self, req: falcon.Request, resp: falcon.Response, key_id: str) -> None:
        context = self.guard.require(req)
        key = self.revoke_key(parse_uuid(key_id, "keyId"), owner_id=context.user.id)
        resp.media = {"success": True, "id": str(key.id)}


@attrs.define
class ShareXConfigResource:
    """POST /api/keys/sharex: a new upload-only key named for ShareX and this host, inside a
    .sxcu file. Upload-only: the key sits in a config file on a desktop, so it must not list,
    delete or administer (the delete links it gets carry their own tokens and keep working)."""

    create_key: CreateApiKey
    guard: SessionGuard
    urls: Urls

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        doc = read_json_object(req) if req.content_length else {}
        host = host_name(self.urls.base)
        default_name = f"ShareX ({host})"
        name = doc.get("name") if isinstance(doc.get("name"), str) else default_name
        created = self.create_key(
            context.user.id, name or default_name, scopes=[Scope.UPLOAD.value]
        )
        resp.content_type = "application/json"
        resp.downloadable_as = f"{host.replace(':', '_')}.sxcu"
        resp.set_header("Cache-Control", "no-store")
        resp.text = json.dumps(sharex_config(self.urls.base, created.secret), indent=2)

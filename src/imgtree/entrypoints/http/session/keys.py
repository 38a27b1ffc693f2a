"""/api/keys: the signed-in user's API keys, and a ready-made ShareX uploader (.sxcu)."""

from __future__ import annotations

import json
from typing import Any

import attrs
import falcon

from imgtree.domain.use_cases.keys import CreateApiKey, ListApiKeys, RevokeApiKey
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import parse_uuid, read_json_object
from imgtree.entrypoints.http.session.guard import SessionGuard


def sharex_config(base_url: str, secret: str) -> dict[str, Any]:
    """A ShareX custom uploader (Version 14+ syntax: {json:...} expressions)."""
    return {
        "Version": "14.0.0",
        "Name": "imgtree",
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
        created = self.create_key(context.user.id, name if isinstance(name, str) else "")
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
    """POST /api/keys/sharex: a new key named for ShareX, delivered inside a .sxcu file."""

    create_key: CreateApiKey
    guard: SessionGuard
    urls: Urls

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        doc = read_json_object(req) if req.content_length else {}
        name = doc.get("name") if isinstance(doc.get("name"), str) else "ShareX"
        created = self.create_key(context.user.id, name or "ShareX")
        resp.content_type = "application/json"
        resp.downloadable_as = "imgtree.sxcu"
        resp.set_header("Cache-Control", "no-store")
        resp.text = json.dumps(sharex_config(self.urls.base, created.secret), indent=2)

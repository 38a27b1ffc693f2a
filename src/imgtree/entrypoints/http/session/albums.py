"""/api/albums and /api/albums/{id}: the signed-in user's albums; public albums for anyone."""

from __future__ import annotations

import attrs
import falcon

from imgtree.domain.use_cases.albums import Albums
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.commands import album_changes, album_order, new_album
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import parse_uuid, read_json_object
from imgtree.entrypoints.http.session.guard import SessionGuard, signed_in_or_none
from imgtree.entrypoints.http.v1.images import query_int


@attrs.define
class AlbumsResource:
    albums: Albums
    guard: SessionGuard
    urls: Urls

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        resp.media = {
            "success": True,
            "albums": [
                presenters.album(self.urls, s.album, s.image_count, cover=s.cover)
                for s in self.albums.list(context.user.id)
            ],
        }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        title, description, is_public = new_album(read_json_object(req))
        album = self.albums.create(context.user.id, title, description, is_public)
        resp.status = falcon.HTTP_201
        resp.media = {"success": True, "album": presenters.album(self.urls, album, 0)}


@attrs.define
class AlbumResource:
    albums: Albums
    guard: SessionGuard
    urls: Urls

    def on_get(self, req: falcon.Request, resp: falcon.Response, album_id: str) -> None:
        context = signed_in_or_none(self.guard, req)
        view = self.albums.view(
            parse_uuid(album_id, "albumId"),
            viewer_id=context.user.id if context else None,
            page=query_int(req, "page"),
            limit=query_int(req, "limit"),
        )
        listing = presenters.image_page(self.urls, view.images, owner_view=view.is_owner)
        for item, image in zip(listing["images"], view.images.items, strict=True):
            if view.is_locked(image):  # its own password, not entered: not even its colours
                item["blurhash"] = item["dominant_color"] = None
        resp.media = {
            **listing,
            "album": presenters.album(self.urls, view.album, view.images.total),
            "is_owner": view.is_owner,
        }

    def on_patch(self, req: falcon.Request, resp: falcon.Response, album_id: str) -> None:
        context = self.guard.require(req)
        changes = album_changes(read_json_object(req))
        album = self.albums.update(context.user.id, parse_uuid(album_id, "albumId"), changes)
        resp.media = {"success": True, "album": presenters.album(self.urls, album)}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, album_id: str) -> None:
        context = self.guard.require(req)
        self.albums.delete(context.user.id, parse_uuid(album_id, "albumId"))
        resp.media = {"success": True}


@attrs.define
class AlbumOrderResource:
    """PUT /api/albums/{id}/order: the owner arranges the album ({"image_ids": [...]}: every
    image in it, each once, first to last)."""

    albums: Albums
    guard: SessionGuard

    def on_put(self, req: falcon.Request, resp: falcon.Response, album_id: str) -> None:
        context = self.guard.require(req)
        ids = album_order(read_json_object(req))
        arranged = self.albums.arrange(context.user.id, parse_uuid(album_id, "albumId"), ids)
        resp.media = {"success": True, "image_ids": [str(i) for i in arranged]}

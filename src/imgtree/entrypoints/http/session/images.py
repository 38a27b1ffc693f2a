"""/api/images (the signed-in user's gallery) and /api/images/{id}: edit, delete, delete links.

/api/images/{id} serves three callers: the web app (PATCH/DELETE with the session), anyone
holding a delete_url (DELETE with ?token=), and a browser opening a delete_url (GET shows a
confirmation page and never deletes: ShareX opens DeletionURL in a browser, and chat apps
prefetch links).
"""

from __future__ import annotations

import attrs
import falcon

from imgtree.domain.errors import DomainError, InvalidInput, NothingToChange, RateLimited
from imgtree.domain.model import Image
from imgtree.domain.use_cases.bulk import BulkImages, BulkResult
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.edit_image import EditImage
from imgtree.domain.use_cases.list_images import ListImages
from imgtree.domain.use_cases.originals import DownloadOriginal
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.commands import (
    IMAGE_NOTHING_TO_CHANGE,
    bulk_album,
    bulk_ids,
    bulk_visibility,
    image_changes,
)
from imgtree.entrypoints.http.errors import status_of
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.misses import DELETE_LINK_MISSES, MissGuard, too_many
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import (
    image_query,
    optional_uuid,
    parse_uuid,
    query_param,
    read_json_object,
)
from imgtree.entrypoints.http.session.guard import SessionGuard
from imgtree.entrypoints.http.v1.images import query_int, send_original
from imgtree.entrypoints.http.web.render import render
from imgtree.entrypoints.http.web.strings import message


@attrs.define
class SessionImagesResource:
    list_images: ListImages
    guard: SessionGuard
    urls: Urls

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        page = self.list_images(
            context.user.id,
            page=query_int(req, "page"),
            limit=query_int(req, "limit"),
            album_id=optional_uuid(query_param(req, "albumId"), "albumId"),
            query=image_query(req),
        )
        resp.media = presenters.image_page(self.urls, page, owner_view=True)


@attrs.define
class ImageByIdResource:
    delete_image: DeleteImage
    edit_image: EditImage
    guard: SessionGuard
    guards: Guards
    urls: Urls
    # Delete links are public links: wrong ones count against the client's miss budget.
    misses: MissGuard | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        token = query_param(req, "token")
        try:
            if self.misses is not None:
                self.misses.check(req)
            image = self._checked(req, image_id, token)
        except RateLimited as exc:
            too_many(resp, exc)
            return
        except DomainError as exc:
            render(
                resp,
                "message.html",
                status=status_of(exc),
                heading=message("link_not_valid"),
                text=message("delete_link_invalid"),
            )
            return
        render(
            resp,
            "delete_confirm.html",
            image=image,
            token=token,
            thumb_url=self.urls.thumb(image),
            page_url=self.urls.page(image),
            no_store=True,
        )

    def _checked(self, req: falcon.Request, image_id: str, token: str | None) -> Image:
        try:
            return self.delete_image.check_token(parse_uuid(image_id, "imageId"), token)
        except DELETE_LINK_MISSES:
            if self.misses is not None:
                self.misses.miss(req)
            raise

    def on_patch(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        context = self.guard.require(req)
        changes = image_changes(read_json_object(req))
        try:
            image = self.edit_image(context.user.id, parse_uuid(image_id, "imageId"), changes)
        except NothingToChange:
            raise InvalidInput(IMAGE_NOTHING_TO_CHANGE) from None
        resp.media = {"success": True, "image": presenters.owned_image(self.urls, image)}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        token = query_param(req, "token")
        if token is None and self.guard.token(req):
            context = self.guard.require(req)
            image = self.delete_image.by_owner(context.user.id, parse_uuid(image_id, "imageId"))
        else:
            # Token deletes are rate limited: a delete token is a secret worth guessing.
            if self.misses is not None:
                self.misses.check(req)
            self.guards.rate_limit(req, resp, scope="delete")
            try:
                image = self.delete_image.by_token(parse_uuid(image_id, "imageId"), token)
            except DELETE_LINK_MISSES:
                if self.misses is not None:
                    self.misses.miss(req)
                raise
        resp.media = {"success": True, "id": str(image.id), "slug": image.slug}


def bulk_result(result: BulkResult) -> dict[str, object]:
    return {
        "results": [
            {"id": str(outcome.image_id), "status": outcome.status.value}
            for outcome in result.outcomes
        ],
        "succeeded": result.succeeded,
        "failed": result.failed,
    }


@attrs.define
class BulkImagesResource:
    """POST /api/images/bulk/{delete,move,visibility}: one action on up to 100 ids at once.
    Always 200 with one result per id (in the order sent) once the request itself is valid."""

    bulk_images: BulkImages
    guard: SessionGuard
    action: str  # "delete", "move" or "visibility": one route each

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        owner_id = self.guard.require(req).user.id
        doc = read_json_object(req)
        ids = bulk_ids(doc)
        if self.action == "delete":
            result = self.bulk_images.delete(owner_id, ids)
        elif self.action == "move":
            result = self.bulk_images.move(owner_id, ids, bulk_album(doc))
        else:
            result = self.bulk_images.set_visibility(owner_id, ids, bulk_visibility(doc))
        resp.media = bulk_result(result)


@attrs.define
class SessionOriginalResource:
    """GET /api/images/{image_id}/original: the signed-in owner's kept original (a download)."""

    download_original: DownloadOriginal
    guard: SessionGuard

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        context = self.guard.require(req)
        send_original(
            resp, self.download_original(context.user.id, parse_uuid(image_id, "imageId"))
        )

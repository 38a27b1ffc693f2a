"""/api/v1/images: list the key owner's images; delete one by UUID."""

from __future__ import annotations

import attrs
import falcon

from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import Scope
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.list_images import ListImages
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import parse_uuid, query_param


def query_int(req: falcon.Request, name: str) -> int | None:
    raw = query_param(req, name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer") from None


@attrs.define
class ImagesResource:
    list_images: ListImages
    guards: Guards
    urls: Urls

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        auth = self.guards.api_key(req, Scope.IMAGES_READ)
        page = self.list_images(
            auth.user.id, page=query_int(req, "page"), limit=query_int(req, "limit")
        )
        resp.media = presenters.image_page(self.urls, page)


@attrs.define
class ImageResource:
    delete_image: DeleteImage
    guards: Guards

    def on_delete(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        auth = self.guards.api_key(req, Scope.IMAGES_DELETE)
        image = self.delete_image.by_owner(auth.user.id, parse_uuid(image_id, "imageId"))
        resp.media = {"success": True, "id": str(image.id), "slug": image.slug}

"""/api/v1/images: list the key owner's images; delete one by UUID; fetch a kept original."""

from __future__ import annotations

from urllib.parse import quote

import attrs
import falcon

from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import Scope
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.list_images import ListImages
from imgtree.domain.use_cases.originals import DownloadOriginal, Original
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import image_query, parse_uuid, query_param


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
            auth.user.id,
            page=query_int(req, "page"),
            limit=query_int(req, "limit"),
            query=image_query(req),
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


def send_original(resp: falcon.Response, original: Original) -> None:
    """The kept original as a download: never rendered inline, never cached by a proxy."""
    image = original.image
    stem = image.original_name.rsplit(".", 1)[0] or image.slug
    name = f"{stem}.{original.content_type.extension}"
    resp.content_type = original.content_type.value
    resp.set_header("Cache-Control", "private, no-store")
    resp.set_header("X-Content-Type-Options", "nosniff")
    resp.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
    # The client's file name, reduced to what a header can carry safely (RFC 6266 fallback
    # plus the UTF-8 form): quotes, backslashes and control characters never reach it.
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    resp.set_header(
        "Content-Disposition",
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}",
    )
    resp.content_length = original.size
    resp.stream = original.data


@attrs.define
class OriginalResource:
    """GET /api/v1/images/{image_id}/original: the uploaded HEIC/AVIF (IMGTREE_KEEP_ORIGINALS)."""

    download_original: DownloadOriginal
    guards: Guards

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        auth = self.guards.api_key(req, Scope.IMAGES_READ)
        send_original(resp, self.download_original(auth.user.id, parse_uuid(image_id, "imageId")))

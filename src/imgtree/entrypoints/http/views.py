"""Middleware: counts page views and media hits for the ViewCounter (batched writes).

Counted after the response is decided, from the path and the status: `GET /i/{slug}` answered
200 is a page view; `GET /media/{slug}.{ext}` or a rendition `/media/{size}/{slug}.{ext}`
answered 200 or 304 (a browser showing its cached copy) is a media hit. Thumbnails, HEAD,
partial (206) and refused requests are not counted. Media a public bucket or CDN serves
never reaches the app and is not counted (docs/decisions.md, "View counts").
"""

from __future__ import annotations

import re

import falcon

from imgtree.domain.services import ViewCounter

_PAGE = re.compile(r"^/i/([a-z0-9]{4,32})$")
_MEDIA = re.compile(r"^/media/(?:([a-z0-9]{1,16})/)?([a-z0-9]{4,32})\.[a-z0-9]{3,4}$")


class CountViews:
    def __init__(self, counter: ViewCounter) -> None:
        self._counter = counter

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        if req.method != "GET" or not req_succeeded:
            return
        status = resp.status_code
        path = req.path
        if path.startswith("/i/"):
            page = _PAGE.match(path)
            if page and status == 200:
                self._counter.page_view(page.group(1))
        elif path.startswith("/media/"):
            media = _MEDIA.match(path)
            if media and status in (200, 304) and media.group(1) != "thumb":
                self._counter.media_hit(media.group(2))

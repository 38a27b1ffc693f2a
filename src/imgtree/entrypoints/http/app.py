"""create_app(container) -> falcon.App: middleware, error handlers and routes in one place."""

from __future__ import annotations

from pathlib import Path

import falcon
import falcon.media

from imgtree.entrypoints.container import Container
from imgtree.entrypoints.http import errors
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.public import (
    DeleteFormResource,
    DeleteLinkResource,
    ImagePage,
    IndexPage,
    MediaResource,
)
from imgtree.entrypoints.http.v1.images import ImageResource, ImagesResource
from imgtree.entrypoints.http.v1.presign import PresignFlow, PutTarget, V1Complete, V1Presign
from imgtree.entrypoints.http.v1.upload import UploadResource

STATIC_DIR = Path(__file__).parent / "web" / "static"


class SecurityHeaders:
    """Headers every response carries; API responses are never cached by intermediaries."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        if "Referrer-Policy" not in resp.headers:
            resp.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
        if req.path.startswith("/api/") and not resp.get_header("Cache-Control"):
            resp.set_header("Cache-Control", "no-store")


def create_app(container: Container) -> falcon.App:
    settings = container.settings()
    app = falcon.App(middleware=[SecurityHeaders()], cors_enable=False)
    app.req_options.strip_url_path_trailing_slash = True
    # The multipart parser streams parts; these bound what a hostile body can make us hold.
    multipart = falcon.media.MultipartFormHandler()
    multipart.parse_options.max_body_part_count = 64
    multipart.parse_options.max_body_part_headers_size = 8192
    app.req_options.media_handlers[falcon.MEDIA_MULTIPART] = multipart
    errors.install(app)

    storage = container.storage()
    urls = Urls(settings.base_url, storage)
    guards = Guards(
        authenticate_api_key=container.authenticate_api_key(),
        enforce_rate_limit=container.enforce_rate_limit(),
        trusted_proxies=settings.trusted_proxies,
    )
    view_image = container.view_image()
    delete_image = container.delete_image()

    app.add_route(
        "/api/v1/upload",
        UploadResource(
            upload=container.upload_images(),
            describe=container.describe_capabilities(),
            guards=guards,
            urls=urls,
        ),
    )
    flow = PresignFlow(
        presign=container.presign_uploads(),
        complete=container.complete_uploads(),
        guards=guards,
        urls=urls,
    )
    app.add_route("/api/v1/upload/presign", V1Presign(flow))
    app.add_route("/api/v1/upload/presign/batch", V1Presign(flow, batch=True))
    app.add_route("/api/v1/upload/complete", V1Complete(flow))
    app.add_route("/api/v1/upload/complete/batch", V1Complete(flow, batch=True))
    app.add_route("/api/v1/upload/put/{pending_id}", PutTarget(container.receive_upload()))
    app.add_route(
        "/api/v1/images",
        ImagesResource(list_images=container.list_images(), guards=guards, urls=urls),
    )
    app.add_route(
        "/api/v1/images/{image_id}", ImageResource(delete_image=delete_image, guards=guards)
    )
    app.add_route(
        "/api/images/{image_id}",
        DeleteLinkResource(delete_image=delete_image, guards=guards, urls=urls),
    )
    app.add_route(
        "/delete/{image_id}", DeleteFormResource(delete_image=delete_image, guards=guards)
    )
    app.add_route("/", IndexPage(urls=urls))
    app.add_route("/i/{slug}", ImagePage(view_image=view_image, urls=urls))
    app.add_route("/media/{filename}", MediaResource(view_image=view_image, storage=storage))
    app.add_route(
        "/media/thumb/{filename}", MediaResource(view_image=view_image, storage=storage, thumb=True)
    )
    app.add_static_route("/static", str(STATIC_DIR))
    return app

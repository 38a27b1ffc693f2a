"""create_app(container) -> falcon.App: middleware, error handlers and routes in one place."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import attrs
import falcon
import falcon.media
import orjson

from imgtree.adapters.imaging.pool import PooledImageProcessor
from imgtree.domain.errors import DomainError
from imgtree.domain.model import LockKind
from imgtree.domain.policies import RatePolicy
from imgtree.domain.ports import BlobStorage
from imgtree.entrypoints.containers import Application
from imgtree.entrypoints.http import errors
from imgtree.entrypoints.http.admin.moderation import (
    AdminBlockedHashResource,
    AdminBlockedResource,
    AdminImageResource,
    AdminImagesResource,
    AdminImageVisibilityResource,
    AdminReportDismissResource,
    AdminReportsResource,
    ReportImageResource,
)
from imgtree.entrypoints.http.admin.resources import (
    AdminAuth,
    AuditResource,
    StatsResource,
    UserResource,
    UserSessionsResource,
    UsersResource,
)
from imgtree.entrypoints.http.cache import TtlCache
from imgtree.entrypoints.http.chevereto import CheveretoUploadResource
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.health import (
    STORAGE_CACHE_SECONDS,
    Check,
    HealthzResource,
    MetricsResource,
    Readiness,
    ReadyzResource,
    database_check,
    processing_check,
    storage_check,
)
from imgtree.entrypoints.http.misses import MissGuard
from imgtree.entrypoints.http.observe import Observe
from imgtree.entrypoints.http.offload import MediaOffload
from imgtree.entrypoints.http.openapi import OpenApiResource
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.public import (
    DeleteFormResource,
    ImagePage,
    MediaResource,
    SignedMediaResource,
)
from imgtree.entrypoints.http.session.albums import (
    AlbumOrderResource,
    AlbumResource,
    AlbumsResource,
)
from imgtree.entrypoints.http.session.auth import (
    LoginResource,
    LogoutResource,
    MeResource,
    PasswordResource,
    SignUpResource,
)
from imgtree.entrypoints.http.session.claim import ClaimResource
from imgtree.entrypoints.http.session.guard import SessionGuard
from imgtree.entrypoints.http.session.images import (
    BulkImagesResource,
    ImageByIdResource,
    SessionImagesResource,
    SessionOriginalResource,
)
from imgtree.entrypoints.http.session.keys import KeyResource, KeysResource, ShareXConfigResource
from imgtree.entrypoints.http.session.sessions import (
    RevokeOthersResource,
    SessionResource,
    SessionsResource,
)
from imgtree.entrypoints.http.session.two_factor import (
    RecoveryCodesResource,
    TwoFactorDisableResource,
    TwoFactorEnableResource,
    TwoFactorSetupResource,
)
from imgtree.entrypoints.http.session.upload import GuestUpload, SessionUpload
from imgtree.entrypoints.http.unlock import (
    UNLOCK_MISSES,
    UNLOCK_WINDOW,
    UnlockResource,
    Unlocks,
    unlock_key,
)
from imgtree.entrypoints.http.v1.images import ImageResource, ImagesResource, OriginalResource
from imgtree.entrypoints.http.v1.presign import PresignFlow, PutTarget, V1FlowStep
from imgtree.entrypoints.http.v1.upload import UploadResource
from imgtree.entrypoints.http.views import CountViews
from imgtree.entrypoints.http.web.pages import UploadLimits, register_pages
from imgtree.entrypoints.http.web.render import STATIC_DIR, Site, SiteContext, StaticCaching
from imgtree.entrypoints.metrics import Metrics

# How long a worker may keep serving a public image after it was deleted or hidden elsewhere.
MEDIA_CACHE_TTL = 1.0


HSTS = "max-age=31536000; includeSubDomains"  # one year (ASVS 3.4.1)


class SecurityHeaders:
    """Headers every response carries; API responses are never cached by intermediaries.
    An https deployment also tells browsers never to use plain http for it again (HSTS)."""

    def __init__(self, https: bool = False) -> None:
        self._https = https

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        content_type = resp.content_type
        if content_type and content_type.startswith("text/") and "charset" not in content_type:
            # Static CSS/JS come typed by file name alone; a text type always names its
            # charset, so no browser guesses one (ASVS 4.1.1).
            resp.content_type = f"{content_type}; charset=utf-8"
        if self._https:
            resp.set_header("Strict-Transport-Security", HSTS)
        if "Referrer-Policy" not in resp.headers:
            resp.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
        if req.path.startswith("/api/") and not resp.get_header("Cache-Control"):
            resp.set_header("Cache-Control", "no-store")


class ForgetMediaOnChange:
    """A successful delete or edit (of an image, an album, an account; a moderator's hide) empties this worker's
    media caches, so the worker that made a change never serves the old state."""

    def __init__(self, *caches: TtlCache[str, Any]) -> None:
        self._caches = caches

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        changed = (
            req.method in ("DELETE", "PATCH")
            or req.path.startswith("/delete/")
            or req.path.startswith("/api/admin/images/")  # hidden or unhidden
        )
        if changed and req_succeeded:
            for cache in self._caches:
                cache.clear()


# A key and type shaped like a pending upload's, only to ask storage where its PUTs go.
_PROBE_KEY = "pending/connect-src-probe.png"


def presign_origins(storage: BlobStorage) -> tuple[str, ...]:
    """Where the browser PUTs presigned uploads when that is not this app (an S3 bucket, or
    its S3-compatible endpoint): the origin of a URL the storage itself signs, built from
    its configuration alone (no request, nothing user-supplied). Empty for storage that
    cannot presign (the app's own PUT route is same-origin)."""
    try:
        url = storage.presign_put(_PROBE_KEY, "image/png", 1, 60)
    except (DomainError, ValueError):
        return ()  # storage that cannot sign now cannot sign an upload's URL either
    if not url:
        return ()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ()
    return (f"{parts.scheme}://{parts.netloc}",)


def create_app(container: Application) -> falcon.App[falcon.Request, falcon.Response]:
    settings = container.settings()
    # The memory budget is shared out: thumbnails are small and hot, originals larger.
    storage = container.adapters.storage()
    budget = settings.media_memory_cache_bytes
    media_cache: TtlCache[str, Any] = TtlCache(MEDIA_CACHE_TTL, max_cost=budget * 3 // 4)
    thumb_cache: TtlCache[str, Any] = TtlCache(MEDIA_CACHE_TTL, max_cost=budget // 4)
    metrics = container.adapters.metrics()
    app: falcon.App[falcon.Request, falcon.Response] = falcon.App(
        middleware=[
            # First in, last out: every other middleware's work is inside its timing.
            Observe(metrics, settings.trusted_proxies),
            SecurityHeaders(https=settings.secure_cookies),
            ForgetMediaOnChange(media_cache, thumb_cache),
            StaticCaching(),
            CountViews(container.use_cases.view_counter()),
            SiteContext(
                Site(settings.site_name, settings.site_description, settings.theme_color),
                connect_origins=presign_origins(storage),
            ),
        ],
        cors_enable=False,
    )
    app.req_options.strip_url_path_trailing_slash = True
    # The multipart parser streams parts; these bound what a hostile body can make us hold.
    multipart = falcon.media.MultipartFormHandler()
    multipart.parse_options.max_body_part_count = 64
    # 32 KiB of headers per part: room for absurd file names (cleaned to 255 characters).
    multipart.parse_options.max_body_part_headers_size = 32 * 1024
    app.req_options.media_handlers[falcon.MEDIA_MULTIPART] = multipart
    # Responses are encoded by orjson (a 100-image listing: ~0.2 ms with the json module,
    # ~0.03 ms here); request bodies keep the standard parser and its error messages.
    json_handler = falcon.media.JSONHandler(dumps=orjson.dumps)
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    errors.install(app)

    cases = container.use_cases
    urls = Urls(settings.base_url, storage, container.policies.rendition_policy())
    guards = Guards(
        authenticate_api_key=cases.authenticate_api_key(),
        enforce_rate_limit=cases.enforce_rate_limit(),
        trusted_proxies=settings.trusted_proxies,
    )
    view_image = cases.view_image()
    delete_image = cases.delete_image()
    # Misses on public links (pages, media, delete links) per client: docs/decisions.md.
    misses = MissGuard(cases.miss_budget(), settings.trusted_proxies)

    app.add_route(
        "/api/v1/upload",
        UploadResource(
            upload=cases.upload_images(),
            describe=cases.describe_capabilities(),
            guards=guards,
            urls=urls,
        ),
    )
    flow = PresignFlow(
        presign=cases.presign_uploads(),
        complete=cases.complete_uploads(),
        guards=guards,
        urls=urls,
    )
    app.add_route("/api/v1/upload/presign", V1FlowStep(flow, PresignFlow.presign_one))
    app.add_route("/api/v1/upload/presign/batch", V1FlowStep(flow, PresignFlow.presign_batch))
    app.add_route("/api/v1/upload/complete", V1FlowStep(flow, PresignFlow.complete_one))
    app.add_route("/api/v1/upload/complete/batch", V1FlowStep(flow, PresignFlow.complete_batch))
    app.add_route("/api/v1/upload/put/{pending_id}", PutTarget(cases.receive_upload()))
    app.add_route(
        "/api/v1/images",
        ImagesResource(list_images=cases.list_images(), guards=guards, urls=urls),
    )
    app.add_route(
        "/api/v1/images/{image_id}", ImageResource(delete_image=delete_image, guards=guards)
    )
    app.add_route(
        "/api/v1/images/{image_id}/original",
        OriginalResource(download_original=cases.download_original(), guards=guards),
    )
    app.add_route("/api/v1/openapi.json", OpenApiResource(settings.base_url))
    app.add_route(
        "/delete/{image_id}",
        DeleteFormResource(delete_image=delete_image, guards=guards, misses=misses),
    )
    guard = SessionGuard(
        authenticate=cases.authenticate_session(),
        secure_cookies=settings.secure_cookies,
    )
    _session_routes(app, container, urls, guards, guard, misses)
    admin, auth = cases.admin(), AdminAuth(guard, guards)
    app.add_route("/api/admin/stats", StatsResource(admin, auth))
    app.add_route("/api/admin/users", UsersResource(admin, auth))
    app.add_route("/api/admin/users/{user_id}", UserResource(admin, auth))
    app.add_route("/api/admin/users/{user_id}/sessions", UserSessionsResource(admin, auth))
    app.add_route("/api/admin/audit", AuditResource(admin, auth))
    moderation = cases.moderation()
    app.add_route("/api/admin/images", AdminImagesResource(moderation, auth, urls))
    app.add_route("/api/admin/images/{image_id}", AdminImageResource(moderation, auth))
    app.add_route(
        "/api/admin/images/{image_id}/hide", AdminImageVisibilityResource(moderation, auth, True)
    )
    app.add_route(
        "/api/admin/images/{image_id}/unhide",
        AdminImageVisibilityResource(moderation, auth, False),
    )
    app.add_route("/api/admin/reports", AdminReportsResource(moderation, auth, urls))
    app.add_route("/api/admin/blocked", AdminBlockedResource(moderation, auth))
    app.add_route("/api/admin/blocked/{sha256}", AdminBlockedHashResource(moderation, auth))
    app.add_route(
        "/api/admin/reports/{report_id}/dismiss", AdminReportDismissResource(moderation, auth)
    )
    app.add_route(
        "/i/{slug}/report", ReportImageResource(moderation, guard, settings.trusted_proxies)
    )
    viewer = guard.viewer_id
    # Passwords on images and albums: unlock cookies, and a budget of wrong passwords.
    unlocks = Unlocks(
        unlock_key(settings.unlock_key, settings.media_signing_key, settings.address_hash_key),
        container.adapters.clock(),
        secure=settings.secure_cookies,
    )
    wrong_passwords = MissGuard(
        attrs.evolve(
            cases.miss_budget(),
            policy=RatePolicy(per_minute=UNLOCK_MISSES, window_seconds=UNLOCK_WINDOW),
            name="unlock",
        ),
        settings.trusted_proxies,
    )
    unlock = cases.unlock()
    for route, kind in (
        ("/i/{slug}/unlock", LockKind.IMAGE),
        ("/albums/{album_id}/unlock", LockKind.ALBUM),
    ):
        app.add_route(
            route,
            UnlockResource(
                unlock, unlocks, wrong_passwords, misses, viewer, settings.base_url, kind
            ),
        )
    app.add_route(
        "/i/{slug}",
        ImagePage(view_image=view_image, urls=urls, viewer=viewer, misses=misses, unlocks=unlocks),
    )
    offload = MediaOffload.of(settings.media_offload, storage, settings.media_offload_prefix)
    media = {
        "view_image": view_image,
        "storage": storage,
        "viewer": viewer,
        "misses": misses,
        "offload": offload,
        "unlocks": unlocks,
    }
    renditions = cases.renditions()
    negotiation = renditions if settings.negotiate_formats else None
    app.add_route(
        "/media/{filename}", MediaResource(**media, cache=media_cache, negotiation=negotiation)
    )
    app.add_route("/media/thumb/{filename}", MediaResource(**media, thumb=True, cache=thumb_cache))
    # A literal segment wins over a field in falcon's router: /media/thumb/ stays the thumbnail.
    # /media/{size}/{slug}.{ext}: see MediaResource.on_get for the field names.
    app.add_route("/media/{filename}/{file}", MediaResource(**media, renditions=renditions))
    signing_key = settings.media_signing_key
    app.add_route(
        "/media/signed/{signature}/{box}/{filename}",
        SignedMediaResource(
            **media,
            renditions=renditions,
            signing_key=signing_key.encode() if signing_key else None,
        ),
    )
    app.add_static_route("/static", str(STATIC_DIR))
    _operations_routes(app, container, storage, metrics)
    register_pages(
        app,
        urls=urls,
        authenticate_session=cases.authenticate_session(),
        session_cookie=guard.cookie,
        albums=cases.albums(),
        view_profile=cases.view_profile(),
        list_images=cases.list_images(),
        require_admin_2fa=settings.require_admin_2fa,
        # The upload form checks files against the very policies the upload routes enforce.
        account_limits=UploadLimits.of(container.policies.upload_policy()),
        guest_limits=UploadLimits.of(container.policies.guest_upload_policy()),
        unlocks=unlocks,
    )
    chevereto_routes(app, container, guards, urls)
    return app


def _operations_routes(
    app: falcon.App[falcon.Request, falcon.Response],
    container: Application,
    storage: BlobStorage,
    metrics: Metrics,
) -> None:
    """/healthz, /readyz and /metrics (docs/operations.md)."""
    settings = container.settings()
    # The adapters container chosen (build_container overrides `adapters` with it).
    chosen = container.adapters.last_overriding
    checks: dict[str, Check] = {}
    if (
        chosen is not None and "engine" in chosen().providers
    ):  # SQL adapters (the memory ones have no database)
        engine = container.adapters.engine()
        metrics.watch_pool(engine)
        checks["database"] = database_check(engine)
    checks["storage"] = storage_check(storage)
    processor = container.adapters.image_processor()
    if isinstance(processor, PooledImageProcessor):
        metrics.pool_size(settings.process_workers)
    checks["processing"] = processing_check(processor)
    readiness = Readiness(checks, cached={"storage": STORAGE_CACHE_SECONDS})
    app.add_route("/healthz", HealthzResource())
    app.add_route("/readyz", ReadyzResource(readiness))
    app.add_route(
        "/metrics", MetricsResource(metrics, settings.metrics_token, settings.trusted_proxies)
    )


def _session_routes(
    app: falcon.App[falcon.Request, falcon.Response],
    container: Application,
    urls: Urls,
    guards: Guards,
    guard: SessionGuard,
    misses: MissGuard,
) -> None:
    """The cookie-session API of the web app, and guest uploads."""
    cases = container.use_cases
    sign_out = cases.sign_out()
    app.add_route("/api/auth/signup", SignUpResource(cases.sign_up(), guard, guards, sign_out))
    app.add_route("/api/auth/login", LoginResource(cases.sign_in(), guard, guards, sign_out))
    app.add_route("/api/auth/logout", LogoutResource(sign_out, guard))
    app.add_route("/api/auth/me", MeResource(guard))
    app.add_route("/api/auth/password", PasswordResource(cases.change_password(), guard))
    user_sessions = cases.user_sessions()
    app.add_route("/api/auth/sessions", SessionsResource(user_sessions, guard))
    app.add_route("/api/auth/sessions/revoke-others", RevokeOthersResource(user_sessions, guard))
    app.add_route("/api/auth/sessions/{session_id}", SessionResource(user_sessions, guard))
    two_factor = (cases.two_factor(), guard, guards)
    app.add_route("/api/auth/2fa/setup", TwoFactorSetupResource(*two_factor))
    app.add_route("/api/auth/2fa/enable", TwoFactorEnableResource(*two_factor))
    app.add_route("/api/auth/2fa/disable", TwoFactorDisableResource(*two_factor))
    app.add_route("/api/auth/2fa/recovery-codes", RecoveryCodesResource(*two_factor))

    app.add_route("/api/images", SessionImagesResource(cases.list_images(), guard, urls))
    app.add_route("/api/images/claim", ClaimResource(cases.claim_images(), guard, urls, misses))
    bulk_images = cases.bulk_images()
    for action in ("delete", "move", "visibility"):
        app.add_route(f"/api/images/bulk/{action}", BulkImagesResource(bulk_images, guard, action))
    app.add_route(
        "/api/images/{image_id}",
        ImageByIdResource(
            cases.delete_image(), cases.edit_image(), guard, guards, urls, misses=misses
        ),
    )
    app.add_route(
        "/api/images/{image_id}/original",
        SessionOriginalResource(cases.download_original(), guard),
    )
    albums = cases.albums()
    app.add_route("/api/albums", AlbumsResource(albums, guard, urls))
    app.add_route("/api/albums/{album_id}", AlbumResource(albums, guard, urls))
    app.add_route("/api/albums/{album_id}/order", AlbumOrderResource(albums, guard))
    create_key = cases.create_api_key()
    app.add_route("/api/keys", KeysResource(create_key, cases.list_api_keys(), guard))
    app.add_route("/api/keys/sharex", ShareXConfigResource(create_key, guard, urls))
    app.add_route("/api/keys/{key_id}", KeyResource(cases.revoke_api_key(), guard))

    upload = cases.upload_images()
    flow = PresignFlow(cases.presign_uploads(), cases.complete_uploads(), guards, urls)
    app.add_route("/api/upload", SessionUpload(upload, flow, guard))
    app.add_route(
        "/api/upload/presign", SessionUpload(upload, flow, guard, PresignFlow.presign_one)
    )
    app.add_route(
        "/api/upload/complete", SessionUpload(upload, flow, guard, PresignFlow.complete_one)
    )

    guest_upload = cases.guest_upload_images()
    guest_flow = PresignFlow(
        cases.guest_presign_uploads(), cases.guest_complete_uploads(), guards, urls
    )
    guest = (guest_upload, guest_flow, container.policies.guest_policy(), cases.guest_rate_limit())
    app.add_route("/api/upload/guest", GuestUpload(*guest))
    app.add_route("/api/upload/guest/presign", GuestUpload(*guest, PresignFlow.presign_one))
    app.add_route("/api/upload/guest/complete", GuestUpload(*guest, PresignFlow.complete_one))


def chevereto_routes(
    app: falcon.App[falcon.Request, falcon.Response],
    container: Application,
    guards: Guards,
    urls: Urls,
) -> None:
    """Chevereto's API v1 upload (docs/chevereto.md): the v1 keys, guards and upload use case."""
    upload = container.use_cases.upload_images()
    app.add_route("/api/1/upload", CheveretoUploadResource(upload, guards, urls))

"""The browser app's HTML pages: server-rendered shells that small static scripts bring to life.

Pages carry no secrets and no inline script or style (the CSP forbids both): data reaches the
scripts through `data-*` attributes, and the scripts call the JSON session API under /api/
(reading the CSRF token from GET /api/auth/me). Pages that need an account redirect to
/login?next=... with a 303 when there is no valid session cookie.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import attrs
import falcon

from imgtree.domain.errors import DomainError, Locked, NotFound
from imgtree.domain.model import ImageFormat, LockKind, User
from imgtree.domain.policies import UploadPolicy
from imgtree.domain.use_cases.albums import Albums
from imgtree.domain.use_cases.list_images import ListImages
from imgtree.domain.use_cases.profile import ViewProfile
from imgtree.domain.use_cases.sessions import SessionContext
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import image_query, optional_uuid, query_param
from imgtree.entrypoints.http.unlock import Unlocks, render_locked
from imgtree.entrypoints.http.web.render import render
from imgtree.entrypoints.http.web.strings import message

Authenticate = Callable[[str], SessionContext]


def safe_next(value: str | None, default: str = "/gallery") -> str:
    """A same-site path to go to after signing in; anything else (//host, http:, \\) is dropped."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 0x20 for c in value):
        return default
    return value


@attrs.define
class _Session:
    authenticate: Authenticate
    cookie: str  # the session cookie's name (session/guard.cookie_name)

    def user(self, req: falcon.Request) -> User | None:
        token = req.cookies.get(self.cookie)
        if not token:
            return None
        try:
            return self.authenticate(token).user
        except DomainError:
            return None

    def require(self, req: falcon.Request) -> User:
        user = self.user(req)
        if user is None:
            target = req.path + (f"?{req.query_string}" if req.query_string else "")
            raise falcon.HTTPSeeOther(f"/login?next={quote(target, safe='/')}")
        return user


def _page(resp: falcon.Response, template: str, *, page: str, **context: Any) -> None:
    # Pages show who is signed in: never let a shared cache keep them.
    render(resp, template, page=page, no_store=True, **context)


_TYPE_NAMES = {ImageFormat.WEBP: "WebP"}


def format_size(n: int) -> str:
    """Bytes as people read them, in the units the scripts use (I.formatBytes, 1024-based):
    5242880 -> "5 MB", 1536 -> "1.5 KB"."""
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    unit = "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value /= 1024
        unit = bigger
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


@attrs.frozen
class UploadLimits:
    """What one kind of visitor may upload, as the upload form tells its script and the
    person: taken from the UploadPolicy the upload routes enforce for that visitor."""

    max_bytes: int
    batch_limit: int
    types: tuple[ImageFormat, ...]

    @classmethod
    def of(cls, policy: UploadPolicy) -> UploadLimits:
        return cls(policy.max_file_bytes, policy.batch_limit, policy.allowed_types)

    @property
    def types_attr(self) -> str:
        return ",".join(t.value for t in self.types)

    @property
    def type_names(self) -> tuple[str, ...]:
        """The types as people name them; the upload page lists them in words (index.html:
        "JPEG, PNG, GIF, WebP, HEIC, HEIF or AVIF, up to 5 MB each, 20 per batch.")."""
        return tuple(_TYPE_NAMES.get(t, t.name) for t in self.types)

    @property
    def size_text(self) -> str:
        return format_size(self.max_bytes)


@attrs.define
class UploadPage:
    """/: upload for guests and signed-in users, each told (and checked against) their limits."""

    session: _Session
    urls: Urls
    account_limits: UploadLimits
    guest_limits: UploadLimits

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = self.session.user(req)
        _page(
            resp,
            "index.html",
            page="upload",
            user=user,
            base_url=self.urls.base,
            limits=self.account_limits if user is not None else self.guest_limits,
            visibility_values=presenters.VISIBILITY_VALUES,
            expiry_values=presenters.EXPIRY_VALUES,
        )


@attrs.define
class AuthPage:
    """/login and /signup: a form the script posts as JSON; signed-in visitors move on."""

    session: _Session
    mode: str  # "login" | "signup"

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        next_url = safe_next(req.get_param("next"))
        if self.session.user(req) is not None:
            raise falcon.HTTPSeeOther(next_url)
        _page(resp, f"{self.mode}.html", page=self.mode, user=None, next_url=next_url)


@attrs.define
class AccountPage:
    """A page that needs a session: /gallery, /albums, /settings."""

    session: _Session
    template: str
    page: str

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = self.session.require(req)
        _page(
            resp,
            self.template,
            page=self.page,
            user=user,
            page_number=_page_number(req),
            visibility_values=presenters.VISIBILITY_VALUES,
        )


GALLERY_LIMIT = 24  # tiles per gallery page: static/gallery.js asks for the same
# The gallery's address parameters (static/gallery.js viewParams): any of the first four
# narrows the images, so a page past the end speaks of "these results".
GALLERY_FILTERS = ("search", "albumId", "visibility", "type")
GALLERY_PARAMS = (*GALLERY_FILTERS, "sort")


@attrs.frozen
class PastTheEnd:
    """What /gallery?page=N says when N is past the last page of the images asked for."""

    last_page: int
    what: str  # "gallery" | "results": the message no_page_<what>
    last_href: str
    first_href: str


@attrs.define
class GalleryPage:
    """/gallery: the script fills the grid; the server answers a page past the last one
    itself (a friendly notice with links to the last and the first page, status 200 like the
    album and profile pages), so the notice is there without waiting for, or without, the
    script."""

    session: _Session
    list_images: ListImages

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = self.session.require(req)
        number = _page_number(req)
        _page(
            resp,
            "gallery.html",
            page="gallery",
            user=user,
            page_number=number,
            visibility_values=presenters.VISIBILITY_VALUES,
            past_the_end=self._past_the_end(req, user, number) if number > 1 else None,
        )

    def _past_the_end(self, req: falcon.Request, user: User, number: int) -> PastTheEnd | None:
        try:
            found = self.list_images(
                user.id,
                page=number,
                limit=GALLERY_LIMIT,
                album_id=optional_uuid(query_param(req, "albumId"), "albumId"),
                query=image_query(req),
            )
        except DomainError:
            return None  # a bad filter: the script shows the API's answer, as for page 1
        last = max(1, -(-found.total // GALLERY_LIMIT))
        if not found.total or number <= last:
            return None
        kept = {name: req.params[name] for name in GALLERY_PARAMS if req.params.get(name)}
        first = urlencode(kept)
        return PastTheEnd(
            last_page=last,
            what="results" if any(name in kept for name in GALLERY_FILTERS) else "gallery",
            last_href="?" + urlencode({**kept, "page": last}),
            first_href="?" + first if first else req.path,
        )


@attrs.define
class AdminPage:
    """/admin: the operator's dashboard; signed-in users without the admin role get a 403 page."""

    session: _Session
    require_two_factor: bool = False  # IMGTREE_REQUIRE_ADMIN_2FA

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = self.session.require(req)
        if user.is_active_admin and self.require_two_factor and not user.two_factor_enabled:
            render(
                resp,
                "message.html",
                status=403,
                page="admin",
                user=user,
                heading=message("two_factor_required"),
                text=message("admin_needs_two_factor"),
                link_href="/settings#two-factor-h",
                link_text=message("turn_it_on_in_settings"),
            )
            return
        if not user.is_active_admin:
            render(
                resp,
                "message.html",
                status=403,
                page="admin",
                user=user,
                heading=message("admins_only"),
                text=message("admins_only_text"),
            )
            return
        _page(resp, "admin.html", page="admin", user=user)


@attrs.define
class AlbumPage:
    """/albums/{album_id}: the album rendered on the server (it works without JavaScript and
    carries its preview tags): its owner sees every image, anyone else a public album's
    visible images; unknown and private-to-others albums are the same 404."""

    session: _Session
    albums: Albums
    urls: Urls
    # Unlock cookies of password-protected albums and images; None: every lock stays closed.
    unlocks: Unlocks | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response, album_id: str) -> None:
        user = self.session.user(req)
        try:
            parsed = uuid.UUID(album_id)
            number = _page_number(req)
            view = self.albums.view(
                parsed,
                viewer_id=user.id if user else None,
                page=number,
                unlocked=self.unlocks.opened(req) if self.unlocks else lambda _lock: False,
            )
        except Locked:
            # The password form only: no cover, no preview tags (crawlers never unlock).
            render_locked(resp, LockKind.ALBUM, f"/albums/{parsed}", user=user)
            resp.append_header("Vary", "Cookie")
            return
        except (ValueError, NotFound):
            render(
                resp,
                "message.html",
                status=404,
                user=user,
                heading=message("not_found"),
                text=message("album_not_found"),
            )
            return
        images = view.images
        # The cover: the owner's pick while it is in the album, else the first image in the
        # album's order this viewer sees, whichever page is shown (Albums.view).
        cover = view.cover
        # Behind a password, the album's media links are the app's (never a public bucket's),
        # and its page carries no picture in its preview tags.
        protected = view.album.password_protected
        total = images.total
        last_page = max(1, -(-total // images.limit))
        _page(
            resp,
            "album.html",
            page="album",
            user=user,
            album=view.album,
            is_owner=view.is_owner,
            tiles=[
                (
                    img,
                    self.urls.page(img),
                    self.urls.thumb(img, protected=protected),
                    img.title or img.original_name,
                )
                for img in images.items
            ],
            locked=view.locked,
            protected=protected,
            total=total,
            page_number=number,
            last_page=last_page,
            out_of_range=number > last_page,
            page_url=self.urls.album_page(view.album),
            cover=cover,
            cover_url=self.urls.direct(cover, protected=protected) if cover else None,
            cover_thumb=self.urls.thumb(cover, protected=protected) if cover else None,
            cover_page=self.urls.page(cover) if cover else None,
            codes=presenters.album_codes(self.urls, view.album),
        )
        resp.append_header("Vary", "Cookie")


@attrs.define
class ProfilePage:
    """/u/{user_id}: a user's `public` images and public albums, rendered on the server.
    Unlisted and private images never appear; unknown or deactivated accounts are 404."""

    session: _Session
    view_profile: ViewProfile
    urls: Urls

    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        viewer = self.session.user(req)
        try:
            profile = self.view_profile(uuid.UUID(user_id), page=_page_number(req))
        except (ValueError, NotFound):
            render(
                resp,
                "message.html",
                status=404,
                user=viewer,
                heading=message("not_found"),
                text=message("profile_not_found"),
            )
            return
        images = profile.images
        last_page = max(1, -(-images.total // images.limit))
        _page(
            resp,
            "profile.html",
            page="profile",
            user=viewer,
            name=profile.name,  # the template names a nameless user
            is_self=viewer is not None and viewer.id == profile.user_id,
            tiles=[
                (img, self.urls.page(img), self.urls.thumb(img), img.title) for img in images.items
            ],
            locked=profile.locked,
            albums=[(a, self.urls.album_page(a)) for a in profile.albums],
            total=images.total,
            page_number=images.page,
            last_page=last_page,
            out_of_range=images.page > last_page,
            page_url=f"{self.urls.base}/u/{profile.user_id}",
        )


def _page_number(req: falcon.Request) -> int:
    raw = req.get_param("page") or "1"
    try:
        return max(1, min(int(raw), 1_000_000))
    except ValueError:
        return 1


# What crawlers may index: public pages, profiles and media; never the API, the account
# pages or delete links. Unlisted images are kept out by their own `noindex` (robots.txt
# cannot name them), and private ones are 404 to a crawler anyway.
ROBOTS_TXT = """User-agent: *
Disallow: /api/
Disallow: /delete/
Disallow: /gallery
Disallow: /albums
Disallow: /settings
Disallow: /admin
Disallow: /login
Disallow: /signup
Allow: /
"""


class RobotsResource:
    """GET /robots.txt."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "text/plain; charset=utf-8"
        resp.cache_control = ["public", "max-age=86400"]
        resp.text = ROBOTS_TXT


class FaviconResource:
    """GET /favicon.ico: the icon lives at /static/favicon.svg (pages link it); clients that
    ask the old fixed path (feed readers, bookmarks) are sent there for good."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise falcon.HTTPMovedPermanently("/static/favicon.svg")


def register_pages(
    app: falcon.App[falcon.Request, falcon.Response],
    *,
    urls: Urls,
    authenticate_session: Authenticate,
    session_cookie: str,
    albums: Albums,
    view_profile: ViewProfile,
    list_images: ListImages,
    account_limits: UploadLimits,
    guest_limits: UploadLimits,
    require_admin_2fa: bool = False,
    unlocks: Unlocks | None = None,
) -> None:
    """Add the browser app's routes. Call after the other routes: this one owns `/`."""
    session = _Session(authenticate_session, session_cookie)
    app.add_route("/", UploadPage(session, urls, account_limits, guest_limits))
    app.add_route("/login", AuthPage(session, "login"))
    app.add_route("/signup", AuthPage(session, "signup"))
    app.add_route("/gallery", GalleryPage(session, list_images))
    app.add_route("/albums", AccountPage(session, "albums.html", "albums"))
    app.add_route("/albums/{album_id}", AlbumPage(session, albums, urls, unlocks))
    app.add_route("/u/{user_id}", ProfilePage(session, view_profile, urls))
    app.add_route("/settings", AccountPage(session, "settings.html", "settings"))
    app.add_route("/admin", AdminPage(session, require_admin_2fa))
    app.add_route("/robots.txt", RobotsResource())
    app.add_route("/favicon.ico", FaviconResource())

"""Public, unauthenticated routes: the image page, media files, and delete links.

Media is served with the stored (sniffed) type, `nosniff`, a strong ETag and a year-long
immutable cache lifetime: an image's published bytes never change under its URL.

Every miss on these routes (a slug, file or delete link that names nothing the client may
see) counts against the client's miss budget (entrypoints/http/misses.py); past it the client
gets 429s for hits and misses alike until the window resets.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any

import attrs
import falcon

from imgtree.domain.errors import (
    DomainError,
    Forbidden,
    Locked,
    NotFound,
    RateLimited,
    human_size,
)
from imgtree.domain.model import Image, ImageFormat, LockKind
from imgtree.domain.policies import CONVERTIBLE_FORMATS
from imgtree.domain.ports import BlobStorage
from imgtree.domain.use_cases.albums import MAX_TITLE
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.renditions import Rendition, Renditions, signature_matches
from imgtree.domain.use_cases.view_image import Unlocked, ViewedImage, ViewImage, nothing_unlocked
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.cache import TtlCache
from imgtree.entrypoints.http.errors import status_of
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.misses import DELETE_LINK_MISSES, MissGuard, too_many
from imgtree.entrypoints.http.offload import MediaOffload
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.unlock import Unlocks, render_locked
from imgtree.entrypoints.http.web.render import render
from imgtree.entrypoints.http.web.strings import message

_MEDIA_NAME = re.compile(r"^([a-z0-9]{4,32})\.([a-z]{3,4})$")
# A signed size's box, {W}x{H}: 1 to 4 digits a side, no sign, no leading zero.
_SIGNED_BOX = re.compile(r"^([1-9][0-9]{0,3})x([1-9][0-9]{0,3})$")
# Accept entries that name a format negotiation can serve (wildcards never do).
_NEGOTIABLE = {fmt.value: fmt for fmt in CONVERTIBLE_FORMATS}
YEAR = 365 * 24 * 3600


class _Window:
    """A read-only slice [start, start+length) of a stream, for Range responses."""

    def __init__(self, stream: IO[bytes], start: int, length: int) -> None:
        stream.seek(start)
        self._stream, self._left = stream, length

    def read(self, size: int | None = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        data = self._stream.read(n)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._stream.close()


# The rendition the image page's <img src> names when the image has it (IMGTREE_RENDITION_SIZES)
VIEW_RENDITION = "medium"


def _srcset(candidates: list[tuple[str, int]]) -> str:
    """`url 640w, url 1280w, ...`; empty when the original is the only candidate."""
    if len(candidates) < 2:
        return ""
    return ", ".join(f"{url} {width}w" for url, width in candidates)


def nobody(_req: falcon.Request) -> uuid.UUID | None:
    return None


def accepted_formats(accept: str | None) -> tuple[ImageFormat, ...]:
    """The formats negotiation may serve that an Accept header names with q > 0, most
    preferred first: the higher q, AVIF before WebP at equal q. `image/*` and `*/*` name none:
    a client that lists no modern format by name gets the original."""
    weights: dict[ImageFormat, float] = {}
    for entry in (accept or "")[:2048].split(","):
        media, *params = entry.split(";")
        fmt = _NEGOTIABLE.get(media.strip().lower())
        if fmt is None or fmt in weights:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        weights[fmt] = weight
    ranked = [fmt for fmt, weight in weights.items() if weight > 0]
    return tuple(sorted(ranked, key=lambda f: (-weights[f], f is not ImageFormat.AVIF)))


@attrs.define
class ImagePage:
    view_image: ViewImage
    urls: Urls
    viewer: Callable[[falcon.Request], uuid.UUID | None] = nobody
    misses: MissGuard | None = None
    # Unlock cookies of password-protected images; None: every lock stays closed.
    unlocks: Unlocks | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response, slug: str) -> None:
        unlocked = self.unlocks.opened(req) if self.unlocks is not None else nothing_unlocked
        try:
            if self.misses is not None:
                self.misses.check(req)
            viewer_id = self.viewer(req)
            try:
                viewed = self.view_image.view(slug, viewer_id=viewer_id, unlocked=unlocked)
            except NotFound:
                if self.misses is not None:
                    self.misses.miss(req)
                raise
        except RateLimited as exc:
            too_many(resp, exc)
            return
        except NotFound:
            render(
                resp,
                "message.html",
                status=404,
                heading=message("not_found"),
                text=message("image_not_found"),
            )
            return
        except Locked:
            # The password form only: no picture, no preview tags, no placeholder colours.
            render_locked(resp, LockKind.IMAGE, f"/i/{slug}")
            resp.append_header("Vary", "Cookie")
            return
        image, protected = viewed.image, viewed.protected
        codes = presenters.embed_codes(self.urls, image)
        is_owner = viewer_id is not None and viewer_id == image.owner_id
        render(
            resp,
            "image.html",
            image=image,
            page_url=self.urls.page(image),
            direct_url=self.urls.direct(image, protected=protected),
            # Behind a password: no preview tags (crawlers never unlock), noindex, no caching.
            protected=protected,
            # The picture itself: the medium rendition when the image is larger (the original
            # on older browsers costs phones megabytes), the browser choosing by `srcset`.
            view_src=self.urls.renditions_of(image).get(
                VIEW_RENDITION, self.urls.direct(image, protected=protected)
            ),
            srcset=_srcset(self.urls.srcset(image, protected=protected)),
            # <source>s in AVIF and WebP: browsers that decode them pick one, others the <img>
            sources=[
                (mime, ", ".join(f"{url} {width}w" for url, width in candidates))
                for mime, candidates in self.urls.format_sources(image)
            ],
            size_text=human_size(image.size_bytes),
            codes=[(k, codes[k]) for k in presenters.CODE_KEYS],
            is_owner=is_owner,
            # The kept HEIC/AVIF (IMGTREE_KEEP_ORIGINALS): the owner's download, owner only.
            original_url=self.urls.original(image) if is_owner else None,
            max_title=MAX_TITLE,
            visibility_values=presenters.VISIBILITY_VALUES,
            expiry_values=presenters.EXPIRY_VALUES,
            expires=presenters.expires_in(image.expires_at, self.view_image.clock.now()),
            # The owner's page carries their controls: never cache it anywhere.
            no_store=is_owner or not image.is_public or protected,
        )
        # Whoever is signed in may see a different page (the owner's controls).
        resp.append_header("Vary", "Cookie")


# Files up to this size are kept in memory with their cached lookup (within the cache's byte
# budget, IMGTREE_MEDIA_MEMORY_CACHE_BYTES): a hot thumbnail or screenshot is then answered
# without opening the file. Larger files always go out by sendfile from disk.
MEDIA_MEMORY_FILE_MAX = 1 << 20


@attrs.frozen
class _CachedMedia:
    image: Image
    size: int
    headers: list[tuple[str, str]]
    body: bytes | None  # the file's bytes when small enough to keep
    key: str  # the blob served
    etag: str
    content_type: ImageFormat


@attrs.define
class MediaResource:
    """GET/HEAD /media/{slug}.{ext} (thumb=False), /media/thumb/{slug}.{ext} (thumb=True) and,
    given `renditions`, /media/{size}/{slug}.{ext}: the rendition at a preset size (or `full`)
    in the original's format or, by the extension, WebP or AVIF, made on its first request
    (domain/use_cases/renditions.py), then served like any other file.

    Given `negotiation` (IMGTREE_NEGOTIATE_FORMATS), /media/{slug}.{ext} answers a client
    whose Accept names image/avif or image/webp with that full-size rendition, and every
    answer of the route carries `Vary: Accept`."""

    view_image: ViewImage
    storage: BlobStorage
    viewer: Callable[[falcon.Request], uuid.UUID | None] = nobody
    thumb: bool = False
    # Public images looked up for anonymous visitors, by file name; the entry's cost is the
    # bytes it keeps.
    cache: TtlCache[str, _CachedMedia] | None = None
    misses: MissGuard | None = None
    renditions: Renditions | None = None
    # The proxy in front sends the bytes (IMGTREE_MEDIA_OFFLOAD); None: the app sends them.
    offload: MediaOffload | None = None
    negotiation: Renditions | None = None
    # Unlock cookies of password-protected images and albums; None: every lock stays closed.
    unlocks: Unlocks | None = None

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, filename: str, file: str = ""
    ) -> None:
        if self.negotiation is not None:
            resp.append_header("Vary", "Accept")  # on every answer, errors and 304s too
        # /media/{size}/{slug}.{ext} is routed as /media/{filename}/{file}: falcon wants one
        # field name per level, and level one is /media/{filename}'s.
        size, filename = (filename, file) if file else ("", filename)
        if self.misses is None:
            self._serve(req, resp, filename, size)
            return
        self.misses.check(req)  # a dict lookup: a hit never waits on the shared limiter
        try:
            self._serve(req, resp, filename, size)
        except NotFound:
            self.misses.miss(req)  # RateLimited (429) past the budget
            raise

    def _serve(self, req: falcon.Request, resp: falcon.Response, filename: str, name: str) -> None:
        viewer_id = self.viewer(req)
        unlocked = self.unlocks.opened(req) if self.unlocks is not None else nothing_unlocked
        cacheable = self.cache is not None and viewer_id is None and not name
        accepted = () if self.negotiation is None else accepted_formats(req.get_header("Accept"))
        cache_key = _cache_key(filename, accepted)
        hit = self.cache.get(cache_key) if cacheable and self.cache is not None else None
        if hit is not None and hit.image.expired(self.view_image.clock.now()):
            # Gone at the moment of expiry, even while its lookup is still cached.
            if self.cache is not None:
                self.cache.discard(cache_key)
            raise NotFound("Image not found")
        if hit is None:
            hit = self._look_up(filename, viewer_id, cacheable, name, accepted, unlocked)
        size, etag = hit.size, hit.etag
        resp.set_headers(hit.headers)
        if req.if_none_match and any(
            str(tag) == etag.strip('"') or tag == "*" for tag in req.if_none_match
        ):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = hit.content_type.value
        if self.offload is not None:
            self._send_by_proxy(resp, cache_key, hit)
            return
        byte_range = self._range(req, etag, size)
        start, end = byte_range or (0, size - 1)
        if byte_range is not None:
            resp.status = falcon.HTTP_206
            resp.content_range = (start, end, size)
        if hit.body is not None:
            resp.data = hit.body if byte_range is None else hit.body[start : end + 1]
            return
        try:
            stream = self.storage.open(hit.key)
        except KeyError:  # purged since it was looked up
            self._gone(resp, cache_key, hit)
            raise NotFound("Image not found") from None
        resp.stream = stream if byte_range is None else _Window(stream, start, end - start + 1)
        resp.content_length = end - start + 1

    def _send_by_proxy(self, resp: falcon.Response, cache_key: str, hit: _CachedMedia) -> None:
        """The body by the proxy in front (offload.py): no Content-Length, Range or 206 here."""
        assert self.offload is not None
        try:
            self.offload.send(resp, hit.key)
        except NotFound:  # purged since it was looked up
            self._gone(resp, cache_key, hit)
            raise

    def _gone(self, resp: falcon.Response, cache_key: str, hit: _CachedMedia) -> None:
        """The file went away after its headers were set: forget it, and take back the
        headers (a 404 must not carry the file's year-long Cache-Control, nor its type: the
        error body is JSON)."""
        if self.cache is not None:
            self.cache.discard(cache_key)  # the variant looked up (negotiation keys by Accept)
        for name, _value in hit.headers:
            resp.delete_header(name)
        resp.content_type = falcon.MEDIA_JSON

    def _look_up(
        self,
        filename: str,
        viewer_id: uuid.UUID | None,
        cacheable: bool,
        name: str = "",
        accepted: tuple[ImageFormat, ...] = (),
        unlocked: Unlocked = nothing_unlocked,
    ) -> _CachedMedia:
        # A password-protected image (its own or its album's) is served only to who unlocked
        # it (Locked: 401), never kept in the shared cache, and marked private, no-cache.
        if self.renditions is not None:
            rendition, protected = self._rendition(filename, name, viewer_id, unlocked)
            rendition_or_none: Rendition | None = rendition
        else:
            viewed = self._image(filename, viewer_id, unlocked)
            image, protected = viewed.image, viewed.protected
            rendition_or_none = None
            if accepted and self.negotiation is not None:
                rendition_or_none = self.negotiation.negotiated(image, accepted)
        if rendition_or_none is not None:
            image, key, etag = (
                rendition_or_none.image,
                rendition_or_none.key,
                rendition_or_none.etag,
            )
            content_type = rendition_or_none.format
        else:
            key, etag, content_type = self._key(image), self._etag(image), self._content_type(image)
        info = self.storage.stat(key)
        if info is None:
            raise NotFound("Image not found")
        now = self.view_image.clock.now()
        headers = self._headers(image, content_type, etag, now, protected=protected)
        found = functools.partial(_CachedMedia, key=key, etag=etag, content_type=content_type)
        if not (cacheable and image.is_public and not protected and self.cache is not None):
            return found(image, info.size, headers, None)
        body = None
        # Offloaded, the proxy sends the bytes: only the lookup is kept.
        keep_bytes = self.offload is None and info.size <= MEDIA_MEMORY_FILE_MAX
        if keep_bytes and self.cache.fits(info.size):
            try:
                with self.storage.open(key) as stream:
                    body = stream.read(MEDIA_MEMORY_FILE_MAX + 1)
            except KeyError:
                raise NotFound("Image not found") from None
            if len(body) != info.size:  # changed under us: serve from disk, keep nothing
                return found(image, info.size, headers, None)
        entry = found(image, info.size, headers, body)
        self.cache.put(
            _cache_key(filename, accepted), entry, cost=len(body) if body is not None else 0
        )
        return entry

    def _key(self, image: Image) -> str:
        return image.thumb_key if self.thumb else image.storage_key

    def _content_type(self, image: Image) -> ImageFormat:
        return image.thumb_content_type if self.thumb else image.content_type

    def _etag(self, image: Image) -> str:
        return f'"{image.id.hex}{"t" if self.thumb else ""}"'

    on_head = on_get

    def _image(
        self, filename: str, viewer_id: uuid.UUID | None, unlocked: Unlocked = nothing_unlocked
    ) -> ViewedImage:
        slug, ext = self._name(filename)
        viewed = self.view_image.view(slug, viewer_id=viewer_id, unlocked=unlocked)
        self._check_extension(viewed.image, ext)
        return viewed

    def _rendition(
        self,
        filename: str,
        name: str,
        viewer_id: uuid.UUID | None,
        unlocked: Unlocked = nothing_unlocked,
    ) -> tuple[Rendition, bool]:
        """The rendition, and whether its image is password-protected."""
        assert self.renditions is not None
        slug, ext = self._name(filename)
        viewed = self.view_image.view(slug, viewer_id=viewer_id, unlocked=unlocked)
        # The extension is checked before anything is made: a wrong one makes nothing.
        fmt = self._format(viewed.image, ext)
        return self.renditions.of(viewed.image, name, fmt), viewed.protected

    @staticmethod
    def _format(image: Image, ext: str) -> ImageFormat | None:
        """The rendition format an extension names: None for the image's own, else WebP or
        AVIF; any other is NotFound."""
        own = image.content_type
        if ext == own.extension or (ext == "jpeg" and own is ImageFormat.JPEG):
            return None
        for fmt in CONVERTIBLE_FORMATS:
            if ext == fmt.extension:
                return fmt
        raise NotFound("Image not found")

    @staticmethod
    def _name(filename: str) -> tuple[str, str]:
        match = _MEDIA_NAME.match(filename)
        if not match:
            raise NotFound("Image not found")
        slug, ext = match.groups()
        return slug, ext

    def _check_extension(self, image: Image, ext: str) -> None:
        expected = self._content_type(image)
        if ext != expected.extension and not (ext == "jpeg" and expected is ImageFormat.JPEG):
            raise NotFound("Image not found")

    @staticmethod
    def _headers(
        image: Image,
        content_type: ImageFormat,
        etag: str,
        now: datetime,
        *,
        protected: bool = False,
    ) -> list[tuple[str, str]]:
        """The media response's headers: built once per lookup, kept with it in the cache."""
        # A private image is its owner's alone: no shared cache may keep it.
        scope = "public" if image.is_public and not protected else "private"
        # An expiring image may be kept only until its expiry, and is not immutable.
        lifetime = f"max-age={YEAR}, immutable"
        if protected:  # the browser asks again each time: a new password locks it out
            lifetime = "no-cache"
        elif image.expires_at is not None:
            left = max(0, int((image.expires_at - now).total_seconds()))
            lifetime = f"max-age={min(left, YEAR)}"
        disposition_name = f"{image.slug}.{content_type.extension}"
        return [
            ("ETag", etag),
            ("X-Content-Type-Options", "nosniff"),
            ("Accept-Ranges", "bytes"),
            ("Cache-Control", f"{scope}, {lifetime}"),
            ("Content-Security-Policy", "default-src 'none'; sandbox"),
            ("Cross-Origin-Resource-Policy", "cross-origin"),
            ("Last-Modified", falcon.dt_to_http(image.created_at)),
            ("Content-Disposition", f'inline; filename="{disposition_name}"'),
        ]

    @staticmethod
    def _range(req: falcon.Request, etag: str, size: int) -> tuple[int, int] | None:
        if req.method not in ("GET", "HEAD") or not req.get_header("Range"):
            return None
        if_range = req.get_header("If-Range")
        if if_range and if_range.strip() != etag:
            return None  # the client's copy is stale: send the whole thing
        try:
            requested = req.range
        except falcon.HTTPInvalidHeader:
            return None  # RFC 9110: an unparseable Range is ignored
        if requested is None or req.range_unit != "bytes":
            return None
        first, last = requested
        if first < 0:  # suffix range: the last -first bytes
            first, last = max(0, size + first), size - 1
        elif last < 0 or last >= size:
            last = size - 1
        if size == 0 or first >= size or first > last:
            raise falcon.HTTPRangeNotSatisfiable(size)
        return first, last


def _cache_key(filename: str, accepted: tuple[ImageFormat, ...]) -> str:
    """The media cache's key: the file, and the formats negotiation may answer it in."""
    if not accepted:
        return filename
    return f"{filename} {' '.join(fmt.extension for fmt in accepted)}"


@attrs.define
class SignedMediaResource(MediaResource):
    """GET/HEAD /media/signed/{signature}/{W}x{H}/{slug}.{ext}: the image fit within W x H
    (at most MAX_SIGNED_SIDE a side, never upscaled), in the format `ext` names, made on its
    first request like a preset's rendition. `signature` is base64url HMAC-SHA256 under
    IMGTREE_MEDIA_SIGNING_KEY of `{W}x{H}/{slug}.{ext}` (`imgtree sign-url`); a wrong one is
    403, and without a key the route is 404."""

    signing_key: bytes | None = None

    def on_get(  # type: ignore[override]
        self,
        req: falcon.Request,
        resp: falcon.Response,
        signature: str,
        box: str,
        filename: str,
    ) -> None:
        if self.misses is not None:
            self.misses.check(req)
        if self.signing_key is None or self.renditions is None:
            if self.misses is not None:
                self.misses.miss(req)
            raise NotFound("Image not found")
        if not signature_matches(self.signing_key, f"{box}/{filename}", signature):
            if self.misses is not None:
                self.misses.miss(req)
            raise Forbidden("This signed media URL is not valid")
        super().on_get(req, resp, box, filename)

    on_head = on_get  # type: ignore[assignment]

    def _rendition(
        self,
        filename: str,
        name: str,
        viewer_id: uuid.UUID | None,
        unlocked: Unlocked = nothing_unlocked,
    ) -> tuple[Rendition, bool]:
        assert self.renditions is not None
        box = _SIGNED_BOX.match(name)
        if box is None:
            raise NotFound("Image not found")
        slug, ext = self._name(filename)
        viewed = self.view_image.view(slug, viewer_id=viewer_id, unlocked=unlocked)
        fmt = self._format(viewed.image, ext)
        sized = self.renditions.sized(viewed.image, int(box.group(1)), int(box.group(2)), fmt)
        return sized, viewed.protected


@attrs.define
class DeleteFormResource:
    """POST /delete/{image_id}: the no-JavaScript confirmation form's target."""

    delete_image: DeleteImage
    guards: Guards
    misses: MissGuard | None = None

    def on_post(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        try:
            if self.misses is not None:
                self.misses.check(req)
        except RateLimited as exc:
            too_many(resp, exc)
            return
        self.guards.rate_limit(req, resp, scope="delete")
        form: Any = {}
        if (req.content_type or "").startswith("application/x-www-form-urlencoded"):
            form = req.get_media()
        token = form.get("token") if isinstance(form, dict) else None
        try:
            self.delete_image.by_token(_uuid_or_nil(image_id), token)
        except DomainError as exc:
            if self.misses is not None and isinstance(exc, DELETE_LINK_MISSES):
                try:
                    self.misses.miss(req)
                except RateLimited as limited:
                    too_many(resp, limited)
                    return
            render(
                resp,
                "message.html",
                status=status_of(exc),
                heading=message("not_deleted"),
                text=message("delete_link_invalid"),
            )
            return
        render(
            resp,
            "message.html",
            heading=message("deleted"),
            text=message("image_deleted"),
            no_store=True,
        )


def _uuid_or_nil(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)

"""Public pages and media (`/i/{slug}`, `/media/...`, `/delete/{imageId}`) and the browser app's
HTML pages."""

from __future__ import annotations

from typing import Any

from imgtree.entrypoints.http.openapi.builders import (
    HTML,
    IMAGE_TYPES,
    STRING,
    binary_content,
    json_body,
    obj,
    path_param,
    query,
    ref,
)
from imgtree.entrypoints.http.openapi.components import ERROR_MEANING, error_response
from imgtree.entrypoints.http.openapi.operations import NONE, PAGES, PUBLIC, errors, ok, op

MEDIA_HEADERS = {
    name: {"description": text, "schema": {"type": "string"}}
    for name, text in (
        ("ETag", "Strong validator."),
        (
            "Cache-Control",
            "public (private for a private image), max-age=31536000, immutable; for an image "
            "with an expiry, max-age=<seconds left> and not immutable; for a password-protected "
            "image (its own password or its album's), private, no-cache.",
        ),
        ("Content-Disposition", 'inline; filename="{slug}.{ext}"'),
        ("Content-Security-Policy", "default-src 'none'; sandbox"),
        ("Accept-Ranges", "bytes"),
        ("Vary", "Accept, on every answer of the direct link with IMGTREE_NEGOTIATE_FORMATS on."),
    )
}
MISS_BUDGET = (
    "Too many misses on public links from this address (IPv6: its /64): past "
    "IMGTREE_MISS_LIMIT unknown slugs, files or delete links in IMGTREE_MISS_WINDOW_SECONDS, "
    "hits are refused too until the window resets (Retry-After)."
)


def too_many_html(*, json_too: bool = False, also: str = "") -> dict[str, Any]:
    """429 on a public HTML route: the miss budget's plain page (with `json_too`, the JSON
    error of the route's request rate limit as well)."""
    out = error_response(429)
    out["description"] = MISS_BUDGET + also
    out["content"] = {**HTML, **(json_body(ref("Error")) if json_too else {})}
    return out


# Image bytes: each image type the answer can carry, then application/octet-stream, which the
# server never sends: listed so that generators knowing raw bytes only under that name (e.g.
# openapi-python-client) keep the operation and hand back the bytes (docs/decisions.md).
RAW_BYTES = "application/octet-stream"
MEDIA_CONTENT = binary_content(*IMAGE_TYPES, RAW_BYTES)
# A kept original (IMGTREE_KEEP_ORIGINALS): only converted uploads have one.
ORIGINAL_CONTENT = binary_content("image/heic", "image/heif", "image/avif", RAW_BYTES)


def original_download(operation_id: str, tag: str, security: Any) -> dict[str, Any]:
    """GET of an image's kept original: the owner's download, 404 when none was kept."""
    return op(
        tag,
        operation_id,
        "Download the file as uploaded, when it was converted to be published (owner only)",
        {
            "200": ok(
                None,
                "The uploaded file, as an attachment (Content-Disposition; Content-Type: its "
                "type, never application/octet-stream).",
                content=ORIGINAL_CONTENT,
            ),
            **errors(400, 401, 403, 404),
        },
        security=security,
        parameters=[{"$ref": "#/components/parameters/imageId"}],
    )


RENDITION_SIZE = path_param(
    "size",
    {"type": "string", "pattern": "^[a-z][a-z0-9]{0,15}$"},
    "A rendition the operator offers (IMGTREE_RENDITION_SIZES, by default `small` 640 px, "
    "`medium` 1280 px and `large` 2048 px on the longest edge), or `full` (the whole image, "
    "in another format only). Only renditions smaller than the image exist: any other is 404 "
    "(the original is the largest picture there is). The extension picks the format: the "
    "image's own, `webp` or `avif` (IMGTREE_RENDITION_FORMATS; an animation only in formats "
    "that keep it animated). Made on its first request.",
)
SIGNED_PARAMETERS = [
    path_param(
        "signature",
        {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"},
        "base64url (unpadded) HMAC-SHA256, keyed by IMGTREE_MEDIA_SIGNING_KEY, of "
        "`{box}/{filename}` (`imgtree sign-url`).",
    ),
    path_param(
        "box",
        {"type": "string", "pattern": "^[1-9][0-9]{0,3}x[1-9][0-9]{0,3}$"},
        "`{W}x{H}`: the image fit within W x H pixels (at most 4096 a side), never upscaled.",
    ),
]
NEGOTIATED = (
    "With IMGTREE_NEGOTIATE_FORMATS on, a client whose Accept names image/avif or image/webp "
    "(q > 0) gets the whole image in that format when it is smaller (Content-Type and ETag "
    "say which); every answer then carries `Vary: Accept`."
)


def _media_op(
    operation_id: str,
    summary: str,
    *,
    head: bool,
    rendition: bool = False,
    signed: bool = False,
    description: str = "",
) -> dict[str, Any]:
    # A rendition is made on its first request: a file that will not decode within the
    # processing limits is 422, no free decode process within the wait 503 (Retry-After).
    made: tuple[int, ...] = (422,) if rendition or signed else ()
    made += (403,) if signed else ()
    operation = op(
        PUBLIC,
        operation_id,
        summary,
        {
            "200": ok(
                None,
                "The image (Content-Type: its sniffed type, never application/octet-stream).",
                content=None if head else MEDIA_CONTENT,
                headers=MEDIA_HEADERS,
            ),
            "206": ok(
                None,
                "A single byte range.",
                content=None if head else MEDIA_CONTENT,
                headers=MEDIA_HEADERS,
            ),
            "304": {"description": "Not modified (If-None-Match)."},
            "401": {
                **error_response(401),
                "description": "Password-protected (its own password or its album's), and this"
                " request carries no valid unlock cookie (see POST /i/{slug}/unlock).",
            },
            **errors(404, 416, *made),
            "429": {**error_response(429), "description": MISS_BUDGET},
        },
        security=NONE,
        parameters=[
            *([RENDITION_SIZE] if rendition else []),
            *(SIGNED_PARAMETERS if signed else []),
            path_param(
                "filename",
                {"type": "string", "pattern": r"^[a-z0-9]{4,32}\.[a-z]{3,4}$"},
                "`{slug}.{ext}`, the extension of the real type (of a rendition: its format).",
            ),
        ],
    )
    if description:
        operation["description"] = description
    return operation


LOCKED_PAGE = ok(
    None,
    "Password-protected, not unlocked in this browser: the password form (an HTML page, "
    "noindex, without the picture or its preview tags).",
    content=HTML,
)


def _unlock_op(operation_id: str, summary: str, parameter: dict[str, Any]) -> dict[str, Any]:
    """The password form's target: a right password sets the unlock cookie(s) and goes back."""
    return op(
        PUBLIC,
        operation_id,
        summary,
        {
            "303": {
                "description": "Unlocked (or nothing to unlock): `imgtree_unlock_*` cookies "
                "(HttpOnly, SameSite=Lax, an hour) are set and the browser goes back to the page.",
                "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
            },
            "401": ok(None, "Wrong password: the form again, saying so.", content=HTML),
            "403": ok(None, "Sent from another site (Origin / Sec-Fetch-Site).", content=HTML),
            "404": ok(None, "No such image or album, or not visible to you.", content=HTML),
            **errors(),
            "429": {
                **too_many_html(),
                "description": "Too many wrong passwords from this address (IPv6: its /64): "
                "10 in 10 minutes, then no password is checked until the window resets "
                "(Retry-After); or the miss budget.",
            },
        },
        security=NONE,
        parameters=[parameter],
        body={
            "application/x-www-form-urlencoded": {
                "schema": obj({"password": STRING}),
            }
        },
    )


def public_paths() -> dict[str, Any]:
    html_ok = ok(None, "An HTML page.", content=HTML)
    return {
        "/i/{slug}": {
            "get": op(
                PUBLIC,
                "getImagePage",
                "The image's public page",
                {
                    "200": html_ok,
                    "401": LOCKED_PAGE,
                    "404": ok(None, "Not found, deleted, or private.", content=HTML),
                    "429": too_many_html(),
                    **errors(),
                },
                security=NONE,
                parameters=[path_param("slug", {"type": "string"}, "The image slug.")],
            )
        },
        "/i/{slug}/unlock": {
            "post": _unlock_op(
                "unlockImage",
                "Enter an image's password (its own, or its album's)",
                path_param("slug", {"type": "string"}, "The image slug."),
            )
        },
        "/albums/{albumId}/unlock": {
            "post": _unlock_op(
                "unlockAlbum",
                "Enter an album's password",
                path_param("albumId", {"type": "string"}, "The album's UUID."),
            )
        },
        "/media/{filename}": {
            "get": _media_op(
                "getMedia",
                "The direct link: the published image",
                head=False,
                description=NEGOTIATED,
            ),
            "head": _media_op(
                "headMedia", "Headers of the direct link", head=True, description=NEGOTIATED
            ),
        },
        "/media/thumb/{filename}": {
            "get": _media_op("getThumbnail", "The thumbnail", head=False),
            "head": _media_op("headThumbnail", "Headers of the thumbnail", head=True),
        },
        "/media/{size}/{filename}": {
            "get": _media_op(
                "getRendition", "A sized rendition of the image", head=False, rendition=True
            ),
            "head": _media_op(
                "headRendition", "Headers of a sized rendition", head=True, rendition=True
            ),
        },
        "/media/signed/{signature}/{box}/{filename}": {
            "get": _media_op(
                "getSignedRendition",
                "The image at a signed size (404 while IMGTREE_MEDIA_SIGNING_KEY is unset)",
                head=False,
                signed=True,
            ),
            "head": _media_op(
                "headSignedRendition", "Headers of a signed size", head=True, signed=True
            ),
        },
        "/delete/{imageId}": {
            "post": op(
                PUBLIC,
                "submitDeleteForm",
                "The confirmation page's form target (works without JavaScript)",
                {
                    "200": ok(None, "Deleted (an HTML page).", rate=True, content=HTML),
                    **{
                        str(s): ok(None, ERROR_MEANING[s], rate=True, content=HTML)
                        for s in (401, 403, 404)
                    },
                    **errors(rate=True),
                    "429": too_many_html(
                        json_too=True,
                        also=" JSON: too many delete requests from this address (the request "
                        "rate limit).",
                    ),
                },
                security=NONE,
                parameters=[path_param("imageId", {"type": "string"}, "The image's UUID.")],
                body={
                    "application/x-www-form-urlencoded": {
                        "schema": obj({"token": STRING}),
                    }
                },
            )
        },
    }


def page_paths() -> dict[str, Any]:
    see_other = {
        "description": "Sign in first (or, on /login and /signup, already signed in).",
        "headers": {
            "Location": {"required": True, "schema": {"type": "string"}},
        },
    }
    html_ok = ok(None, "An HTML page.", content=HTML)

    def page(operation_id: str, summary: str, **extra: Any) -> dict[str, Any]:
        responses = {"200": html_ok, **extra.pop("responses", {}), **errors()}
        return {"get": op(PAGES, operation_id, summary, responses, security=NONE, **extra)}

    return {
        "/": page("getUploadPage", "Upload (guests and signed-in users)"),
        "/login": page(
            "getLoginPage",
            "Sign-in form",
            responses={"303": see_other},
            parameters=[query("next", {"type": "string"}, "Same-site path to go to after.")],
        ),
        "/signup": page(
            "getSignupPage",
            "Sign-up form",
            responses={"303": see_other},
            parameters=[query("next", {"type": "string"}, "Same-site path to go to after.")],
        ),
        "/gallery": page(
            "getGalleryPage",
            "Your images",
            responses={"303": see_other},
            parameters=[query("page", {"type": "integer"}, "Page number.")],
        ),
        "/albums": page("getAlbumsPage", "Your albums", responses={"303": see_other}),
        "/albums/{albumId}": page(
            "getAlbumPage",
            "An album, rendered on the server with OpenGraph preview tags (the owner's, or "
            "anyone's public album; an out-of-range page says so)",
            responses={
                "401": LOCKED_PAGE,
                "404": ok(
                    None,
                    "Not a UUID, no such album, or someone else's private album.",
                    content=HTML,
                ),
            },
            parameters=[
                path_param("albumId", {"type": "string"}, "The album's UUID."),
                query("page", {"type": "integer"}, "Page number."),
            ],
        ),
        "/u/{userId}": page(
            "getProfilePage",
            "A user's public profile: the images they made `public` and their public albums "
            "(unlisted and private images never appear), rendered on the server",
            responses={
                "404": ok(None, "Not a UUID, no such account, or a deactivated one.", content=HTML)
            },
            parameters=[
                path_param("userId", {"type": "string"}, "The user's UUID."),
                query("page", {"type": "integer"}, "Page number."),
            ],
        ),
        "/settings": page("getSettingsPage", "Settings and API keys", responses={"303": see_other}),
        "/robots.txt": {
            "get": op(
                PUBLIC,
                "getRobotsTxt",
                "What crawlers may index (public pages and media; not the API or accounts)",
                {
                    "200": ok(
                        None,
                        "The robots.txt.",
                        content={"text/plain": {"schema": {"type": "string"}}},
                    )
                },
                security=NONE,
            )
        },
        "/favicon.ico": {
            "get": op(
                PUBLIC,
                "getFavicon",
                "The site icon's old fixed path",
                {"301": {"description": "Moved to /static/favicon.svg."}},
                security=NONE,
            )
        },
        "/admin": page(
            "getAdminPage",
            "The operator's dashboard",
            responses={
                "303": see_other,
                "403": ok(None, "Signed in without the admin role.", content=HTML),
            },
        ),
    }

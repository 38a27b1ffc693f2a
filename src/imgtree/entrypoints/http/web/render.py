"""Render templates and set the headers every HTML page carries."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

import attrs
import falcon
import jinja2

from imgtree.domain.errors import human_size
from imgtree.domain.model import is_blurhash, is_hex_color
from imgtree.entrypoints.http.web.strings import Strings, strings_for


class _Environment(jinja2.Environment):
    """`{{ t.some_id }}` is the message some_id: a missing one raises MissingString instead of
    rendering as nothing (Jinja reads a failed attribute as undefined)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Strings):
            return obj(attribute)
        return super().getattr(obj, attribute)


_env = _Environment(
    loader=jinja2.PackageLoader("imgtree.entrypoints.http.web", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["human_size"] = human_size

STATIC_DIR = Path(__file__).parent / "static"
# A stylesheet or script named by its content's hash is cached for a year; one named without
# (or by an old hash) only briefly, so a deploy shows at once either way.
STATIC_IMMUTABLE = ["public", "max-age=31536000", "immutable"]
STATIC_UNVERSIONED = ["public", "max-age=300"]


@functools.cache
def asset_version(name: str) -> str:
    """The first 12 hex digits of the file's SHA-256: read once per process (the files ship
    with the package and do not change under a running server)."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """`/static/<name>?v=<content hash>`: templates name assets only through this."""
    return f"/static/{name}?v={asset_version(name)}"


_env.globals["static"] = static_url

# Placeholder values reach HTML attributes only through these tests (the domain already
# refuses other values; a template never trusts that alone).
_env.tests["hex_color"] = is_hex_color
_env.tests["blurhash"] = is_blurhash

# Pages load only our own scripts, styles and images (media may come from a CDN origin).
PAGE_CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def page_csp(connect_origins: tuple[str, ...] = ()) -> str:
    """The pages' CSP; `connect_origins` (the bucket's, when storage presigns PUTs to it)
    join `'self'` in connect-src so the uploader may PUT large files straight there."""
    if not connect_origins:
        return PAGE_CSP
    return f"{PAGE_CSP}; connect-src 'self' {' '.join(connect_origins)}"


@attrs.frozen
class Site:
    """What the operator calls the instance (IMGTREE_SITE_NAME, IMGTREE_SITE_DESCRIPTION,
    IMGTREE_THEME_COLOR): the header, page titles and every embed's site name and colour."""

    name: str = "imgtree"
    description: str = ""
    theme_color: str = "#1f6feb"


class SiteContext:
    """Middleware: hands the instance's Site to every page this app renders (per app, so two
    apps in one process never share it)."""

    def __init__(self, site: Site, connect_origins: tuple[str, ...] = ()) -> None:
        self._site = site
        self._csp = page_csp(connect_origins)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.context.site = self._site
        resp.context.page_csp = self._csp


class StaticCaching:
    """Middleware: Cache-Control for /static/ files (falcon's static route sets none)."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        if not req.path.startswith("/static/") or resp.status_code != 200:
            return
        version = req.get_param("v")
        # Served, so the file exists inside the static directory (the route refuses others).
        current = version is not None and version == asset_version(req.path[len("/static/") :])
        resp.cache_control = STATIC_IMMUTABLE if current else STATIC_UNVERSIONED


def render(resp: falcon.Response, template: str, *, status: int = 200, **context: Any) -> None:
    resp.status = status
    resp.content_type = "text/html; charset=utf-8"
    context.setdefault("site", getattr(resp.context, "site", None) or Site())
    # The page's messages (web/strings.py): `t` for the template, `ui_strings` for its scripts.
    strings = strings_for(template)
    context["t"] = strings
    context["ui_strings"] = strings.for_scripts()
    resp.text = _env.get_template(template).render(**context)
    resp.set_header("Content-Security-Policy", getattr(resp.context, "page_csp", None) or PAGE_CSP)
    resp.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
    resp.set_header("X-Frame-Options", "DENY")
    resp.cache_control = ["no-store"] if status >= 400 or context.get("no_store") else ["no-cache"]

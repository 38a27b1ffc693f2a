"""Render templates and set the headers every HTML page carries."""

from __future__ import annotations

from typing import Any

import falcon
import jinja2

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("imgtree.entrypoints.http.web", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

# Pages load only our own scripts, styles and images (media may come from a CDN origin).
PAGE_CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def render(resp: falcon.Response, template: str, *, status: int = 200, **context: Any) -> None:
    resp.status = status
    resp.content_type = "text/html; charset=utf-8"
    resp.text = _env.get_template(template).render(**context)
    resp.set_header("Content-Security-Policy", PAGE_CSP)
    resp.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
    resp.set_header("X-Frame-Options", "DENY")
    resp.cache_control = ["no-store"] if status >= 400 or context.get("no_store") else ["no-cache"]

"""The upload page tells its script (data attributes) and the person (one sentence) the limits
that apply to this visitor — the guest policy or the account policy, the same objects the
upload routes enforce — and its CSP lets the uploader PUT to the bucket when storage presigns.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import falcon
import pytest

from imgtree.entrypoints.http.app import presign_origins
from imgtree.entrypoints.http.web.pages import UploadLimits, format_size
from imgtree.entrypoints.http.web.render import PAGE_CSP, STATIC_DIR
from tests.support import s3
from tests.support.app import App
from tests.support.browser import sign_up

MIB = 1024 * 1024


def _form(html: str) -> dict[str, str]:
    tag = re.search(r"<section class=\"upload\"[^>]*>", html, re.S)
    assert tag, html
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(0)))


def _limits_text(html: str) -> str:
    found = re.search(r"<p class=\"muted small\" data-limits>([^<]*)</p>", html)
    assert found, html
    return found.group(1)


def test_guest_gets_the_guest_limits(make_app: Callable[..., App]) -> None:
    app = make_app(guest_max_upload_bytes=5 * MIB, max_upload_bytes=20 * MIB)
    r = app.client.simulate_get("/")
    assert r.status_code == 200
    form = _form(r.text)
    assert form["max-bytes"] == str(5 * MIB)
    assert form["batch-limit"] == "20"
    assert (
        form["types"]
        == "image/jpeg,image/png,image/gif,image/webp,image/heic,image/heif,image/avif"
    )
    assert form["types-text"] == "JPEG, PNG, GIF, WebP, HEIC, HEIF or AVIF"
    assert form["endpoint"] == "/api/upload/guest"
    assert (
        _limits_text(r.text)
        == "JPEG, PNG, GIF, WebP, HEIC, HEIF or AVIF, up to 5 MB each, 20 per batch."
    )
    assert 'href="/api/v1/upload">Limits' not in r.text  # no raw JSON for people


def test_signed_in_user_gets_the_account_limits(make_app: Callable[..., App]) -> None:
    app = make_app(guest_max_upload_bytes=5 * MIB, max_upload_bytes=20 * MIB)
    browser = sign_up(app)
    r = browser.request("GET", "/", csrf=False)
    form = _form(r.text)
    assert form["max-bytes"] == str(20 * MIB)
    assert form["endpoint"] == "/api/upload"
    assert (
        _limits_text(r.text)
        == "JPEG, PNG, GIF, WebP, HEIC, HEIF or AVIF, up to 20 MB each, 20 per batch."
    )


def test_the_limits_are_the_upload_routes_own(make_app: Callable[..., App]) -> None:
    """Taken from the policies the routes enforce: a changed setting changes both."""
    app = make_app(guest_max_upload_bytes=3 * MIB + MIB // 2)
    policy = app.container.policies.guest_upload_policy()
    form = _form(app.client.simulate_get("/").text)
    assert form["max-bytes"] == str(policy.max_file_bytes)
    assert form["batch-limit"] == str(policy.batch_limit)
    assert "up to 3.5 MB each" in app.client.simulate_get("/").text


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (5 * MIB, "5 MB"), (20 * MIB, "20 MB")],
)
def test_format_size(n: int, text: str) -> None:
    assert format_size(n) == text


@pytest.mark.parametrize(
    ("types", "text"),
    [
        (("PNG",), "PNG, up to 1 MB each, 1 per batch."),
        (("PNG", "GIF"), "PNG or GIF, up to 1 MB each, 1 per batch."),
        (("JPEG", "PNG", "WEBP"), "JPEG, PNG or WebP, up to 1 MB each, 1 per batch."),
    ],
)
def test_limits_text_names_the_types_in_words(types: tuple[str, ...], text: str) -> None:
    from imgtree.domain.model import ImageFormat
    from imgtree.entrypoints.http import presenters
    from imgtree.entrypoints.http.web.render import render

    limits = UploadLimits(MIB, 1, tuple(ImageFormat[t] for t in types))
    resp = falcon.Response()
    render(
        resp,
        "index.html",
        page="upload",
        user=None,
        base_url="http://img.test",
        limits=limits,
        visibility_values=presenters.VISIBILITY_VALUES,
        expiry_values=presenters.EXPIRY_VALUES,
    )
    assert _limits_text(resp.text) == text
    assert _form(resp.text)["types-text"] == text.split(", up to")[0]


def test_local_storage_keeps_connect_src_self(make_app: Callable[..., App]) -> None:
    app = make_app(backend="sqlite")
    csp = app.client.simulate_get("/").headers["Content-Security-Policy"]
    assert csp == PAGE_CSP  # default-src 'self' covers the app's own PUT route
    assert "connect-src" not in csp


def test_s3_presigning_storage_adds_the_bucket_origin(moto_server: str) -> None:
    storage = s3.make_s3_storage(moto_server)
    endpoint = urlsplit(moto_server)
    assert presign_origins(storage) == (f"{endpoint.scheme}://{endpoint.netloc}",)


def test_s3_page_csp_allows_puts_to_the_bucket(make_app: Callable[..., App]) -> None:
    app = make_app(backend="postgres_s3")
    r = app.client.simulate_get("/")
    csp = r.headers["Content-Security-Policy"]
    presigned = app.storage.presign_put("pending/x.png", "image/png", 10, 60)
    assert presigned
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(presigned))
    assert f"connect-src 'self' {origin}" in csp
    assert csp.startswith(PAGE_CSP)  # everything else as strict as before
    # Every page carries the same policy (the uploader lives on /, others may upload later).
    assert app.client.simulate_get("/login").headers["Content-Security-Policy"] == csp


def test_robots_txt_keeps_crawlers_out_of_accounts_and_the_api(app: App) -> None:
    r = app.client.simulate_get("/robots.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    rules = r.text.splitlines()
    for private in ("/api/", "/delete/", "/gallery", "/settings", "/admin"):
        assert f"Disallow: {private}" in rules
    assert "Allow: /" in rules and "Disallow: /i/" not in rules  # public pages stay findable


def test_favicon_is_linked_and_the_old_path_points_at_it(app: App) -> None:
    page = app.client.simulate_get("/")
    assert '<link rel="icon" href="/static/favicon.svg' in page.text
    old = app.client.simulate_get("/favicon.ico")
    assert old.status_code == 301 and old.headers["location"].endswith("/static/favicon.svg")
    icon = app.client.simulate_get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert b"<script" not in icon.content


def test_static_assets_are_named_by_content_and_cached_accordingly(app: App) -> None:
    """Issue 17 item 7: pages name every stylesheet and script with its content hash, which
    is cached for a year; the same file without (or with an old) hash only for 5 minutes."""
    page = app.client.simulate_get("/").text
    named = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert named and all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in named), named
    css = next(url for url in named if "/site.css" in url)
    path, version = css.split("?v=")
    body = (STATIC_DIR / "site.css").read_bytes()
    assert version == hashlib.sha256(body).hexdigest()[:12]
    current = app.client.simulate_get(path, params={"v": version})
    assert current.status_code == 200 and current.content == body
    assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
    for params in ({}, {"v": "0123456789ab"}):
        brief = app.client.simulate_get(path, params=params)
        assert brief.status_code == 200 and brief.headers["cache-control"] == "public, max-age=300"
    missing = app.client.simulate_get("/static/nope.js", params={"v": version})
    assert missing.status_code == 404 and "immutable" not in missing.headers.get(
        "cache-control", ""
    )

"""Security headers, cookies and secrets: what a browser is told, and what the server keeps.

Pages: a CSP without 'unsafe-inline', framing refused, a Referrer-Policy. Media: the sniffed
image type, nosniff, an inline disposition with a name we made, a sandboxing CSP; user
content is never served as HTML from the app origin. Secrets (API keys, delete, completion,
put and session tokens) are stored hashed only, never logged, and compared in constant time.
"""

from __future__ import annotations

import logging
import re
import types
import uuid
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import attrs
import pytest
import sqlalchemy as sa

import imgtree.adapters.system as system
import imgtree.entrypoints.http.session.csrf as csrf
from imgtree.domain.use_cases.keys import checksum
from imgtree.entrypoints.http.web.render import STATIC_DIR
from tests.hostile import BACKENDS, Harness, make_harness, memory_store, multipart
from tests.hostile.corpus import HTML_TAIL, IMAGES, MARKER
from tests.support.app import BASE_URL, App
from tests.support.browser import PASSWORD, Browser, sign_up

POLYGLOT_NAME = "<img src=x onerror=alert(1)>.html"


@pytest.fixture(params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return make_harness(tmp_path_factory.mktemp(f"headers-{request.param}"), request.param)


def upload(harness: Harness, name: str, data: bytes, ctype: str = "image/png") -> dict[str, Any]:
    body, content_type = multipart("file", name, ctype, data)
    r = harness.post("v1-multipart", body, content_type)
    assert r.status_code == 200, r.text
    image: dict[str, Any] = r.json["images"][0]
    return image


def local(url: str) -> str:
    return url.removeprefix(BASE_URL)


# --- pages ----------------------------------------------------------------------------------


def _check_page_headers(r: Any) -> None:
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["object-src"] == "object-src 'none'"
    assert "script-src" in directives or "default-src" in directives
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-type"].endswith("charset=utf-8"), r.headers["content-type"]


def test_every_text_response_names_its_charset(harness: Harness) -> None:
    """ASVS 4.1.1: static CSS and JS, pages and robots-style text all say charset=utf-8."""
    static = sorted(p.name for p in STATIC_DIR.iterdir() if p.suffix in (".css", ".js"))
    assert static
    for name in static:
        r = harness.client.simulate_get(f"/static/{name}")
        assert r.status_code == 200, name
        kind = r.headers["content-type"]
        assert kind.startswith("text/") and kind.endswith("; charset=utf-8"), (name, kind)


def test_pages_carry_csp_framing_and_referrer_policy(harness: Harness) -> None:
    image = upload(harness, "a.png", IMAGES["png"]())
    image_id, token = local(image["delete_url"]).split("/")[-1].split("?token=")
    visitor = [
        "/",
        "/login",
        "/signup",
        f"/i/{image['id']}",
        "/i/doesnotexist",
        f"/api/images/{image_id}?token={token}",  # the delete confirmation page
        f"/api/images/{image_id}?token=wrong",
    ]
    for path in visitor:
        r = harness.client.simulate_get(path)
        assert r.headers["content-type"].startswith("text/html"), path
        _check_page_headers(r)
    for path in ("/gallery", "/albums", "/settings"):
        r = harness.browser.request("GET", path)
        assert r.status_code == 200, path
        _check_page_headers(r)


# --- media ----------------------------------------------------------------------------------

MEDIA_NAME = re.compile(r'^inline; filename="[a-z0-9]{12}\.(jpg|png|gif|webp)"$')


def test_media_headers(harness: Harness) -> None:
    image = upload(harness, '"; filename="evil.html', IMAGES["jpeg"](), "text/html")
    for url in (image["direct_url"], image["thumb_url"]):
        for method in ("GET", "HEAD"):
            r = harness.client.simulate_request(method, local(url))
            assert r.status_code == 200
            assert r.headers["content-type"] in ("image/jpeg", "image/png", "image/webp")
            assert r.headers["x-content-type-options"] == "nosniff"
            assert MEDIA_NAME.match(r.headers["content-disposition"]), r.headers
            csp = r.headers["content-security-policy"]
            assert "sandbox" in csp and "default-src 'none'" in csp


def test_html_polyglot_is_served_as_an_image_never_as_html(harness: Harness) -> None:
    """A GIF carrying HTML (in a comment, and appended), uploaded as text/html under a name
    that is itself HTML: served as image/gif without the HTML, and its name shown escaped."""
    gif = IMAGES["gif"]()
    comment = b"!\xfe" + bytes([len(HTML_TAIL[:255])]) + HTML_TAIL[:255] + b"\x00"
    polyglot = gif[:-1] + comment + gif[-1:] + HTML_TAIL
    image = upload(harness, POLYGLOT_NAME, polyglot, "text/html")
    assert image["direct_url"].endswith(".gif")
    media = harness.client.simulate_get(local(image["direct_url"]), headers={"Accept": "text/html"})
    assert media.headers["content-type"] == "image/gif"
    assert b"<script" not in media.content and MARKER not in media.content
    # Another extension for the same slug is no way around it.
    for ext in ("html", "htm", "svg", "xml"):
        r = harness.client.simulate_get(f"/media/{image['id']}.{ext}")
        assert r.status_code == 404 and not r.headers["content-type"].startswith("text/html")
    page = harness.client.simulate_get(f"/i/{image['id']}")
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;.html" in page.text


def test_no_user_content_is_served_as_html(harness: Harness) -> None:
    """Every media URL of every upload answers with an image type, whatever was sent."""
    uploads = [
        upload(harness, "x.html", IMAGES[kind]() + HTML_TAIL, "text/html")
        for kind in ("jpeg", "png", "gif", "webp")
    ]
    for image in uploads:
        for url in (image["direct_url"], image["thumb_url"]):
            r = harness.client.simulate_get(local(url))
            assert r.headers["content-type"].startswith("image/"), url
            assert b"<script" not in r.content


# --- cookies --------------------------------------------------------------------------------


def _cookie_attributes(header: str) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}


@pytest.mark.parametrize(("base_url", "secure"), [(BASE_URL, False), ("https://img.example", True)])
def test_session_cookie_flags(make_app: Callable[..., App], base_url: str, secure: bool) -> None:
    app = make_app(base_url=base_url)
    r = app.client.simulate_post(
        "/api/auth/signup", json={"email": "c@example.com", "password": PASSWORD}
    )
    header = r.headers["set-cookie"]
    # Over https: the __Host- prefix (Secure, Path=/, no Domain: ASVS 3.3.1) and HSTS (3.4.1).
    name = "__Host-imgtree_session" if secure else "imgtree_session"
    assert header.startswith(f"{name}=")
    attributes = _cookie_attributes(header)
    assert {"httponly", "path", "samesite"} <= attributes and "domain" not in attributes
    assert "path=/;" in header.lower().replace(" ", "") + ";"
    assert "samesite=lax" in header.lower().replace(" ", "")
    assert ("secure" in attributes) is secure
    login = app.client.simulate_post(
        "/api/auth/login", json={"email": "c@example.com", "password": PASSWORD}
    )
    assert ("secure" in _cookie_attributes(login.headers["set-cookie"])) is secure
    assert "httponly" in _cookie_attributes(login.headers["set-cookie"])
    hsts = login.headers.get("strict-transport-security")
    page = app.client.simulate_get("/")
    if secure:
        assert hsts == page.headers.get("strict-transport-security")
        assert hsts is not None and int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000
        # The prefixed cookie signs the browser in; the old name is ignored.
        me = app.client.simulate_get("/api/auth/me", cookies={name: login.cookies[name].value})
        assert me.status_code == 200
        old = app.client.simulate_get(
            "/api/auth/me", cookies={"imgtree_session": login.cookies[name].value}
        )
        assert old.status_code == 401
        gallery = app.client.simulate_get("/gallery", cookies={name: login.cookies[name].value})
        assert gallery.status_code == 200  # the pages read the same cookie
    else:
        assert hsts is None and page.headers.get("strict-transport-security") is None
    # Sign-out deletes the cookie with the attributes it was set with (a __Host- cookie
    # deleted without Secure is ignored by browsers) and clears what the browser kept.
    token = login.cookies[name].value
    csrf = login.json["csrf_token"]
    out = app.client.simulate_post(
        "/api/auth/logout", cookies={name: token}, headers={"X-CSRF-Token": csrf}
    )
    assert out.status_code == 200
    deletion = out.headers["set-cookie"]
    assert deletion.startswith(f'{name}=""') or deletion.startswith(f"{name}=;")
    assert "expires=thu,01jan1970" in deletion.lower().replace(" ", "")
    assert ("secure" in _cookie_attributes(deletion)) is secure
    assert "httponly" in _cookie_attributes(deletion)
    assert out.headers["clear-site-data"] == '"cache", "cookies", "storage"'


def test_a_sign_in_ends_the_session_the_browser_held_before(make_app: Callable[..., App]) -> None:
    """ASVS 7.2.4: every sign-in issues a new token and the cookie the browser arrived with
    (a planted one, or its own earlier session) stops working."""
    app = make_app()
    doc = {"email": "f@example.com", "password": PASSWORD}
    first = app.client.simulate_post("/api/auth/signup", json=doc)
    old = first.cookies["imgtree_session"].value
    again = app.client.simulate_post("/api/auth/login", json=doc, cookies={"imgtree_session": old})
    new = again.cookies["imgtree_session"].value
    assert again.status_code == 200 and new != old
    me = app.client.simulate_get("/api/auth/me", cookies={"imgtree_session": old})
    assert me.status_code == 401
    assert (
        app.client.simulate_get("/api/auth/me", cookies={"imgtree_session": new}).status_code == 200
    )
    # a sign-up from a browser holding someone's session ends that one too
    other = app.client.simulate_post(
        "/api/auth/signup",
        json={"email": "g@example.com", "password": PASSWORD},
        cookies={"imgtree_session": new},
    )
    assert other.status_code == 201
    assert (
        app.client.simulate_get("/api/auth/me", cookies={"imgtree_session": new}).status_code == 401
    )


# --- secrets at rest and in logs -------------------------------------------------------------


@attrs.define
class Secrets:
    values: dict[str, str] = attrs.Factory(dict)

    def add(self, name: str, value: str) -> None:
        assert value, name
        self.values[name] = value


def run_flows(harness: Harness) -> Secrets:
    """Sign up, sign in, create a key in the web app, upload (key, session, guest), presign +
    PUT + complete, and a few refused attempts; collect every secret handed out."""
    secrets = Secrets()
    app = harness.app
    browser = sign_up(app)
    secrets.add("session token (signup)", browser.cookie)
    secrets.add("csrf token", browser.csrf)
    with app.container.adapters.uow_factory()() as uow:
        user = uow.users.get(uuid.UUID(browser.user_id))
    assert user is not None
    login = app.client.simulate_post(
        "/api/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    jar: SimpleCookie = SimpleCookie()
    jar.load(login.headers["set-cookie"])
    secrets.add("session token (login)", jar["imgtree_session"].value)
    secrets.add("password", PASSWORD)
    key = browser.request("POST", "/api/keys", json={"name": "laptop"})
    assert key.status_code == 201, key.text
    api_key = key.json["key"]
    secrets.add("api key", api_key)
    auth = {"Authorization": f"Bearer {api_key}"}
    body, ctype = multipart("file", "a.png", "image/png", IMAGES["png"]())
    up = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**auth, "Content-Type": ctype}
    )
    secrets.add("delete token (key)", up.json["images"][0]["delete_url"].split("?token=")[1])
    body, ctype = multipart("files", "b.png", "image/png", IMAGES["png"]())
    s_up = browser.request("POST", "/api/upload", body=body, headers={"Content-Type": ctype})
    secrets.add("delete token (session)", s_up.json["images"][0]["delete_url"].split("?token=")[1])
    g_up = app.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})
    secrets.add("delete token (guest)", g_up.json["images"][0]["delete_url"].split("?token=")[1])
    data = IMAGES["png"]()
    doc = app.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "c.png", "contentType": "image/png", "sizeBytes": len(data)},
        headers=auth,
    ).json
    secrets.add("completion token", doc["completion_token"])
    put_url = urlsplit(doc["put_url"])
    secrets.add("put token", put_url.query.split("token=")[1])
    app.client.simulate_put(
        put_url.path, query_string=put_url.query, body=data, headers={"Content-Type": "image/png"}
    )
    done = app.client.simulate_post(
        "/api/v1/upload/complete", json={"completion_token": doc["completion_token"]}, headers=auth
    )
    assert done.status_code == 200
    # Refusals that carry secrets: a wrong delete token, a reused completion token, a bad PUT.
    image_id = up.json["images"][0]["delete_url"].split("/api/images/")[1].split("?")[0]
    app.client.simulate_delete(
        f"/api/images/{image_id}", params={"token": secrets.values["put token"]}
    )
    app.client.simulate_post(
        "/api/v1/upload/complete", json={"token": doc["completion_token"]}, headers=auth
    )
    app.client.simulate_put(
        put_url.path, query_string=put_url.query, body=b"x", headers={"Content-Type": "image/gif"}
    )
    app.client.simulate_get("/api/v1/images", headers={"Authorization": f"Bearer {api_key}x"})
    browser.request("POST", "/api/auth/logout")
    return secrets  # fmt: skip


def stored_values(harness: Harness) -> list[str]:
    """Every value of every row, as text: the memory store's records or SQLite's tables."""
    if harness.backend == "memory":
        tables = memory_store(harness.app).tables
        out: list[str] = []
        for field in attrs.fields(type(tables)):
            records = getattr(tables, field.name)
            if isinstance(records, dict):
                out.extend(str(k) for k in records)  # blobs: content stem -> references
            for record in records.values() if isinstance(records, dict) else records:
                if attrs.has(type(record)):
                    out.extend(str(v) for v in attrs.asdict(record, recurse=False).values())
        return out
    engine = harness.app.container.adapters.engine()
    out = []
    with engine.connect() as conn:
        for table in sa.inspect(engine).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                out.extend(str(v) for v in row)
    return out


def test_secrets_are_stored_only_hashed_and_never_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        secrets = run_flows(harness)
    values = stored_values(harness)
    assert any(v.startswith("sha256$") for v in values)  # the hashes are there
    blob = "\n".join(values)
    for name, secret in secrets.values.items():
        assert secret not in blob, f"the {name} is stored in plain text"
    # The request log's fields (path, client, user agent, ids) are on the records too.
    logged = caplog.text + "\n".join(f"{r.args} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert any(getattr(r, "fields", None) for r in caplog.records)
    for name, secret in secrets.values.items():
        assert secret not in logged, f"the {name} was logged"


# --- constant-time comparisons ----------------------------------------------------------------


@pytest.fixture
def compare_spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Replace `hmac` where imgtree compares secrets (imgtree.adapters.system, and the HTTP
    session layer's CSRF check) with a recording compare_digest."""
    import hmac

    calls: list[tuple[bytes, bytes]] = []

    def compare_digest(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return hmac.compare_digest(a, b)

    spy = types.SimpleNamespace(compare_digest=compare_digest)
    monkeypatch.setattr(system, "hmac", spy)
    monkeypatch.setattr(csrf, "hmac", spy)
    return calls


def test_key_delete_token_and_csrf_checks_compare_in_constant_time(
    harness: Harness, compare_spy: list[tuple[bytes, bytes]]
) -> None:
    hasher = system.Sha256SecretHasher()

    def compared(secret: str) -> bool:
        wanted = hasher.hash(secret).encode()
        return any(wanted in pair for pair in compare_spy)

    # API key: a successful and a wrong-secret authentication both go through compare_digest.
    compare_spy.clear()
    assert harness.client.simulate_get("/api/v1/images", headers=harness.auth).status_code == 200
    assert compared(harness.key)
    compare_spy.clear()
    # A wrong secret with a valid checksum (a mistyped one never reaches the lookup).
    body = harness.key[:-8] + ("AA" if harness.key[-8:-6] != "AA" else "BB")
    wrong = body + checksum(body)
    r = harness.client.simulate_get("/api/v1/images", headers={"Authorization": f"Bearer {wrong}"})
    assert r.status_code == 401 and compare_spy, "a wrong secret was not compared in constant time"

    # Delete token: wrong, then right.
    image = upload(harness, "a.png", IMAGES["png"]())
    image_id, token = local(image["delete_url"]).split("/")[-1].split("?token=")
    compare_spy.clear()
    r = harness.client.simulate_delete(f"/api/images/{image_id}", params={"token": token + "x"})
    assert r.status_code == 403 and compare_spy
    compare_spy.clear()
    r = harness.client.simulate_delete(f"/api/images/{image_id}", params={"token": token})
    assert r.status_code == 200 and compared(token)

    # CSRF: the token presented on an unsafe session request.
    browser: Browser = harness.browser
    compare_spy.clear()
    assert browser.request("POST", "/api/albums", json={"title": "t"}).status_code in (200, 201)
    assert compare_spy, "the CSRF token was not compared in constant time"
    compare_spy.clear()
    r = browser.request(
        "POST", "/api/albums", json={"title": "t"}, csrf=False, headers={"X-CSRF-Token": "x" * 64}
    )
    assert r.status_code == 403 and compare_spy

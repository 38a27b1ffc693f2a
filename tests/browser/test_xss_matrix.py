"""Stored XSS, field by page, in headless Chromium (issue 14, item 7).

Peers' stored-XSS bugs came from exactly this kind of text: image titles (Chevereto
CVE-2021-31721), album names and descriptions (Piwigo CVE-2017-9836, Lychee), profile names.
Every text a user can type is set to each hostile payload, then every page that shows it is
rendered, and for each (field, page) cell the test asserts that the text shows literally, as
text or as an attribute's value, and that nothing of it ran or became markup: no dialog, no
`window.__xss` sentinel (every payload that could run sets it), no Content-Security-Policy
violation, no `on*` attribute or `autofocus` anywhere, no `<script>` but our own, no request
for the payloads' `src=x`, no `javascript:` URL in an href/src/action, no console error.

Fields (9): image title, image description, uploaded file name, album title, album
description, API key name, account display name, account email, the text of a report. Pages (12): upload results, a guest's recent uploads
(read back from localStorage), image page /i/{slug}
(untitled, and with a title), delete confirmation, gallery, albums list, album page (owner), public album page (visitor),
public profile /u/{user_id} (visitor), settings, admin (users list, audit log, report queue).

Counts: CELLS below declares 28 (field, page) cells, checked at 48 places (text, an
attribute such as alt or og:title/og:description, an <option>, the <title>), against 8
PAYLOADS: 224 (payload, cell) pairs, 384 (payload, place) checks. All of it runs twice, with the page's
CSP enforced as served ("csp": an injected handler shows as a securitypolicyviolation) and
bypassed ("nocsp": the escaping alone must hold, and an injected handler would really run
and open a dialog or set the sentinel): 448 cell checks, 720 place checks, in 178 page
loads (89 per mode: 8 payloads x 11 pages, plus /admin once, which lists every account).

Not cells, because the page does not show the field: the image title on the upload page
and the delete page (they show the file name), the file name in an untitled image page's
<title> and og:title (they say "Image") and on the public album page
(a visitor's listing carries no title, so the tile shows the file name); the API key name
anywhere but settings; the display name in the audit log (it shows emails); the album
title on the image page. An email cannot hold whitespace, so the email field carries each
payload with its whitespace replaced by "/" (HTML's other attribute separator). A file
name reaches the server as a browser sends it ('"' as %22), and the server keeps only its
part after the last "/" or "\\", so the `</script>` payload shows on server-rendered pages
as "script>.png"; the upload page (the browser's own File name) shows it whole.

Run: .venv/bin/pytest -q -p no:randomly tests/browser/test_xss_matrix.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import attrs
import pytest
import requests

from imgtree.domain.model import clean_original_name
from tests.support import imagegen
from tests.support.servers import cli, local_env, serve

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"
ADMIN = "xss-admin@example.com"

# Each payload that could execute calls alert() and sets window.__xss; the number says which.
PAYLOADS = {
    "img-onerror": "<img src=x onerror=alert(window.__xss=1)>",
    "svg-onload": '"><svg onload=alert(window.__xss=2)>',
    "javascript-url": "javascript:alert(window.__xss=3)",
    "script-breakout": "</script><script>alert(window.__xss=4)</script>",
    "js-string-breakout": "'-alert(window.__xss=5)-'",
    "template": "{{7*7}} ${7*7} {% raw %}",
    "attribute-break": '" autofocus onfocus=alert(window.__xss=7) x="',
    "single-quote-attribute": "'><img src=x onerror=alert(window.__xss=8)>",
}


class Place(NamedTuple):
    """Where a field shows on a page: a CSS selector and how the text sits there.

    how: "visible" (a visible element's text contains it), "option" (a <select>'s option
    text equals it), "title" (document.title contains it), or "@attr" (an element's
    attribute equals it exactly).
    """

    field: str
    page: str
    selector: str
    how: str


CELLS: tuple[Place, ...] = (
    # the upload page right after an upload: the browser's File name, the album picker
    Place("filename", "upload", ".upload-item .name", "visible"),
    Place("filename", "upload", ".upload-item img.thumb", "@alt"),
    Place("album_title", "upload", "[data-album-select] option", "option"),
    # a guest's "Your recent uploads" (recent.js), read back from the browser's storage
    Place("filename", "recent", ".recent-item .recent-name", "visible"),
    Place("filename", "recent", ".recent-thumb img", "@alt"),
    # /i/{slug}: server-rendered, in text, attributes and the <title>
    Place("filename", "image", "figure figcaption", "visible"),
    Place("filename", "image", "figure img", "@alt"),
    # /i/{slug} of an image with a title: the title names the page, caption and embeds
    Place("title", "image_titled", "figure figcaption strong", "visible"),
    Place("title", "image_titled", "figure img", "@alt"),
    Place("title", "image_titled", 'meta[property="og:title"]', "@content"),
    Place("title", "image_titled", "title", "title"),
    # ... and its description (PATCH /api/images/{id}), as text and og:description
    Place("description", "image_titled", ".image-description", "visible"),
    Place("description", "image_titled", 'meta[property="og:description"]', "@content"),
    # the delete link's confirmation page (server-rendered)
    Place("filename", "delete", "main strong", "visible"),
    Place("filename", "delete", "img.preview", "@alt"),
    # /gallery
    Place("title", "gallery", ".tile-name", "visible"),
    Place("title", "gallery", ".tile img", "@alt"),
    Place("filename", "gallery", ".tile-name", "visible"),
    Place("album_title", "gallery", ".tile select option", "option"),
    Place("title", "gallery", ".tile a.tile-thumb", "@aria-label"),
    Place("album_title", "gallery", "[data-filter-album] option", "option"),
    Place("album_title", "gallery", "[data-bulk-album] option", "option"),
    # /albums
    Place("album_title", "albums", ".album-title", "visible"),
    Place("album_description", "albums", ".album-description", "visible"),
    # /albums/{id} for its owner, and for a signed-out visitor
    Place("album_title", "album", "h1", "visible"),
    Place("album_title", "album", "title", "title"),
    Place("album_description", "album", "[data-description]", "visible"),
    Place("title", "album", ".tile-name", "visible"),
    Place("filename", "album", ".tile-name", "visible"),
    Place("album_title", "public_album", "h1", "visible"),
    Place("album_title", "public_album", "title", "title"),
    Place("album_title", "public_album", 'meta[property="og:title"]', "@content"),
    Place("album_description", "public_album", 'meta[property="og:description"]', "@content"),
    Place("album_description", "public_album", "[data-description]", "visible"),
    Place("filename", "public_album", ".tile-name", "visible"),
    # /u/{user_id} for a signed-out visitor: the name, the titled (public) image, the album
    Place("name", "profile", "h1", "visible"),
    Place("name", "profile", "title", "title"),
    Place("title", "profile", ".tile-name", "visible"),
    Place("title", "profile", ".tile img", "@alt"),
    Place("album_title", "profile", ".profile-albums a", "visible"),
    # /settings: key list (JS), account facts and footer (server-rendered)
    Place("key_name", "settings", "[data-key-rows] td[data-label=Name]", "visible"),
    Place("name", "settings", ".facts dd", "visible"),
    Place("email", "settings", ".facts dd", "visible"),
    Place("email", "settings", "footer", "visible"),
    # /admin as an admin: the users list and the audit log
    Place("name", "admin", "[data-user-rows] .cell-sub", "visible"),
    Place("email", "admin", "[data-user-rows] .email", "visible"),
    Place("email", "admin", "[data-audit-rows] td.email", "visible"),
    # ... and the report queue: a visitor's report of each account's titled image
    Place("report_text", "admin", "[data-report-rows] .report-text", "visible"),
)

PAGES = tuple(dict.fromkeys(c.page for c in CELLS))
MODES = ("csp", "nocsp")


def email_of(payload: str) -> str:
    """The payload as an email's local part: no whitespace (lower-cased by the server)."""
    return (re.sub(r"\s+", "/", payload) + "@xss.example").lower()


def upload_name(payload: str) -> str:
    return payload + ".png"


# Runs in every page before its own scripts: record CSP violations where the test can read them.
WATCH = """
window.__xssViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__xssViolations.push(
    [e.violatedDirective, e.blockedURI, e.sample, e.sourceFile, e.lineNumber].join(" | ")
  );
});
"""

# Markup that only an injection could have put there: the app uses no inline handler, no
# autofocus, no inline script and no javascript: URL.
TRACES = """async () => {
  // Let an injected handler run first (an autofocus, an img's onerror once its fetch fails).
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 20)));
  const out = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.startsWith("on") || a.name === "autofocus" || a.name === "srcdoc") {
        out.push(`<${el.localName} ${a.name}=${a.value}>`);
      }
    }
  }
  // The page's own UI strings (base.html): one JSON data block, a child of <body>, never run.
  const strings = document.querySelectorAll("script#ui-strings");
  const ours = strings.length === 1 && strings[0].type === "application/json" &&
    strings[0].parentNode === document.body ? strings[0] : null;
  for (const s of document.querySelectorAll("script")) {
    if (s === ours) continue;
    if (!s.src || new URL(s.src).origin !== location.origin || s.text.trim()) {
      out.push(`script ${s.src} ${s.text}`);
    }
  }
  const urls = document.querySelectorAll(
    '[href^="javascript:" i], [src^="javascript:" i], [action^="javascript:" i], ' +
    '[formaction^="javascript:" i], [xlink\\\\:href^="javascript:" i], [data^="javascript:" i]'
  );
  for (const el of urls) out.push(`javascript: URL on <${el.localName}>`);
  return {
    injected: out,
    sentinel: typeof window.__xss === "undefined" ? null : window.__xss,
    violations: window.__xssViolations,
  };
}"""


@attrs.define
class Account:
    """One signed-up account whose every typed text is one payload."""

    payload: str
    email: str
    cookies: dict[str, str]
    csrf: str
    album_id: str = ""
    filename: str = ""  # as stored (the server's clean_original_name)
    delete_url: str = ""
    page_url: str = ""
    titled_page_url: str = ""
    user_id: str = ""

    def value(self, field: str, page: str) -> str:
        if field == "email":
            return self.email
        if field == "filename":
            return upload_name(self.payload) if page in ("upload", "recent") else self.filename
        return self.payload


@attrs.define
class World:
    base: str
    admin_cookies: dict[str, str]
    accounts: dict[str, Account]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A fresh server; per payload an account with every field set to it, through the API."""
    root = tmp_path_factory.mktemp("xss")
    env = local_env(
        root,
        IMGTREE_RATE_LIMIT_PER_MINUTE="10000",
        IMGTREE_GUEST_RATE_LIMIT_PER_MINUTE="10000",
        IMGTREE_REPORT_LIMIT_PER_HOUR="10000",
    )
    with serve(env, root / "server.log") as base:
        cli(env, "users", "create", ADMIN, "--password", PASSWORD, "--admin")
        admin = requests.Session()
        r = admin.post(f"{base}/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert r.status_code == 200, r.text
        admin_csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
        with ThreadPoolExecutor(4) as pool:  # sign-ups hash passwords: overlap them
            made = pool.map(lambda payload: _set_up(base, payload), PAYLOADS.values())
            accounts = dict(zip(PAYLOADS, made, strict=True))
        for account in accounts.values():
            uid = account.cookies.pop("__user_id")
            account.user_id = uid
            r = admin.patch(
                f"{base}/api/admin/users/{uid}", json={"quota_bytes": 1 << 30}, headers=admin_csrf
            )
            assert r.status_code == 200, r.text  # an audit entry naming the account's email
            slug = account.titled_page_url.rsplit("/", 1)[1]
            r = requests.post(
                f"{base}/i/{slug}/report", json={"reason": "other", "text": account.payload}
            )
            assert r.status_code == 201, r.text  # a report whose text is the payload
        yield World(base, admin.cookies.get_dict(), accounts)


def _set_up(base: str, payload: str) -> Account:
    s = requests.Session()
    email = email_of(payload)
    r = s.post(
        f"{base}/api/auth/signup", json={"email": email, "password": PASSWORD, "name": payload}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"]["name"] == payload and body["user"]["email"] == email, body
    s.headers["X-CSRF-Token"] = body["csrf_token"]
    r = s.post(f"{base}/api/keys", json={"name": payload})
    assert r.status_code in (200, 201), r.text
    r = s.post(
        f"{base}/api/albums", json={"title": payload, "description": payload, "isPublic": True}
    )
    assert r.status_code in (200, 201), r.text
    album_id = r.json()["album"]["id"]
    # Two images in the album: one known by its file name, one by a title set afterwards.
    r = s.post(
        f"{base}/api/upload",
        files=[
            ("files", (upload_name(payload), imagegen.png(40, 30), "image/png")),
            ("files", ("plain.png", imagegen.png(30, 40), "image/png")),
        ],
        data={"albumId": album_id},
    )
    assert r.status_code == 200, r.text
    named, titled = r.json()["images"]
    titled_id = titled["delete_url"].split("/api/images/")[1].split("?")[0]
    r = s.patch(
        f"{base}/api/images/{titled_id}",
        json={"title": payload, "description": payload, "visibility": "public"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["image"]["title"] == payload
    assert r.json()["image"]["description"] == payload.strip()
    listed = s.get(f"{base}/api/images").json()["images"]
    stored = next(i["original_name"] for i in listed if i["slug"] == named["id"])
    # requests, like browsers, sends a '"' in a file name as %22 (the HTML form encoding).
    assert stored == clean_original_name(upload_name(payload).replace('"', "%22")), stored
    cookies = s.cookies.get_dict()
    cookies["__user_id"] = body["user"]["id"]
    return Account(
        payload,
        email,
        cookies,
        body["csrf_token"],
        album_id=album_id,
        filename=stored,
        delete_url=named["delete_url"],
        page_url=named["url"],
        titled_page_url=titled["url"],
    )


def test_matrix_is_declared_once() -> None:
    fields = {c.field for c in CELLS}
    assert fields == {
        "title",
        "description",
        "filename",
        "album_title",
        "album_description",
        "key_name",
        "name",
        "email",
        "report_text",
    }
    assert len({(c.field, c.page) for c in CELLS}) == 28  # the docstring's counts
    assert len(CELLS) == 48 and len(PAYLOADS) == 8 and len(PAGES) == 12
    assert len(RUNS) == 89


@attrs.define
class Tab:
    """One page reused by every test of a mode (a new context costs ~0.5 s on a busy box);
    the tests swap its cookies and clear what it recorded."""

    context: Any
    page: Any
    dialogs: list[str] = attrs.Factory(list)
    problems: list[str] = attrs.Factory(list)
    stray: list[str] = attrs.Factory(list)

    def reset(self, base: str, cookies: dict[str, str]) -> None:
        self.context.clear_cookies()
        if cookies:
            self.context.add_cookies(
                [{"name": k, "value": v, "url": base} for k, v in cookies.items()]
            )
        self.dialogs.clear()
        self.problems.clear()
        self.stray.clear()


def _open(browser: Any, base: str, mode: str) -> Tab:
    context = browser.new_context(
        base_url=base, viewport={"width": 1280, "height": 900}, bypass_csp=mode == "nocsp"
    )
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH)
    tab = Tab(context, context.new_page())
    page = tab.page

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            tab.problems.append(message.text)

    def on_request(request: Any) -> None:
        if request.url.rstrip("/").rsplit("/", 1)[-1] == "x":
            tab.stray.append(request.url)

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: tab.problems.append(f"page error: {exc}"))
    page.on("console", on_console)
    page.on("request", on_request)
    return tab


@pytest.fixture(scope="module")
def tabs(browser: Any, world: World) -> Iterator[dict[str, Tab]]:
    opened = {mode: _open(browser, world.base, mode) for mode in MODES}
    yield opened
    for tab in opened.values():
        tab.context.close()


def _visit(page: Any, account: Account, name: str) -> None:
    """Bring the page `name` to the state where it shows the account's fields."""
    if name == "upload":
        page.goto(f"/?album={account.album_id}", wait_until="domcontentloaded")
        page.locator("[data-album-select] option").nth(1).wait_for(state="attached")
        page.locator("input[type=file]").set_input_files(
            [
                {
                    "name": upload_name(account.payload),
                    "mimeType": "image/png",
                    "buffer": imagegen.png(24, 24),
                }
            ]
        )
        page.locator(".upload-item[data-state=done]").wait_for()
    elif name == "recent":
        # What upload.js hands recent.js for a guest upload, kept in localStorage.
        page.goto("/", wait_until="domcontentloaded")
        page.evaluate(
            """([url, deleteUrl, name]) => localStorage.setItem('imgtree.recent.v1',
                JSON.stringify({v: 1, items: [{id: 'xssslug', url: url, direct_url: url,
                  thumb_url: url, delete_url: deleteUrl, name: name, added_at: ''}]}))""",
            [account.page_url, account.delete_url, upload_name(account.payload)],
        )
        page.reload(wait_until="domcontentloaded")
    elif name == "image":
        page.goto(account.page_url, wait_until="domcontentloaded")
    elif name == "image_titled":
        page.goto(account.titled_page_url, wait_until="domcontentloaded")
    elif name == "delete":
        page.goto(account.delete_url, wait_until="domcontentloaded")
    elif name == "gallery":
        page.goto("/gallery", wait_until="domcontentloaded")
    elif name == "albums":
        page.goto("/albums", wait_until="domcontentloaded")
    elif name in ("album", "public_album"):
        page.goto(f"/albums/{account.album_id}", wait_until="domcontentloaded")
    elif name == "profile":
        page.goto(f"/u/{account.user_id}", wait_until="domcontentloaded")
    elif name == "settings":
        page.goto("/settings", wait_until="domcontentloaded")
        page.locator("[data-key-rows] tr").first.wait_for()
    elif name == "admin":
        page.goto("/admin", wait_until="domcontentloaded")
        page.locator("[data-audit-rows] tr").first.wait_for()
    else:  # pragma: no cover - a page in CELLS without a way to reach it
        raise AssertionError(name)


# For each (selector, how, expected): "" when the text is there literally, else what is.
# One function in the page, polled until every place shows its text (a round trip per
# place per check would double the file's runtime on a busy machine).
SHOWN = """(places) => places.map(([selector, how, expected]) => {
  if (how === "title") return document.title.includes(expected) ? "" : `title ${document.title}`;
  const nodes = [...document.querySelectorAll(selector)];
  if (how.startsWith("@")) {
    const values = nodes.map((n) => n.getAttribute(how.slice(1)));
    return values.includes(expected) ? "" : JSON.stringify(values);
  }
  const texts = nodes.map((n) => n.textContent);
  if (how === "option") return texts.includes(expected) ? "" : JSON.stringify(texts);
  const seen = nodes.some((n) => n.textContent.includes(expected) && n.checkVisibility());
  return seen ? "" : JSON.stringify(texts);
})"""


def _missing(page: Any, places: list[tuple[str, str, str]]) -> list[str]:
    """Wait until every place shows its text; what is still missing after the timeout."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"(places) => ({SHOWN})(places).every((r) => r === '')", arg=places)
        return []
    except PlaywrightTimeout:
        found = page.evaluate(SHOWN, places)
        return [
            f"{expected!r} at {selector} ({how}); found {got}"
            for (selector, how, expected), got in zip(places, found, strict=True)
            if got
        ]


# The admin page lists every account at once: it is loaded once per mode and checked for all
# the payloads; every other page is loaded once per mode and payload, as that account.
RUNS = [(key, page) for page in PAGES if page != "admin" for key in PAYLOADS] + [("all", "admin")]


@pytest.mark.parametrize(("payload_key", "page_name"), RUNS, ids=[f"{p}-{k}" for k, p in RUNS])
@pytest.mark.parametrize("mode", MODES)
def test_stored_xss(
    tabs: dict[str, Tab], world: World, mode: str, payload_key: str, page_name: str
) -> None:
    accounts = (
        list(world.accounts.values()) if payload_key == "all" else [world.accounts[payload_key]]
    )
    if page_name == "admin":
        cookies = world.admin_cookies
    elif page_name in ("public_album", "recent", "profile"):
        cookies = {}  # a signed-out visitor (a guest)
    else:
        cookies = accounts[0].cookies
    tab = tabs[mode]
    tab.reset(world.base, cookies)
    page = tab.page
    _visit(page, accounts[0], page_name)
    places = [
        (place.selector, place.how, account.value(place.field, page_name))
        for account in accounts
        for place in CELLS
        if place.page == page_name
    ]
    missing = _missing(page, places)  # reported after the traces of anything that ran
    traces = page.evaluate(TRACES)
    injected, sentinel, violations = traces["injected"], traces["sentinel"], traces["violations"]
    assert not tab.dialogs, f"a dialog opened: {tab.dialogs}"
    assert sentinel is None, f"window.__xss was set to {sentinel}"
    assert not violations, f"CSP violations: {violations}"
    assert not injected, f"injected markup: {injected}"
    assert not tab.stray, f"requests for an injected src=x: {tab.stray}"
    assert not tab.problems, tab.problems
    assert not missing, f"not shown literally: {missing}"

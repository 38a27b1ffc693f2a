"""GET /gallery past its last page: the server answers with the friendly notice (as the album
and profile pages do, status 200), with links to the last and the first page that keep the
search and filters; other pages are the script's shell as before."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest

from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import Browser, sign_up


@pytest.fixture(params=["memory", "sqlite", "postgres_s3"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param)


def notice(page: str) -> str | None:
    """The server-rendered out-of-range notice's HTML, or None when it is hidden."""
    m = re.search(
        r'<div class="notice" role="status" data-out-of-range( hidden)?>(.*?)</div>', page
    )
    assert m, "the gallery always has the notice's place"
    return None if m[1] else m[2]


def gallery(browser: Browser, query: str = "") -> str:
    r = browser.request("GET", "/gallery" + query)
    assert r.status_code == 200, r.text
    return r.text


def test_a_page_past_the_end_says_so_on_the_server(app: App) -> None:
    browser = sign_up(app)
    assert notice(gallery(browser, "?page=2")) is None  # nothing uploaded: "No images yet"
    for name in ("sunset.png", "sunrise.png"):
        assert browser.upload((name, "image/png", imagegen.png(12, 12))).status_code == 200

    assert notice(gallery(browser)) is None
    assert notice(gallery(browser, "?page=1")) is None
    text = notice(gallery(browser, "?page=99"))
    assert text is not None
    assert "There is no page 99: your gallery has 1 page." in text
    assert '<a href="?page=1" data-last-page="1">Go to the last page</a>' in text
    assert '<a href="/gallery">Go to the first page</a>' in text

    # A search past its end speaks of the results, and its links keep the search and order.
    text = notice(gallery(browser, "?search=sun%22%3E%3Cb%3E&sort=name&page=3"))
    assert text is None  # no match at all: the script says "No images match"
    text = notice(gallery(browser, "?search=SUNSET&sort=name&page=3"))
    assert text is not None
    assert "There is no page 3: these results have 1 page." in text
    links = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', text)]
    assert links == ["?search=SUNSET&sort=name&page=1", "?search=SUNSET&sort=name"]

    # A bad filter is the script's to report (the API's 400), not a server error here.
    page = gallery(browser, "?type=image/tiff&page=4")
    assert notice(page) is None


def test_the_notice_escapes_what_the_address_carries(app: App) -> None:
    browser = sign_up(app)
    assert browser.upload(("a.png", "image/png", imagegen.png(12, 12))).status_code == 200
    text = notice(gallery(browser, '?search=a&visibility=unlisted&page=2&x="><script>'))
    assert text is not None and "<script>" not in text
    assert "these results have 1 page" in text
    assert "x=" not in text  # only the gallery's own parameters are kept


def test_the_gallery_still_needs_a_session(make_app: Callable[..., App]) -> None:
    r = make_app().client.simulate_get("/gallery", params={"page": "9"})
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/gallery%3Fpage%3D9"

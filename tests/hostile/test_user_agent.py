"""Hostile User-Agent headers (issue 14, item 8): 10 KB long, control characters, NUL, bidi
overrides, zero-width marks and HTML. Sign-in still works; the session keeps the header cleaned
(no control or bidi character, whitespace collapsed) and cut to 300 characters; the sessions
list hands it back as JSON text (pages escape it: tests/browser) with a plain device summary;
and neither the sign-in nor the listing costs more for it."""

from __future__ import annotations

import re
import uuid

import pytest

from imgtree.domain.model import MAX_USER_AGENT, clean_user_agent
from imgtree.entrypoints.http.user_agents import describe_device
from tests.hostile import BACKENDS, build_app
from tests.hostile.cost import measure
from tests.support.app import App
from tests.support.browser import PASSWORD, Browser, session_cookie, sign_up

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
HTML = '<img src=x onerror=alert(1)><script>alert("ua")</script>'
HOSTILE = {
    "10kb": FIREFOX + " " + "A" * 10_240,
    "10kb-of-controls": "\x01\x02\x1b[31m" * 2_600 + FIREFOX,
    "nul": FIREFOX.replace("X11", "X11\x00evil"),
    "crlf-injection": FIREFOX + "\r\nSet-Cookie: imgtree_session=stolen",
    "ansi-escape": "\x1b[2J\x1b[31m" + FIREFOX,
    "bidi-override": "\u202egnp.exe\u202c " + FIREFOX + " \u2066isolated\u2069",
    "zero-width": "Fire\u200bfox/1\ufeff \u200d",
    "c1-controls": "\x85\x9b" + FIREFOX,
    "html": HTML + " " + FIREFOX,
    "html-10kb": HTML * 200,
    "only-controls": "\x00\x07\x08\x0b\x0c\x7f",
    "empty": "",
}
# What must never survive cleaning: C0/C1 controls, DEL, bidi and zero-width format marks.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
LISTING_CPU_S = 0.25


@pytest.fixture(scope="module", params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> App:
    return build_app(tmp_path_factory.mktemp(f"ua-{request.param}"), request.param)


@pytest.mark.parametrize("name", HOSTILE)
def test_clean_user_agent_bounds_and_strips(name: str) -> None:
    cleaned = clean_user_agent(HOSTILE[name])
    assert len(cleaned) <= MAX_USER_AGENT
    assert not UNPRINTABLE.search(cleaned) and cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert describe_device(cleaned)  # always some summary, never an error


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_user_agent_is_stored_clean_and_listed_as_text(app: App, name: str) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    sign_up(app, email)
    with measure() as cost:
        r = app.client.simulate_post(
            "/api/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"User-Agent": HOSTILE[name]},
        )
    assert r.status_code == 200, r.text
    assert cost.over_limits() is None, cost.describe()
    browser = Browser(app, session_cookie(r), r.json["csrf_token"], r.json["user"]["id"])
    with measure() as listing:
        listed = browser.request("GET", "/api/auth/sessions")
    assert listed.status_code == 200
    assert listing.cpu_s < LISTING_CPU_S, listing.describe()
    current = next(s for s in listed.json["sessions"] if s["current"])
    assert current["user_agent"] == clean_user_agent(HOSTILE[name])
    assert len(current["user_agent"]) <= MAX_USER_AGENT
    assert not UNPRINTABLE.search(current["user_agent"])
    assert not UNPRINTABLE.search(current["device"]) and "<" not in current["device"]
    # JSON, never HTML: the raw text is escaped by whoever renders it.
    assert listed.headers["content-type"].startswith("application/json")
    if name.startswith("html"):
        assert current["user_agent"].startswith("<img src=x onerror=alert(1)>")


def test_ten_kilobytes_are_cut_not_refused(app: App) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    sign_up(app, email)
    r = app.client.simulate_post(
        "/api/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": HOSTILE["10kb"]},
    )
    browser = Browser(app, session_cookie(r), r.json["csrf_token"], r.json["user"]["id"])
    current = next(
        s for s in browser.request("GET", "/api/auth/sessions").json["sessions"] if s["current"]
    )
    assert current["user_agent"] == HOSTILE["10kb"][:MAX_USER_AGENT]
    assert current["device"] == "Firefox on Linux"

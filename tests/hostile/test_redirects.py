"""Open redirects through `?next=` (issue [accounts], item 8): whatever the variant, a signed-in
visitor is sent to a path of this site, and the login page hands its script only such a path."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

import pytest

from tests.support.app import App
from tests.support.browser import sign_up

HOSTILE_NEXT = [
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\t/evil.example/",
    "/\r\n/evil.example/",
    " //evil.example/",
    "%2F%2Fevil.example/",
    "/%09/evil.example/",
    "http:evil.example",
]


def _same_site(location: str) -> bool:
    return (
        location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and not re.search(r"[\x00-\x20]", location)
    )


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_leaves_the_site(make_app: Callable[..., App], target: str) -> None:
    app = make_app()
    browser = sign_up(app, "r@example.com")
    query = f"next={quote(target, safe='')}"
    signed_in = app.client.simulate_get(
        "/login", query_string=query, cookies={"imgtree_session": browser.cookie}
    )
    assert signed_in.status_code == 303
    assert _same_site(signed_in.headers["location"]), signed_in.headers["location"]
    # Twice, the second a safe one: whichever falcon reads, the hostile one is never used.
    twice = app.client.simulate_get(
        "/login",
        query_string=f"{query}&next=%2Fsettings",
        cookies={"imgtree_session": browser.cookie},
    )
    assert _same_site(twice.headers["location"]), twice.headers["location"]
    visitor = app.client.simulate_get("/login", query_string=query)
    (given,) = re.findall(r'data-next="([^"]*)"', visitor.text)
    assert _same_site(given), given

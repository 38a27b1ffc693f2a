"""axe-core on every page (issue 17 item 7): no serious or critical accessibility violation,
in the light and the dark theme, at desktop and phone sizes, signed out, signed in and as an
admin. axe-core is the npm package, fetched at a pinned version and verified
(tests/support/axe.py); it is injected through the DevTools protocol, so the pages' CSP
(script-src 'self') stays exactly as served.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support import imagegen
from tests.support.axe import axe_source
from tests.support.browser import VIEWPORTS
from tests.support.servers import cli, local_env, serve

pytestmark = [pytest.mark.smoke, pytest.mark.browser]

PASSWORD = "correct horse battery"
ADMIN = "axe-admin@example.com"
USER = "axe-user@example.com"
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def axe() -> str:
    try:
        return axe_source()
    except OSError as exc:  # no network on a developer's machine
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"axe-core could not be fetched: {exc}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A server with an admin, a user with a public image in a public album, and its pages."""
    root = tmp_path_factory.mktemp("axe")
    env = local_env(root, IMGTREE_RATE_LIMIT_PER_MINUTE="1000")
    cli(env, "users", "create", ADMIN, "--password", PASSWORD, "--admin")
    cli(env, "users", "create", USER, "--password", PASSWORD)
    key = cli(env, "keys", "create", "--email", USER, "--name", "axe").strip().splitlines()[-1]
    with serve(env, root / "server.log") as base:
        http = requests.Session()
        login = http.post(
            f"{base}/api/auth/login", json={"email": USER, "password": PASSWORD}, timeout=10
        )
        assert login.status_code == 200, login.text
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        album = http.post(
            f"{base}/api/albums", json={"title": "Trip", "isPublic": True}, headers=csrf, timeout=10
        )
        assert album.status_code == 201, album.text
        up = requests.post(
            f"{base}/api/v1/upload",
            headers={"Authorization": f"Bearer {key}"},
            files={"file": ("beach.png", imagegen.png(900, 600), "image/png")},
            data={"visibility": "public", "albumId": album.json()["album"]["id"]},
            timeout=30,
        )
        assert up.status_code == 200, up.text
        image = up.json()["images"][0]
        # A password-protected image: visitors get the password form.
        locked = requests.post(
            f"{base}/api/v1/upload",
            headers={"Authorization": f"Bearer {key}"},
            files={"file": ("locked.png", imagegen.png(300, 200), "image/png")},
            timeout=30,
        ).json()["images"][0]
        locked_id = locked["delete_url"].removeprefix(base).split("/")[3].split("?")[0]
        protect = http.patch(
            f"{base}/api/images/{locked_id}", json={"password": "pw"}, headers=csrf, timeout=30
        )
        assert protect.status_code == 200, protect.text
        yield {
            "locked": f"/i/{locked['id']}",
            "base": base,
            "image": f"/i/{image['id']}",
            "album": f"/albums/{album.json()['album']['id']}",
            "profile": f"/u/{login.json()['user']['id']}",
            "delete": image["delete_url"].removeprefix(base),
        }


def violations(page: Any, axe: str) -> list[str]:
    page.evaluate(axe + ";0")
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found
            if v["impact"] in SERIOUS]  # fmt: skip


def sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


PAGES = {
    None: [
        *("/", "/login", "/signup", "image", "album", "profile", "delete", "/i/nothing0here"),
        "locked",
    ],
    USER: ["/", "/gallery", "/albums", "/settings", "image", "album"],
    ADMIN: ["/admin"],
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("who", [None, USER, ADMIN], ids=["visitor", "user", "admin"])
def test_no_serious_violations(
    browser: Any, site: dict[str, str], axe: str, who: str | None, viewport: str, scheme: str
) -> None:
    context = browser.new_context(base_url=site["base"], color_scheme=scheme, **VIEWPORTS[viewport])
    try:
        page = context.new_page()
        if who is not None:
            sign_in(page, who)
        problems = {}
        for path in PAGES[who]:
            page.goto(site.get(path, path))
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)  # scripts fill lists from the API
            found = violations(page, axe)
            if found:
                problems[path] = found
        assert not problems, problems
    finally:
        context.close()

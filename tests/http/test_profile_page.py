"""/u/{user_id}: a user's public profile, server-rendered. It lists `public` images only
(never unlisted or private), paged with ?page=, and public albums; no email; 404 for unknown
and deactivated accounts. Album pages show visitors public and unlisted images, not private."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import imagegen
from tests.support.accounts import promote
from tests.support.app import App
from tests.support.browser import Browser, sign_up


@pytest.fixture(params=["memory", "sqlite"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param)


def upload(browser: Browser, name: str, visibility: str, **fields: str) -> dict[str, Any]:
    r = browser.upload((name, "image/png", imagegen.png(9, 9)), visibility=visibility, **fields)
    assert r.status_code == 200, r.text
    (image,) = r.json["images"]
    return dict(image)


def slugs(html: str) -> set[str]:
    return set(re.findall(r'href="[^"]*/i/([a-z0-9]+)"', html))


def test_profile_lists_public_images_and_albums_only(app: App) -> None:
    owner = sign_up(app)
    shown = upload(owner, "shown.png", "public")
    unlisted = upload(owner, "link-only.png", "unlisted")
    private = upload(owner, "secret.png", "private")
    public_album = owner.request("POST", "/api/albums", json={"title": "Trips <3"}).json["album"]
    hidden_album = owner.request(
        "POST", "/api/albums", json={"title": "Drafts", "isPublic": False}
    ).json["album"]
    r = app.client.simulate_get(f"/u/{owner.user_id}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert slugs(r.text) == {shown["id"]}
    assert unlisted["id"] not in r.text and private["id"] not in r.text
    assert "<h1>imgtree user</h1>" in r.text  # no name: never the email
    assert "@example.com" not in r.text
    assert "1 public image" in r.text
    assert f'href="/albums/{public_album["id"]}">Trips &lt;3</a>' in r.text
    assert hidden_album["id"] not in r.text and "Drafts" not in r.text
    assert "<script" not in r.text.split("</main>")[0].split("<main")[-1]  # works without JS
    # The owner sees the same page: the profile is what everyone sees.
    assert slugs(owner.request("GET", f"/u/{owner.user_id}").text) == {shown["id"]}


def test_profile_shows_the_display_name(app: App) -> None:
    r = app.client.simulate_post(
        "/api/auth/signup",
        json={"email": "named@example.com", "password": "correct horse battery", "name": "Ann"},
    )
    user_id = r.json["user"]["id"]
    page = app.client.simulate_get(f"/u/{user_id}")
    assert "<h1>Ann</h1>" in page.text and "named@example.com" not in page.text
    assert "No public images yet." in page.text


def test_profile_pages_and_visibility_changes_show_at_once(app: App) -> None:
    owner = sign_up(app)
    made = [upload(owner, f"p{i}.png", "public") for i in range(26)]
    first = app.client.simulate_get(f"/u/{owner.user_id}")
    second = app.client.simulate_get(f"/u/{owner.user_id}", params={"page": "2"})
    assert len(slugs(first.text)) == 24 and len(slugs(second.text)) == 2
    assert slugs(first.text) | slugs(second.text) == {m["id"] for m in made}
    assert 'rel="next"' in first.text and 'rel="prev"' in second.text
    assert slugs(app.client.simulate_get(f"/u/{owner.user_id}?page=x").text) == slugs(first.text)
    # Made private from the gallery: gone from the profile.
    newest = owner.request("GET", "/api/images", params={"limit": 1}).json["images"][0]
    r = owner.request("PATCH", f"/api/images/{newest['id']}", json={"visibility": "private"})
    assert r.status_code == 200
    assert newest["slug"] not in app.client.simulate_get(f"/u/{owner.user_id}").text


@pytest.mark.parametrize("target", ["unknown", "not-a-uuid", "deactivated"])
def test_profile_is_404_for_unknown_and_deactivated_accounts(app: App, target: str) -> None:
    path = {"unknown": f"/u/{uuid.uuid4()}", "not-a-uuid": "/u/nobody"}.get(target)
    if path is None:
        owner = sign_up(app)
        upload(owner, "shown.png", "public")
        promote(app, owner.user_id, active=False)
        path = f"/u/{owner.user_id}"
    r = app.client.simulate_get(path)
    assert r.status_code == 404
    assert "This profile does not exist." in r.text


def test_album_visitors_see_public_and_unlisted_images_never_private(app: App) -> None:
    owner = sign_up(app)
    album = owner.request("POST", "/api/albums", json={"title": "Shared"}).json["album"]
    seen = {
        v: upload(owner, f"{v}.png", v, albumId=album["id"])["id"]
        for v in ("public", "unlisted", "private")
    }
    visitor = app.client.simulate_get(f"/api/albums/{album['id']}").json
    assert {i["slug"] for i in visitor["images"]} == {seen["public"], seen["unlisted"]}
    assert {i["visibility"] for i in visitor["images"]} == {"public", "unlisted"}
    mine = owner.request("GET", f"/api/albums/{album['id']}").json
    assert {i["slug"] for i in mine["images"]} == set(seen.values())

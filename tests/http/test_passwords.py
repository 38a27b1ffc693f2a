"""Passwords on images and albums over HTTP (issue 17 item 3): owners set and clear them with
PATCH; visitors get the password form (401) instead of the page and 401 for every media URL
until they unlock; the unlock cookie is signed for one image or album and one password, is
rate-limited per client before argon2 runs, and refuses cross-site posts; preview tags and
public listings never carry a protected picture."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest

from imgtree.domain.commands import ImageChanges
from imgtree.domain.use_cases.renditions import sign_media_path
from tests.support import imagegen
from tests.support.accounts import use_cheap_argon2
from tests.support.app import App
from tests.support.browser import Browser, sign_up
from tests.support.multipart import encode

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_argon2(monkeypatch)


SIGNING_KEY = "s" * 32
WIDE = imagegen.png(700, 40)  # large enough for a "small" rendition


def _upload(browser: Browser, data: bytes = WIDE, **fields: str) -> dict[str, Any]:
    r = browser.upload(("wide.png", "image/png", data), **fields)
    assert r.status_code == 200, r.text
    image = r.json["images"][0]
    listed = browser.request("GET", "/api/images").json["images"]
    return next(i for i in listed if i["slug"] == image["id"])


def _protect(browser: Browser, image: dict[str, Any], password: str | None) -> dict[str, Any]:
    r = browser.request("PATCH", f"/api/images/{image['id']}", json={"password": password})
    assert r.status_code == 200, r.text
    return dict(r.json["image"])


def _unlock(
    app: App, path: str, password: str, headers: dict[str, str] | None = None
) -> falcon.testing.Result:
    return app.client.simulate_post(
        f"{path}/unlock", body=f"password={password}", headers={**FORM, **(headers or {})}
    )


def _v1_image(app: App, password: str | None = None) -> tuple[str, str]:
    """(slug, image id) of an image uploaded with an API key, given `password` through the
    use case."""
    user = app.user()
    body, ctype = encode([("file", "a.png", "image/png", imagegen.png(20, 20))])
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(user), "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    item = r.json["images"][0]
    image_id = item["delete_url"].split("/api/images/")[1].split("?")[0]
    if password is not None:
        app.container.use_cases.edit_image()(
            user.id, uuid.UUID(image_id), ImageChanges(password=password)
        )
    return item["id"], image_id


def _cookies(result: falcon.testing.Result) -> dict[str, str]:
    return {c.name: c.value for c in result.cookies.values()}


def _media_paths(image: dict[str, Any]) -> list[str]:
    """Every media URL of an image: direct, thumbnail, a preset, another format."""
    paths = [image["direct_url"], image["thumb_url"], *image["renditions"].values()]
    paths += [url for sizes in image["rendition_formats"].values() for url in sizes.values()]
    return [re.sub(r"^https?://[^/]+", "", url) for url in paths]


def test_protected_image_journey(app: App) -> None:
    owner = sign_up(app)
    image = _upload(owner)
    other = _upload(owner)
    assert image["password_protected"] is False
    edited = _protect(owner, image, "open sesame")
    assert edited["password_protected"] is True
    slug, page = image["slug"], f"/i/{image['slug']}"

    # visitors: the form, no picture, no preview tags; every media URL 401
    locked = app.client.simulate_get(page)
    assert locked.status_code == 401
    assert 'name="password"' in locked.text and f'action="{page}/unlock"' in locked.text
    assert 'content="noindex"' in locked.text
    assert slug not in locked.text.replace(f"/i/{slug}/unlock", "")
    for absent in ("og:image", "twitter:image", "data-blurhash", "data-color", "preload"):
        assert absent not in locked.text
    assert "no-store" in locked.headers["cache-control"]
    paths = _media_paths(image)
    assert len(paths) >= 4
    for path in paths:
        r = app.client.simulate_get(path)
        assert r.status_code == 401, path
        assert r.headers["content-type"].startswith("application/json")
        assert app.client.simulate_head(path).status_code == 401

    # the owner sees everything without unlocking
    own = owner.request("GET", page, csrf=False)
    assert own.status_code == 200 and "data-password-form" in own.text
    assert owner.request("GET", paths[0], csrf=False).status_code == 200

    # a wrong password: the form again, saying so
    wrong = _unlock(app, page, "open says me")
    assert wrong.status_code == 401 and "Wrong password" in wrong.text
    assert not _cookies(wrong)

    # the right one: a signed cookie, back to the page
    right = _unlock(app, page, "open sesame")
    assert right.status_code == 303 and right.headers["location"].endswith(page)
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http base URL
    jar = _cookies(right)
    (name,) = jar
    assert name.startswith("imgtree_unlock_i")
    opened = app.client.simulate_get(page, cookies=jar)
    assert opened.status_code == 200 and "og:image" not in opened.text
    assert 'content="noindex"' in opened.text
    for path in paths:
        r = app.client.simulate_get(path, cookies=jar)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "private, no-cache"
    # still locked for anyone without it, the shared media cache notwithstanding
    assert app.client.simulate_get(paths[0]).status_code == 401
    # the cookie of image A does not open image B
    edited_other = _protect(owner, other, "open sesame")
    assert app.client.simulate_get(f"/i/{other['slug']}", cookies=jar).status_code == 401
    assert app.client.simulate_get(_media_paths(edited_other)[0], cookies=jar).status_code == 401
    # a tampered or expired-looking cookie opens nothing
    forged = {name: "9999999999." + jar[name].split(".", 1)[1]}
    assert app.client.simulate_get(page, cookies=forged).status_code == 401

    # a new password revokes the unlock; clearing it opens the image to everyone
    _protect(owner, image, "new words")
    assert app.client.simulate_get(page, cookies=jar).status_code == 401
    assert app.client.simulate_get(paths[0], cookies=jar).status_code == 401
    cleared = _protect(owner, image, None)
    assert cleared["password_protected"] is False
    assert app.client.simulate_get(page).status_code == 200
    public = app.client.simulate_get(paths[0])
    assert public.status_code == 200 and public.headers["cache-control"].startswith("public")


def test_password_protected_album_journey(make_app: Callable[..., App]) -> None:
    app = make_app()
    owner = sign_up(app)
    album = owner.request("POST", "/api/albums", json={"title": "Trip"}).json["album"]
    assert album["password_protected"] is False
    image = _upload(owner, albumId=album["id"], visibility="public")
    r = owner.request("PATCH", f"/api/albums/{album['id']}", json={"password": "album pw"})
    assert r.status_code == 200 and r.json["album"]["password_protected"] is True
    assert "album pw" not in r.text and "argon2" not in r.text
    listed = owner.request("GET", "/api/albums").json["albums"]
    assert [a["password_protected"] for a in listed] == [True]
    page = f"/albums/{album['id']}"

    locked = app.client.simulate_get(page)
    assert locked.status_code == 401 and 'name="password"' in locked.text
    assert "og:image" not in locked.text and image["slug"] not in locked.text
    assert app.client.simulate_get(f"/i/{image['slug']}").status_code == 401
    for path in _media_paths(image):
        assert app.client.simulate_get(path).status_code == 401, path
    assert app.client.simulate_get(f"/api/albums/{album['id']}").status_code == 401

    right = _unlock(app, page, "album pw")
    assert right.status_code == 303
    jar = _cookies(right)
    assert [n[:16] for n in jar] == ["imgtree_unlock_a"]
    opened = app.client.simulate_get(page, cookies=jar)
    assert opened.status_code == 200 and image["thumb_url"] in opened.text
    assert "og:image" not in opened.text and 'content="noindex"' in opened.text
    for path in _media_paths(image):
        assert app.client.simulate_get(path, cookies=jar).status_code == 200, path
    # the album's unlock opens the image page too
    assert app.client.simulate_get(f"/i/{image['slug']}", cookies=jar).status_code == 200
    # an image with a password of its own stays a lock tile inside the open album
    _protect(owner, image, "image pw")
    tiled = app.client.simulate_get(page, cookies=jar)
    assert "data-locked-tile" in tiled.text and image["thumb_url"] not in tiled.text
    data = app.client.simulate_get(f"/api/albums/{album['id']}").json
    assert data == {"success": False, "error": "This album is password-protected"}


def test_profile_and_album_listings_show_locks_not_pictures(make_app: Callable[..., App]) -> None:
    app = make_app()
    owner = sign_up(app)
    shown = _upload(owner, visibility="public")
    hidden = _upload(owner, imagegen.png(30, 90, alpha=True), visibility="public")
    assert hidden["blurhash"] != shown["blurhash"]
    _protect(owner, hidden, "pw")
    profile = app.client.simulate_get(f"/u/{owner.user_id}")
    assert profile.status_code == 200
    assert shown["thumb_url"] in profile.text and hidden["thumb_url"] not in profile.text
    assert "data-locked-tile" in profile.text
    og = re.findall(r'property="og:image" content="([^"]+)"', profile.text)
    assert og == [shown["thumb_url"]] or og == []
    assert hidden["blurhash"] not in profile.text
    # a public album holding it: a lock tile, and no colours in its JSON either
    album = owner.request("POST", "/api/albums", json={"title": "A"}).json["album"]
    owner.request("PATCH", f"/api/images/{hidden['id']}", json={"albumId": album["id"]})
    page = app.client.simulate_get(f"/albums/{album['id']}")
    assert page.status_code == 200 and "data-locked-tile" in page.text
    assert hidden["thumb_url"] not in page.text and "og:image" not in page.text
    (item,) = app.client.simulate_get(f"/api/albums/{album['id']}").json["images"]
    assert item["password_protected"] is True
    assert item["blurhash"] is None and item["dominant_color"] is None


def test_wrong_passwords_are_limited_before_any_check(make_app: Callable[..., App]) -> None:
    app = make_app()
    owner = sign_up(app)
    image = _upload(owner)
    _protect(owner, image, "right")
    page = f"/i/{image['slug']}"
    for _ in range(10):
        assert _unlock(app, page, "wrong").status_code == 401
    limited = _unlock(app, page, "wrong")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    # past the budget even the right password is not checked
    assert _unlock(app, page, "right").status_code == 429
    # another client is not affected
    other = app.client.simulate_post(
        f"{page}/unlock", body="password=right", headers=FORM, remote_addr="10.9.8.7"
    )
    assert other.status_code == 303


def test_cross_site_unlock_posts_are_refused(make_app: Callable[..., App]) -> None:
    app = make_app()
    owner = sign_up(app)
    image = _upload(owner)
    _protect(owner, image, "pw")
    page = f"/i/{image['slug']}"
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        r = _unlock(app, page, "pw", headers)
        assert r.status_code == 403 and not _cookies(r)
    same = _unlock(app, page, "pw", {"Origin": "http://img.test", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 303


def test_signed_sizes_need_the_unlock_too(make_app: Callable[..., App]) -> None:
    app = make_app(media_signing_key=SIGNING_KEY)
    owner = sign_up(app)
    image = _upload(owner)
    _protect(owner, image, "pw")
    path = f"100x100/{image['slug']}.png"
    url = f"/media/signed/{sign_media_path(SIGNING_KEY.encode(), path)}/{path}"
    assert app.client.simulate_get(url).status_code == 401
    jar = _cookies(_unlock(app, f"/i/{image['slug']}", "pw"))
    r = app.client.simulate_get(url, cookies=jar)
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-cache"


def test_a_cached_public_image_locks_as_soon_as_it_gets_a_password(
    make_app: Callable[..., App],
) -> None:
    app = make_app()
    owner = sign_up(app)
    image = _upload(owner)
    direct = _media_paths(image)[0]
    assert app.client.simulate_get(direct).status_code == 200  # now in the media cache
    _protect(owner, image, "pw")
    assert app.client.simulate_get(direct).status_code == 401


def test_https_deployments_mark_the_cookie_secure(make_app: Callable[..., App]) -> None:
    app = make_app(base_url="https://img.test", unlock_key="u" * 32)
    slug, _id = _v1_image(app, "pw")
    r = _unlock(app, f"/i/{slug}", "pw")
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_unlocks_are_valid_in_every_worker_with_a_configured_key(
    make_app: Callable[..., App],
) -> None:
    """Two app instances (two workers) sharing a database and IMGTREE_UNLOCK_KEY accept each
    other's unlocks; a different key does not."""
    first = make_app(backend="sqlite", unlock_key="k" * 32)
    slug, _id = _v1_image(first, "pw")
    jar = _cookies(_unlock(first, f"/i/{slug}", "pw"))
    second = make_app(backend="sqlite", unlock_key="k" * 32)
    assert second.client.simulate_get(f"/i/{slug}", cookies=jar).status_code == 200
    other_key = make_app(backend="sqlite", unlock_key="z" * 32)
    assert other_key.client.simulate_get(f"/i/{slug}", cookies=jar).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [({"password": 5}, "password"), ({"password": "x" * 1025}, "password")],
)
def test_bad_password_values_are_400_and_change_nothing(
    make_app: Callable[..., App], body: dict[str, Any], field: str
) -> None:
    app = make_app()
    owner = sign_up(app)
    image = _upload(owner)
    album = owner.request("POST", "/api/albums", json={"title": "A"}).json["album"]
    for path in (f"/api/images/{image['id']}", f"/api/albums/{album['id']}"):
        r = owner.request("PATCH", path, json=body)
        assert r.status_code == 400 and field in r.json["error"]
    assert app.client.simulate_get(f"/i/{image['slug']}").status_code == 200
    assert app.client.simulate_get(f"/albums/{album['id']}").status_code == 200


def test_v1_image_objects_say_password_protected(make_app: Callable[..., App]) -> None:
    app = make_app()
    user = app.user()
    auth = app.auth(user)
    body, ctype = encode([("file", "a.png", "image/png", imagegen.png(20, 20))])
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**auth, "Content-Type": ctype}
    )
    assert r.status_code == 200 and r.json["images"][0]["password_protected"] is False
    image_id = r.json["images"][0]["delete_url"].split("/api/images/")[1].split("?")[0]
    app.container.use_cases.edit_image()(user.id, uuid.UUID(image_id), ImageChanges(password="pw"))
    listed = app.client.simulate_get("/api/v1/images", headers=auth).json["images"]
    assert [i["password_protected"] for i in listed] == [True]
    assert "argon2" not in str(listed)

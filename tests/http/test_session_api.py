"""The cookie-session API (/api/auth, /api/images, /api/albums, /api/keys, /api/upload[/guest])
through falcon.testing, on memory adapters and on SQLite + local disk."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import attrs
import pytest

from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.browser import PASSWORD, Browser, session_cookie, sign_up
from tests.support.multipart import encode


def test_signup_sets_a_safe_cookie_and_returns_user_and_csrf(app: App) -> None:
    r = app.client.simulate_post(
        "/api/auth/signup", json={"email": "New@Example.com", "password": PASSWORD, "name": "N"}
    )
    assert r.status_code == 201
    assert r.json["user"]["email"] == "new@example.com"
    assert r.json["user"]["role"] == "user" and r.json["csrf_token"]
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http base URL
    again = app.client.simulate_post(
        "/api/auth/signup", json={"email": "new@example.com", "password": PASSWORD}
    )
    assert again.status_code == 409


def test_csrf_token_is_the_sha256_of_the_labelled_session_token(app: App) -> None:
    # Pins the wire value: the derivation moved from the domain to the HTTP layer unchanged.
    browser = sign_up(app)
    expected = hashlib.sha256(("csrf:" + browser.cookie).encode()).hexdigest()
    assert browser.csrf == expected
    assert browser.request("GET", "/api/auth/me").json["csrf_token"] == expected


def test_cookie_is_secure_behind_https(make_app: Callable[..., App]) -> None:
    app = make_app(base_url="https://img.example.com")
    r = app.client.simulate_post(
        "/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD}
    )
    assert "Secure" in r.headers["set-cookie"]


@pytest.mark.parametrize(
    ("doc", "status"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, 400),
        ({"email": "a@example.com", "password": "short"}, 400),
        ({"email": "a@example.com"}, 400),
        ([], 400),
    ],
)
def test_signup_rejects_bad_input(app: App, doc: object, status: int) -> None:
    r = app.client.simulate_post("/api/auth/signup", json=doc)
    assert r.status_code == status and r.json["success"] is False


def test_signup_can_be_closed(make_app: Callable[..., App]) -> None:
    app = make_app(signup_open=False)
    r = app.client.simulate_post(
        "/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD}
    )
    assert r.status_code == 403


def test_login_me_logout(app: App) -> None:
    sign_up(app, "me@example.com")
    bad = app.client.simulate_post(
        "/api/auth/login", json={"email": "me@example.com", "password": "wrong password"}
    )
    assert bad.status_code == 401 and bad.json["error"] == "Invalid email or password"
    nobody = app.client.simulate_post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert nobody.status_code == 401 and nobody.json == bad.json
    r = app.client.simulate_post(
        "/api/auth/login", json={"email": "ME@example.com", "password": PASSWORD}
    )
    assert r.status_code == 200
    browser = Browser(app, session_cookie(r), r.json["csrf_token"], r.json["user"]["id"])
    me = browser.request("GET", "/api/auth/me")
    assert me.status_code == 200 and me.json["user"]["email"] == "me@example.com"
    assert me.json["csrf_token"] == browser.csrf
    assert app.client.simulate_get("/api/auth/me").status_code == 401
    forged = app.client.simulate_get("/api/auth/me", cookies={"imgtree_session": "forged"})
    assert forged.status_code == 401
    assert browser.request("POST", "/api/auth/logout", csrf=False).status_code == 403
    assert browser.request("POST", "/api/auth/logout").status_code == 200
    assert browser.request("GET", "/api/auth/me").status_code == 401


def test_login_is_throttled(app: App) -> None:
    sign_up(app, "t@example.com")
    wrong = {"email": "t@example.com", "password": "wrong password"}
    results = [
        app.client.simulate_post("/api/auth/login", json=wrong, remote_addr="203.0.113.9")
        for _ in range(7)
    ]
    assert [r.status_code for r in results] == [401] * 5 + [429, 429]
    refused = results[-1]
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 900 and "try again in" in refused.json["error"]
    # The owner's right password from another address is not held up by the attacker's.
    right = {"email": "t@example.com", "password": PASSWORD}
    owner = app.client.simulate_post("/api/auth/login", json=right, remote_addr="198.51.100.7")
    assert owner.status_code == 200


def test_password_change_ends_other_sessions(app: App) -> None:
    first = sign_up(app, "pw@example.com")
    r = app.client.simulate_post(
        "/api/auth/login", json={"email": "pw@example.com", "password": PASSWORD}
    )
    second = Browser(app, session_cookie(r), r.json["csrf_token"], first.user_id)
    wrong = first.request(
        "POST",
        "/api/auth/password",
        json={"current_password": "nope nope", "new_password": "x" * 12},
    )
    assert wrong.status_code == 403
    ok = first.request(
        "POST",
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "a new long password"},
    )
    assert ok.status_code == 200
    assert first.request("GET", "/api/auth/me").status_code == 200
    assert second.request("GET", "/api/auth/me").status_code == 401


def test_inactive_account_is_refused_at_once(app: App) -> None:
    browser = sign_up(app)
    with app.container.adapters.uow_factory()() as uow:
        user = uow.users.get(uuid.UUID(browser.user_id))
        uow.users.update(attrs.evolve(user, active=False))
        uow.commit()
    r = browser.request("GET", "/api/images")
    assert r.status_code == 403 and r.json["error"] == "Account inactive"


def test_gallery_edit_and_delete(app: App) -> None:
    browser = sign_up(app)
    up = browser.upload(
        ("a.png", "image/png", imagegen.png(10, 10)), ("b.png", "image/png", imagegen.png(12, 10))
    )
    assert up.status_code == 200, up.text
    listing = browser.request("GET", "/api/images", params={"limit": 1})
    assert (listing.json["total"], listing.json["limit"], listing.json["has_more"]) == (2, 1, True)
    assert set(listing.json) == {"success", "images", "page", "limit", "total", "has_more"}
    image = listing.json["images"][0]
    assert image["is_public"] is True and image["album_id"] is None
    path = f"/api/images/{image['id']}"
    no_csrf = browser.request("PATCH", path, csrf=False, json={"title": "x"})
    assert no_csrf.status_code == 403
    r = browser.request("PATCH", path, json={"title": "Sunset", "isPublic": False})
    assert r.status_code == 200 and r.json["image"]["title"] == "Sunset"
    assert r.json["image"]["is_public"] is False
    # A private image's page and media are hidden from everyone else.
    assert app.client.simulate_get(f"/i/{image['slug']}").status_code == 404
    assert app.client.simulate_get(urlsplit(image["direct_url"]).path).status_code == 404
    other = sign_up(app)
    assert other.request("PATCH", path, json={"title": "mine"}).status_code == 404
    assert other.request("DELETE", path).status_code == 404
    assert browser.request("PATCH", path, json={"isPublic": "maybe"}).status_code == 400
    assert browser.request("PATCH", path, json={}).status_code == 400
    assert browser.request("DELETE", path, csrf=False).status_code == 403
    assert browser.request("DELETE", path).status_code == 200
    assert browser.request("GET", "/api/images").json["total"] == 1


def test_albums_crud_and_visibility(app: App) -> None:
    browser = sign_up(app)
    created = browser.request(
        "POST", "/api/albums", json={"title": "Trips", "description": "2026", "isPublic": True}
    )
    assert created.status_code == 201
    album = created.json["album"]
    assert album["title"] == "Trips" and album["isPublic"] is True
    album_id = album["id"]
    up = browser.upload(
        ("a.png", "image/png", imagegen.png(10, 10)), albumId=album_id, isPublic="true"
    )
    assert up.status_code == 200
    private = browser.upload(("p.png", "image/png", imagegen.png(9, 9)), isPublic="false")
    listing = browser.request("GET", "/api/images").json["images"]
    private_id = next(i["id"] for i in listing if i["slug"] == private.json["images"][0]["id"])
    moved = browser.request("PATCH", f"/api/images/{private_id}", json={"albumId": album_id})
    assert moved.status_code == 200 and moved.json["image"]["album_id"] == album_id
    detail = browser.request("GET", f"/api/albums/{album_id}")
    assert detail.status_code == 200 and detail.json["total"] == 2
    assert detail.json["album"]["title"] == "Trips"
    # Anyone may view a public album, but only its public images.
    anonymous = app.client.simulate_get(f"/api/albums/{album_id}")
    assert anonymous.status_code == 200 and anonymous.json["total"] == 1
    albums = browser.request("GET", "/api/albums").json["albums"]
    assert albums[0]["image_count"] == 2
    assert (
        browser.request("PATCH", f"/api/albums/{album_id}", json={"isPublic": False}).status_code
        == 200
    )
    assert app.client.simulate_get(f"/api/albums/{album_id}").status_code == 404
    other = sign_up(app)
    assert other.request("DELETE", f"/api/albums/{album_id}").status_code == 404
    assert other.request("POST", "/api/albums", json={"title": ""}).status_code == 400
    assert browser.request("DELETE", f"/api/albums/{album_id}").status_code == 200
    assert browser.request("GET", "/api/images").json["total"] == 2  # images stay


def test_api_keys_via_session(app: App) -> None:
    browser = sign_up(app)
    created = browser.request("POST", "/api/keys", json={"name": "laptop"})
    assert created.status_code == 201
    secret, key_id = created.json["key"], created.json["id"]
    assert secret.startswith("imgt_") and created.json["name"] == "laptop"
    listed = browser.request("GET", "/api/keys").json["keys"]
    assert [k["id"] for k in listed] == [key_id]
    assert secret not in json.dumps(listed)
    v1 = app.client.simulate_get("/api/v1/images", headers={"Authorization": f"Bearer {secret}"})
    assert v1.status_code == 200
    assert sign_up(app).request("DELETE", f"/api/keys/{key_id}").status_code == 404
    assert browser.request("DELETE", f"/api/keys/{key_id}").status_code == 200
    v1 = app.client.simulate_get("/api/v1/images", headers={"Authorization": f"Bearer {secret}"})
    assert v1.status_code == 401


def test_sharex_config_carries_a_working_key(app: App) -> None:
    browser = sign_up(app)
    r = browser.request("POST", "/api/keys/sharex")
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    host = BASE_URL.split("://", 1)[1]
    assert f"{host}.sxcu" in r.headers["content-disposition"]
    config = json.loads(r.text)
    assert config["Name"] == host
    assert config["RequestURL"] == f"{BASE_URL}/api/v1/upload"
    assert config["FileFormName"] == "file" and config["Body"] == "MultipartFormData"
    assert config["URL"] == "{json:images[0].url}"
    assert config["DeletionURL"] == "{json:images[0].delete_url}"
    assert config["ErrorMessage"] and int(config["Version"].split(".")[0]) >= 14
    body, ctype = encode([(config["FileFormName"], "s.png", "image/png", imagegen.png(5, 5))])
    up = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**config["Headers"], "Content-Type": ctype}
    )
    assert up.status_code == 200
    # Upload-only: the key in a desktop config file cannot list or delete by id, but the
    # delete link it was given carries its own token and works.
    listed = app.client.simulate_get("/api/v1/images", headers=config["Headers"])
    assert listed.status_code == 403 and "images:read" in listed.json["error"]
    (key,) = browser.request("GET", "/api/keys").json["keys"]
    assert key["scopes"] == ["upload"] and key["name"] == f"ShareX ({host})"
    delete_url = up.json["images"][0]["delete_url"]
    assert app.client.simulate_delete(delete_url.removeprefix(BASE_URL)).status_code == 200


def test_guest_uploads(app: App) -> None:
    for field in ("files", "file"):
        body, ctype = encode([(field, "g.png", "image/png", imagegen.png(8, 8))])
        r = app.client.simulate_post(
            "/api/upload/guest", body=body, headers={"Content-Type": ctype}
        )
        assert r.status_code == 200, r.text
        image = r.json["images"][0]
        assert "/api/images/" in image["delete_url"] and "token=" in image["delete_url"]
        parts = urlsplit(image["delete_url"])
        assert app.client.simulate_delete(parts.path, query_string=parts.query).status_code == 200


def test_guest_limits(make_app: Callable[..., App]) -> None:
    app = make_app(guest_max_upload_bytes=500, guest_rate_limit_per_minute=3)
    big = imagegen.png(100, 100) + b"\0" * 600
    body, ctype = encode([("files", "big.png", "image/png", big)])
    r = app.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})
    assert r.status_code == 413
    statuses = [
        app.client.simulate_post(
            "/api/upload/guest", body=body, headers={"Content-Type": ctype}
        ).status_code
        for _ in range(3)
    ]
    assert statuses[-1] == 429
    closed = make_app(guest_uploads=False)
    r = closed.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})
    assert r.status_code == 403 and r.json["error"] == "Guest uploads are disabled"


def test_guest_presign_and_complete(app: App) -> None:
    data = imagegen.png(20, 20)
    r = app.client.simulate_post(
        "/api/upload/guest/presign",
        json={"filename": "g.png", "contentType": "image/png", "sizeBytes": len(data)},
    )
    assert r.status_code == 200, r.text
    parts = urlsplit(r.json["put_url"])
    put = app.client.simulate_put(
        parts.path, query_string=parts.query, body=data, headers={"Content-Type": "image/png"}
    )
    assert put.status_code == 200
    done = app.client.simulate_post(
        "/api/upload/guest/complete", json={"token": r.json["completion_token"]}
    )
    assert done.status_code == 200 and "delete_url" in done.json["images"][0]


def test_session_presign_and_complete(app: App) -> None:
    browser = sign_up(app)
    data = imagegen.png(20, 20)
    r = browser.request(
        "POST",
        "/api/upload/presign",
        json={"filename": "s.png", "contentType": "image/png", "sizeBytes": len(data)},
    )
    assert r.status_code == 200, r.text
    parts = urlsplit(r.json["put_url"])
    app.client.simulate_put(
        parts.path, query_string=parts.query, body=data, headers={"Content-Type": "image/png"}
    )
    done = browser.request(
        "POST", "/api/upload/complete", json={"completion_token": r.json["completion_token"]}
    )
    assert done.status_code == 200
    assert browser.request("GET", "/api/images").json["total"] == 1
    # A guest cannot complete an account's token, nor the other way round.
    r2 = browser.request(
        "POST",
        "/api/upload/presign",
        json={"filename": "s.png", "contentType": "image/png", "sizeBytes": len(data)},
    )
    parts = urlsplit(r2.json["put_url"])
    app.client.simulate_put(
        parts.path, query_string=parts.query, body=data, headers={"Content-Type": "image/png"}
    )
    guest = app.client.simulate_post(
        "/api/upload/guest/complete", json={"token": r2.json["completion_token"]}
    )
    assert guest.status_code == 400


def test_session_upload_requires_sign_in_and_csrf(app: App) -> None:
    body, ctype = encode([("files", "a.png", "image/png", imagegen.png(4, 4))])
    anonymous = app.client.simulate_post("/api/upload", body=body, headers={"Content-Type": ctype})
    assert anonymous.status_code == 401
    browser = sign_up(app)
    no_csrf = browser.request(
        "POST", "/api/upload", csrf=False, body=body, headers={"Content-Type": ctype}
    )
    assert no_csrf.status_code == 403
    assert browser.request("GET", "/api/images").json["total"] == 0


def test_owner_sees_private_image_page_and_media(app: App) -> None:
    browser = sign_up(app)
    up = browser.upload(("p.png", "image/png", imagegen.png(9, 9)), isPublic="false")
    image = up.json["images"][0]
    for url in (image["url"], image["direct_url"], image["thumb_url"]):
        path = urlsplit(url).path
        assert app.client.simulate_get(path).status_code == 404
        mine = app.client.simulate_get(path, cookies={"imgtree_session": browser.cookie})
        assert mine.status_code == 200
    media = app.client.simulate_get(
        urlsplit(image["direct_url"]).path, cookies={"imgtree_session": browser.cookie}
    )
    assert media.headers["cache-control"].startswith("private")


def test_common_passwords_are_refused_at_sign_up_and_change(app: App) -> None:
    r = app.client.simulate_post(
        "/api/auth/signup", json={"email": "weak@example.com", "password": "password123"}
    )
    assert r.status_code == 400 and "too common" in r.json["error"]
    browser = sign_up(app, "strong@example.com")
    changed = browser.request(
        "POST",
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "qwertyuiop"},
    )
    assert changed.status_code == 400 and "too common" in changed.json["error"]

"""Hostile credentials: malformed Authorization headers, wrong, revoked and deactivated keys,
forged and signed-out session cookies, missing or foreign CSRF tokens, another image's delete
token, IDs that are not UUIDs. Each is refused with the documented status and JSON error,
stores nothing, uses no quota, and leaves the server answering."""

from __future__ import annotations

import uuid
from typing import Any

import attrs
import pytest

from tests.hostile import (
    BACKENDS,
    Harness,
    Result,
    assert_clean_error,
    make_harness,
    multipart,
)
from tests.hostile.corpus import IMAGES
from tests.support.app import BASE_URL
from tests.support.browser import Browser, session_cookie, sign_up


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return make_harness(tmp_path_factory.mktemp(f"auth-{request.param}"), request.param)


def refused(harness: Harness, before: Any, r: Any, status: int) -> None:
    assert_clean_error(r.status_code, r.json, r.text, status)
    after = harness.snapshot()
    assert after == before, "a refused request changed stored state"
    assert harness.answering()


def png_upload() -> tuple[bytes, str]:
    return multipart("file", "a.png", "image/png", IMAGES["png"]())


# --- API keys -------------------------------------------------------------------------------

MALFORMED_AUTHORIZATION = {
    "empty": "",
    "scheme-only": "Bearer",
    "scheme-and-space": "Bearer   ",
    "basic": "Basic dXNlcjpwYXNzd29yZA==",
    "token-scheme": "Token imgt_aaaaaaaaaaaa_secret",
    "no-scheme": "imgt_aaaaaaaaaaaa_secret",
    "not-a-key": "Bearer hunter2",
    "scheme-prefix-only": "Bearer imgt_",
    "uppercase-prefix": "Bearer imgt_AAAAAAAAAAAA_secret",
    "short-prefix": "Bearer imgt_abc_secret",
    "no-secret": "Bearer imgt_aaaaaaaaaaaa_",
    "sql-in-prefix": "Bearer imgt_' OR 1=1 --_x",
    "10000-chars": "Bearer imgt_aaaaaaaaaaaa_" + "a" * 10_000,
    "two-tokens": "Bearer imgt_aaaaaaaaaaaa_x imgt_bbbbbbbbbbbb_y",
    "non-ascii": "Bearer imgt_ééééééééééé_x",
}
V1_ROUTES = {
    "upload": ("POST", "/api/v1/upload"),
    "presign": ("POST", "/api/v1/upload/presign"),
    "complete": ("POST", "/api/v1/upload/complete"),
    "list": ("GET", "/api/v1/images"),
    "delete": ("DELETE", f"/api/v1/images/{uuid.uuid4()}"),
}


def v1_request(harness: Harness, route: str, authorization: str | None) -> Any:
    method, path = V1_ROUTES[route]
    headers = {} if authorization is None else {"Authorization": authorization}
    if route == "upload":
        body, ctype = png_upload()
        return harness.client.simulate_post(
            path, body=body, headers={**headers, "Content-Type": ctype}
        )
    if route in ("presign", "complete"):
        doc = {"filename": "a.png", "contentType": "image/png", "sizeBytes": 100, "token": "x"}
        return harness.client.simulate_post(path, json=doc, headers=headers)
    return harness.client.simulate_request(method, path, headers=headers)


@pytest.mark.parametrize("route", list(V1_ROUTES))
@pytest.mark.parametrize("header_id", list(MALFORMED_AUTHORIZATION))
def test_malformed_authorization_is_401(harness: Harness, header_id: str, route: str) -> None:
    before = harness.snapshot()
    r = v1_request(harness, route, MALFORMED_AUTHORIZATION[header_id])
    refused(harness, before, r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def _other_secret(key: str) -> str:
    prefix = key[: len("imgt_") + 13]
    secret = key[len(prefix) :]
    return prefix + ("B" if secret[0] != "B" else "C") + secret[1:]


@pytest.mark.parametrize("route", list(V1_ROUTES))
@pytest.mark.parametrize("kind", ["right-prefix-wrong-secret", "revoked", "truncated-secret"])
def test_wrong_or_revoked_key_is_401(harness: Harness, kind: str, route: str) -> None:
    user = harness.app.user()
    created = harness.app.container.use_cases.create_api_key()(user.id, "victim")
    if kind == "revoked":
        harness.app.container.use_cases.revoke_api_key()(created.key.id)
        presented = created.secret
    elif kind == "truncated-secret":
        presented = created.secret[:-1]
    else:
        presented = _other_secret(created.secret)
    before = harness.snapshot()
    r = v1_request(harness, route, f"Bearer {presented}")
    refused(harness, before, r, 401)


def test_key_of_a_deactivated_account_is_403(harness: Harness) -> None:
    user = harness.app.user(quota_bytes=1 << 20)
    key = harness.app.key_for(user)
    with harness.app.container.adapters.uow_factory()() as uow:
        uow.users.update(attrs.evolve(user, active=False))
        uow.commit()
    for route in V1_ROUTES:
        before = harness.snapshot()
        refused(harness, before, v1_request(harness, route, f"Bearer {key}"), 403)


# --- the Chevereto route's keys (X-API-Key header, `key` field) ---------------------------

CHEVERETO_KEYS = {
    "empty": "",
    "blank": "   ",
    "bearer-scheme": "Bearer imgt_aaaaaaaaaaaa_secret",
    "not-a-key": "hunter2",
    "prefix-only": "imgt_",
    "uppercase-prefix": "imgt_AAAAAAAAAAAA_secret",
    "sql-in-prefix": "imgt_' OR 1=1 --_x",
    "10000-chars": "imgt_aaaaaaaaaaaa_" + "a" * 10_000,
    "non-ascii": "imgt_ééééééééééé_x",
}


def chevereto_status(key_id: str, where: str) -> int:
    """No key is Chevereto's 400 (code 100); a `key` field past 512 bytes is 400; else 401."""
    if key_id in ("empty", "blank") or (key_id == "10000-chars" and where == "field"):
        return 400
    return 401


@pytest.mark.parametrize("where", ["header", "field"])
@pytest.mark.parametrize("key_id", list(CHEVERETO_KEYS))
def test_hostile_chevereto_keys(harness: Harness, key_id: str, where: str) -> None:
    value = CHEVERETO_KEYS[key_id]
    body, ctype = multipart("source", "a.png", "image/png", IMAGES["png"]())
    headers = {"Content-Type": ctype}
    if where == "header":
        headers["X-API-Key"] = value
    else:
        boundary = ctype.split("boundary=", 1)[1]
        field = f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n'
        body = field.encode() + value.encode() + b"\r\n" + body
    before = harness.snapshot()
    r = harness.client.simulate_post("/api/1/upload", body=body, headers=headers)
    refused(harness, before, r, chevereto_status(key_id, where))


def test_chevereto_key_of_a_deactivated_account_is_403(harness: Harness) -> None:
    user = harness.app.user(quota_bytes=1 << 20)
    key = harness.app.key_for(user)
    with harness.app.container.adapters.uow_factory()() as uow:
        uow.users.update(attrs.evolve(user, active=False))
        uow.commit()
    body, ctype = multipart("source", "a.png", "image/png", IMAGES["png"]())
    before = harness.snapshot()
    r = harness.client.simulate_post(
        "/api/1/upload", body=body, headers={"Content-Type": ctype, "X-API-Key": key}
    )
    refused(harness, before, r, 403)


# --- session cookies and CSRF -------------------------------------------------------------


def session_upload(harness: Harness, cookie: str | None, csrf: str | None) -> Any:
    body, ctype = png_upload()
    headers = {"Content-Type": ctype}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    cookies = {} if cookie is None else {"imgtree_session": cookie}
    return harness.client.simulate_post("/api/upload", body=body, headers=headers, cookies=cookies)


def _signed_out(harness: Harness) -> Browser:
    browser = sign_up(harness.app)
    assert browser.request("POST", "/api/auth/logout").status_code == 200
    return browser


COOKIE_CASES = {
    "no-cookie": lambda h: (None, h.browser.csrf),
    "forged": lambda h: ("A" * 43, h.browser.csrf),
    "empty": lambda h: ("", h.browser.csrf),
    "10000-chars": lambda h: ("x" * 10_000, h.browser.csrf),
    "sql": lambda h: ("' OR '1'='1", h.browser.csrf),
    "hash-of-the-real-one": lambda h: (h.browser.cookie[::-1], h.browser.csrf),
    "signed-out": lambda h: (lambda b: (b.cookie, b.csrf))(_signed_out(h)),
}


@pytest.mark.parametrize("case", list(COOKIE_CASES))
def test_bad_session_cookie_is_401(harness: Harness, case: str) -> None:
    cookie, csrf = COOKIE_CASES[case](harness)
    before = harness.snapshot()
    refused(harness, before, session_upload(harness, cookie, csrf), 401)
    me = harness.client.simulate_get("/api/auth/me", cookies={"imgtree_session": cookie or ""})
    assert me.status_code == 401


CSRF_CASES = {
    "missing": lambda h: None,
    "empty": lambda h: "",
    "another-sessions-token": lambda h: sign_up(h.app).csrf,
    "same-users-other-session": lambda h: _second_session(h).csrf,
    "session-token-itself": lambda h: h.browser.cookie,
    "truncated": lambda h: h.browser.csrf[:-1],
    "10000-chars": lambda h: "c" * 10_000,
}


def _second_session(harness: Harness) -> Browser:
    with harness.app.container.adapters.uow_factory()() as uow:
        user = uow.users.get(harness.user_id)
    assert user is not None
    r = harness.client.simulate_post(
        "/api/auth/login", json={"email": user.email, "password": "correct horse battery"}
    )
    assert r.status_code == 200
    return Browser(harness.app, session_cookie(r), r.json["csrf_token"], str(user.id))


@pytest.mark.parametrize("case", list(CSRF_CASES))
def test_unsafe_request_without_its_csrf_token_is_403(harness: Harness, case: str) -> None:
    csrf = CSRF_CASES[case](harness)
    before = harness.snapshot()
    refused(harness, before, session_upload(harness, harness.browser.cookie, csrf), 403)
    # Other unsafe session routes too: creating a key, an album, signing out.
    headers = {} if csrf is None else {"X-CSRF-Token": csrf}
    for path, doc in (
        ("/api/keys", {"name": "stolen"}),
        ("/api/albums", {"title": "x"}),
        ("/api/auth/logout", {}),
    ):
        r = harness.browser.request("POST", path, csrf=False, json=doc, headers=headers)
        assert_clean_error(r.status_code, r.json, r.text, 403)
    assert harness.browser.request("GET", "/api/auth/me").status_code == 200  # still signed in


# --- delete tokens and IDs ----------------------------------------------------------------


def _upload_two(harness: Harness) -> tuple[dict[str, Any], dict[str, Any]]:
    body, ctype = multipart("file", "a.png", "image/png", IMAGES["png"]())
    a = harness.post("v1-multipart", body, ctype).json["images"][0]
    body, ctype = multipart("file", "b.png", "image/png", IMAGES["png"]())
    b = harness.post("v1-multipart", body, ctype).json["images"][0]
    return a, b


def _id_and_token(image: dict[str, Any]) -> tuple[str, str]:
    path, _, query = image["delete_url"].removeprefix(BASE_URL).partition("?token=")
    return path.rsplit("/", 1)[1], query


def test_another_images_delete_token_is_403(harness: Harness) -> None:
    a, b = _upload_two(harness)
    a_id, _a_token = _id_and_token(a)
    _b_id, b_token = _id_and_token(b)
    before = harness.snapshot()
    r = harness.client.simulate_delete(f"/api/images/{a_id}", params={"token": b_token})
    refused(harness, before, r, 403)
    for token in ("", "x" * 5000, b_token[:-1], b_token.upper()):
        r = harness.client.simulate_delete(f"/api/images/{a_id}", params={"token": token})
        assert r.status_code in (401, 403) and r.json["success"] is False
    # The no-JavaScript form and the confirmation page refuse it too (HTML, same statuses).
    form = harness.client.simulate_post(
        f"/delete/{a_id}",
        body=f"token={b_token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 403
    page = harness.client.simulate_get(f"/api/images/{a_id}", params={"token": b_token})
    assert page.status_code == 403
    media = harness.client.simulate_get(a["direct_url"].removeprefix(BASE_URL))
    assert media.status_code == 200, "image A was deleted with image B's token"


NOT_UUIDS = {
    "word": "abc",
    "dot-dot": "..",
    "encoded-nul": "%00",
    "sql": "1%27%20OR%20%271%27%3D%271",
    "slug": "k3x9a7qz",
    "uuid-too-long": str(uuid.uuid4()) + "0",
    "10000-chars": "f" * 10_000,
}


def _not_uuid_requests(harness: Harness, bad: str) -> list[tuple[str, Result]]:
    def res(r: Any) -> Result:
        return Result(r.status_code, r.json, r.text, "")

    c = harness.client
    return [
        ("v1-delete", res(c.simulate_delete(f"/api/v1/images/{bad}", headers=harness.auth))),
        ("token-delete", res(c.simulate_delete(f"/api/images/{bad}", params={"token": "t"}))),
        ("session-delete", res(harness.browser.request("DELETE", f"/api/images/{bad}"))),
        ("session-patch", res(harness.browser.request("PATCH", f"/api/images/{bad}", json={"title": "x"}))),
        ("app-put", res(c.simulate_put(f"/api/v1/upload/put/{bad}", params={"token": "t"}, body=b"x", headers={"Content-Type": "image/png"}))),
        ("album-in-upload", res(c.simulate_post("/api/v1/upload/presign", json={"filename": "a.png", "contentType": "image/png", "sizeBytes": 9, "albumId": bad}, headers=harness.auth))),
    ]  # fmt: skip


@pytest.mark.parametrize("bad", list(NOT_UUIDS))
def test_ids_that_are_not_uuids_are_400(harness: Harness, bad: str) -> None:
    before = harness.snapshot()
    for route, r in _not_uuid_requests(harness, NOT_UUIDS[bad]):
        assert_clean_error(r.status, r.json, r.text, 400), route
    assert harness.snapshot() == before
    assert harness.answering()

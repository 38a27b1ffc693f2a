"""Duplicated JSON keys and query parameters, and sign-ins posted as a cross-site form
(issue 14, item 8).

Parsers and proxies disagree on which copy of a repeated key or parameter wins, so a copy
one layer checked must never be the one another acts on: imgtree refuses both with 400 and
changes nothing. A sign-in must be `application/json`: the three content types an HTML form
on another site can send without a preflight (text/plain, urlencoded, multipart) get 415 and
no cookie, so no login CSRF can plant the attacker's session.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from imgtree.domain.model import Role
from tests.hostile import BACKENDS, Harness, assert_clean_error, make_harness, multipart
from tests.hostile.corpus import IMAGES
from tests.support.browser import PASSWORD, sign_up


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return make_harness(tmp_path_factory.mktemp(f"dup-{request.param}"), request.param)


JSON = {"Content-Type": "application/json"}


def _uploaded(harness: Harness) -> dict[str, str]:
    body, ctype = multipart("file", "d.png", "image/png", IMAGES["png"]())
    r = harness.client.simulate_post(
        "/api/v1/upload", body=body, headers={**harness.auth, "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    image = r.json["images"][0]
    listed = harness.client.simulate_get("/api/v1/images", headers=harness.auth).json["images"]
    (row,) = [i for i in listed if i["slug"] == image["id"]]
    return {"uuid": row["id"], "delete_url": image["delete_url"], "slug": image["id"]}


def _refused(harness: Harness, r: object, status: int = 400, words: str = "") -> None:
    assert_clean_error(r.status_code, r.json, r.text, status)  # type: ignore[attr-defined]
    assert words in r.json["error"], r.json  # type: ignore[attr-defined]
    assert harness.answering()


def test_duplicate_json_keys_are_refused_everywhere(harness: Harness) -> None:
    image = _uploaded(harness)
    browser = harness.browser
    before = harness.snapshot()
    keys_before = browser.request("GET", "/api/keys").json["keys"]
    cases = [
        (browser, "POST", "/api/keys", b'{"name": "a", "name": "b"}'),
        (browser, "POST", "/api/keys", b'{"name": "a", "scopes": ["upload"], "scopes": null}'),
        (browser, "PATCH", f"/api/images/{image['uuid']}", b'{"title": "ok", "title": "<x>"}'),
        (browser, "PATCH", f"/api/images/{image['uuid']}", b'{"isPublic": true, "isPublic": 0}'),
        (browser, "POST", "/api/albums", b'{"title": "a", "nested": {"k": 1, "k": 2}}'),
        (
            None,
            "POST",
            "/api/v1/upload/presign",
            b'{"filename": "a.png", "contentType": '
            b'"image/png", "sizeBytes": 10, "sizeBytes": 99999999999}',
        ),
    ]
    for who, method, path, body in cases:
        if who is None:
            r = harness.client.simulate_request(
                method, path, body=body, headers={**JSON, **harness.auth}
            )
        else:
            r = who.request(method, path, body=body, headers=JSON)
        _refused(harness, r, 400, "Duplicate key in JSON")
    assert browser.request("GET", "/api/keys").json["keys"] == keys_before
    assert harness.snapshot() == before


def test_duplicate_keys_in_a_json_upload_envelope(harness: Harness) -> None:
    before = harness.snapshot()
    body = (
        b'{"filename": "a.png", "filename": "b.png", "file_base64": "'
        + base64.b64encode(IMAGES["png"]())
        + b'"}'
    )
    r = harness.client.simulate_post("/api/v1/upload", body=body, headers={**JSON, **harness.auth})
    _refused(harness, r, 400, "Duplicate key in JSON")
    assert harness.snapshot() == before


def test_duplicated_query_parameters_are_refused(harness: Harness) -> None:
    image = _uploaded(harness)
    token = image["delete_url"].split("token=", 1)[1]
    before = harness.snapshot()
    # the right token beside a wrong one: neither copy is acted on
    for query in (f"token=wrong&token={token}", f"token={token}&token=wrong"):
        r = harness.client.simulate_delete(f"/api/images/{image['uuid']}", query_string=query)
        _refused(harness, r, 400, "'token' given more than once")
    r = harness.client.simulate_get(
        "/api/v1/images", query_string="limit=1&limit=100000", headers=harness.auth
    )
    _refused(harness, r, 400, "'limit' given more than once")
    assert harness.snapshot() == before
    # one copy: the delete works
    r = harness.client.simulate_delete(
        f"/api/images/{image['uuid']}", query_string=f"token={token}"
    )
    assert r.status_code == 200, r.text


def test_admin_search_refuses_a_repeated_q(harness: Harness) -> None:
    admin = harness.app.user(role=Role.ADMIN)
    r = harness.client.simulate_get(
        "/api/admin/users",
        query_string="q=a&q=b",
        headers={"Authorization": f"Bearer {harness.app.key_for(admin)}"},
    )
    _refused(harness, r, 400, "'q' given more than once")


CROSS_SITE_FORMS = {
    "text/plain": lambda e: (
        f'{{"email": "{e}", "password": "{PASSWORD}"}}'.encode(),
        "text/plain",
    ),
    "text/plain;charset=utf-8": lambda e: (
        f'{{"email": "{e}", "password": "{PASSWORD}"}}'.encode(),
        "text/plain; charset=utf-8",
    ),
    "urlencoded": lambda e: (
        f"email={e}&password={PASSWORD}".encode(),
        "application/x-www-form-urlencoded",
    ),
    "multipart": lambda e: (
        (
            b'--b\r\nContent-Disposition: form-data; name="email"\r\n\r\n'
            + e.encode()
            + b'\r\n--b\r\nContent-Disposition: form-data; name="password"\r\n\r\n'
            + PASSWORD.encode()
            + b"\r\n--b--\r\n"
        ),
        "multipart/form-data; boundary=b",
    ),
}


@pytest.mark.parametrize("form", list(CROSS_SITE_FORMS))
@pytest.mark.parametrize("route", ["/api/auth/login", "/api/auth/signup"])
def test_a_sign_in_posted_as_a_form_gets_no_cookie(harness: Harness, form: str, route: str) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    if route.endswith("login"):
        sign_up(harness.app, email)
    body, ctype = CROSS_SITE_FORMS[form](email)
    r = harness.client.simulate_post(
        route, body=body, headers={"Content-Type": ctype, "Origin": "https://evil.example"}
    )
    _refused(harness, r, 415, "application/json")
    assert "set-cookie" not in {k.lower() for k in r.headers}
    # a JSON sign-up of the same address still works: nothing was created by the form
    if route.endswith("signup"):
        ok = harness.client.simulate_post(route, json={"email": email, "password": PASSWORD})
        assert ok.status_code == 201, ok.text

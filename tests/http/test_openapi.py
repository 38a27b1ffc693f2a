"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that matches the app exactly.

- the document validates (openapi-spec-validator);
- its paths and methods are exactly the app's routes (the falcon router), static files aside;
- real requests on every surface, happy paths and the main errors, answer with a status the
  document lists for that operation, a documented content type and a body that validates
  against the documented schema (JSON Schema 2020-12, $refs resolved in the document).
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import argon2
import attrs
import falcon.testing
import jsonschema
import pyotp
import pytest
from falcon.routing import map_http_methods
from openapi_spec_validator import validate as validate_spec

from imgtree.domain.commands import UserChanges
from imgtree.domain.model import Role
from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.browser import PASSWORD, Browser, sign_up
from tests.support.multipart import encode
from tests.support.openapi import DOC_URI, METHODS, Contract, document


def test_document_is_valid_openapi_31(app: App) -> None:
    doc = document(app)
    validate_spec(doc)
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"][0]["url"] == BASE_URL
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert (schemes["sessionCookie"]["in"], schemes["sessionCookie"]["name"]) == (
        "cookie",
        "imgtree_session",
    )
    assert (schemes["csrfToken"]["in"], schemes["csrfToken"]["name"]) == ("header", "X-CSRF-Token")
    error = doc["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"success", "error"}
    too_many = doc["components"]["responses"]["Error429"]["headers"]
    assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(too_many)


def test_document_follows_the_configured_base_url(make_app: Callable[..., App]) -> None:
    app = make_app(base_url="https://img.example.com")
    assert document(app)["servers"][0]["url"] == "https://img.example.com"


def test_operation_ids_read_as_methods_and_are_distinct(app: App) -> None:
    """Generated clients name a function per operationId (docs/decisions.md, "OpenAPI document
    for client generators"): each is camelCase, distinct, and tagged with a declared tag."""
    doc = document(app)
    declared = {tag["name"] for tag in doc["tags"]}
    ids = []
    for item in doc["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                ids.append(operation["operationId"])
                assert re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", ids[-1]), ids[-1]
                assert len(operation["tags"]) == 1 and operation["tags"][0] in declared
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_alias_rules_leave_bodies_plain_objects(app: App) -> None:
    """No schema has a top-level anyOf/oneOf of bare `required` alternatives (generators make
    `Any` of it): alias rules live in the object's `not`. Still exact: a JSON upload with
    neither or both spellings is invalid, with one of them valid."""
    schemas = document(app)["components"]["schemas"]
    for name, schema in schemas.items():
        for key in ("anyOf", "oneOf"):
            assert not any(set(alt) <= {"required"} for alt in schema.get(key, [])), name
    upload = jsonschema.Draft202012Validator(schemas["UploadJson"])
    assert upload.is_valid({"file_base64": "eA=="}) and upload.is_valid({"base64": "eA=="})
    assert not upload.is_valid({}) and not upload.is_valid(
        {"base64": "eA==", "file_base64": "eA=="}
    )


# --- the document and the router agree --------------------------------------------------------


def _normalise(template: str) -> str:
    """Parameter names differ (falcon: image_id, the document: imageId); shapes must not."""
    return re.sub(r"\{[^}]+\}", "{}", template)


def app_routes(app: falcon.App) -> set[tuple[str, str]]:
    """(normalised template, METHOD) for every responder the app really has (no defaults)."""

    def walk(nodes: list[Any]) -> Iterator[tuple[str, str]]:
        for node in nodes:
            if node.resource is not None:
                for method in map_http_methods(node.resource):
                    yield _normalise(node.uri_template), method
            yield from walk(node.children)

    return set(walk(app._router._roots))


def documented_routes(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (_normalise(path), method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_route_is_documented_and_every_documented_route_exists(app: App) -> None:
    doc = document(app)
    falcon_app = app.client.app
    assert app_routes(falcon_app) == documented_routes(doc)
    assert not [p for p in doc["paths"] if p.startswith("/static")]
    assert len(documented_routes(doc)) >= 50


def concrete(template: str) -> str:
    """A URL for a documented path: a well-formed value for each parameter."""
    values = {"filename": "abcd1234.png", "slug": "abcd1234"}
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), template)


def test_documented_operations_reach_their_own_responder(app: App) -> None:
    doc = document(app)
    router = app.client.app._router
    for path, item in doc["paths"].items():
        url = concrete(path)
        found = router.find(url)
        assert found is not None, path
        resource, _method_map, _params, uri_template = found
        assert _normalise(uri_template) == _normalise(path), (path, uri_template)
        implemented = map_http_methods(resource)
        for method in (m for m in item if m in METHODS):
            assert method.upper() in implemented, (method, path)
            r = app.client.simulate_request(method.upper(), url)
            assert r.status_code != 405, (method, path)


# --- responses validate against the document --------------------------------------------------


@attrs.define
class World:
    """Everything a case may need, made on first use."""

    app: App
    make_app: Callable[..., App]

    @property
    def client(self) -> falcon.testing.TestClient:
        return self.app.client

    @cached_property
    def user(self) -> Any:
        return self.app.user()

    @cached_property
    def key(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.key_for(self.user)}"}

    @property
    def raw_key(self) -> str:
        return self.key["Authorization"].removeprefix("Bearer ")

    @cached_property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.key_for(self.app.user(role=Role.ADMIN))}"}

    @cached_property
    def browser(self) -> Browser:
        return sign_up(self.app)

    @cached_property
    def admin_browser(self) -> Browser:
        browser = sign_up(self.app)
        self.app.container.use_cases.admin().update_user(
            None, uuid.UUID(browser.user_id), UserChanges(role=Role.ADMIN)
        )
        return browser

    @cached_property
    def uploaded(self) -> dict[str, Any]:
        """An image uploaded with the API key (its upload response item)."""
        r = self.upload(("a.png", "image/png", imagegen.png(30, 20)))
        assert r.status_code == 200, r.text
        return r.json["images"][0]

    @cached_property
    def kept(self) -> tuple[App, Browser, str]:
        """A deployment that keeps originals, an account there, and its HEIC upload's id."""
        app = self.make_app(keep_originals=True)
        browser = sign_up(app)
        r = browser.upload(("IMG_0001.HEIC", "image/heic", imagegen.heic()))
        assert r.status_code == 200, r.text
        delete_url = r.json["images"][0]["delete_url"]
        return app, browser, delete_url.split("/api/images/")[1].split("?")[0]

    def kept_by_key(self) -> Any:
        """GET /api/v1/images/{id}/original of a HEIC uploaded with a key where kept."""
        app = self.kept[0]
        key = {"Authorization": f"Bearer {app.key_for(app.user())}"}
        body, multipart = encode([("file", "IMG.HEIC", "image/heic", imagegen.heic())], {})
        r = app.client.simulate_post(
            "/api/v1/upload", body=body, headers={**key, "Content-Type": multipart}
        )
        assert r.status_code == 200, r.text
        image_id = r.json["images"][0]["delete_url"].split("/api/images/")[1].split("?")[0]
        return app.client.simulate_get(f"/api/v1/images/{image_id}/original", headers=key)

    @cached_property
    def uploaded_uuid(self) -> str:
        return self.uploaded["delete_url"].split("/api/images/")[1].split("?")[0]

    @cached_property
    def owned(self) -> dict[str, Any]:
        """An image uploaded through the session, as its owner lists it."""
        r = self.browser.upload(("b.png", "image/png", imagegen.png(20, 20)))
        assert r.status_code == 200, r.text
        return self.browser.request("GET", "/api/images").json["images"][0]

    @cached_property
    def album(self) -> dict[str, Any]:
        r = self.browser.request("POST", "/api/albums", json={"title": "Trips"})
        assert r.status_code == 201, r.text
        return r.json["album"]

    def upload(self, *files: tuple[str, str, bytes], headers: dict[str, str] | None = None):
        body, ctype = encode([("file", n, t, d) for n, t, d in files])
        return self.client.simulate_post(
            "/api/v1/upload",
            body=body,
            headers={**(self.key if headers is None else headers), "Content-Type": ctype},
        )

    def presign(self, path: str = "/api/v1/upload/presign", **doc: Any):
        body = {"filename": "p.png", "contentType": "image/png", "sizeBytes": 100_000, **doc}
        return self.client.simulate_post(path, json=body, headers=self.key)

    def put_url(self, path: str = "/api/v1/upload/presign", data: bytes | None = None) -> str:
        """A presigned upload with its bytes PUT: its completion token."""
        data = data or imagegen.png(16, 16)
        r = self.presign(path, sizeBytes=len(data)) if "guest" not in path else None
        if r is None:
            r = self.client.simulate_post(
                path, json={"filename": "g.png", "contentType": "image/png", "sizeBytes": len(data)}
            )
        assert r.status_code == 200, r.text
        assert self.put(r.json["put_url"], data).status_code == 200
        return r.json["completion_token"]

    def put(self, url: str, data: bytes, content_type: str = "image/png"):
        parts = urlsplit(url)
        return self.client.simulate_put(
            parts.path, query_string=parts.query, body=data, headers={"Content-Type": content_type}
        )

    def media_path(self, key: str = "direct_url") -> str:
        return urlsplit(self.uploaded[key]).path


Call = Callable[[World], falcon.testing.Result]


def _inactive(w: World) -> falcon.testing.Result:
    user = w.app.user()
    headers = {"Authorization": f"Bearer {w.app.key_for(user)}"}
    w.app.container.use_cases.admin().update_user(None, user.id, UserChanges(active=False))
    return w.client.simulate_get("/api/v1/images", headers=headers)


def _over_quota(w: World) -> falcon.testing.Result:
    user = w.app.user(quota_bytes=10)
    headers = {"Authorization": f"Bearer {w.app.key_for(user)}"}
    return w.upload(("a.png", "image/png", imagegen.png(10, 10)), headers=headers)


def _rate_limited(w: World) -> falcon.testing.Result:
    app = w.make_app(backend="memory", rate_limit_per_minute=1)
    headers = app.auth()
    body, ctype = encode([("file", "a.png", "image/png", imagegen.png(4, 4))])
    app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}
    )
    return app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}
    )


def _presign_past_the_open_cap(w: World, path: str = "/api/v1/upload/presign/batch"):
    """100 open presigns of one account, then one more: a 429 (a per-item 429 in a batch)."""
    headers = w.app.auth()
    files = [{"filename": "a.png", "contentType": "image/png", "sizeBytes": 10}] * 20
    for _ in range(5):
        r = w.client.simulate_post(
            "/api/v1/upload/presign/batch", json={"files": files}, headers=headers
        )
        assert r.status_code == 200, r.text
    return w.client.simulate_post(path, json={"files": files[:1], **files[0]}, headers=headers)


def _presign_too_many(w: World) -> falcon.testing.Result:
    return _presign_past_the_open_cap(w, "/api/v1/upload/presign")


def _login_throttled(w: World) -> falcon.testing.Result:
    # Use up this address's failures for the account directly (each real one is an argon2
    # check); falcon's test client is 127.0.0.1.
    sign_in = w.app.container.use_cases.sign_in()
    policy = sign_in.policy.login_failures_per_pair
    for _ in range(policy.per_minute):
        sign_in.limiter.hit(
            "login-fail-pair:t@example.com|127.0.0.1",
            limit=policy.per_minute,
            window_seconds=policy.window_seconds,
        )
    doc = {"email": "t@example.com", "password": "wrong password"}
    return w.client.simulate_post("/api/auth/login", json=doc)


def _guest_disabled(w: World) -> falcon.testing.Result:
    app = w.make_app(backend="memory", guest_uploads=False)
    body, ctype = encode([("files", "a.png", "image/png", imagegen.png(4, 4))])
    return app.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})


def _put_twice(w: World) -> falcon.testing.Result:
    data = imagegen.png(8, 8)
    r = w.presign(sizeBytes=len(data))
    w.put(r.json["put_url"], data)
    return w.put(r.json["put_url"], data)


def _put_wrong_type(w: World) -> falcon.testing.Result:
    r = w.presign()
    return w.put(r.json["put_url"], imagegen.jpeg(8, 8), "image/jpeg")


def _put_bad_token(w: World) -> falcon.testing.Result:
    r = w.presign()
    path = urlsplit(r.json["put_url"]).path
    return w.put(f"{BASE_URL}{path}?token=nope", imagegen.png(8, 8))


def _last_admin(w: World) -> falcon.testing.Result:
    app = w.make_app(backend="memory")
    admin = app.user(role=Role.ADMIN)
    return app.client.simulate_patch(
        f"/api/admin/users/{admin.id}",
        json={"role": "user"},
        headers={"Authorization": f"Bearer {app.key_for(admin)}"},
    )


def _login(w: World) -> falcon.testing.Result:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    w.client.simulate_post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    return w.client.simulate_post("/api/auth/login", json={"email": email, "password": PASSWORD})


def _setup_2fa(w: World) -> str:
    return str(w.browser.request("POST", "/api/auth/2fa/setup").json["secret"])


def _enable_2fa(w: World) -> falcon.testing.Result:
    secret = _setup_2fa(w)
    return w.browser.request(
        "POST", "/api/auth/2fa/enable", json={"code": pyotp.TOTP(secret).now()}
    )


def _recovery_codes(w: World) -> list[str]:
    r = _enable_2fa(w)
    assert r.status_code == 200, r.text
    return list(r.json["recovery_codes"])


def _login_2fa(w: World, **fields: str) -> falcon.testing.Result:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    browser = sign_up(w.app, email)
    secret = browser.request("POST", "/api/auth/2fa/setup").json["secret"]
    browser.request("POST", "/api/auth/2fa/enable", json={"code": pyotp.TOTP(secret).now()})
    return w.client.simulate_post(
        "/api/auth/login", json={"email": email, "password": PASSWORD, **fields}
    )


def _logout(w: World) -> falcon.testing.Result:
    return sign_up(w.app).request("POST", "/api/auth/logout")


def _page_as(w: World, path: str) -> falcon.testing.Result:
    return w.client.simulate_get(path, cookies={"imgtree_session": w.browser.cookie})


def _session_image_delete(w: World) -> falcon.testing.Result:
    return w.browser.request("DELETE", f"/api/images/{w.owned['id']}")


def _token_delete(w: World) -> falcon.testing.Result:
    parts = urlsplit(w.uploaded["delete_url"])
    return w.client.simulate_delete(parts.path, query_string=parts.query)


def _claim(w: World, wrong: bool = False) -> falcon.testing.Result:
    body, ctype = encode([("files", "g.png", "image/png", imagegen.png(12, 12))])
    r = w.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text
    delete_url = r.json["images"][0]["delete_url"]
    image_id, token = delete_url.split("/api/images/")[1].split("?token=")
    item = {"image_id": image_id, "delete_token": "nope" if wrong else token}
    return w.browser.request("POST", "/api/images/claim", json={"items": [item]})


def _confirm_page(w: World, token: str | None = None) -> falcon.testing.Result:
    parts = urlsplit(w.uploaded["delete_url"])
    query = parts.query if token is None else f"token={token}"
    return w.client.simulate_get(parts.path, query_string=query)


def _delete_form(w: World, token: str | None = None) -> falcon.testing.Result:
    parts = urlsplit(w.uploaded["delete_url"])
    real = parts.query.split("token=", 1)[1]
    return w.client.simulate_post(
        f"/delete/{w.uploaded_uuid}",
        body=f"token={token or real}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _sharex(w: World) -> falcon.testing.Result:
    r = w.browser.request("POST", "/api/keys/sharex", json={"name": "laptop"})
    assert r.headers["content-disposition"].startswith("attachment")
    return r


def _revoke_key(w: World) -> falcon.testing.Result:
    created = w.browser.request("POST", "/api/keys", json={"name": "old"})
    return w.browser.request("DELETE", f"/api/keys/{created.json['id']}")


def _view_album(w: World, *, anonymous: bool) -> falcon.testing.Result:
    album_id = w.album["id"]
    w.browser.request("PATCH", f"/api/images/{w.owned['id']}", json={"albumId": album_id})
    if anonymous:
        return w.client.simulate_get(f"/api/albums/{album_id}")
    return w.browser.request("GET", f"/api/albums/{album_id}")


def _session_upload(w: World, *files: tuple[str, str, bytes]) -> falcon.testing.Result:
    return w.browser.upload(*files)


def _session_presign(w: World) -> falcon.testing.Result:
    return w.browser.request(
        "POST",
        "/api/upload/presign",
        json={"filename": "s.png", "contentType": "image/png", "sizeBytes": 1000},
    )


def _session_complete(w: World) -> falcon.testing.Result:
    data = imagegen.png(12, 12)
    r = w.browser.request(
        "POST",
        "/api/upload/presign",
        json={"filename": "s.png", "contentType": "image/png", "sizeBytes": len(data)},
    )
    w.put(r.json["put_url"], data)
    return w.browser.request(
        "POST", "/api/upload/complete", json={"completion_token": r.json["completion_token"]}
    )


def _guest_upload(w: World) -> falcon.testing.Result:
    body, ctype = encode([("files", "g.png", "image/png", imagegen.png(8, 8))])
    return w.client.simulate_post("/api/upload/guest", body=body, headers={"Content-Type": ctype})


def _media(w: World, method: str = "GET", key: str = "direct_url", **headers: str):
    return w.client.simulate_request(method, w.media_path(key), headers=headers)


def _rendition(w: World, method: str = "GET", size: str = "small", **headers: str):
    """A rendition of a 700 px image (the default `small` preset is 640 px)."""
    r = w.upload(("wide.png", "image/png", imagegen.png(700, 20)))
    assert r.status_code == 200, r.text
    path = f"/media/{size}/{r.json['images'][0]['id']}.png"
    return w.client.simulate_request(method, path, headers=headers)


SIGNING_KEY = "k" * 32


def _signed(
    w: World, method: str = "GET", box: str = "100x100", *, key: str | None = SIGNING_KEY
) -> falcon.testing.Result:
    """A signed size of a 700 px image (`key` None: an app without signed sizes)."""
    from imgtree.domain.use_cases.renditions import sign_media_path

    app = w.make_app(backend="memory", media_signing_key=key)
    body, ctype = encode([("file", "wide.png", "image/png", imagegen.png(700, 20))])
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    path = f"{box}/{r.json['images'][0]['id']}.png"
    signature = sign_media_path(SIGNING_KEY.encode(), "100x100/" + path.split("/", 1)[1])
    return app.client.simulate_request(method, f"/media/signed/{signature}/{path}")


def _not_modified(w: World) -> falcon.testing.Result:
    etag = _media(w).headers["etag"]
    return _media(w, **{"If-None-Match": etag})


def _own_session_id(w: World) -> str:
    listed = w.browser.request("GET", "/api/auth/sessions")
    return str(listed.json["sessions"][0]["id"])


def _over_miss_budget(method: str, target: str, **kw: Any) -> Call:
    """The request from an address past its miss budget (an app allowing one miss)."""

    def call(w: World) -> falcon.testing.Result:
        app, addr = w.make_app(miss_limit=1), "203.0.113.99"
        app.client.simulate_get("/media/nosuch000.png", remote_addr=addr)
        app.client.simulate_get("/media/nosuch001.png", remote_addr=addr)
        return app.client.simulate_request(method, target, remote_addr=addr, **kw)

    return call


PNG = imagegen.png(10, 10)


def _image_uuid(w: World) -> str:
    """The id of `w.uploaded`, as the moderators' list gives it."""
    slug = w.uploaded["id"]
    r = w.client.simulate_get("/api/admin/images", params={"search": slug}, headers=w.admin)
    return str(r.json["images"][0]["id"])


def _report(w: World, reason: str = "abuse") -> falcon.testing.Result:
    return w.client.simulate_post(
        f"/i/{w.uploaded['id']}/report", json={"reason": reason, "text": "not ok"}
    )


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# "pw" as a real argon2id hash at the cheapest cost (a hash carries its own parameters, so
# the app verifies it cheaply): stored straight into the image or album.
PW_HASH = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")


def _protected(w: World) -> str:
    """The uploaded image's slug, with the password "pw"."""
    image_id = uuid.UUID(w.uploaded_uuid)  # uploaded first: a unit of work sees what was
    with w.app.container.adapters.uow_factory()() as uow:
        image = uow.images.get(image_id)
        assert image is not None
        uow.images.update(attrs.evolve(image, password_hash=PW_HASH))
        uow.commit()
    return str(w.uploaded["id"])


def _unlock(w: World, password: str, headers: dict[str, str] | None = None):
    slug = _protected(w)
    return w.client.simulate_post(
        f"/i/{slug}/unlock", body=f"password={password}", headers={**FORM, **(headers or {})}
    )


def _protected_album(w: World) -> str:
    """A public album with the password "pw"."""
    album = w.app.container.use_cases.albums().create(w.user.id, "Locked")
    with w.app.container.adapters.uow_factory()() as uow:
        uow.albums.update(attrs.evolve(album, password_hash=PW_HASH))
        uow.commit()
    return str(album.id)


def _reported_first(w: World) -> str:
    _report(w)
    r = w.client.simulate_get("/api/admin/reports", headers=w.admin)
    return str(r.json["images"][0]["reports"][0]["id"])


def _blocked_upload(w: World) -> falcon.testing.Result:
    data = imagegen.png(31, 17)
    first = w.upload(("x.png", "image/png", data))
    slug = first.json["images"][0]["id"]
    r = w.client.simulate_get("/api/admin/images", params={"search": slug}, headers=w.admin)
    image_id = r.json["images"][0]["id"]
    gone = w.client.simulate_delete(
        f"/api/admin/images/{image_id}", json={"block": True}, headers=w.admin
    )
    assert gone.status_code == 200, gone.text
    return w.upload(("again.png", "image/png", data))


def chevereto(w: World, fields: dict[str, str], *files: tuple[str, str, bytes]) -> Any:
    """POST /api/1/upload as ShareX's Chevereto preset does: form fields, then `source`."""
    body, ctype = encode([("source", n, t, d) for n, t, d in files], fields)
    return w.client.simulate_post("/api/1/upload", body=body, headers={"Content-Type": ctype})


# (id, documented path, method, expected status, the request)
CASES: list[tuple[str, str, str, int, Call]] = [
    # --- v1 ---
    ("discovery", "/api/v1/upload", "GET", 200, lambda w: w.client.simulate_get("/api/v1/upload")),
    (
        "discovery-with-key",
        "/api/v1/upload",
        "GET",
        200,
        lambda w: w.client.simulate_get("/api/v1/upload", headers=w.key),
    ),
    (
        "upload-multipart",
        "/api/v1/upload",
        "POST",
        200,
        lambda w: w.upload(("a.png", "image/png", PNG), ("b.gif", "image/gif", imagegen.gif())),
    ),
    (
        "upload-json",
        "/api/v1/upload",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            "/api/v1/upload",
            json={"filename": "j.png", "file_base64": base64.b64encode(PNG).decode()},
            headers=w.key,
        ),
    ),
    (
        "upload-mixed-batch",
        "/api/v1/upload",
        "POST",
        200,
        lambda w: w.upload(("a.png", "image/png", PNG), ("n.txt", "text/plain", b"text")),
    ),
    (
        "upload-no-key",
        "/api/v1/upload",
        "POST",
        401,
        lambda w: w.upload(("a.png", "image/png", PNG), headers={}),
    ),
    (
        "upload-bad-key",
        "/api/v1/upload",
        "POST",
        401,
        lambda w: w.upload(
            ("a.png", "image/png", PNG), headers={"Authorization": "Bearer imgt_nope"}
        ),
    ),
    (
        "upload-unsupported-type",
        "/api/v1/upload",
        "POST",
        415,
        lambda w: w.upload(("n.txt", "text/plain", b"just text")),
    ),
    (
        "upload-undecodable",
        "/api/v1/upload",
        "POST",
        422,
        lambda w: w.upload(("t.png", "image/png", imagegen.truncated(imagegen.png(64, 64)))),
    ),
    (
        "upload-unsupported-content-type",
        "/api/v1/upload",
        "POST",
        415,
        lambda w: w.client.simulate_post(
            "/api/v1/upload", body=b"x", headers={**w.key, "Content-Type": "text/plain"}
        ),
    ),
    (
        # falcon.testing sends no Content-Length for an empty body, as with a chunked request.
        "upload-multipart-without-length",
        "/api/v1/upload",
        "POST",
        411,
        lambda w: w.client.simulate_post(
            "/api/v1/upload",
            body=b"",
            headers={**w.key, "Content-Type": "multipart/form-data; boundary=x"},
        ),
    ),
    ("upload-no-files", "/api/v1/upload", "POST", 400, lambda w: w.upload()),
    (
        "upload-bad-album",
        "/api/v1/upload",
        "POST",
        404,
        lambda w: w.client.simulate_post(
            "/api/v1/upload",
            json={"file_base64": base64.b64encode(PNG).decode(), "albumId": str(uuid.uuid4())},
            headers=w.key,
        ),
    ),
    ("upload-over-quota", "/api/v1/upload", "POST", 413, _over_quota),
    ("upload-rate-limited", "/api/v1/upload", "POST", 429, _rate_limited),
    ("presign", "/api/v1/upload/presign", "POST", 200, lambda w: w.presign()),
    (
        "presign-no-filename",
        "/api/v1/upload/presign",
        "POST",
        400,
        lambda w: w.presign(filename=""),
    ),
    (
        "presign-svg",
        "/api/v1/upload/presign",
        "POST",
        415,
        lambda w: w.presign(contentType="image/svg+xml"),
    ),
    (
        "presign-too-large",
        "/api/v1/upload/presign",
        "POST",
        413,
        lambda w: w.presign(sizeBytes=10**12),
    ),
    (
        "presign-album-not-found",
        "/api/v1/upload/presign",
        "POST",
        404,
        lambda w: w.presign(albumId=str(uuid.uuid4())),
    ),
    (
        "presign-batch",
        "/api/v1/upload/presign/batch",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            "/api/v1/upload/presign/batch",
            json={
                "files": [
                    {"filename": "a.png", "contentType": "image/png", "sizeBytes": 100},
                    {"contentType": "image/png", "sizeBytes": 100},
                    {"filename": "c.svg", "contentType": "image/svg+xml", "sizeBytes": 10},
                ]
            },
            headers=w.key,
        ),
    ),
    ("presign-too-many-open", "/api/v1/upload/presign", "POST", 429, _presign_too_many),
    (
        "presign-batch-too-many-open",
        "/api/v1/upload/presign/batch",
        "POST",
        200,
        _presign_past_the_open_cap,
    ),
    (
        "presign-batch-not-a-list",
        "/api/v1/upload/presign/batch",
        "POST",
        400,
        lambda w: w.client.simulate_post(
            "/api/v1/upload/presign/batch", json={"files": "a.png"}, headers=w.key
        ),
    ),
    (
        "put",
        "/api/v1/upload/put/{pendingId}",
        "PUT",
        200,
        lambda w: w.put(w.presign(sizeBytes=len(PNG)).json["put_url"], PNG),
    ),
    ("put-twice", "/api/v1/upload/put/{pendingId}", "PUT", 409, _put_twice),
    ("put-wrong-type", "/api/v1/upload/put/{pendingId}", "PUT", 415, _put_wrong_type),
    ("put-bad-token", "/api/v1/upload/put/{pendingId}", "PUT", 403, _put_bad_token),
    (
        "put-too-large",
        "/api/v1/upload/put/{pendingId}",
        "PUT",
        413,
        lambda w: w.put(w.presign(sizeBytes=10).json["put_url"], PNG),
    ),
    (
        "complete",
        "/api/v1/upload/complete",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            "/api/v1/upload/complete", json={"completion_token": w.put_url()}, headers=w.key
        ),
    ),
    (
        "complete-bad-token",
        "/api/v1/upload/complete",
        "POST",
        400,
        lambda w: w.client.simulate_post(
            "/api/v1/upload/complete", json={"token": "nope"}, headers=w.key
        ),
    ),
    (
        "complete-not-json",
        "/api/v1/upload/complete",
        "POST",
        400,
        lambda w: w.client.simulate_post(
            "/api/v1/upload/complete",
            body=b"{",
            headers={**w.key, "Content-Type": "application/json"},
        ),
    ),
    (
        "complete-batch",
        "/api/v1/upload/complete/batch",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            "/api/v1/upload/complete/batch",
            json={"completion_tokens": [w.put_url(), "nope"]},
            headers=w.key,
        ),
    ),
    (
        "list",
        "/api/v1/images",
        "GET",
        200,
        lambda w: (
            w.uploaded,
            w.client.simulate_get("/api/v1/images", params={"limit": 500}, headers=w.key),
        )[1],
    ),
    (
        "list-bad-page",
        "/api/v1/images",
        "GET",
        400,
        lambda w: w.client.simulate_get("/api/v1/images", params={"page": 0}, headers=w.key),
    ),
    (
        # Regression (schemathesis): a page past the database's integers was a 500.
        "list-huge-page",
        "/api/v1/images",
        "GET",
        400,
        lambda w: w.client.simulate_get("/api/v1/images", params={"page": 10**30}, headers=w.key),
    ),
    (
        "list-no-key",
        "/api/v1/images",
        "GET",
        401,
        lambda w: w.client.simulate_get("/api/v1/images"),
    ),
    ("list-inactive", "/api/v1/images", "GET", 403, _inactive),
    (
        "delete",
        "/api/v1/images/{imageId}",
        "DELETE",
        200,
        lambda w: w.client.simulate_delete(f"/api/v1/images/{w.uploaded_uuid}", headers=w.key),
    ),
    (
        "delete-unknown",
        "/api/v1/images/{imageId}",
        "DELETE",
        404,
        lambda w: w.client.simulate_delete(f"/api/v1/images/{uuid.uuid4()}", headers=w.key),
    ),
    (
        "delete-not-a-uuid",
        "/api/v1/images/{imageId}",
        "DELETE",
        400,
        lambda w: w.client.simulate_delete("/api/v1/images/nope", headers=w.key),
    ),
    (
        "original",
        "/api/v1/images/{imageId}/original",
        "GET",
        200,
        lambda w: w.kept_by_key(),
    ),
    (
        "original-none-kept",
        "/api/v1/images/{imageId}/original",
        "GET",
        404,
        lambda w: w.client.simulate_get(
            f"/api/v1/images/{w.uploaded_uuid}/original", headers=w.key
        ),
    ),
    (
        "original-no-key",
        "/api/v1/images/{imageId}/original",
        "GET",
        401,
        lambda w: w.client.simulate_get(f"/api/v1/images/{uuid.uuid4()}/original"),
    ),
    (
        "original-not-a-uuid",
        "/api/v1/images/{imageId}/original",
        "GET",
        400,
        lambda w: w.client.simulate_get("/api/v1/images/nope/original", headers=w.key),
    ),
    (
        "session-original",
        "/api/images/{imageId}/original",
        "GET",
        200,
        lambda w: w.kept[1].request("GET", f"/api/images/{w.kept[2]}/original"),
    ),
    (
        "session-original-signed-out",
        "/api/images/{imageId}/original",
        "GET",
        401,
        lambda w: w.client.simulate_get(f"/api/images/{uuid.uuid4()}/original"),
    ),
    (
        "session-original-unknown",
        "/api/images/{imageId}/original",
        "GET",
        404,
        lambda w: w.browser.request("GET", f"/api/images/{uuid.uuid4()}/original"),
    ),
    (
        "openapi",
        "/api/v1/openapi.json",
        "GET",
        200,
        lambda w: w.client.simulate_get("/api/v1/openapi.json"),
    ),
    # --- session ---
    (
        "signup",
        "/api/auth/signup",
        "POST",
        201,
        lambda w: w.client.simulate_post(
            "/api/auth/signup", json={"email": "s@example.com", "password": PASSWORD}
        ),
    ),
    (
        "signup-bad-email",
        "/api/auth/signup",
        "POST",
        400,
        lambda w: w.client.simulate_post(
            "/api/auth/signup", json={"email": "nope", "password": PASSWORD}
        ),
    ),
    (
        "signup-taken",
        "/api/auth/signup",
        "POST",
        409,
        lambda w: w.client.simulate_post(
            "/api/auth/signup", json={"email": w.user.email, "password": PASSWORD}
        ),
    ),
    (
        "signup-not-json",
        "/api/auth/signup",
        "POST",
        415,
        lambda w: w.client.simulate_post(
            "/api/auth/signup", body=b"email=x", headers={"Content-Type": "text/plain"}
        ),
    ),
    ("login", "/api/auth/login", "POST", 200, _login),
    (
        "login-wrong",
        "/api/auth/login",
        "POST",
        401,
        lambda w: w.client.simulate_post(
            "/api/auth/login", json={"email": "x@example.com", "password": "wrong password"}
        ),
    ),
    ("login-throttled", "/api/auth/login", "POST", 429, _login_throttled),
    ("logout", "/api/auth/logout", "POST", 200, _logout),
    (
        "logout-no-csrf",
        "/api/auth/logout",
        "POST",
        403,
        lambda w: w.browser.request("POST", "/api/auth/logout", csrf=False),
    ),
    ("me", "/api/auth/me", "GET", 200, lambda w: w.browser.request("GET", "/api/auth/me")),
    ("me-anonymous", "/api/auth/me", "GET", 401, lambda w: w.client.simulate_get("/api/auth/me")),
    (
        "password",
        "/api/auth/password",
        "POST",
        200,
        lambda w: w.browser.request(
            "POST",
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "another long one"},
        ),
    ),
    (
        "password-wrong",
        "/api/auth/password",
        "POST",
        403,
        lambda w: w.browser.request(
            "POST",
            "/api/auth/password",
            json={"current_password": "nope nope", "new_password": "another long one"},
        ),
    ),
    ("login-2fa-required", "/api/auth/login", "POST", 401, _login_2fa),
    (
        "login-2fa-wrong-code",
        "/api/auth/login",
        "POST",
        401,
        lambda w: _login_2fa(w, code="000000x"),
    ),
    (
        "2fa-setup",
        "/api/auth/2fa/setup",
        "POST",
        200,
        lambda w: w.browser.request("POST", "/api/auth/2fa/setup"),
    ),
    (
        "2fa-setup-already-on",
        "/api/auth/2fa/setup",
        "POST",
        409,
        lambda w: (_enable_2fa(w), w.browser.request("POST", "/api/auth/2fa/setup"))[1],
    ),
    ("2fa-enable", "/api/auth/2fa/enable", "POST", 200, _enable_2fa),
    (
        "2fa-enable-wrong-code",
        "/api/auth/2fa/enable",
        "POST",
        403,
        lambda w: (
            _setup_2fa(w),
            w.browser.request("POST", "/api/auth/2fa/enable", json={"code": "12345x"}),
        )[1],
    ),
    (
        "2fa-enable-without-setup",
        "/api/auth/2fa/enable",
        "POST",
        409,
        lambda w: w.browser.request("POST", "/api/auth/2fa/enable", json={"code": "123456"}),
    ),
    (
        "2fa-disable",
        "/api/auth/2fa/disable",
        "POST",
        200,
        lambda w: w.browser.request(
            "POST",
            "/api/auth/2fa/disable",
            json={"password": PASSWORD, "code": _recovery_codes(w)[0]},
        ),
    ),
    (
        "2fa-disable-missing",
        "/api/auth/2fa/disable",
        "POST",
        400,
        lambda w: w.browser.request("POST", "/api/auth/2fa/disable", json={}),
    ),
    (
        "2fa-recovery-codes",
        "/api/auth/2fa/recovery-codes",
        "POST",
        200,
        lambda w: w.browser.request(
            "POST", "/api/auth/2fa/recovery-codes", json={"code": _recovery_codes(w)[0]}
        ),
    ),
    (
        "sessions",
        "/api/auth/sessions",
        "GET",
        200,
        lambda w: w.browser.request("GET", "/api/auth/sessions"),
    ),
    (
        "sessions-revoke-others",
        "/api/auth/sessions/revoke-others",
        "POST",
        200,
        lambda w: w.browser.request("POST", "/api/auth/sessions/revoke-others"),
    ),
    (
        "session-revoke",
        "/api/auth/sessions/{sessionId}",
        "DELETE",
        200,
        lambda w: w.browser.request("DELETE", f"/api/auth/sessions/{_own_session_id(w)}"),
    ),
    (
        "session-revoke-unknown",
        "/api/auth/sessions/{sessionId}",
        "DELETE",
        404,
        lambda w: w.browser.request("DELETE", f"/api/auth/sessions/{uuid.uuid4()}"),
    ),
    (
        "gallery",
        "/api/images",
        "GET",
        200,
        lambda w: (w.owned, w.browser.request("GET", "/api/images"))[1],
    ),
    (
        "gallery-by-album",
        "/api/images",
        "GET",
        200,
        lambda w: w.browser.request("GET", "/api/images", params={"albumId": w.album["id"]}),
    ),
    ("confirm-page", "/api/images/{imageId}", "GET", 200, _confirm_page),
    (
        "confirm-page-wrong-token",
        "/api/images/{imageId}",
        "GET",
        403,
        lambda w: _confirm_page(w, "nope"),
    ),
    (
        "confirm-page-not-a-uuid",
        "/api/images/{imageId}",
        "GET",
        400,
        lambda w: w.client.simulate_get("/api/images/nope", params={"token": "x"}),
    ),
    (
        "edit-image",
        "/api/images/{imageId}",
        "PATCH",
        200,
        lambda w: w.browser.request(
            "PATCH", f"/api/images/{w.owned['id']}", json={"title": "Sunset", "isPublic": False}
        ),
    ),
    (
        "edit-image-nothing",
        "/api/images/{imageId}",
        "PATCH",
        400,
        lambda w: w.browser.request("PATCH", f"/api/images/{w.owned['id']}", json={}),
    ),
    (
        "edit-image-no-csrf",
        "/api/images/{imageId}",
        "PATCH",
        403,
        lambda w: w.browser.request(
            "PATCH", f"/api/images/{w.owned['id']}", csrf=False, json={"title": "x"}
        ),
    ),
    (
        "edit-image-not-found",
        "/api/images/{imageId}",
        "PATCH",
        404,
        lambda w: w.browser.request("PATCH", f"/api/images/{uuid.uuid4()}", json={"title": "x"}),
    ),
    (
        "bulk-delete",
        "/api/images/bulk/delete",
        "POST",
        200,
        lambda w: w.browser.request(
            "POST", "/api/images/bulk/delete", json={"ids": [w.owned["id"], str(uuid.uuid4())]}
        ),
    ),
    (
        "bulk-delete-empty",
        "/api/images/bulk/delete",
        "POST",
        400,
        lambda w: w.browser.request("POST", "/api/images/bulk/delete", json={"ids": []}),
    ),
    (
        "bulk-move-out",
        "/api/images/bulk/move",
        "POST",
        200,
        lambda w: w.browser.request(
            "POST", "/api/images/bulk/move", json={"ids": [w.owned["id"]], "albumId": None}
        ),
    ),
    (
        "bulk-move-unknown-album",
        "/api/images/bulk/move",
        "POST",
        404,
        lambda w: w.browser.request(
            "POST",
            "/api/images/bulk/move",
            json={"ids": [w.owned["id"]], "albumId": str(uuid.uuid4())},
        ),
    ),
    (
        "bulk-visibility",
        "/api/images/bulk/visibility",
        "POST",
        200,
        lambda w: w.browser.request(
            "POST",
            "/api/images/bulk/visibility",
            json={"ids": [w.owned["id"]], "visibility": "public"},
        ),
    ),
    (
        "bulk-visibility-bad",
        "/api/images/bulk/visibility",
        "POST",
        400,
        lambda w: w.browser.request(
            "POST", "/api/images/bulk/visibility", json={"ids": [w.owned["id"]]}
        ),
    ),
    ("claim", "/api/images/claim", "POST", 200, _claim),
    ("claim-wrong-token", "/api/images/claim", "POST", 200, lambda w: _claim(w, wrong=True)),
    (
        "claim-empty",
        "/api/images/claim",
        "POST",
        400,
        lambda w: w.browser.request("POST", "/api/images/claim", json={"items": []}),
    ),
    ("delete-with-session", "/api/images/{imageId}", "DELETE", 200, _session_image_delete),
    ("delete-with-token", "/api/images/{imageId}", "DELETE", 200, _token_delete),
    (
        "delete-without-token",
        "/api/images/{imageId}",
        "DELETE",
        401,
        lambda w: w.client.simulate_delete(f"/api/images/{w.uploaded_uuid}"),
    ),
    (
        "delete-wrong-token",
        "/api/images/{imageId}",
        "DELETE",
        403,
        lambda w: w.client.simulate_delete(
            f"/api/images/{w.uploaded_uuid}", params={"token": "nope"}
        ),
    ),
    (
        "albums",
        "/api/albums",
        "GET",
        200,
        lambda w: (w.album, w.browser.request("GET", "/api/albums"))[1],
    ),
    (
        "albums-anonymous",
        "/api/albums",
        "GET",
        401,
        lambda w: w.client.simulate_get("/api/albums"),
    ),
    (
        "create-album",
        "/api/albums",
        "POST",
        201,
        lambda w: w.browser.request(
            "POST", "/api/albums", json={"title": "T", "description": "d", "isPublic": False}
        ),
    ),
    (
        "create-album-no-title",
        "/api/albums",
        "POST",
        400,
        lambda w: w.browser.request("POST", "/api/albums", json={"description": "d"}),
    ),
    (
        "view-album-owner",
        "/api/albums/{albumId}",
        "GET",
        200,
        lambda w: _view_album(w, anonymous=False),
    ),
    (
        "view-album-anonymous",
        "/api/albums/{albumId}",
        "GET",
        200,
        lambda w: _view_album(w, anonymous=True),
    ),
    (
        "view-album-unknown",
        "/api/albums/{albumId}",
        "GET",
        404,
        lambda w: w.client.simulate_get(f"/api/albums/{uuid.uuid4()}"),
    ),
    (
        "edit-album",
        "/api/albums/{albumId}",
        "PATCH",
        200,
        lambda w: w.browser.request(
            "PATCH", f"/api/albums/{w.album['id']}", json={"title": "New", "isPublic": False}
        ),
    ),
    (
        "delete-album",
        "/api/albums/{albumId}",
        "DELETE",
        200,
        lambda w: w.browser.request("DELETE", f"/api/albums/{w.album['id']}"),
    ),
    (
        "arrange-album",
        "/api/albums/{albumId}/order",
        "PUT",
        200,
        lambda w: w.browser.request(
            "PUT",
            f"/api/albums/{w.album['id']}/order",
            json={"image_ids": [i["id"] for i in _view_album(w, anonymous=False).json["images"]]},
        ),
    ),
    (
        "arrange-album-incomplete",
        "/api/albums/{albumId}/order",
        "PUT",
        409,
        lambda w: w.browser.request(
            "PUT", f"/api/albums/{w.album['id']}/order", json={"image_ids": [str(uuid.uuid4())]}
        ),
    ),
    ("keys", "/api/keys", "GET", 200, lambda w: w.browser.request("GET", "/api/keys")),
    (
        "create-key",
        "/api/keys",
        "POST",
        201,
        lambda w: w.browser.request("POST", "/api/keys", json={"name": "laptop"}),
    ),
    (
        "create-key-no-name",
        "/api/keys",
        "POST",
        400,
        lambda w: w.browser.request("POST", "/api/keys", json={}),
    ),
    ("sharex", "/api/keys/sharex", "POST", 200, _sharex),
    ("revoke-key", "/api/keys/{keyId}", "DELETE", 200, _revoke_key),
    (
        "revoke-key-unknown",
        "/api/keys/{keyId}",
        "DELETE",
        404,
        lambda w: w.browser.request("DELETE", f"/api/keys/{uuid.uuid4()}"),
    ),
    (
        "session-upload",
        "/api/upload",
        "POST",
        200,
        lambda w: _session_upload(w, ("a.png", "image/png", PNG)),
    ),
    (
        "session-upload-all-failed",
        "/api/upload",
        "POST",
        415,
        lambda w: _session_upload(w, ("a.txt", "text/plain", b"text")),
    ),
    (
        "session-upload-anonymous",
        "/api/upload",
        "POST",
        401,
        lambda w: w.client.simulate_post("/api/upload"),
    ),
    ("session-presign", "/api/upload/presign", "POST", 200, _session_presign),
    ("session-complete", "/api/upload/complete", "POST", 200, _session_complete),
    ("guest-upload", "/api/upload/guest", "POST", 200, _guest_upload),
    ("guest-disabled", "/api/upload/guest", "POST", 403, _guest_disabled),
    (
        "guest-presign",
        "/api/upload/guest/presign",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            "/api/upload/guest/presign",
            json={"filename": "g.png", "contentType": "image/png", "sizeBytes": 100},
        ),
    ),
    (
        "guest-presign-too-large",
        "/api/upload/guest/presign",
        "POST",
        413,
        lambda w: w.client.simulate_post(
            "/api/upload/guest/presign",
            json={"filename": "g.png", "contentType": "image/png", "sizeBytes": 10**9},
        ),
    ),
    (
        "guest-complete",
        "/api/upload/guest/complete",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            "/api/upload/guest/complete",
            json={"token": w.put_url("/api/upload/guest/presign")},
        ),
    ),
    # --- admin ---
    (
        "admin-stats",
        "/api/admin/stats",
        "GET",
        200,
        lambda w: (w.uploaded, w.client.simulate_get("/api/admin/stats", headers=w.admin))[1],
    ),
    (
        "admin-stats-session",
        "/api/admin/stats",
        "GET",
        200,
        lambda w: w.admin_browser.request("GET", "/api/admin/stats"),
    ),
    (
        "admin-stats-not-admin",
        "/api/admin/stats",
        "GET",
        403,
        lambda w: w.client.simulate_get("/api/admin/stats", headers=w.key),
    ),
    (
        "admin-stats-anonymous",
        "/api/admin/stats",
        "GET",
        401,
        lambda w: w.client.simulate_get("/api/admin/stats"),
    ),
    (
        "admin-users",
        "/api/admin/users",
        "GET",
        200,
        lambda w: (w.user, w.client.simulate_get("/api/admin/users", headers=w.admin))[1],
    ),
    (
        "admin-users-huge-page",
        "/api/admin/users",
        "GET",
        400,
        lambda w: w.client.simulate_get(
            "/api/admin/users", params={"page": 10**30}, headers=w.admin
        ),
    ),
    (
        "admin-edit-user",
        "/api/admin/users/{userId}",
        "PATCH",
        200,
        lambda w: w.client.simulate_patch(
            f"/api/admin/users/{w.user.id}",
            json={"quota_bytes": 1000, "active": True},
            headers=w.admin,
        ),
    ),
    (
        "admin-edit-user-unknown",
        "/api/admin/users/{userId}",
        "PATCH",
        404,
        lambda w: w.client.simulate_patch(
            f"/api/admin/users/{uuid.uuid4()}", json={"active": True}, headers=w.admin
        ),
    ),
    ("admin-last-admin", "/api/admin/users/{userId}", "PATCH", 409, _last_admin),
    (
        "admin-end-sessions",
        "/api/admin/users/{userId}/sessions",
        "DELETE",
        200,
        lambda w: w.client.simulate_delete(
            f"/api/admin/users/{w.user.id}/sessions", headers=w.admin
        ),
    ),
    (
        "admin-end-sessions-unknown",
        "/api/admin/users/{userId}/sessions",
        "DELETE",
        404,
        lambda w: w.client.simulate_delete(
            f"/api/admin/users/{uuid.uuid4()}/sessions", headers=w.admin
        ),
    ),
    (
        "admin-audit",
        "/api/admin/audit",
        "GET",
        200,
        lambda w: (
            w.client.simulate_patch(
                f"/api/admin/users/{w.user.id}", json={"quota_bytes": 5}, headers=w.admin
            ),
            w.client.simulate_get("/api/admin/audit", headers=w.admin),
        )[1],
    ),
    # --- moderation ---
    (
        "admin-images",
        "/api/admin/images",
        "GET",
        200,
        lambda w: (
            w.uploaded,
            w.client.simulate_get("/api/admin/images", params={"owner": "guest"}, headers=w.admin),
        )[1],
    ),
    (
        "admin-images-bad-owner",
        "/api/admin/images",
        "GET",
        400,
        lambda w: w.client.simulate_get(
            "/api/admin/images", params={"owner": "nobody"}, headers=w.admin
        ),
    ),
    (
        "admin-images-not-admin",
        "/api/admin/images",
        "GET",
        403,
        lambda w: w.client.simulate_get("/api/admin/images", headers=w.key),
    ),
    (
        "admin-delete-image-block",
        "/api/admin/images/{imageId}",
        "DELETE",
        200,
        lambda w: w.client.simulate_delete(
            f"/api/admin/images/{_image_uuid(w)}",
            json={"block": True, "reason": "abuse"},
            headers=w.admin,
        ),
    ),
    (
        "admin-delete-image-unknown",
        "/api/admin/images/{imageId}",
        "DELETE",
        404,
        lambda w: w.client.simulate_delete(f"/api/admin/images/{uuid.uuid4()}", headers=w.admin),
    ),
    ("upload-blocked", "/api/v1/upload", "POST", 451, _blocked_upload),
    (
        "admin-hide-image",
        "/api/admin/images/{imageId}/hide",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            f"/api/admin/images/{_image_uuid(w)}/hide", headers=w.admin
        ),
    ),
    (
        "admin-hide-image-unknown",
        "/api/admin/images/{imageId}/hide",
        "POST",
        404,
        lambda w: w.client.simulate_post(f"/api/admin/images/{uuid.uuid4()}/hide", headers=w.admin),
    ),
    (
        "admin-unhide-image",
        "/api/admin/images/{imageId}/unhide",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            f"/api/admin/images/{_image_uuid(w)}/unhide", headers=w.admin
        ),
    ),
    (
        "admin-reports",
        "/api/admin/reports",
        "GET",
        200,
        lambda w: (_report(w), w.client.simulate_get("/api/admin/reports", headers=w.admin))[1],
    ),
    (
        "admin-dismiss-report",
        "/api/admin/reports/{reportId}/dismiss",
        "POST",
        200,
        lambda w: w.client.simulate_post(
            f"/api/admin/reports/{_reported_first(w)}/dismiss", headers=w.admin
        ),
    ),
    (
        "admin-dismiss-report-unknown",
        "/api/admin/reports/{reportId}/dismiss",
        "POST",
        404,
        lambda w: w.client.simulate_post(
            f"/api/admin/reports/{uuid.uuid4()}/dismiss", headers=w.admin
        ),
    ),
    (
        "admin-blocked",
        "/api/admin/blocked",
        "GET",
        200,
        lambda w: (
            _blocked_upload(w),
            w.client.simulate_get("/api/admin/blocked", headers=w.admin),
        )[1],
    ),
    (
        "admin-unblock",
        "/api/admin/blocked/{sha256}",
        "DELETE",
        200,
        lambda w: (
            _blocked_upload(w),
            w.client.simulate_delete(
                "/api/admin/blocked/"
                + w.client.simulate_get("/api/admin/blocked", headers=w.admin).json["blocked"][0][
                    "sha256"
                ],
                headers=w.admin,
            ),
        )[1],
    ),
    (
        "admin-unblock-unknown",
        "/api/admin/blocked/{sha256}",
        "DELETE",
        404,
        lambda w: w.client.simulate_delete("/api/admin/blocked/" + "0" * 64, headers=w.admin),
    ),
    (
        "admin-unblock-malformed",
        "/api/admin/blocked/{sha256}",
        "DELETE",
        400,
        lambda w: w.client.simulate_delete("/api/admin/blocked/xyz", headers=w.admin),
    ),
    ("report-image", "/i/{slug}/report", "POST", 201, _report),
    ("report-image-again", "/i/{slug}/report", "POST", 200, lambda w: (_report(w), _report(w))[1]),
    ("report-image-bad-reason", "/i/{slug}/report", "POST", 400, lambda w: _report(w, "meh")),
    (
        "report-image-unknown",
        "/i/{slug}/report",
        "POST",
        404,
        lambda w: w.client.simulate_post("/i/zzzz0000/report", json={"reason": "spam"}),
    ),
    # --- passwords on images and albums ---
    ("unlock-image", "/i/{slug}/unlock", "POST", 303, lambda w: _unlock(w, "pw")),
    ("unlock-image-wrong", "/i/{slug}/unlock", "POST", 401, lambda w: _unlock(w, "nope")),
    (
        "unlock-image-cross-site",
        "/i/{slug}/unlock",
        "POST",
        403,
        lambda w: _unlock(w, "pw", {"Origin": "https://evil.example"}),
    ),
    (
        "unlock-image-unknown",
        "/i/{slug}/unlock",
        "POST",
        404,
        lambda w: w.client.simulate_post("/i/zzzz0000/unlock", body="password=x", headers=FORM),
    ),
    (
        "unlock-album",
        "/albums/{albumId}/unlock",
        "POST",
        303,
        lambda w: w.client.simulate_post(
            f"/albums/{_protected_album(w)}/unlock", body="password=pw", headers=FORM
        ),
    ),
    (
        "unlock-album-wrong",
        "/albums/{albumId}/unlock",
        "POST",
        401,
        lambda w: w.client.simulate_post(
            f"/albums/{_protected_album(w)}/unlock", body="password=no", headers=FORM
        ),
    ),
    (
        "unlock-album-cross-site",
        "/albums/{albumId}/unlock",
        "POST",
        403,
        lambda w: w.client.simulate_post(
            f"/albums/{uuid.uuid4()}/unlock",
            body="password=no",
            headers={**FORM, "Sec-Fetch-Site": "cross-site"},
        ),
    ),
    (
        "unlock-album-unknown",
        "/albums/{albumId}/unlock",
        "POST",
        404,
        lambda w: w.client.simulate_post(
            f"/albums/{uuid.uuid4()}/unlock", body="password=no", headers=FORM
        ),
    ),
    (
        "image-page-locked",
        "/i/{slug}",
        "GET",
        401,
        lambda w: w.client.simulate_get(f"/i/{_protected(w)}"),
    ),
    (
        "media-locked",
        "/media/{filename}",
        "GET",
        401,
        lambda w: (_protected(w), w.client.simulate_get(w.media_path()))[1],
    ),
    (
        "album-page-locked",
        "/albums/{albumId}",
        "GET",
        401,
        lambda w: w.client.simulate_get(f"/albums/{_protected_album(w)}"),
    ),
    # --- public pages and media ---
    (
        "image-page",
        "/i/{slug}",
        "GET",
        200,
        lambda w: w.client.simulate_get(f"/i/{w.uploaded['id']}"),
    ),
    ("image-page-unknown", "/i/{slug}", "GET", 404, lambda w: w.client.simulate_get("/i/zzzz0000")),
    ("image-page-over-miss-budget", "/i/{slug}", "GET", 429, _over_miss_budget("GET", "/i/z0")),
    (
        "media-over-miss-budget",
        "/media/{filename}",
        "GET",
        429,
        _over_miss_budget("GET", "/media/zzzz0000.png"),
    ),
    (
        "thumb-over-miss-budget",
        "/media/thumb/{filename}",
        "GET",
        429,
        _over_miss_budget("GET", "/media/thumb/zzzz0000.webp"),
    ),
    (
        "delete-form-over-miss-budget",
        "/delete/{imageId}",
        "POST",
        429,
        _over_miss_budget(
            "POST",
            f"/delete/{uuid.uuid4()}",
            body="token=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
    ),
    (
        "confirm-page-over-miss-budget",
        "/api/images/{imageId}",
        "GET",
        429,
        _over_miss_budget("GET", f"/api/images/{uuid.uuid4()}", params={"token": "x"}),
    ),
    (
        "delete-with-token-over-miss-budget",
        "/api/images/{imageId}",
        "DELETE",
        429,
        _over_miss_budget("DELETE", f"/api/images/{uuid.uuid4()}", params={"token": "x"}),
    ),
    ("media", "/media/{filename}", "GET", 200, _media),
    ("media-head", "/media/{filename}", "HEAD", 200, lambda w: _media(w, "HEAD")),
    ("media-range", "/media/{filename}", "GET", 206, lambda w: _media(w, Range="bytes=0-9")),
    (
        "media-bad-range",
        "/media/{filename}",
        "GET",
        416,
        lambda w: _media(w, Range="bytes=999999-"),
    ),
    ("media-not-modified", "/media/{filename}", "GET", 304, _not_modified),
    (
        "media-unknown",
        "/media/{filename}",
        "GET",
        404,
        lambda w: w.client.simulate_get("/media/zzzz0000.png"),
    ),
    (
        "thumb",
        "/media/thumb/{filename}",
        "GET",
        200,
        lambda w: _media(w, key="thumb_url"),
    ),
    (
        "thumb-head",
        "/media/thumb/{filename}",
        "HEAD",
        200,
        lambda w: _media(w, "HEAD", key="thumb_url"),
    ),
    ("rendition", "/media/{size}/{filename}", "GET", 200, _rendition),
    (
        "rendition-head",
        "/media/{size}/{filename}",
        "HEAD",
        200,
        lambda w: _rendition(w, "HEAD"),
    ),
    (
        "rendition-range",
        "/media/{size}/{filename}",
        "GET",
        206,
        lambda w: _rendition(w, Range="bytes=0-9"),
    ),
    (
        "rendition-upscaled",
        "/media/{size}/{filename}",
        "GET",
        404,
        lambda w: _rendition(w, size="medium"),
    ),
    ("signed", "/media/signed/{signature}/{box}/{filename}", "GET", 200, _signed),
    (
        "signed-head",
        "/media/signed/{signature}/{box}/{filename}",
        "HEAD",
        200,
        lambda w: _signed(w, "HEAD"),
    ),
    (
        "signed-tampered",
        "/media/signed/{signature}/{box}/{filename}",
        "GET",
        403,
        lambda w: _signed(w, box="200x100"),
    ),
    (
        "signed-off",
        "/media/signed/{signature}/{box}/{filename}",
        "GET",
        404,
        lambda w: _signed(w, key=None),
    ),
    ("delete-form", "/delete/{imageId}", "POST", 200, _delete_form),
    (
        "delete-form-wrong-token",
        "/delete/{imageId}",
        "POST",
        403,
        lambda w: _delete_form(w, "nope"),
    ),
    # --- web pages ---
    ("home", "/", "GET", 200, lambda w: w.client.simulate_get("/")),
    ("login-page", "/login", "GET", 200, lambda w: w.client.simulate_get("/login")),
    ("login-page-signed-in", "/login", "GET", 303, lambda w: _page_as(w, "/login")),
    ("signup-page", "/signup", "GET", 200, lambda w: w.client.simulate_get("/signup")),
    ("gallery-page", "/gallery", "GET", 200, lambda w: _page_as(w, "/gallery")),
    ("gallery-page-anonymous", "/gallery", "GET", 303, lambda w: w.client.simulate_get("/gallery")),
    ("albums-page", "/albums", "GET", 200, lambda w: _page_as(w, "/albums")),
    (
        "album-page",
        "/albums/{albumId}",
        "GET",
        200,
        lambda w: _page_as(w, f"/albums/{w.album['id']}"),
    ),
    (
        "album-page-unknown",
        "/albums/{albumId}",
        "GET",
        404,
        lambda w: w.client.simulate_get(f"/albums/{uuid.uuid4()}"),
    ),
    (
        "album-page-not-a-uuid",
        "/albums/{albumId}",
        "GET",
        404,
        lambda w: w.client.simulate_get("/albums/nope"),
    ),
    (
        "profile-page",
        "/u/{userId}",
        "GET",
        200,
        lambda w: w.client.simulate_get(f"/u/{w.browser.user_id}"),
    ),
    (
        "profile-page-unknown",
        "/u/{userId}",
        "GET",
        404,
        lambda w: w.client.simulate_get(f"/u/{uuid.uuid4()}"),
    ),
    ("settings-page", "/settings", "GET", 200, lambda w: _page_as(w, "/settings")),
    ("robots", "/robots.txt", "GET", 200, lambda w: w.client.simulate_get("/robots.txt")),
    ("favicon", "/favicon.ico", "GET", 301, lambda w: w.client.simulate_get("/favicon.ico")),
    ("admin-page-not-admin", "/admin", "GET", 403, lambda w: _page_as(w, "/admin")),
    ("getHealth", "/healthz", "GET", 200, lambda w: w.client.simulate_get("/healthz")),
    ("getReadiness", "/readyz", "GET", 200, lambda w: w.client.simulate_get("/readyz")),
    ("getMetrics", "/metrics", "GET", 200, lambda w: w.client.simulate_get("/metrics")),
    (
        "metrics-remote",
        "/metrics",
        "GET",
        403,
        lambda w: w.client.simulate_get("/metrics", remote_addr="198.51.100.7"),
    ),
    (
        "admin-page",
        "/admin",
        "GET",
        200,
        lambda w: w.client.simulate_get(
            "/admin", cookies={"imgtree_session": w.admin_browser.cookie}
        ),
    ),
    # --- Chevereto compatibility ---
    *[
        (f"chevereto-{name}", "/api/1/upload", "POST", status, call)
        for name, status, call in [
            ("json", 200, lambda w: chevereto(w, {"key": w.raw_key}, ("a.png", "image/png", PNG))),
            (
                "txt",
                200,
                lambda w: chevereto(
                    w, {"key": w.raw_key, "format": "txt"}, ("a.png", "image/png", PNG)
                ),
            ),
            (
                "redirect",
                302,
                lambda w: chevereto(
                    w, {"key": w.raw_key, "format": "redirect"}, ("a.png", "image/png", PNG)
                ),
            ),
            ("no-key", 400, lambda w: chevereto(w, {}, ("a.png", "image/png", PNG))),
            ("url-source", 400, lambda w: chevereto(w, {"key": w.raw_key, "source": "http://x"})),
            (
                "bad-key",
                401,
                lambda w: chevereto(w, {"key": "imgt_x"}, ("a.png", "image/png", PNG)),
            ),
            (
                "not-an-image",
                415,
                lambda w: chevereto(w, {"key": w.raw_key}, ("a.png", "image/png", b"text")),
            ),
        ]
    ],
]


@pytest.fixture
def contract(app: App) -> Contract:
    return Contract(document(app))


@pytest.mark.parametrize(
    ("path", "method", "status", "call"),
    [pytest.param(p, m, s, c, id=name) for name, p, m, s, c in CASES],
)
def test_response_matches_thedocument(
    app: App,
    make_app: Callable[..., App],
    contract: Contract,
    path: str,
    method: str,
    status: int,
    call: Call,
) -> None:
    result = call(World(app, make_app))
    assert result.status_code == status, result.text
    contract.check(path, method, result)


def test_cases_cover_every_documented_operation(app: App) -> None:
    covered = {(p, m.lower()) for _, p, m, _, _ in CASES}
    doc = document(app)
    missing = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS and (path, method) not in covered
    }
    assert not missing


def test_undocumented_status_is_caught(app: App, contract: Contract) -> None:
    """The checker itself: a status the operation does not list fails."""
    result = app.client.simulate_get("/api/v1/upload")
    with pytest.raises(AssertionError, match="not documented"):
        contract.response("/api/v1/upload", "GET", 418)
    bad_body = {**result.json, "unexpected": 1}
    pointer, _ = contract.response("/api/v1/upload", "GET", 200)
    schema = {"$ref": f"{DOC_URI}#{pointer}/content/application~1json/schema"}
    validator = jsonschema.Draft202012Validator(schema, registry=contract.registry)
    assert not validator.is_valid(bad_body)
    assert validator.is_valid(result.json)

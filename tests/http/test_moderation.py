"""Moderation over HTTP (memory, and SQLite + local disk): the admins' image list and search,
hide/unhide, delete with block (the content is then refused on every upload route), the
public report route with its rate limit, the report queue; who may call what."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import argon2
import pytest

from imgtree.adapters.system import Argon2PasswordHasher
from imgtree.domain.commands import UserChanges
from imgtree.domain.model import Role
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import Browser, sign_up
from tests.support.multipart import encode

DATA = imagegen.png(23, 19)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Argon2PasswordHasher.__init__

    def init(self: Argon2PasswordHasher, hasher: argon2.PasswordHasher | None = None) -> None:
        original(self, argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

    monkeypatch.setattr(Argon2PasswordHasher, "__init__", init)


def admin_headers(app: App) -> dict[str, str]:
    user = app.user()
    app.container.use_cases.admin().update_user(None, user.id, UserChanges(role=Role.ADMIN))
    return app.auth(user)


def guest_upload(app: App, data: bytes = DATA, addr: str = "203.0.113.5") -> Any:
    body, ctype = encode([("files", "g.png", "image/png", data)])
    return app.client.simulate_post(
        "/api/upload/guest", body=body, headers={"Content-Type": ctype}, remote_addr=addr
    )


def v1_upload(app: App, headers: dict[str, str], data: bytes = DATA) -> Any:
    body, ctype = encode([("file", "a.png", "image/png", data)])
    return app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}
    )


def listed(app: App, headers: dict[str, str], **params: str) -> Any:
    r = app.client.simulate_get("/api/admin/images", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json


def image_id_of(app: App, headers: dict[str, str], slug: str) -> str:
    found = listed(app, headers, search=slug)["images"]
    assert [i["slug"] for i in found] == [slug]
    return str(found[0]["id"])


def report(app: App, slug: str, addr: str = "198.51.100.7", **doc: Any) -> Any:
    body = {"reason": "abuse", **doc}
    return app.client.simulate_post(f"/i/{slug}/report", json=body, remote_addr=addr)


def test_admin_lists_every_image_with_owner_size_hash_and_reports(app: App) -> None:
    admin = admin_headers(app)
    owner = app.user()
    mine = v1_upload(app, app.auth(owner)).json["images"][0]["id"]
    guest = guest_upload(app, imagegen.png(7, 7)).json["images"][0]["id"]
    assert report(app, guest).status_code == 201
    doc = listed(app, admin)
    assert doc["total"] == 2 and doc["success"] is True
    by_slug = {i["slug"]: i for i in doc["images"]}
    assert by_slug[mine]["owner"] == {"id": str(owner.id), "email": owner.email}
    assert by_slug[guest]["owner"] is None
    assert by_slug[guest]["reports"] == 1 and by_slug[mine]["reports"] == 0
    # a keyed hash of the guest's address: 64 hex digits, never the address itself
    hashed = by_slug[guest]["uploader_hash"]
    assert hashed and len(hashed) == 64 and "203.0.113.5" not in str(doc)
    assert by_slug[mine]["size_bytes"] > 0 and by_slug[mine]["hidden"] is False
    assert [i["slug"] for i in listed(app, admin, owner="guest")["images"]] == [guest]
    assert [i["slug"] for i in listed(app, admin, owner=str(owner.id))["images"]] == [mine]
    assert [i["slug"] for i in listed(app, admin, reported="true")["images"]] == [guest]
    assert listed(app, admin, search="no such thing")["images"] == []


@pytest.mark.parametrize(
    "params", [{"owner": "someone"}, {"reported": "maybe"}, {"page": "x"}, {"limit": "-1"}]
)
def test_admin_list_refuses_bad_parameters(app: App, params: dict[str, str]) -> None:
    r = app.client.simulate_get("/api/admin/images", params=params, headers=admin_headers(app))
    assert r.status_code == 400 and r.json["success"] is False


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/admin/images"),
        ("DELETE", "/api/admin/images/{id}"),
        ("POST", "/api/admin/images/{id}/hide"),
        ("POST", "/api/admin/images/{id}/unhide"),
        ("GET", "/api/admin/reports"),
        ("POST", "/api/admin/reports/{id}/dismiss"),
    ],
)
def test_non_admins_get_401_or_403_and_change_nothing(app: App, method: str, path: str) -> None:
    slug = guest_upload(app).json["images"][0]["id"]
    image_id = image_id_of(app, admin_headers(app), slug)
    target = path.replace("{id}", image_id)
    assert app.client.simulate_request(method, target).status_code == 401
    user = app.client.simulate_request(method, target, headers=app.auth())
    assert user.status_code == 403 and user.json["success"] is False
    browser = sign_up(app)
    if method != "GET":  # a session without CSRF, then with it: still not an admin
        assert browser.request(method, target, csrf=False).status_code == 403
    assert browser.request(method, target).status_code == 403
    assert app.client.simulate_get(f"/i/{slug}").status_code == 200  # untouched


def test_hide_makes_the_image_404_for_everyone_but_admins_until_unhidden(app: App) -> None:
    admin = admin_headers(app)
    owner = sign_up(app)
    slug = owner.upload(("o.png", "image/png", DATA)).json["images"][0]["id"]
    image_id = image_id_of(app, admin, slug)
    hidden = app.client.simulate_post(f"/api/admin/images/{image_id}/hide", headers=admin)
    assert hidden.status_code == 200 and hidden.json == {
        "success": True,
        "id": image_id,
        "hidden": True,
    }
    media = listed(app, admin, search=slug)["images"][0]
    assert media["hidden"] is True  # admins still list it
    assert app.client.simulate_get(f"/i/{slug}").status_code == 404
    assert owner.request("GET", f"/i/{slug}").status_code == 404  # the owner too
    direct = media["direct_url"].split("://", 1)[1].split("/", 1)[1]
    assert app.client.simulate_get("/" + direct).status_code == 404
    assert report(app, slug).status_code == 404  # nobody sees it: nobody reports it
    shown = app.client.simulate_post(f"/api/admin/images/{image_id}/unhide", headers=admin)
    assert shown.status_code == 200 and shown.json["hidden"] is False
    assert app.client.simulate_get(f"/i/{slug}").status_code == 200
    actions = [
        e["action"]
        for e in app.client.simulate_get("/api/admin/audit", headers=admin).json["entries"]
    ]
    assert actions[:2] == ["image.unhide", "image.hide"]


def test_unknown_or_malformed_ids(app: App) -> None:
    admin = admin_headers(app)
    for method, path in (
        ("DELETE", "/api/admin/images/{}"),
        ("POST", "/api/admin/images/{}/hide"),
        ("POST", "/api/admin/reports/{}/dismiss"),
    ):
        gone = app.client.simulate_request(method, path.format(uuid.uuid4()), headers=admin)
        assert gone.status_code == 404 and gone.json["success"] is False
        bad = app.client.simulate_request(method, path.format("not-a-uuid"), headers=admin)
        assert bad.status_code == 400 and bad.json["success"] is False


@pytest.mark.parametrize(
    "doc", [{"block": "yes"}, {"reason": 5}, {"reason": "x" * 501}, [1], {"block": 1}]
)
def test_delete_refuses_bad_bodies_and_deletes_nothing(app: App, doc: object) -> None:
    admin = admin_headers(app)
    slug = guest_upload(app).json["images"][0]["id"]
    image_id = image_id_of(app, admin, slug)
    r = app.client.simulate_delete(f"/api/admin/images/{image_id}", json=doc, headers=admin)
    assert r.status_code == 400 and r.json["success"] is False
    assert app.client.simulate_get(f"/i/{slug}").status_code == 200


def test_a_reported_guest_image_deleted_with_block_cannot_be_uploaded_again(app: App) -> None:
    """The issue's done-when: an admin removes a reported guest image and it cannot be
    uploaded again, by a guest or an account, multipart or presigned."""
    admin = admin_headers(app)
    slug = guest_upload(app).json["images"][0]["id"]
    assert report(app, slug, text="<script>alert(1)</script>").status_code == 201
    queue = app.client.simulate_get("/api/admin/reports", headers=admin).json
    assert [g["image"]["slug"] for g in queue["images"]] == [slug]
    image_id = queue["images"][0]["image_id"]
    r = app.client.simulate_delete(
        f"/api/admin/images/{image_id}",
        json={"block": True, "reason": "abusive"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert len(r.json["blocked_hashes"]) == 1
    assert app.client.simulate_get(f"/i/{slug}").status_code == 404
    # the queue is empty: removing the image closed its reports
    assert app.client.simulate_get("/api/admin/reports", headers=admin).json["images"] == []
    before = app.stored_keys()
    again = guest_upload(app, addr="203.0.113.77")
    assert again.status_code == 451, again.text
    assert again.json["success"] is False and "removed" in again.json["error"]
    refused = v1_upload(app, app.auth())
    assert refused.status_code == 451
    assert refused.json["images"][0]["status"] == 451
    assert app.stored_keys() == before  # nothing stored for a refused upload
    # a different picture is not blocked
    assert guest_upload(app, imagegen.png(24, 19)).status_code == 200
    entry = app.client.simulate_get("/api/admin/audit", headers=admin).json["entries"][0]
    assert entry["action"] == "image.delete" and entry["target_id"] == image_id
    assert entry["details"]["blocked"] == r.json["blocked_hashes"]
    assert entry["details"]["reports_closed"] == 1


def test_delete_without_block_lets_the_same_file_be_uploaded_again(app: App) -> None:
    admin = admin_headers(app)
    slug = guest_upload(app).json["images"][0]["id"]
    image_id = image_id_of(app, admin, slug)
    r = app.client.simulate_delete(f"/api/admin/images/{image_id}", headers=admin)
    assert r.status_code == 200 and r.json["blocked_hashes"] == []
    assert guest_upload(app).status_code == 200
    again = app.client.simulate_delete(f"/api/admin/images/{image_id}", headers=admin)
    assert again.status_code == 404


def test_presigned_upload_of_blocked_content_is_refused(app: App) -> None:
    admin, user = admin_headers(app), app.auth()
    slug = v1_upload(app, user).json["images"][0]["id"]
    image_id = image_id_of(app, admin, slug)
    block = {"block": True}
    app.client.simulate_delete(f"/api/admin/images/{image_id}", json=block, headers=admin)
    doc = {"filename": "p.png", "contentType": "image/png", "sizeBytes": len(DATA)}
    signed = app.client.simulate_post("/api/v1/upload/presign", json=doc, headers=user).json
    put = signed["put_url"].split("://", 1)[1].split("/", 1)[1]
    path, _, query = put.partition("?")
    app.client.simulate_put(
        "/" + path, query_string=query, body=DATA, headers={"Content-Type": "image/png"}
    )
    done = app.client.simulate_post(
        "/api/v1/upload/complete",
        json={"completion_token": signed["completion_token"]},
        headers=user,
    )
    assert done.status_code == 451, done.text


def test_reports_are_counted_once_per_address_and_rate_limited(
    make_app: Callable[..., App],
) -> None:
    app = make_app(report_limit_per_hour=3)
    slug = guest_upload(app).json["images"][0]["id"]
    first = report(app, slug, addr="198.51.100.1")
    assert first.status_code == 201 and first.json == {"success": True, "recorded": True}
    repeat = report(app, slug, addr="198.51.100.1", reason="spam")
    assert repeat.status_code == 200 and repeat.json["recorded"] is False
    assert report(app, slug, addr="198.51.100.2").status_code == 201
    assert report(app, slug, addr="198.51.100.1").status_code == 200  # third of three
    limited = report(app, slug, addr="198.51.100.1")
    assert limited.status_code == 429 and limited.json["success"] is False
    assert int(limited.headers["retry-after"]) >= 1
    # misses cost the same budget: no free slug guessing
    assert report(app, "zzzz0000", addr="198.51.100.1").status_code == 429
    admin = admin_headers(app)
    group = app.client.simulate_get("/api/admin/reports", headers=admin).json["images"][0]
    assert len(group["reports"]) == 2


@pytest.mark.parametrize(
    ("doc", "status"),
    [
        ({"reason": "because"}, 400),
        ({}, 400),
        ({"reason": "spam", "text": "x" * 501}, 400),
        ({"reason": "spam", "text": 5}, 400),
    ],
)
def test_report_refuses_bad_input_and_records_nothing(
    app: App, doc: dict[str, Any], status: int
) -> None:
    slug = guest_upload(app).json["images"][0]["id"]
    r = app.client.simulate_post(f"/i/{slug}/report", json=doc)
    assert r.status_code == status and r.json["success"] is False
    admin = admin_headers(app)
    assert app.client.simulate_get("/api/admin/reports", headers=admin).json["images"] == []


def test_report_needs_json(app: App) -> None:
    slug = guest_upload(app).json["images"][0]["id"]
    form = app.client.simulate_post(
        f"/i/{slug}/report",
        body="reason=spam",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415


def test_hostile_report_text_is_kept_as_text_without_control_characters(app: App) -> None:
    slug = guest_upload(app).json["images"][0]["id"]
    hostile = "<img src=x onerror=alert(1)>\x00\x1b[31m\u202e\u0085 done"
    assert report(app, slug, text=hostile).status_code == 201
    admin = admin_headers(app)
    r = app.client.simulate_get("/api/admin/reports", headers=admin)
    text = r.json["images"][0]["reports"][0]["text"]
    assert text == "<img src=x onerror=alert(1)>[31m\u202e done"
    assert r.headers["content-type"].startswith("application/json")


def test_dismissing_a_report_closes_it_once_and_is_audited(app: App) -> None:
    admin = admin_headers(app)
    slug = guest_upload(app).json["images"][0]["id"]
    report(app, slug)
    group = app.client.simulate_get("/api/admin/reports", headers=admin).json["images"][0]
    report_id = group["reports"][0]["id"]
    r = app.client.simulate_post(f"/api/admin/reports/{report_id}/dismiss", headers=admin)
    assert r.status_code == 200 and r.json == {"success": True, "id": report_id, "dismissed": True}
    again = app.client.simulate_post(f"/api/admin/reports/{report_id}/dismiss", headers=admin)
    assert again.status_code == 404
    assert app.client.simulate_get("/api/admin/reports", headers=admin).json["images"] == []
    entry = app.client.simulate_get("/api/admin/audit", headers=admin).json["entries"][0]
    assert entry["action"] == "report.dismiss"
    assert app.client.simulate_get(f"/i/{slug}").status_code == 200  # the image stays


def test_admin_by_session_needs_csrf_on_moderation_writes(app: App) -> None:
    browser: Browser = sign_up(app)
    app.container.use_cases.admin().update_user(
        None, uuid.UUID(browser.user_id), UserChanges(role=Role.ADMIN)
    )
    slug = guest_upload(app).json["images"][0]["id"]
    image_id = image_id_of(app, app.auth(app.user(role=Role.ADMIN)), slug)
    path = f"/api/admin/images/{image_id}/hide"
    assert browser.request("POST", path, csrf=False).status_code == 403
    assert browser.request("POST", path).status_code == 200


def test_a_huge_report_body_is_refused_before_it_is_read_whole(app: App) -> None:
    """Hostile: a report body far past the JSON limit is 413 and records nothing."""
    slug = guest_upload(app).json["images"][0]["id"]
    body = b'{"reason": "spam", "text": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = app.client.simulate_post(
        f"/i/{slug}/report", body=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.json["success"] is False
    admin = admin_headers(app)
    assert app.client.simulate_get("/api/admin/reports", headers=admin).json["images"] == []

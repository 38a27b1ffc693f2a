"""The authorisation matrix (issue 14, item 6): every operation of the served OpenAPI document
by nine roles, each cell's expected status declared once in `TABLE`.

Roles, in the table's column order:

- anonymous: no credentials at all.
- guest: a visitor without an account who made a guest upload. No cookie, no key; where a
  route takes a delete token it presents its own guest image's token against the owner's
  image.
- owner: a normal (non-admin) user who owns the target image, album, spare key and account:
  a signed-in session on session routes (/api/*, /api/admin/*, pages), a full-scope key on
  /api/v1; where a route takes a delete token, the image's own token.
- other: another normal user acting on the owner's resources, with their own session or key
  (and their own image's delete token where a route takes one).
- admin: an admin's session on session, admin and page routes, an admin's full key (admin
  scope included) on /api/v1, acting on the owner's resources (its own delete token).
- deactivated: a user an admin switched off, presenting the session cookie and key it held
  before, and acting on its *own* image, album, key and account (made while it was active),
  so that deactivation is the only reason left to refuse. Deactivation ends its sessions, so
  its old cookie is 401 on session routes; its key is 403 on /api/v1.
- revoked, expired, upload_only: the owner's keys in that state (revoked; past its expiry;
  scope `upload` only). On /api/v1 and /api/admin they are the Bearer credential; on
  session-only routes and pages they are presented as Bearer with no cookie (so a session
  route answers 401); they carry no delete token.

Every cell is a real request (valid body, real ids of the target's resources) so an allowed
role gets its 2xx. Every cell's status must be one the document lists for the operation and
its body must validate (tests/support/openapi.py). A refused cell (any status >= 300) must
change nothing stored: users, API keys (last_used_at aside: a convenience timestamp),
albums, images, pending uploads, the audit log and the blobs are compared before and after;
a refusal >= 400 on a JSON route is `{"success": false, "error": "..."}`. Resources an allowed
cell consumes (a deleted image or album, a revoked key, a signed-out session, a changed
password) are recreated before the next cell; capability URLs (a presigned PUT, a completion
token, made by the owner or a guest) are fresh for every cell.

The world is built once per backend (module scope), on memory adapters and on SQLite + local
disk. A new route fails `test_table_and_document_agree` until it is classified here.
Run: `.venv/bin/pytest tests/http/test_authz_matrix.py`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import falcon.testing
import pyotp
import pytest
import sqlalchemy as sa

from imgtree.adapters.memory import MemoryBlobStorage
from imgtree.domain.commands import UserChanges
from imgtree.domain.model import Role
from tests.hostile import BACKENDS, LEAKS, build_app, memory_store
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import PASSWORD, Browser, session_cookie, sign_up
from tests.support.multipart import encode
from tests.support.openapi import METHODS, Contract, document

ROLES = (
    "anonymous",
    "guest",
    "owner",
    "other",
    "admin",
    "deactivated",
    "revoked",
    "expired",
    "upload_only",
)
PNG = imagegen.png(6, 6)
OTHER_PASSWORD = "another long passphrase"

# operationId -> expected status for each role, in ROLES order:
#   anonymous, guest, owner, other, admin, deactivated, revoked, expired, upload_only
# fmt: off
#                        anon guest owner other admin deact revok expir upload-only
TABLE: dict[str, tuple[int, int, int, int, int, int, int, int, int]] = {
    # /api/v1 (a key; session roles use their own full key)
    "getCapabilities": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "uploadImages": (401, 401, 200, 200, 200, 403, 401, 401, 200),
    "presignUpload": (401, 401, 200, 200, 200, 403, 401, 401, 200),
    "presignUploads": (401, 401, 200, 200, 200, 403, 401, 401, 200),
    # the presigned PUT URL is the credential: whoever holds it may send the bytes once
    "putUpload": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    # the owner's completion token: another account's key cannot redeem it (400, not consumed)
    "completeUpload": (401, 401, 200, 400, 400, 403, 401, 401, 200),
    "completeUploads": (401, 401, 200, 400, 400, 403, 401, 401, 200),
    "listImages": (401, 401, 200, 200, 200, 403, 401, 401, 403),
    # Chevereto's API v1 (X-API-Key): no key is Chevereto's 400, else as /api/v1's upload
    "cheveretoUploadImage": (400, 400, 200, 200, 200, 403, 401, 401, 200),
    "deleteImage": (401, 401, 200, 404, 404, 403, 401, 401, 403),
    # the kept original of a converted upload (IMGTREE_KEEP_ORIGINALS): its owner's alone
    "downloadOriginal": (401, 401, 200, 404, 404, 403, 401, 401, 403),
    "getOpenApiDocument": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    # the same for everyone: robots.txt, and the old icon path sent to the SVG
    "getRobotsTxt": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "getFavicon": (301, 301, 301, 301, 301, 301, 301, 301, 301),
    # /api/auth (logIn: its own email and password; without an account, an unknown email)
    "signUp": (201, 201, 201, 201, 201, 201, 201, 201, 201),
    "logIn": (401, 401, 200, 200, 200, 403, 401, 401, 401),
    "logOut": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "getMe": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "changePassword": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    # sessions an account can see and end (its own only; admins too act on their own here)
    "listSessions": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "revokeSession": (401, 401, 200, 404, 404, 401, 401, 401, 401),
    "revokeOtherSessions": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    # two-factor sign-in: each account enrols, confirms, renews and turns off its own
    "twoFactorSetup": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "twoFactorEnable": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "twoFactorDisable": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "twoFactorRecoveryCodes": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    # the session API; admins get no reach into others' resources here (404)
    "sessionListImages": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    # delete links: the token is the credential, so a deactivated account's own link still
    # works (docs/decisions.md: a delete link is its own credential); another's token is 403
    "getDeleteConfirmPage": (401, 403, 200, 403, 403, 200, 401, 401, 401),
    "editImage": (401, 401, 200, 404, 404, 401, 401, 401, 401),
    "sessionDownloadOriginal": (401, 401, 200, 404, 404, 401, 401, 401, 401),
    "deleteImageByToken": (401, 403, 200, 404, 404, 401, 401, 401, 401),
    # any signed-in account may claim a guest image whose delete token it holds
    "claimGuestImages": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    # bulk actions answer per id: another's image is a not_found result, not a 404 (its
    # album, named by a move, is a 404 for the whole request)
    "bulkDeleteImages": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "bulkMoveImages": (401, 401, 200, 404, 404, 401, 401, 401, 401),
    "bulkSetVisibility": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "listAlbums": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "createAlbum": (401, 401, 201, 201, 201, 401, 401, 401, 401),
    "getAlbum": (404, 404, 200, 404, 404, 404, 404, 404, 404),
    "editAlbum": (401, 401, 200, 404, 404, 401, 401, 401, 401),
    "deleteAlbum": (401, 401, 200, 404, 404, 401, 401, 401, 401),
    "arrangeAlbum": (401, 401, 200, 404, 404, 401, 401, 401, 401),
    "listKeys": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "createKey": (401, 401, 201, 201, 201, 401, 401, 401, 401),
    "createSharexConfig": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "revokeKey": (401, 401, 200, 404, 404, 401, 401, 401, 401),
    "sessionUploadImages": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "sessionPresignUpload": (401, 401, 200, 200, 200, 401, 401, 401, 401),
    "sessionCompleteUpload": (401, 401, 200, 400, 400, 401, 401, 401, 401),
    # guest routes take no credentials: any caller is a guest
    "guestUploadImages": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "guestPresignUpload": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "guestCompleteUpload": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    # /api/admin: a non-admin (or its keys) is 403, a key without the admin scope too
    "adminGetStats": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminListUsers": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminEditUser": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminListAudit": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminEndUserSessions": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminListImages": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminDeleteImage": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminHideImage": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminUnhideImage": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminListReports": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminDismissReport": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminBlockedHashes": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    "adminUnblockHash": (401, 401, 403, 403, 200, 401, 401, 401, 403),
    # anyone who may see the image, from a fresh address each (a repeat would answer 200)
    "reportImage": (201, 201, 201, 201, 201, 404, 201, 201, 201),
    # public routes: a deactivated account's images are hidden (IMGTREE_INACTIVE_IMAGES=hide)
    "getImagePage": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    "getMedia": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    # the password form of a page (the matrix's image and album have none: nothing to open,
    # back to the page), as anyone who may see the page (the album: as getAlbumPage)
    "unlockImage": (303, 303, 303, 303, 303, 404, 303, 303, 303),
    "unlockAlbum": (404, 404, 303, 404, 404, 404, 404, 404, 404),
    # operations: liveness, readiness and /metrics (the matrix's client is loopback)
    "getHealth": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "getReadiness": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "getMetrics": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "headMedia": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    "getThumbnail": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    "headThumbnail": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    "getRendition": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    "headRendition": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    # a signed size: the signature is the credential for the size, visibility still applies
    "getSignedRendition": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    "headSignedRendition": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    "submitDeleteForm": (401, 403, 200, 403, 403, 200, 401, 401, 401),
    # HTML pages: a session only (a Bearer key is no sign-in); signed out -> 303 to /login
    "getUploadPage": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "getLoginPage": (200, 200, 303, 303, 303, 200, 200, 200, 200),
    "getSignupPage": (200, 200, 303, 303, 303, 200, 200, 200, 200),
    "getGalleryPage": (303, 303, 200, 200, 200, 303, 303, 303, 303),
    "getAlbumsPage": (303, 303, 200, 200, 200, 303, 303, 303, 303),
    "getAlbumPage": (404, 404, 200, 404, 404, 404, 404, 404, 404),
    # anyone sees a profile; a deactivated account has none
    "getProfilePage": (200, 200, 200, 200, 200, 404, 200, 200, 200),
    "getSettingsPage": (303, 303, 200, 200, 200, 303, 303, 303, 303),
    "getAdminPage": (303, 303, 403, 403, 200, 303, 303, 303, 303),
}
# fmt: on


# --- the world ------------------------------------------------------------------------------


@attrs.define
class Account:
    """A user with a session, a key, an image (with its delete token), an album, a spare key."""

    user_id: uuid.UUID
    email: str
    browser: Browser
    key: str
    image: dict[str, Any] = attrs.field(factory=dict)
    album_id: str = ""
    spare_key_id: str = ""
    password: str = PASSWORD

    @property
    def image_uuid(self) -> str:
        return urlsplit(self.image["delete_url"]).path.rsplit("/", 1)[1]

    @property
    def delete_token(self) -> str:
        return urlsplit(self.image["delete_url"]).query.split("token=", 1)[1]


@attrs.define
class Actor:
    """Who sends a cell's request: its credentials and whose resources it names."""

    role: str
    target: Account
    session: Browser | None = None
    bearer: str | None = None
    delete_token: str | None = None
    account: Account | None = None  # its own account, when it has one


@attrs.define
class World:
    app: App
    owner: Account
    other: Account
    admin: Account
    deactivated: Account
    guest_token: str
    revoked: str
    expired: str
    upload_only: str
    contract: Contract
    fresh: dict[str, Any] = attrs.field(factory=dict)
    reports_made: int = 0

    @property
    def client(self) -> falcon.testing.TestClient:
        return self.app.client

    def actor(self, role: str) -> Actor:
        if role == "anonymous":
            return Actor(role, self.owner)
        if role == "guest":
            return Actor(role, self.owner, delete_token=self.guest_token)
        if role in ("owner", "other", "admin", "deactivated"):
            account: Account = getattr(self, role)
            target = account if role == "deactivated" else self.owner
            return Actor(role, target, account.browser, account.key, account.delete_token, account)
        return Actor(role, self.owner, bearer=getattr(self, role))

    def send(
        self, actor: Actor, surface: str, method: str, path: str, **kwargs: Any
    ) -> falcon.testing.Result:
        """`surface` "v1": the actor's key ("chevereto": as X-API-Key); "session": its session
        cookie and CSRF token, or
        (keys) its key as Bearer with no cookie; "none": its session cookie if any, no CSRF."""
        headers = dict(kwargs.pop("headers", {}))
        cookies = {}
        if surface == "v1":
            if actor.bearer:
                headers["Authorization"] = f"Bearer {actor.bearer}"
        elif surface == "chevereto":
            if actor.bearer:
                headers["X-API-Key"] = actor.bearer
        elif actor.session is not None:
            cookies["imgtree_session"] = actor.session.cookie
            if surface == "session":
                headers["X-CSRF-Token"] = actor.session.csrf
        elif actor.bearer:
            headers["Authorization"] = f"Bearer {actor.bearer}"
        return self.client.simulate_request(
            method, path, headers=headers, cookies=cookies, **kwargs
        )

    # resources made fresh for a cell

    def presigned(self, *, session: bool = False, guest: bool = False) -> dict[str, Any]:
        """A presign by the owner (its key, or its session), or by a guest."""
        doc = {"filename": "p.png", "contentType": "image/png", "sizeBytes": len(PNG)}
        if guest:
            r = self.client.simulate_post("/api/upload/guest/presign", json=doc)
        elif session:
            r = self.owner.browser.request("POST", "/api/upload/presign", json=doc)
        else:
            r = self.client.simulate_post(
                "/api/v1/upload/presign", json=doc, headers=_bearer(self.owner.key)
            )
        assert r.status_code == 200, r.text
        return dict(r.json)

    def completion_token(self, **kwargs: bool) -> str:
        signed = self.presigned(**kwargs)
        parts = urlsplit(signed["put_url"])
        put = self.client.simulate_put(
            parts.path, query_string=parts.query, body=PNG, headers={"Content-Type": "image/png"}
        )
        assert put.status_code == 200, put.text
        return str(signed["completion_token"])

    def kept_upload(self) -> str:
        """A fresh HEIC upload by the owner, whose original the deployment keeps: its id."""
        r = self.owner.browser.upload(("IMG.HEIC", "image/heic", imagegen.heic()))
        assert r.status_code == 200, r.text
        return str(r.json["images"][0]["delete_url"].split("/api/images/")[1].split("?")[0])

    def guest_upload(self) -> dict[str, str]:
        """A fresh guest upload, as a claim item (its id and delete token)."""
        body, ctype = encode([("files", "g.png", "image/png", PNG)])
        r = self.client.simulate_post(
            "/api/upload/guest", body=body, headers={"Content-Type": ctype}
        )
        assert r.status_code == 200, r.text
        parts = urlsplit(r.json["images"][0]["delete_url"])
        return {
            "image_id": parts.path.rsplit("/", 1)[1],
            "delete_token": parts.query.split("token=", 1)[1],
        }

    def open_report(self) -> str:
        """A fresh report of the owner's image (from an address of its own): its id."""
        self.reports_made += 1
        r = self.client.simulate_post(
            f"/i/{self.owner.image['id']}/report",
            json={"reason": "other"},
            remote_addr=f"192.0.2.{self.reports_made}",
        )
        assert r.status_code == 201, r.text
        queue = self.admin.browser.request("GET", "/api/admin/reports")
        return str(queue.json["images"][0]["reports"][0]["id"])

    def blocked_digest(self) -> str:
        """A fresh digest on the block list (as a moderator's delete with block leaves one)."""
        digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        with self.app.container.adapters.uow_factory()() as uow:
            uow.blocked_hashes.add(digest, reason="matrix", image_id=None, at=datetime.now(UTC))
            uow.commit()
        return digest

    # recreating what an allowed cell consumed

    def renew(self, what: str, actor: Actor) -> None:
        account = (
            actor.target
            if what in ("image", "album", "spare_key", "target_session")
            else actor.account
        )
        if account is None and what == "session":
            return  # it arrived with no session: nothing was ended
        assert account is not None, (what, actor.role)
        with reactivated(self.app, account):
            if what == "image":
                account.image = upload_image(self.app, account.key)
            elif what == "album":
                account.album_id = make_album(account.browser)
            elif what == "spare_key":
                account.spare_key_id = make_spare_key(self.app, account)
            elif what == "target_session" or what == "session":
                account.browser = sign_in(self.app, account)
            elif what == "two_factor":
                with self.app.container.adapters.uow_factory()() as uow:
                    user = uow.users.get(account.user_id)
                    assert user is not None
                    uow.users.update(
                        attrs.evolve(
                            user,
                            totp_secret=None,
                            totp_pending_secret=None,
                            totp_last_step=None,
                            recovery_codes=(),
                        )
                    )
                    uow.commit()
            elif what == "password":
                account.password = OTHER_PASSWORD if account.password == PASSWORD else PASSWORD


class reactivated:
    """Switch a deactivated account back on for the length of a block (to recreate its
    resources through the API), then off again."""

    def __init__(self, app: App, account: Account) -> None:
        self.app, self.account, self.was_inactive = app, account, False

    def __enter__(self) -> None:
        with self.app.container.adapters.uow_factory()() as uow:
            user = uow.users.get(self.account.user_id)
        assert user is not None
        self.was_inactive = not user.active
        if self.was_inactive:
            _set_active(self.app, self.account.user_id, True)

    def __exit__(self, *exc: object) -> None:
        if self.was_inactive:
            _set_active(self.app, self.account.user_id, False)


def _set_active(app: App, user_id: uuid.UUID, active: bool) -> None:
    app.container.use_cases.admin().update_user(None, user_id, UserChanges(active=active))


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def upload_image(app: App, key: str) -> dict[str, Any]:
    body, ctype = encode([("file", "a.png", "image/png", PNG)])
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**_bearer(key), "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    return dict(r.json["images"][0])


def make_album(browser: Browser) -> str:
    r = browser.request("POST", "/api/albums", json={"title": "Private", "isPublic": False})
    assert r.status_code == 201, r.text
    return str(r.json["album"]["id"])


def make_spare_key(app: App, account: Account) -> str:
    return str(app.container.use_cases.create_api_key()(account.user_id, "spare").key.id)


def sign_in(app: App, account: Account) -> Browser:
    doc = {"email": account.email, "password": account.password}
    r = app.client.simulate_post("/api/auth/login", json=doc)
    assert r.status_code == 200, r.text
    return Browser(app, session_cookie(r), r.json["csrf_token"], str(account.user_id))


def make_account(app: App, *, admin: bool = False) -> Account:
    browser = sign_up(app)
    user_id = uuid.UUID(browser.user_id)
    if admin:
        app.container.use_cases.admin().update_user(None, user_id, UserChanges(role=Role.ADMIN))
    with app.container.adapters.uow_factory()() as uow:
        user = uow.users.get(user_id)
    assert user is not None
    key = app.container.use_cases.create_api_key()(user_id, "full").secret
    account = Account(user_id, user.email, browser, key)
    account.image = upload_image(app, key)
    account.album_id = make_album(browser)
    account.spare_key_id = make_spare_key(app, account)
    return account


def build_world(directory: Path, backend: str) -> World:
    app = build_app(
        directory,
        backend,
        rendition_sizes=(("small", 4),),
        media_signing_key=SIGNING_KEY,
        keep_originals=True,
    )
    owner, other = make_account(app), make_account(app)
    admin = make_account(app, admin=True)
    deactivated = make_account(app)
    _set_active(app, deactivated.user_id, False)
    body, ctype = encode([("files", "g.png", "image/png", PNG)])
    guest = app.client.simulate_post(
        "/api/upload/guest", body=body, headers={"Content-Type": ctype}
    )
    assert guest.status_code == 200, guest.text
    guest_token = urlsplit(guest.json["images"][0]["delete_url"]).query.split("token=", 1)[1]
    keys = app.container.use_cases.create_api_key()
    revoked = keys(owner.user_id, "revoked")
    app.container.use_cases.revoke_api_key()(revoked.key.id)
    expired = keys(owner.user_id, "expired", expires_at=datetime.now(UTC) + timedelta(hours=1))
    with app.container.adapters.uow_factory()() as uow:
        uow.api_keys.update(
            attrs.evolve(expired.key, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    upload_only = keys(owner.user_id, "upload only", scopes=["upload"]).secret
    return World(
        app,
        owner,
        other,
        admin,
        deactivated,
        guest_token,
        revoked.secret,
        expired.secret,
        upload_only,
        Contract(document(app)),
    )


# --- stored state ---------------------------------------------------------------------------

SQL_TABLES = (
    "users",
    "api_keys",
    "albums",
    "images",
    "pending_uploads",
    "audit_log",
    "reports",
    "blocked_hashes",
)


def state(app: App) -> dict[str, Any]:
    """Everything a refused request must leave alone."""
    blobs = app.stored_keys()
    if isinstance(app.storage, MemoryBlobStorage):
        tables = memory_store(app).tables
        keys = {k: attrs.evolve(v, last_used_at=None) for k, v in tables.api_keys.items()}
        return {
            "users": dict(tables.users),
            "api_keys": keys,
            "albums": dict(tables.albums),
            "images": dict(tables.images),
            "pending_uploads": dict(tables.pending_uploads),
            "audit_log": list(tables.audit),
            "reports": dict(tables.reports),
            "blocked_hashes": dict(tables.blocked_hashes),
            "sessions": {k: v.revoked_at for k, v in tables.sessions.items()},
            "blobs": blobs,
        }
    found: dict[str, Any] = {"blobs": blobs}
    with app.container.adapters.engine().connect() as conn:
        for name in SQL_TABLES:
            rows = conn.execute(sa.text(f"SELECT * FROM {name}")).mappings().all()
            found[name] = sorted(
                (tuple(sorted((k, str(v)) for k, v in r.items() if k != "last_used_at")))
                for r in rows
            )
        # a session's last_seen_at slides with every request: whether it is ended is what counts
        rows = conn.execute(sa.text("SELECT id, revoked_at FROM sessions")).all()
        found["sessions"] = sorted((str(i), str(r)) for i, r in rows)
    return found


# --- one request per operation --------------------------------------------------------------

Send = Callable[[World, Actor], falcon.testing.Result]


def _multipart(field: str) -> dict[str, Any]:
    body, ctype = encode([(field, "a.png", "image/png", PNG)])
    return {"body": body, "headers": {"Content-Type": ctype}}


def _presign_doc() -> dict[str, Any]:
    return {"filename": "p.png", "contentType": "image/png", "sizeBytes": len(PNG)}


def _put(w: World, a: Actor) -> falcon.testing.Result:
    parts = urlsplit(w.fresh["put_url"])
    return w.send(
        a,
        "none",
        "PUT",
        parts.path,
        query_string=parts.query,
        body=PNG,
        headers={"Content-Type": "image/png"},
    )


def _token_query(a: Actor) -> dict[str, Any]:
    return {"params": {"token": a.delete_token}} if a.delete_token else {}


def _delete_form(w: World, a: Actor) -> falcon.testing.Result:
    body = f"token={a.delete_token}" if a.delete_token else ""
    return w.send(
        a,
        "none",
        "POST",
        f"/delete/{a.target.image_uuid}",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _login(w: World, a: Actor) -> falcon.testing.Result:
    """Its own account's email and password; without one, an unknown email (a wrong password
    for the owner's would soon throttle the owner's own sign-in)."""
    if a.account is None:
        doc = {"email": f"{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}
    else:
        doc = {"email": a.account.email, "password": a.account.password}
    return w.send(a, "none", "POST", "/api/auth/login", json=doc)


def _password(w: World, a: Actor) -> falcon.testing.Result:
    account = a.account or w.owner
    new = OTHER_PASSWORD if account.password == PASSWORD else PASSWORD
    doc = {"current_password": account.password, "new_password": new}
    return w.send(a, "session", "POST", "/api/auth/password", json=doc)


def _media(key: str, method: str = "GET") -> Send:
    return lambda w, a: w.send(a, "none", method, urlsplit(a.target.image[key]).path)


def _rendition(method: str = "GET") -> Send:
    """The target image's one rendition (the world offers `small`, 4 px, of its 6 px PNGs)."""
    return lambda w, a: w.send(
        a, "none", method, f"/media/small/{urlsplit(a.target.image['direct_url']).path[7:]}"
    )


SIGNING_KEY = "the-authz-matrix-signing-key-32chars"


def _signed(method: str = "GET") -> Send:
    """The target image fit within 3 x 3, signed with the world's key."""
    from imgtree.domain.use_cases.renditions import sign_media_path

    def send(w: World, a: Actor) -> falcon.testing.Result:
        path = f"3x3/{urlsplit(a.target.image['direct_url']).path[7:]}"
        signature = sign_media_path(SIGNING_KEY.encode(), path)
        return w.send(a, "none", method, f"/media/signed/{signature}/{path}")

    return send


def _page(path: str) -> Send:
    return lambda w, a: w.send(a, "none", "GET", path)


REQUESTS: dict[str, Send] = {
    # /api/v1
    "getCapabilities": lambda w, a: w.send(a, "v1", "GET", "/api/v1/upload"),
    "uploadImages": lambda w, a: w.send(a, "v1", "POST", "/api/v1/upload", **_multipart("file")),
    "presignUpload": lambda w, a: w.send(
        a, "v1", "POST", "/api/v1/upload/presign", json=_presign_doc()
    ),
    "presignUploads": lambda w, a: w.send(
        a, "v1", "POST", "/api/v1/upload/presign/batch", json={"files": [_presign_doc()]}
    ),
    "putUpload": _put,
    "completeUpload": lambda w, a: w.send(
        a, "v1", "POST", "/api/v1/upload/complete", json={"completion_token": w.fresh["token"]}
    ),
    "completeUploads": lambda w, a: w.send(
        a,
        "v1",
        "POST",
        "/api/v1/upload/complete/batch",
        json={"completion_tokens": [w.fresh["token"]]},
    ),
    "listImages": lambda w, a: w.send(a, "v1", "GET", "/api/v1/images"),
    "cheveretoUploadImage": lambda w, a: w.send(
        a, "chevereto", "POST", "/api/1/upload", **_multipart("source")
    ),
    "deleteImage": lambda w, a: w.send(a, "v1", "DELETE", f"/api/v1/images/{a.target.image_uuid}"),
    "getOpenApiDocument": lambda w, a: w.send(a, "v1", "GET", "/api/v1/openapi.json"),
    "getRobotsTxt": lambda w, a: w.send(a, "none", "GET", "/robots.txt"),
    "getFavicon": lambda w, a: w.send(a, "none", "GET", "/favicon.ico"),
    # /api/auth
    "signUp": lambda w, a: w.send(
        a,
        "none",
        "POST",
        "/api/auth/signup",
        json={"email": f"{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD},
    ),
    "logIn": _login,
    "logOut": lambda w, a: w.send(a, "session", "POST", "/api/auth/logout"),
    "getMe": lambda w, a: w.send(a, "session", "GET", "/api/auth/me"),
    "changePassword": _password,
    # the session API
    "sessionListImages": lambda w, a: w.send(a, "session", "GET", "/api/images"),
    "getDeleteConfirmPage": lambda w, a: w.send(
        a, "none", "GET", f"/api/images/{a.target.image_uuid}", **_token_query(a)
    ),
    "editImage": lambda w, a: w.send(
        a, "session", "PATCH", f"/api/images/{a.target.image_uuid}", json={"title": "Renamed"}
    ),
    "deleteImageByToken": lambda w, a: w.send(
        a,
        "session",
        "DELETE",
        f"/api/images/{a.target.image_uuid}",
        **({} if a.session else _token_query(a)),
    ),
    "bulkDeleteImages": lambda w, a: w.send(
        a, "session", "POST", "/api/images/bulk/delete", json={"ids": [a.target.image_uuid]}
    ),
    "bulkMoveImages": lambda w, a: w.send(
        a,
        "session",
        "POST",
        "/api/images/bulk/move",
        json={"ids": [a.target.image_uuid], "albumId": a.target.album_id},
    ),
    "bulkSetVisibility": lambda w, a: w.send(
        a,
        "session",
        "POST",
        "/api/images/bulk/visibility",
        json={"ids": [a.target.image_uuid], "visibility": "private"},
    ),
    "claimGuestImages": lambda w, a: w.send(
        a, "session", "POST", "/api/images/claim", json={"items": [w.fresh["item"]]}
    ),
    "downloadOriginal": lambda w, a: w.send(
        a, "v1", "GET", f"/api/v1/images/{w.fresh['kept']}/original"
    ),
    "sessionDownloadOriginal": lambda w, a: w.send(
        a, "session", "GET", f"/api/images/{w.fresh['kept']}/original"
    ),
    "listAlbums": lambda w, a: w.send(a, "session", "GET", "/api/albums"),
    "createAlbum": lambda w, a: w.send(a, "session", "POST", "/api/albums", json={"title": "New"}),
    "getAlbum": lambda w, a: w.send(a, "none", "GET", f"/api/albums/{a.target.album_id}"),
    "editAlbum": lambda w, a: w.send(
        a, "session", "PATCH", f"/api/albums/{a.target.album_id}", json={"title": "Renamed"}
    ),
    "deleteAlbum": lambda w, a: w.send(a, "session", "DELETE", f"/api/albums/{a.target.album_id}"),
    # the target's album holds no images: the empty order is the whole album's order
    "arrangeAlbum": lambda w, a: w.send(
        a, "session", "PUT", f"/api/albums/{a.target.album_id}/order", json={"image_ids": []}
    ),
    "listKeys": lambda w, a: w.send(a, "session", "GET", "/api/keys"),
    "createKey": lambda w, a: w.send(a, "session", "POST", "/api/keys", json={"name": "new"}),
    "createSharexConfig": lambda w, a: w.send(
        a, "session", "POST", "/api/keys/sharex", json={"name": "laptop"}
    ),
    "revokeKey": lambda w, a: w.send(a, "session", "DELETE", f"/api/keys/{a.target.spare_key_id}"),
    "sessionUploadImages": lambda w, a: w.send(
        a, "session", "POST", "/api/upload", **_multipart("files")
    ),
    "sessionPresignUpload": lambda w, a: w.send(
        a, "session", "POST", "/api/upload/presign", json=_presign_doc()
    ),
    "sessionCompleteUpload": lambda w, a: w.send(
        a,
        "session",
        "POST",
        "/api/upload/complete",
        json={"completion_token": w.fresh["token"]},
    ),
    "guestUploadImages": lambda w, a: w.send(
        a, "none", "POST", "/api/upload/guest", **_multipart("files")
    ),
    "guestPresignUpload": lambda w, a: w.send(
        a, "none", "POST", "/api/upload/guest/presign", json=_presign_doc()
    ),
    "guestCompleteUpload": lambda w, a: w.send(
        a,
        "none",
        "POST",
        "/api/upload/guest/complete",
        json={"completion_token": w.fresh["token"]},
    ),
    "listSessions": lambda w, a: w.send(a, "session", "GET", "/api/auth/sessions"),
    "revokeSession": lambda w, a: w.send(
        a, "session", "DELETE", f"/api/auth/sessions/{w.fresh['session_id']}"
    ),
    "revokeOtherSessions": lambda w, a: w.send(
        a, "session", "POST", "/api/auth/sessions/revoke-others"
    ),
    "twoFactorSetup": lambda w, a: w.send(a, "session", "POST", "/api/auth/2fa/setup"),
    "twoFactorEnable": lambda w, a: w.send(
        a, "session", "POST", "/api/auth/2fa/enable", json={"code": w.fresh["code"]}
    ),
    "twoFactorDisable": lambda w, a: w.send(
        a,
        "session",
        "POST",
        "/api/auth/2fa/disable",
        json={"password": w.fresh["password"], "code": w.fresh["code"]},
    ),
    "twoFactorRecoveryCodes": lambda w, a: w.send(
        a, "session", "POST", "/api/auth/2fa/recovery-codes", json={"code": w.fresh["code"]}
    ),
    # /api/admin
    "adminEndUserSessions": lambda w, a: w.send(
        a, "session", "DELETE", f"/api/admin/users/{a.target.user_id}/sessions"
    ),
    "adminGetStats": lambda w, a: w.send(a, "session", "GET", "/api/admin/stats"),
    "adminListUsers": lambda w, a: w.send(a, "session", "GET", "/api/admin/users"),
    "adminEditUser": lambda w, a: w.send(
        a,
        "session",
        "PATCH",
        f"/api/admin/users/{a.target.user_id}",
        json={"quota_bytes": 1 << 30},
    ),
    "adminListAudit": lambda w, a: w.send(a, "session", "GET", "/api/admin/audit"),
    "adminListImages": lambda w, a: w.send(
        a, "session", "GET", "/api/admin/images", params={"owner": "guest", "reported": "true"}
    ),
    # without `block`: the matrix re-uploads the same PNG for the next cell
    "adminDeleteImage": lambda w, a: w.send(
        a, "session", "DELETE", f"/api/admin/images/{a.target.image_uuid}"
    ),
    "adminHideImage": lambda w, a: w.send(
        a, "session", "POST", f"/api/admin/images/{a.target.image_uuid}/hide"
    ),
    "adminUnhideImage": lambda w, a: w.send(
        a, "session", "POST", f"/api/admin/images/{a.target.image_uuid}/unhide"
    ),
    "adminListReports": lambda w, a: w.send(a, "session", "GET", "/api/admin/reports"),
    "adminDismissReport": lambda w, a: w.send(
        a, "session", "POST", f"/api/admin/reports/{w.fresh['report_id']}/dismiss"
    ),
    "adminBlockedHashes": lambda w, a: w.send(a, "session", "GET", "/api/admin/blocked"),
    "adminUnblockHash": lambda w, a: w.send(
        a, "session", "DELETE", f"/api/admin/blocked/{w.fresh['digest']}"
    ),
    "reportImage": lambda w, a: w.send(
        a,
        "none",
        "POST",
        f"/i/{a.target.image['id']}/report",
        json={"reason": "spam", "text": "matrix"},
        remote_addr=f"198.51.100.{ROLES.index(a.role) + 1}",
    ),
    # public routes and pages
    "getImagePage": lambda w, a: w.send(a, "none", "GET", f"/i/{a.target.image['id']}"),
    "getMedia": _media("direct_url"),
    "unlockImage": lambda w, a: w.send(
        a,
        "none",
        "POST",
        f"/i/{a.target.image['id']}/unlock",
        body="password=matrix",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    "unlockAlbum": lambda w, a: w.send(
        a,
        "none",
        "POST",
        f"/albums/{a.target.album_id}/unlock",
        body="password=matrix",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    "getHealth": _page("/healthz"),
    "getReadiness": _page("/readyz"),
    "getMetrics": _page("/metrics"),
    "headMedia": _media("direct_url", "HEAD"),
    "getThumbnail": _media("thumb_url"),
    "headThumbnail": _media("thumb_url", "HEAD"),
    "getRendition": _rendition(),
    "headRendition": _rendition("HEAD"),
    "getSignedRendition": _signed(),
    "headSignedRendition": _signed("HEAD"),
    "submitDeleteForm": _delete_form,
    "getUploadPage": _page("/"),
    "getLoginPage": _page("/login"),
    "getSignupPage": _page("/signup"),
    "getGalleryPage": _page("/gallery"),
    "getAlbumsPage": _page("/albums"),
    "getAlbumPage": lambda w, a: w.send(a, "none", "GET", f"/albums/{a.target.album_id}"),
    "getProfilePage": lambda w, a: w.send(a, "none", "GET", f"/u/{a.target.user_id}"),
    "getSettingsPage": _page("/settings"),
    "getAdminPage": _page("/admin"),
}


def _spare_session(w: World, a: Actor) -> dict[str, Any]:
    """Another signed-in session of the owner's, the one a cell asks to end (started in
    process: nine sign-ins a cell over HTTP would trip the per-address sign-in limit)."""
    with w.app.container.adapters.uow_factory()() as uow:
        owner = uow.users.get(w.owner.user_id)
    assert owner is not None
    spare = w.app.container.use_cases.session_starter().start(owner, "spare")
    return {"session_id": str(spare.session.id)}


def _code(w: World, a: Actor, *, enabled: bool) -> dict[str, Any]:
    """A code from the actor's own authenticator (a pending enrolment, or with two-factor
    sign-in already on when `enabled`); actors without a live session of their own get a
    made-up code (they are refused before it is looked at)."""
    account = a.account
    if account is None or a.role not in ("owner", "other", "admin"):
        return {"code": "123456", "password": PASSWORD}
    two_factor = w.app.container.use_cases.two_factor()
    secret = two_factor.setup(account.user_id).secret
    totp = pyotp.TOTP(secret)
    if not enabled:
        return {"code": totp.now(), "password": account.password}
    two_factor.enable(account.user_id, totp.now(), client="203.0.113.9")
    # the current step is spent: the next one is inside the accepted window
    return {
        "code": totp.at(datetime.now(UTC) + timedelta(seconds=30)),
        "password": account.password,
    }


# What a cell presents, made fresh before its snapshot: capability URLs (by the owner, or a
# guest), another session of the owner's, a code from the actor's authenticator.
PREPARE: dict[str, Callable[[World, Actor], dict[str, Any]]] = {
    "putUpload": lambda w, a: w.presigned(),
    "completeUpload": lambda w, a: {"token": w.completion_token()},
    "completeUploads": lambda w, a: {"token": w.completion_token()},
    "sessionCompleteUpload": lambda w, a: {"token": w.completion_token(session=True)},
    "guestCompleteUpload": lambda w, a: {"token": w.completion_token(guest=True)},
    "claimGuestImages": lambda w, a: {"item": w.guest_upload()},
    "downloadOriginal": lambda w, a: {"kept": w.kept_upload()},
    "sessionDownloadOriginal": lambda w, a: {"kept": w.kept_upload()},
    "revokeSession": _spare_session,
    "adminDismissReport": lambda w, a: {"report_id": w.open_report()},
    "adminUnblockHash": lambda w, a: {"digest": w.blocked_digest()},
    "twoFactorEnable": lambda w, a: _code(w, a, enabled=False),
    "twoFactorDisable": lambda w, a: _code(w, a, enabled=True),
    "twoFactorRecoveryCodes": lambda w, a: _code(w, a, enabled=True),
}

# What an allowed (2xx) cell of an operation uses up, recreated before the next cell.
CONSUMES: dict[str, tuple[str, ...]] = {
    "deleteImage": ("image",),
    "deleteImageByToken": ("image",),
    "bulkDeleteImages": ("image",),
    "submitDeleteForm": ("image",),
    "deleteAlbum": ("album",),
    "revokeKey": ("spare_key",),
    "logOut": ("session",),
    # a sign-in or sign-up ends the session the browser arrived with
    "logIn": ("session",),
    "signUp": ("session",),
    "changePassword": ("password",),
    "adminEndUserSessions": ("target_session",),
    "adminDeleteImage": ("image",),
    "adminHideImage": ("image",),
    "twoFactorEnable": ("two_factor",),
    "twoFactorRecoveryCodes": ("two_factor",),
}


# --- the tests ------------------------------------------------------------------------------


def operations(doc: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """operationId -> (documented path, METHOD) for every operation of the document."""
    found: dict[str, tuple[str, str]] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                found[op.get("operationId") or f"{method.upper()} {path}"] = (path, method.upper())
    return found


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp(f"matrix-{request.param}"), request.param)
    yield built
    built.app.container.shutdown_resources()


def test_table_and_document_agree(world: World) -> None:
    documented = set(operations(world.contract.doc))
    missing = sorted(documented - set(TABLE))
    stale = sorted(set(TABLE) - documented)
    assert not missing, f"operations the matrix does not classify (add them to TABLE): {missing}"
    assert not stale, f"TABLE rows for operations the document no longer has: {stale}"
    assert set(REQUESTS) == set(TABLE), sorted(set(REQUESTS) ^ set(TABLE))
    assert all(len(row) == len(ROLES) for row in TABLE.values())


def _check_cell(world: World, op: str, path: str, method: str, role: str, expected: int) -> str:
    actor = world.actor(role)
    world.fresh = PREPARE[op](world, actor) if op in PREPARE else {}
    before = state(world.app)
    r = REQUESTS[op](world, actor)
    where = f"{op} ({method} {path}) as {role}"
    if r.status_code != expected:
        return f"{where}: expected {expected}, got {r.status_code}: {r.text[:200]}"
    try:
        world.contract.check(path, method, r)
    except AssertionError as e:
        return f"{where}: response does not match the document: {e}"
    if 200 <= r.status_code < 300:
        for what in CONSUMES.get(op, ()):
            world.renew(what, actor)
        return ""
    if state(world.app) != before:
        return f"{where}: refused with {r.status_code} but stored state changed"
    # JSON routes answer the documented error object (the contract check above holds each
    # route to its documented media types); HTML pages answer HTML, HEAD no body at all.
    if r.status_code >= 400 and "json" in r.headers.get("content-type", "") and r.content:
        body = r.json
        if isinstance(body, dict) and "status_code" in body:  # Chevereto's shape (/api/1/upload)
            body = {"success": False, "error": body.get("error", {}).get("message")}
        if not (
            isinstance(body, dict)
            and body.get("success") is False
            and isinstance(body.get("error"), str)
            and body["error"]
        ):
            return f"{where}: not the documented error JSON: {r.text[:200]}"
        if LEAKS.search(r.text):
            return f"{where}: the error leaks internals: {r.text[:200]}"
    return ""


@pytest.mark.parametrize("op", sorted(REQUESTS))
def test_every_cell_answers_as_declared(world: World, op: str) -> None:
    ops = operations(world.contract.doc)
    if op not in ops or op not in TABLE:
        pytest.fail(f"{op}: not in both the document and TABLE (see test_table_and_document_agree)")
    path, method = ops[op]
    failures = [
        f
        for role, expected in zip(ROLES, TABLE[op], strict=True)
        if (f := _check_cell(world, op, path, method, role, expected))
    ]
    assert not failures, "\n".join(failures)


def test_the_state_snapshot_sees_each_kind_of_change(world: World) -> None:
    """The checker itself: a stored change of each kind shows in `state`."""
    owner = world.owner
    changes: list[Callable[[], object]] = [
        lambda: owner.browser.request(
            "PATCH", f"/api/albums/{owner.album_id}", json={"title": "x"}
        ),
        lambda: owner.browser.request("POST", "/api/keys", json={"name": "k"}),
        lambda: upload_image(world.app, owner.key),
        lambda: world.presigned(),
        lambda: world.admin.browser.request(
            "PATCH", f"/api/admin/users/{owner.user_id}", json={"quota_bytes": (1 << 30) + 1}
        ),
    ]
    for change in changes:
        before = state(world.app)
        change()
        assert state(world.app) != before

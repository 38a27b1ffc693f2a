"""Passwords on images and albums at the HTTP door: the unlock form's target and its cookies.

A visitor who enters the right password gets one cookie per lock it opens, for
UNLOCK_SECONDS: `imgtree_unlock_{i|a}{id hex}` = `{expiry}.{mac}`, the mac being HMAC-SHA256
(the unlock key) over the lock's kind, id and password fingerprint and the expiry. A new
password changes the fingerprint, so every earlier unlock stops working; nothing is stored.
HttpOnly, SameSite=Lax, Path=/, Secure on https deployments.

The form is plain HTML (no script needed). Cross-site posts are refused by their Origin /
Sec-Fetch-Site headers (a form has no session to bind a CSRF token to). Wrong passwords count
against a budget of their own per client (UNLOCK_MISSES in UNLOCK_WINDOW); a client past it
gets 429 before any password is checked, so argon2's cost is paid only for allowed attempts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import attrs
import falcon

from imgtree.domain.errors import NotFound, RateLimited, WrongPassword
from imgtree.domain.model import Lock, LockKind
from imgtree.domain.ports import Clock
from imgtree.domain.use_cases.unlock import Unlock
from imgtree.entrypoints.http.misses import MissGuard, too_many
from imgtree.entrypoints.http.web.render import render
from imgtree.entrypoints.http.web.strings import message

log = logging.getLogger("imgtree.http")

UNLOCK_SECONDS = 3600  # an unlock lasts an hour
UNLOCK_MISSES = 10  # wrong passwords per client (IPv6: per /64) ...
UNLOCK_WINDOW = 600  # ... per ten minutes
COOKIE_PREFIX = "imgtree_unlock_"
MAX_FORM_BYTES = 8192  # the form holds one password (MAX_CONTENT_PASSWORD characters)
_KIND_LETTER = {LockKind.IMAGE: "i", LockKind.ALBUM: "a"}


def unlock_key(
    unlock: str | None, media_signing: str | None = None, address_hash: str | None = None
) -> bytes:
    """IMGTREE_UNLOCK_KEY; else a key derived from IMGTREE_MEDIA_SIGNING_KEY or
    IMGTREE_ADDRESS_HASH_KEY (one of them set keeps unlocks valid across workers and
    restarts); else a random key of this process (docs/decisions.md)."""
    if unlock:
        return unlock.encode()
    for base in (media_signing, address_hash):
        if base:
            return hmac.new(base.encode(), b"imgtree unlock cookies", hashlib.sha256).digest()
    log.warning(
        "IMGTREE_UNLOCK_KEY is not set: password unlocks are valid only in the worker that"
        " gave them, until it restarts"
    )
    return secrets.token_bytes(32)


def cookie_name(lock: Lock) -> str:
    return f"{COOKIE_PREFIX}{_KIND_LETTER[lock.kind]}{lock.id.hex}"


@attrs.define
class Unlocks:
    """Signs and checks unlock cookies."""

    key: bytes = attrs.field(repr=False)
    clock: Clock
    secure: bool = False
    seconds: int = UNLOCK_SECONDS

    def _mac(self, lock: Lock, expires: int) -> str:
        message = f"{lock.kind.value}:{lock.id}:{lock.fingerprint}:{expires}".encode()
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def token(self, lock: Lock) -> str:
        expires = int((self.clock.now() + timedelta(seconds=self.seconds)).timestamp())
        return f"{expires}.{self._mac(lock, expires)}"

    def valid(self, lock: Lock, token: str | None) -> bool:
        if not token or len(token) > 100:
            return False
        raw_expires, _, mac = token.partition(".")
        if not raw_expires.isdigit() or len(raw_expires) > 12:
            return False
        expires = int(raw_expires)
        if expires <= self.clock.now().timestamp():
            return False
        return hmac.compare_digest(self._mac(lock, expires).encode(), mac.encode())

    def opened(self, req: falcon.Request) -> Callable[[Lock], bool]:
        """Whether this request carries a valid unlock for a lock."""
        cookies = req.cookies

        def check(lock: Lock) -> bool:
            return self.valid(lock, cookies.get(cookie_name(lock)))

        return check

    def grant(self, resp: falcon.Response, lock: Lock) -> None:
        resp.set_cookie(
            cookie_name(lock),
            self.token(lock),
            max_age=self.seconds,
            path="/",
            secure=self.secure,
            http_only=True,
            same_site="Lax",
        )


def same_origin(req: falcon.Request, base_url: str) -> bool:
    """Whether an unsafe request comes from our own pages: Sec-Fetch-Site (when the browser
    sends it) says same-origin, and Origin (when sent) is the base URL's or the request's own.
    Clients that send neither (curl, tests) are not browsers a third-party page can drive."""
    site = req.get_header("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = req.get_header("Origin")
    if origin is None:
        return True
    base = urlsplit(base_url)
    allowed = {f"{base.scheme}://{base.netloc}", f"{req.scheme}://{req.netloc}"}
    return origin in allowed


@attrs.define
class UnlockResource:
    """POST /i/{slug}/unlock and /albums/{album_id}/unlock: the password form's target. The
    right password sets the unlock cookie(s) and sends the browser back to the page (303);
    a wrong one shows the form again (401)."""

    unlock: Unlock
    unlocks: Unlocks
    budget: MissGuard  # wrong passwords
    misses: MissGuard  # unknown slugs and albums, as on the pages
    viewer: Callable[[falcon.Request], uuid.UUID | None]
    base_url: str
    kind: LockKind

    def on_post(self, req: falcon.Request, resp: falcon.Response, **fields: str) -> None:
        ref = fields.get("slug") or fields.get("album_id") or ""
        album_id = _uuid_or_nil(ref)  # the page to go back to names it canonically
        page = f"/i/{ref}" if self.kind is LockKind.IMAGE else f"/albums/{album_id}"
        if not same_origin(req, self.base_url):
            render(
                resp,
                "message.html",
                status=403,
                heading=message("not_unlocked"),
                text=message("unlock_from_this_site"),
            )
            return
        try:
            self.misses.check(req)
            self.budget.check(req)  # before argon2: an over-budget client costs nothing
        except RateLimited as exc:
            too_many(resp, exc, message("too_many_passwords"))
            return
        password = _password(req)
        viewer_id = self.viewer(req)
        try:
            if self.kind is LockKind.IMAGE:
                opened = self.unlock.image(ref, password, viewer_id=viewer_id)
            else:
                opened = self.unlock.album(album_id, password, viewer_id=viewer_id)
        except NotFound:
            try:
                self.misses.miss(req)
            except RateLimited as exc:
                too_many(resp, exc)
                return
            render(
                resp,
                "message.html",
                status=404,
                heading=message("not_found"),
                text=message("nothing_here"),
            )
            return
        except WrongPassword:
            try:
                self.budget.miss(req)
            except RateLimited as exc:
                too_many(resp, exc, message("too_many_passwords"))
                return
            render_locked(resp, self.kind, page, wrong_password=True)
            return
        for lock in opened:
            self.unlocks.grant(resp, lock)
        raise falcon.HTTPSeeOther(page)


def render_locked(
    resp: falcon.Response,
    kind: LockKind,
    page: str,
    *,
    wrong_password: bool = False,
    **context: object,
) -> None:
    """The password form in place of a protected image or album (401, never cached, noindex,
    no preview tags)."""
    render(
        resp,
        "locked.html",
        status=401,
        kind=kind.value,
        action=f"{page}/unlock",
        wrong_password=wrong_password,
        **context,
    )


def _password(req: falcon.Request) -> str:
    if req.content_length is None or req.content_length > MAX_FORM_BYTES:
        return ""
    if not (req.content_type or "").startswith("application/x-www-form-urlencoded"):
        return ""
    form = req.get_media()
    value = form.get("password") if isinstance(form, dict) else None
    return value if isinstance(value, str) else ""


def _uuid_or_nil(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)

"""Session cookies and CSRF: who is signed in, and whether an unsafe request is really theirs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import attrs
import falcon

from imgtree.domain.errors import DomainError, Forbidden, Unauthenticated
from imgtree.domain.use_cases.sessions import AuthenticateSession, SessionContext
from imgtree.entrypoints.http.observe import note_identity
from imgtree.entrypoints.http.session.csrf import csrf_ok, csrf_token_for

COOKIE = "imgtree_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_name(secure: bool) -> str:
    """The session cookie's name. Over https it carries the `__Host-` prefix (ASVS 3.3.1):
    browsers then accept it only Secure, for Path=/ and without a Domain, so neither a
    sibling subdomain nor a plain-http page can plant or overwrite it."""
    return f"__Host-{COOKIE}" if secure else COOKIE


@attrs.define
class SessionGuard:
    authenticate: AuthenticateSession
    secure_cookies: bool
    cookie: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.cookie = cookie_name(self.secure_cookies)

    def token(self, req: falcon.Request) -> str | None:
        values = req.get_cookie_values(self.cookie)
        return values[0] if values else None

    def optional(self, req: falcon.Request) -> SessionContext | None:
        """The signed-in session, or None for a visitor (an inactive account raises 403)."""
        token = self.token(req)
        if not token:
            return None
        try:
            return self.authenticate(token)
        except Unauthenticated:
            return None

    def viewer_id(self, req: falcon.Request) -> uuid.UUID | None:
        """Who is looking at a page or media (for private images): no cookie, no lookup."""
        context = signed_in_or_none(self, req) if self.token(req) else None
        return context.user.id if context else None

    def require(self, req: falcon.Request) -> SessionContext:
        """The signed-in session; unsafe methods must also carry the session's CSRF token."""
        context = self.authenticate(self.token(req))
        note_identity(req, context.user.id)
        if req.method not in SAFE_METHODS and not csrf_ok(
            context.token, req.get_header(CSRF_HEADER)
        ):
            raise Forbidden("Missing or invalid CSRF token")
        return context

    def csrf_token(self, session_token: str) -> str:
        return csrf_token_for(session_token)

    def set_cookie(self, resp: falcon.Response, token: str, max_age: int) -> None:
        resp.set_cookie(
            self.cookie,
            token,
            max_age=max_age,
            path="/",
            secure=self.secure_cookies,
            http_only=True,
            same_site="Lax",
        )

    def clear_cookie(self, resp: falcon.Response) -> None:
        """This browser signs out: its cookie is overwritten with the attributes it was set
        with (a browser ignores a __Host- cookie without Secure, so falcon's unset_cookie
        would leave it), and the browser drops what it cached and stored for this origin,
        private images included (ASVS 14.3.1; browsers honour it on https and localhost)."""
        resp.set_cookie(
            self.cookie,
            "",
            expires=_LONG_AGO,  # falcon drops max_age=0 (falsy)
            path="/",
            secure=self.secure_cookies,
            http_only=True,
            same_site="Lax",
        )
        resp.set_header("Clear-Site-Data", '"cache", "cookies", "storage"')


_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


def signed_in_or_none(guard: SessionGuard, req: falcon.Request) -> SessionContext | None:
    try:
        return guard.optional(req)
    except DomainError:
        return None

"""/api/auth/*: sign-up, sign-in, sign-out, who am I, change password (JSON, script-friendly)."""

from __future__ import annotations

import attrs
import falcon

from imgtree.domain.errors import InvalidInput
from imgtree.domain.policies import SessionPolicy
from imgtree.domain.services.session_starter import SignedIn
from imgtree.domain.use_cases.sessions import ChangePassword, SignIn, SignOut, SignUp
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.commands import text_or_none
from imgtree.entrypoints.http.guards import Guards
from imgtree.entrypoints.http.requests import client_ip, rate_limit_client, read_json_object
from imgtree.entrypoints.http.session.guard import SessionGuard


def _signed_in(
    guard: SessionGuard,
    req: falcon.Request,
    resp: falcon.Response,
    done: SignedIn,
    lifetime: int,
    sign_out: SignOut | None,
) -> None:
    """A new session's cookie; the session this browser held before (if any) ends, so no
    token outlives a sign-in (ASVS 7.2.4: a cookie planted before sign-in is worth nothing)."""
    if sign_out is not None:
        sign_out(guard.token(req))
    guard.set_cookie(resp, done.token, lifetime)
    resp.media = {
        "success": True,
        "user": presenters.user(done.user),
        "csrf_token": guard.csrf_token(done.token),
    }


@attrs.define
class SignUpResource:
    sign_up: SignUp
    guard: SessionGuard
    guards: Guards
    sign_out: SignOut | None = None

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        doc = read_json_object(req)
        done = self.sign_up(
            text_or_none(doc.get("email")),
            text_or_none(doc.get("password")),
            name=text_or_none(doc.get("name")) or "",
            client=rate_limit_client(req, self.guards.trusted_proxies),
            user_agent=req.user_agent or "",
            address=client_ip(req, self.guards.trusted_proxies),
        )
        _signed_in(self.guard, req, resp, done, _cookie_seconds(self.sign_up.policy), self.sign_out)
        resp.status = falcon.HTTP_201


@attrs.define
class LoginResource:
    sign_in: SignIn
    guard: SessionGuard
    guards: Guards
    sign_out: SignOut | None = None

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        doc = read_json_object(req)
        done = self.sign_in(
            text_or_none(doc.get("email")),
            text_or_none(doc.get("password")),
            client=rate_limit_client(req, self.guards.trusted_proxies),
            user_agent=req.user_agent or "",
            address=client_ip(req, self.guards.trusted_proxies),
            code=text_or_none(doc.get("code")),
        )
        _signed_in(self.guard, req, resp, done, _cookie_seconds(self.sign_in.policy), self.sign_out)


@attrs.define
class LogoutResource:
    sign_out: SignOut
    guard: SessionGuard

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        self.sign_out(context.token)
        self.guard.clear_cookie(resp)
        resp.media = {"success": True}


@attrs.define
class MeResource:
    guard: SessionGuard

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        resp.media = {
            "success": True,
            "user": presenters.user(context.user),
            "csrf_token": self.guard.csrf_token(context.token),
        }


@attrs.define
class PasswordResource:
    change_password: ChangePassword
    guard: SessionGuard

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        doc = read_json_object(req)
        current, new = doc.get("current_password"), doc.get("new_password")
        if not isinstance(current, str) or not isinstance(new, str):
            raise InvalidInput("current_password and new_password are required")
        self.change_password(context.user.id, current, new, keep_session_id=context.session.id)
        resp.media = {"success": True}


def _cookie_seconds(policy: SessionPolicy) -> int:
    """The cookie's Max-Age at sign-in: the session's first expiry."""
    return min(policy.lifetime_seconds, policy.max_lifetime_seconds)

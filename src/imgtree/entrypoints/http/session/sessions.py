"""/api/auth/sessions: the signed-in account's own sessions — list, end one, end the others."""

from __future__ import annotations

import attrs
import falcon

from imgtree.domain.use_cases.sessions import UserSessions
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.requests import parse_uuid
from imgtree.entrypoints.http.session.guard import SessionGuard


@attrs.define
class SessionsResource:
    sessions: UserSessions
    guard: SessionGuard

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        current = context.session.id
        resp.media = {
            "success": True,
            "sessions": [
                presenters.session(s, current) for s in self.sessions.list(context.user.id)
            ],
        }


@attrs.define
class SessionResource:
    sessions: UserSessions
    guard: SessionGuard

    def on_delete(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        context = self.guard.require(req)
        ending = parse_uuid(session_id, "sessionId")
        self.sessions.end(context.user.id, ending)
        if ending == context.session.id:  # signing this browser out: forget its cookie too
            self.guard.clear_cookie(resp)
        resp.media = {"success": True}


@attrs.define
class RevokeOthersResource:
    sessions: UserSessions
    guard: SessionGuard

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        count = self.sessions.end_others(context.user.id, context.session.id)
        resp.media = {"success": True, "revoked": count}

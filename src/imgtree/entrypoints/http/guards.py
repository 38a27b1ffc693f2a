"""Per-request guards shared by resources: rate limiting and API-key authentication."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import attrs
import falcon

from imgtree.domain.commands import Uploader
from imgtree.domain.model import Scope
from imgtree.domain.use_cases.keys import AuthenticateApiKey, AuthenticatedKey
from imgtree.domain.use_cases.rate_limit import EnforceRateLimit
from imgtree.entrypoints.http.errors import rate_limit_headers
from imgtree.entrypoints.http.observe import note_identity
from imgtree.entrypoints.http.requests import bearer_token, rate_limit_client


@attrs.define
class Guards:
    authenticate_api_key: AuthenticateApiKey
    enforce_rate_limit: EnforceRateLimit
    trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = ()

    def rate_limit(self, req: falcon.Request, resp: falcon.Response, scope: str = "upload") -> None:
        """Count this request against its client IP; 429 (via the error handler) past the limit."""
        decision = self.enforce_rate_limit(
            rate_limit_client(req, self.trusted_proxies), scope=scope
        )
        resp.set_headers(
            rate_limit_headers(
                decision.limit,
                decision.remaining,
                decision.reset_after,
                self.enforce_rate_limit.policy.window_seconds,
            )
        )

    def api_key(self, req: falcon.Request, scope: Scope | None = None) -> AuthenticatedKey:
        """The request's key (401 without a valid one); with `scope`, 403 unless it holds it."""
        auth = self.authenticate_api_key(bearer_token(req))
        note_identity(req, auth.user.id, auth.key.id)
        return auth if scope is None else auth.require(scope)

    def key_uploader(self, req: falcon.Request) -> Uploader:
        """The uploader behind a key that may upload (its scopes travel with it: an album
        target needs the albums scope too)."""
        return self.uploader_for(req, bearer_token(req))

    def uploader_for(self, req: falcon.Request, presented: str | None) -> Uploader:
        """`key_uploader` for a key presented elsewhere than the Authorization header (the
        Chevereto-compatible route reads X-API-Key or a `key` field)."""
        auth = self.authenticate_api_key(presented)
        note_identity(req, auth.user.id, auth.key.id)
        auth = auth.require(Scope.UPLOAD)
        return Uploader(auth.user, auth.key.id, scopes=auth.key.scopes)

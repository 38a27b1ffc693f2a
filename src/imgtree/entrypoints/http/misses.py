"""The miss budget at the HTTP door: who the client is, and how an HTML route says 429.

Public routes (`/i/{slug}`, `/media/...`, delete links) call `check` first, which costs a
dict lookup (nothing at all while this worker knows no client over budget), and `miss` when
the request named nothing the client may see. JSON routes let the RateLimited error reach the
error handler; HTML routes render `too_many` in their own shape.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import attrs
import falcon

from imgtree.domain.errors import Forbidden, InvalidInput, NotFound, RateLimited
from imgtree.domain.use_cases.misses import MissBudget
from imgtree.entrypoints.http.errors import rate_limit_headers
from imgtree.entrypoints.http.observe import note_error
from imgtree.entrypoints.http.requests import rate_limit_client
from imgtree.entrypoints.http.web.render import render
from imgtree.entrypoints.http.web.strings import message

# What a wrong delete link raises: an unknown or malformed image id, a wrong token. (No token
# at all is not a guess, and an owner's own session is not a delete link.)
DELETE_LINK_MISSES = (NotFound, Forbidden, InvalidInput)


# Peers (and forwarded chains) whose client key `check` remembers: parsing an address and
# taking its /64 costs several microseconds, more than the rest of the check, and once anyone
# is over budget every hit asks. Emptied when full.
CLIENT_MEMO_SIZE = 4096


@attrs.define
class MissGuard:
    budget: MissBudget
    trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = ()
    _clients: dict[tuple[str, str | None], str] = attrs.field(factory=dict, init=False)

    def check(self, req: falcon.Request) -> None:
        """RateLimited when this client is known here to be over its miss budget. Hits pay
        only this: no limiter, no database, and nothing at all while nobody is over budget."""
        if self.budget.anyone_over:
            self.budget.over_budget(self._client(req))

    def miss(self, req: falcon.Request) -> None:
        """Count a miss against this client (IPv4 address or IPv6 /64); RateLimited past it."""
        self.budget.miss(self._client(req))

    def _client(self, req: falcon.Request) -> str:
        """`rate_limit_client`, remembered per peer (and X-Forwarded-For, which only a trusted
        peer's requests are judged by)."""
        forwarded = req.get_header("X-Forwarded-For") if self.trusted_proxies else None
        key = (req.remote_addr or "", forwarded)
        client = self._clients.get(key)
        if client is None:
            client = rate_limit_client(req, self.trusted_proxies)
            if len(self._clients) >= CLIENT_MEMO_SIZE:
                self._clients = {}
            self._clients[key] = client
        return client


def too_many(
    resp: falcon.Response,
    error: RateLimited,
    text: str | None = None,
) -> None:
    """The HTML routes' 429: a plain page with Retry-After and the RateLimit headers."""
    note_error(resp, error)
    render(
        resp,
        "message.html",
        status=429,
        heading=message("too_many_requests"),
        text=text or message("too_many_misses"),
    )
    resp.set_header("Retry-After", str(error.retry_after))
    resp.set_headers(
        rate_limit_headers(error.limit, 0, error.retry_after, error.window_seconds, error.policy)
    )

"""CSRF tokens for browser sessions, derived from the session token so nothing is stored.

The token is the SHA-256 (hex) of the session token under a distinct label: it changes with
every session and cannot be computed by a page that cannot read the cookie.
"""

from __future__ import annotations

import hashlib
import hmac

_LABEL = "csrf:"


def csrf_token_for(session_token: str) -> str:
    return hashlib.sha256((_LABEL + session_token).encode("utf-8")).hexdigest()


def csrf_ok(session_token: str, presented: str | None) -> bool:
    if not presented:
        return False
    expected = csrf_token_for(session_token)
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))

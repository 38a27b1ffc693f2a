"""TOTP codes with pyotp: the OneTimePasswords port (domain/ports.py)."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one (clock drift, slow typing)


class PyOtpPasswords:
    def new_secret(self) -> str:
        return pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 advises

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        if len(code) != DIGITS or not code.isascii() or not code.isdigit():
            return None
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
        found = None
        for offset in range(-WINDOW, WINDOW + 1):
            moment = at + timedelta(seconds=offset * STEP_SECONDS)
            # Every step is compared (no early exit), each in constant time.
            if hmac.compare_digest(totp.at(moment), code) and found is None:
                found = totp.timecode(moment)
        return found

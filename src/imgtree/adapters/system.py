"""System adapters: clock, secure random, secret and password hashing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime

import argon2


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemRandom:
    """Cryptographically secure randomness from the OS (the `secrets` module)."""

    def token(self, nbytes: int) -> str:
        return secrets.token_urlsafe(nbytes)

    def choice_string(self, alphabet: str, length: int) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(length))

    def uuid(self) -> uuid.UUID:
        return uuid.uuid4()


class Sha256SecretHasher:
    """For high-entropy secrets (API keys, delete and upload tokens).

    A fast hash is right here: with 256 bits of entropy there is nothing to brute-force,
    and authentication runs on every API request. Comparison is constant-time.
    """

    def hash(self, secret: str) -> str:
        return "sha256$" + hashlib.sha256(secret.encode("utf-8")).hexdigest()

    def verify(self, secret: str, hashed: str) -> bool:
        return hmac.compare_digest(self.hash(secret).encode(), hashed.encode())

    def lookup_key(self, secret: str) -> str:
        # The stored hash is unsalted, hence deterministic: it is the lookup key as it stands,
        # so rows written before lookup_key existed still match.
        return self.hash(secret)


class Argon2PasswordHasher:
    """argon2id (RFC 9106 low-memory profile defaults of argon2-cffi) for account passwords."""

    def __init__(self, hasher: argon2.PasswordHasher | None = None) -> None:
        self._hasher = hasher or argon2.PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

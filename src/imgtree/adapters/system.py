"""System adapters: clock, secure random, secret and password hashing."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
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


class CommonPasswordScreen:
    """`PasswordScreen` on the 30 000 most common passwords of zxcvbn's list (leaked password
    dumps, by frequency), compared without case, plus the account's own email and name.

    Only a blocklist, as NIST 800-63B and ASVS ask: no composition rules. The list (~0.8 MB)
    is loaded on first use, once per process."""

    MIN_CONTEXT = 4  # shorter email parts or names would refuse too much

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._extra = frozenset(word.casefold() for word in extra)
        self._common: frozenset[str] | None = None

    def _list(self) -> frozenset[str]:
        if self._common is None:
            from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

            self._common = frozenset(FREQUENCY_LISTS["passwords"]) | self._extra
        return self._common

    def weakness(self, password: str, *, context: Sequence[str] = ()) -> str | None:
        folded = password.casefold()
        if folded in self._list() or folded.strip(" 0123456789!.") in self._list():
            return "This password is too common: choose one that is harder to guess"
        for word in _context_words(context):
            if len(word) >= self.MIN_CONTEXT and word in folded:
                return "The password must not contain your email address or name"
        return None


def _context_words(context: Sequence[str]) -> set[str]:
    words: set[str] = set()
    for value in context:
        folded = value.casefold()
        local = folded.split("@", 1)[0]
        words.update(part for part in re.split(r"[^\w]+", local) if part)
        words.add(local)
    return words


class HmacAddressHasher:
    """HMAC-SHA-256 of a client address under a server secret (see AddressHasher).

    Without a configured key (IMGTREE_ADDRESS_HASH_KEY) it uses a random one per process:
    still never the address, but the same address then hashes differently in each worker and
    after a restart (repeat reports are counted once per worker)."""

    def __init__(self, key: str | None = None) -> None:
        self._key = (key or secrets.token_hex(32)).encode("utf-8")

    def digest(self, address: str) -> str:
        return hmac.new(self._key, address.encode("utf-8"), hashlib.sha256).hexdigest()

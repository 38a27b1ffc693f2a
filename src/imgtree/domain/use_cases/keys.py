"""API keys: create (secret shown once), list, revoke, authenticate.

A key looks like ``imgt_<prefix>_<secret><checksum>``: a public, indexed 12-character
prefix, 43 base62 characters of secret (256 bits) and a 6-character base62 CRC-32 of
everything before it (GitHub's token design). The checksum refuses a mistyped or truncated
key without a database lookup and lets secret scanners recognise a real key; authentication
is then one lookup plus one constant-time hash comparison. Only a hash of the whole key is
stored. Keys made before the checksum (43 URL-safe base64 characters after the prefix) still
authenticate.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from imgtree.domain.errors import (
    AccountInactive,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from imgtree.domain.model import ApiKey, Scope, User, ordered_scopes, scopes_for
from imgtree.domain.ports import Clock, SecretHasher, SecureRandom, UnitOfWorkFactory
from imgtree.domain.rules import found

KEY_SCHEME = "imgt_"
PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
PREFIX_LENGTH = 12
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SECRET_LENGTH = 43  # base62 characters: 43 * log2(62) ≈ 256 bits
CHECKSUM_LENGTH = 6  # base62 of a CRC-32 (62**6 > 2**32)
LEGACY_SECRET_LENGTH = 43  # secrets.token_urlsafe(32), before the checksum
MAX_KEY_NAME = 100
# last_used_at is a convenience, not an audit log: refresh it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@attrs.frozen
class AuthenticatedKey:
    user: User
    key: ApiKey

    @property
    def scopes(self) -> list[str]:
        """The scopes this key acts with now (admin only while its owner is an admin)."""
        return ordered_scopes(
            frozenset(s for s in self.key.scopes if self.key.grants(s, self.user))
        )

    def require(self, scope: Scope) -> AuthenticatedKey:
        """403 unless the key holds `scope`: a key confined to uploading cannot list, delete
        or administer, whatever its owner may do."""
        if scope is Scope.ADMIN and not self.user.is_admin:
            raise Forbidden("Admin role required")  # the deeper reason: no key could help
        if not self.key.grants(scope, self.user):
            raise Forbidden(f"This API key lacks the {scope.value} scope")
        return self


@attrs.frozen
class CreatedKey:
    key: ApiKey
    secret: str  # the full key; returned once, never stored


def checksum(text: str) -> str:
    """The key's last six characters: CRC-32 of everything before them, in base62."""
    value = zlib.crc32(text.encode("ascii"))
    digits = []
    for _ in range(CHECKSUM_LENGTH):
        value, digit = divmod(value, 62)
        digits.append(BASE62[digit])
    return "".join(reversed(digits))


def new_key_text(prefix: str, secret: str) -> str:
    body = f"{KEY_SCHEME}{prefix}_{secret}"
    return body + checksum(body)


def split_key(presented: str) -> tuple[str, str] | None:
    """(prefix, full key) when `presented` is a well-formed imgtree key, else None: a wrong
    shape or checksum is refused here, before any lookup."""
    if not presented.startswith(KEY_SCHEME) or len(presented) > 200:
        return None
    body = presented[len(KEY_SCHEME) :]
    prefix, sep, secret = body[:PREFIX_LENGTH], body[PREFIX_LENGTH : PREFIX_LENGTH + 1], body[13:]
    if sep != "_" or any(c not in PREFIX_ALPHABET for c in prefix):
        return None
    if len(secret) == SECRET_LENGTH + CHECKSUM_LENGTH:
        if any(c not in BASE62 for c in secret):
            return None
        if checksum(presented[:-CHECKSUM_LENGTH]) != presented[-CHECKSUM_LENGTH:]:
            return None
    elif len(secret) != LEGACY_SECRET_LENGTH:
        return None
    return prefix, presented


def key_scopes(requested: Iterable[object] | None, owner: User) -> frozenset[Scope]:
    """The scopes a new key gets: `None` means every scope the owner's role allows."""
    allowed = scopes_for(owner.role)
    if requested is None:
        return allowed
    scopes: set[Scope] = set()
    for value in requested:
        scope = Scope.parse(value)
        if scope is None:
            names = ", ".join(s.value for s in Scope)
            raise InvalidInput(f"Unknown scope {str(value)[:40]!r}: use {names}")
        if scope in scopes:
            raise InvalidInput(f"Scope {scope.value} is listed twice")
        scopes.add(scope)
    if not scopes:
        raise InvalidInput("A key needs at least one scope")
    if not scopes <= allowed:
        raise Forbidden("Only an admin's key can have the admin scope")
    return frozenset(scopes)


@attrs.define
class CreateApiKey:
    uow: UnitOfWorkFactory
    hasher: SecretHasher
    clock: Clock
    random: SecureRandom

    def __call__(
        self,
        user_id: uuid.UUID,
        name: str,
        *,
        scopes: Iterable[object] | None = None,
        expires_at: datetime | None = None,
    ) -> CreatedKey:
        """A new key for `user_id`. `scopes` None: all the owner may hold; `expires_at`
        None: never expires (otherwise it must lie in the future)."""
        name = name.strip()
        if not name or len(name) > MAX_KEY_NAME:
            raise InvalidInput(f"Key name must be 1 to {MAX_KEY_NAME} characters")
        if "\x00" in name:
            raise InvalidInput("Key name must not contain NUL characters")
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("expires_at must be in the future")
        with self.uow() as uow:
            owner = uow.users.get(user_id)
            if owner is None:
                raise NotFound("User not found")
            granted = key_scopes(scopes, owner)
            prefix = self.random.choice_string(PREFIX_ALPHABET, PREFIX_LENGTH)
            while uow.api_keys.get_by_prefix(prefix) is not None:
                prefix = self.random.choice_string(PREFIX_ALPHABET, PREFIX_LENGTH)
            secret = new_key_text(prefix, self.random.choice_string(BASE62, SECRET_LENGTH))
            key = ApiKey(
                id=self.random.uuid(),
                user_id=user_id,
                name=name,
                prefix=prefix,
                secret_hash=self.hasher.hash(secret),
                created_at=now,
                scopes=granted,
                expires_at=expires_at,
            )
            uow.api_keys.add(key)
            uow.commit()
        return CreatedKey(key=key, secret=secret)


@attrs.define
class ListApiKeys:
    uow: UnitOfWorkFactory

    def __call__(self, user_id: uuid.UUID) -> list[ApiKey]:
        with self.uow(read_only=True) as uow:
            return uow.api_keys.list_for_user(user_id)


@attrs.define
class RevokeApiKey:
    uow: UnitOfWorkFactory
    clock: Clock

    def __call__(self, key_id: uuid.UUID, *, owner_id: uuid.UUID | None = None) -> ApiKey:
        """Revoke a key. With `owner_id`, only that user's key (others are NotFound)."""
        with self.uow() as uow:
            key = found(
                uow.api_keys.get(key_id),
                lambda k: owner_id is None or k.owned_by(owner_id),
                "API key not found",
            )
            if key.revoked_at is None:
                key = attrs.evolve(key, revoked_at=self.clock.now())
                uow.api_keys.update(key)
                uow.commit()
            return key


@attrs.define
class AuthenticateApiKey:
    uow: UnitOfWorkFactory
    hasher: SecretHasher
    clock: Clock

    def __call__(self, presented: str | None) -> AuthenticatedKey:
        if not presented:
            raise Unauthenticated("Missing API key")
        parts = split_key(presented)
        if parts is None:
            raise Unauthenticated("Invalid API key")
        prefix, full = parts
        # Every API request authenticates: read without a write lock, and write only when
        # the last-used stamp is due (at most once a minute per key).
        with self.uow(read_only=True) as uow:
            key = uow.api_keys.get_by_prefix(prefix)
            if key is None or not self.hasher.verify(full, key.secret_hash) or not key.active:
                raise Unauthenticated("Invalid API key")
            user = uow.users.get(key.user_id)
        if user is None:
            raise Unauthenticated("Invalid API key")
        now = self.clock.now()
        if key.expired(now):
            raise Unauthenticated("API key expired")
        if not user.active:
            raise AccountInactive("Account inactive")
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            with self.uow() as uow:
                current = uow.api_keys.get(key.id)  # fresh: the update writes only the stamp
                if current is not None:
                    key = attrs.evolve(current, last_used_at=now)
                    uow.api_keys.update(key)
                    uow.commit()
        return AuthenticatedKey(user=user, key=key)

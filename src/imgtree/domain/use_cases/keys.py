"""API keys: create (secret shown once), list, revoke, authenticate.

A key looks like ``imgt_<prefix>_<secret>``. The prefix is public and indexed, so
authentication is one lookup plus one constant-time hash comparison; only a hash of the
whole key is stored.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import attrs

from imgtree.domain.errors import AccountInactive, InvalidInput, NotFound, Unauthenticated
from imgtree.domain.model import ApiKey, User
from imgtree.domain.ports import Clock, SecretHasher, SecureRandom, UnitOfWorkFactory
from imgtree.domain.rules import found

KEY_SCHEME = "imgt_"
PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
PREFIX_LENGTH = 12
SECRET_BYTES = 32
MAX_KEY_NAME = 100
# last_used_at is a convenience, not an audit log: refresh it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@attrs.frozen
class AuthenticatedKey:
    user: User
    key: ApiKey


@attrs.frozen
class CreatedKey:
    key: ApiKey
    secret: str  # the full key; returned once, never stored


def split_key(presented: str) -> tuple[str, str] | None:
    """(prefix, full key) when `presented` has the shape of an imgtree key, else None."""
    if not presented.startswith(KEY_SCHEME) or len(presented) > 200:
        return None
    body = presented[len(KEY_SCHEME) :]
    prefix, sep, secret = body[:PREFIX_LENGTH], body[PREFIX_LENGTH : PREFIX_LENGTH + 1], body[13:]
    if sep != "_" or not secret or any(c not in PREFIX_ALPHABET for c in prefix):
        return None
    return prefix, presented


@attrs.define
class CreateApiKey:
    uow: UnitOfWorkFactory
    hasher: SecretHasher
    clock: Clock
    random: SecureRandom

    def __call__(self, user_id: uuid.UUID, name: str) -> CreatedKey:
        name = name.strip()
        if not name or len(name) > MAX_KEY_NAME:
            raise InvalidInput(f"Key name must be 1 to {MAX_KEY_NAME} characters")
        with self.uow() as uow:
            if uow.users.get(user_id) is None:
                raise NotFound("User not found")
            prefix = self.random.choice_string(PREFIX_ALPHABET, PREFIX_LENGTH)
            while uow.api_keys.get_by_prefix(prefix) is not None:
                prefix = self.random.choice_string(PREFIX_ALPHABET, PREFIX_LENGTH)
            secret = f"{KEY_SCHEME}{prefix}_{self.random.token(SECRET_BYTES)}"
            key = ApiKey(
                id=self.random.uuid(),
                user_id=user_id,
                name=name,
                prefix=prefix,
                secret_hash=self.hasher.hash(secret),
                created_at=self.clock.now(),
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
        if not user.active:
            raise AccountInactive("Account inactive")
        now = self.clock.now()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            with self.uow() as uow:
                current = uow.api_keys.get(key.id)  # fresh: the update writes only the stamp
                if current is not None:
                    key = attrs.evolve(current, last_used_at=now)
                    uow.api_keys.update(key)
                    uow.commit()
        return AuthenticatedKey(user=user, key=key)

"""Create users (the CLI and, later, sign-up)."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from imgtree.domain.errors import Conflict, InvalidInput
from imgtree.domain.model import Role, User, normalise_email
from imgtree.domain.ports import (
    Clock,
    PasswordHasher,
    PasswordScreen,
    SecureRandom,
    UnitOfWorkFactory,
)


class DefaultQuota:
    """Marker: the deployment's default quota (as opposed to None, unlimited)."""


DEFAULT_QUOTA = DefaultQuota()
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def password_matches(passwords: PasswordHasher, presented: str, hashed: str) -> bool:
    """Whether `presented` is the password behind `hashed`. Only the first
    MAX_PASSWORD_LENGTH characters are hashed (argon2's cost grows with the input), so a longer
    one is checked at that cost and then refused: the right password followed by anything
    is wrong (ASVS 6.2.8, no truncation)."""
    matches = passwords.verify(presented[:MAX_PASSWORD_LENGTH], hashed)
    return matches and len(presented) <= MAX_PASSWORD_LENGTH


def check_new_password(
    password: str, screen: PasswordScreen | None, *, context: Sequence[str] = ()
) -> None:
    """InvalidInput unless `password` may be set: its length, then the screen's verdict."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    weakness = screen.weakness(password, context=context) if screen is not None else None
    if weakness is not None:
        raise InvalidInput(weakness)


@attrs.define
class CreateUser:
    uow: UnitOfWorkFactory
    passwords: PasswordHasher
    clock: Clock
    random: SecureRandom
    default_quota_bytes: int | None = None  # new accounts' quota; None: unlimited
    screen: PasswordScreen | None = None  # refuses common passwords (the app always sets it)

    def __call__(
        self,
        email: str,
        password: str | None = None,
        *,
        name: str = "",
        role: Role = Role.USER,
        quota_bytes: int | DefaultQuota | None = DEFAULT_QUOTA,
    ) -> User:
        try:
            email = normalise_email(email)
        except ValueError as exc:
            raise InvalidInput("Invalid email address") from exc
        if isinstance(quota_bytes, DefaultQuota):
            quota_bytes = self.default_quota_bytes
        if quota_bytes is not None and quota_bytes < 0:
            raise InvalidInput("quota_bytes must be >= 0, or None for unlimited")
        password_hash = None
        if password is not None:
            check_new_password(password, self.screen, context=(email, name))
            password_hash = self.passwords.hash(password)
        user = User(
            id=self.random.uuid(),
            email=email,
            name=name.strip()[:100],
            password_hash=password_hash,
            role=role,
            created_at=self.clock.now(),
            quota_bytes=quota_bytes,
        )
        with self.uow() as uow:
            if uow.users.get_by_email(email) is not None:
                raise Conflict("A user with this email already exists")
            uow.users.add(user)
            uow.commit()
        return user

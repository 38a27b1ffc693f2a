"""Two-factor sign-in (TOTP) in the account's settings: enrol (a pending secret, confirmed by a
first code), turn off (password and a code), and new recovery codes (a code).

Recovery codes are shown once, when made, and stored as lookup keys only. Every wrong code
counts as a failed sign-in (FailedSignIns), so a stolen session cannot guess its way to
turning the second factor off either.
"""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from imgtree.domain.model import User
from imgtree.domain.policies import SessionPolicy
from imgtree.domain.ports import (
    Clock,
    OneTimePasswords,
    PasswordHasher,
    RateLimiter,
    UnitOfWorkFactory,
)
from imgtree.domain.services.second_factor import SecondFactor, normalise_code
from imgtree.domain.services.sign_in_failures import FailedSignIns
from imgtree.domain.use_cases.accounts import password_matches

ISSUER = "imgtree"


@attrs.frozen
class Enrolment:
    secret: str  # for typing in by hand
    uri: str  # otpauth://, for the QR code


@attrs.define
class TwoFactor:
    uow: UnitOfWorkFactory
    otp: OneTimePasswords
    second_factor: SecondFactor
    passwords: PasswordHasher
    clock: Clock
    limiter: RateLimiter
    policy: SessionPolicy
    issuer: str = ISSUER

    def setup(self, user_id: uuid.UUID) -> Enrolment:
        """Start enrolment: a new pending secret (replacing any earlier pending one)."""
        with self.uow() as uow:
            user = _user(uow.users.get(user_id))
            if user.two_factor_enabled:
                raise Conflict("Two-factor sign-in is already on")
            secret = self.otp.new_secret()
            uow.users.update(attrs.evolve(user, totp_pending_secret=secret))
            uow.commit()
        return Enrolment(
            secret, self.otp.provisioning_uri(secret, account=user.email, issuer=self.issuer)
        )

    def enable(self, user_id: uuid.UUID, code: str | None, *, client: str) -> tuple[str, ...]:
        """Confirm enrolment with a code from the app; the recovery codes, shown once."""
        if not code:
            raise InvalidInput("code is required")
        with self.uow(read_only=True) as uow:
            user = _user(uow.users.get(user_id))
        # The throttle is checked and counted outside any write transaction (SQLite allows
        # one writer, and the SQL rate limiter writes on its own connection).
        failures = self._failures(user, client)
        if user.two_factor_enabled:
            raise Conflict("Two-factor sign-in is already on")
        pending = user.totp_pending_secret
        if pending is None:
            raise Conflict("Start two-factor setup first")
        step = self.otp.matching_step(pending, normalise_code(code), self.clock.now())
        if step is None:
            failures.count()
            raise Forbidden("Invalid two-factor code")
        codes = self.second_factor.new_recovery_codes()
        with self.uow() as uow:
            current = _user(uow.users.get(user_id))
            if current.two_factor_enabled or current.totp_pending_secret != pending:
                raise Conflict("Two-factor setup changed meanwhile: start again")
            uow.users.update(
                attrs.evolve(
                    current,
                    totp_secret=pending,
                    totp_pending_secret=None,
                    totp_last_step=step,
                    recovery_codes=codes.stored,
                )
            )
            uow.commit()
        return codes.shown

    def disable(
        self, user_id: uuid.UUID, password: str | None, code: str | None, *, client: str
    ) -> None:
        if not password or not code:
            raise InvalidInput("password and code are required")
        with self.uow(read_only=True) as uow:
            user = _user(uow.users.get(user_id))
        failures = self._failures(user, client)
        if not user.two_factor_enabled:
            raise Conflict("Two-factor sign-in is off")
        if user.password_hash is None or not password_matches(
            self.passwords, password, user.password_hash
        ):
            failures.count()
            raise Forbidden("Password is wrong")
        self._second_factor(user, code, failures)
        with self.uow() as uow:
            current = _user(uow.users.get(user_id))
            uow.users.update(
                attrs.evolve(
                    current,
                    totp_secret=None,
                    totp_pending_secret=None,
                    totp_last_step=None,
                    recovery_codes=(),
                )
            )
            uow.commit()

    def new_recovery_codes(
        self, user_id: uuid.UUID, code: str | None, *, client: str
    ) -> tuple[str, ...]:
        """Replace every recovery code (a code from the app, or a recovery code, proves it is
        the owner); the new ones, shown once."""
        if not code:
            raise InvalidInput("code is required")
        with self.uow(read_only=True) as uow:
            user = _user(uow.users.get(user_id))
        failures = self._failures(user, client)
        if not user.two_factor_enabled:
            raise Conflict("Two-factor sign-in is off")
        self._second_factor(user, code, failures)
        codes = self.second_factor.new_recovery_codes()
        with self.uow() as uow:
            current = _user(uow.users.get(user_id))
            uow.users.update(attrs.evolve(current, recovery_codes=codes.stored))
            uow.commit()
        return codes.shown

    def _failures(self, user: User, client: str) -> FailedSignIns:
        failures = FailedSignIns(self.limiter, self.policy, user.email, client)
        failures.check()
        return failures

    def _second_factor(self, user: User, code: str, failures: FailedSignIns) -> None:
        if not self.second_factor.accept(user.id, code):
            failures.count()
            raise Forbidden("Invalid two-factor code")


def _user(user: User | None) -> User:
    if user is None:
        raise Unauthenticated("Not signed in")
    return user

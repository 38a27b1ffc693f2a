"""The second factor of sign-in: a TOTP code (each time step accepted once) or a recovery code
(each used once). Sign-in and the two-factor settings both check codes here."""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.model import User
from imgtree.domain.ports import (
    Clock,
    OneTimePasswords,
    SecretHasher,
    SecureRandom,
    UnitOfWorkFactory,
)

RECOVERY_CODE_COUNT = 10
# 16 characters of a 31-letter alphabet without look-alikes (no 0/o, 1/l/i): 79 bits each,
# plenty against guessing through the sign-in throttle; shown as four groups of four.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 16
MAX_CODE_LENGTH = 64


def normalise_code(code: str) -> str:
    """A code as typed: spaces and dashes dropped, lower case ("ABCD-efgh 1234" ~ "abcdefgh1234")."""
    return "".join(code[:MAX_CODE_LENGTH].split()).replace("-", "").lower()


def is_totp(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


@attrs.frozen
class RecoveryCodes:
    shown: tuple[str, ...]  # given to the account's owner once
    stored: tuple[str, ...]  # their lookup keys, kept instead


@attrs.define
class SecondFactor:
    uow: UnitOfWorkFactory
    otp: OneTimePasswords
    hasher: SecretHasher
    clock: Clock
    random: SecureRandom

    def accept(self, user_id: uuid.UUID, code: str) -> bool:
        """Use `code` for the account, if it is good: a TOTP code of a later time step than
        the last one accepted, or a recovery code not used before (then it is gone). True
        when accepted; the use is committed before this returns."""
        code = normalise_code(code)
        if not code:
            return False
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None or user.totp_secret is None:
                return False
            used = self._use(user, code)
            # Compare-and-set: of two requests with the same code, one wins.
            if used is None or not uow.users.use_second_factor(user, used):
                return False
            uow.commit()
        return True

    def _use(self, user: User, code: str) -> User | None:
        assert user.totp_secret is not None
        if is_totp(code):
            step = self.otp.matching_step(user.totp_secret, code, self.clock.now())
            if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
                return None
            return attrs.evolve(user, totp_last_step=step)
        key = self.hasher.lookup_key(code)
        if key not in user.recovery_codes:
            return None
        return attrs.evolve(user, recovery_codes=tuple(k for k in user.recovery_codes if k != key))

    def new_recovery_codes(self) -> RecoveryCodes:
        plain = [
            self.random.choice_string(RECOVERY_ALPHABET, RECOVERY_LENGTH)
            for _ in range(RECOVERY_CODE_COUNT)
        ]
        shown = tuple("-".join(c[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for c in plain)
        return RecoveryCodes(shown, tuple(self.hasher.lookup_key(c) for c in plain))

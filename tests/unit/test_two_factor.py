"""Two-factor sign-in on memory adapters, a FixedClock and the real TOTP adapter (pyotp):
enrolment, sign-in with a TOTP or recovery code, each code good once and only within one step
of now, wrong codes throttled like wrong passwords, turning it off, new recovery codes, and
admins required to have it when the deployment says so."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import argon2
import attrs
import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgtree.adapters.memory import FixedClock, MemoryRateLimiter, MemoryStore, memory_uow_factory
from imgtree.adapters.system import Argon2PasswordHasher, Sha256SecretHasher, SystemRandom
from imgtree.adapters.totp import PyOtpPasswords
from imgtree.domain.commands import UserChanges
from imgtree.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    RateLimited,
    TwoFactorRequired,
    Unauthenticated,
)
from imgtree.domain.model import Role, User
from imgtree.domain.policies import SessionPolicy
from imgtree.domain.ports import UnitOfWorkFactory
from imgtree.domain.services import SecondFactor, SessionStarter
from imgtree.domain.services.second_factor import RECOVERY_CODE_COUNT
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.admin import TWO_FACTOR_FOR_ADMINS, Admin
from imgtree.domain.use_cases.sessions import SignedIn, SignIn
from imgtree.domain.use_cases.two_factor import TwoFactor

PASSWORD = "correct horse battery"
START = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)  # a step boundary (divisible by 30 s)
CLIENT = "10.0.0.1"


@attrs.define
class Env:
    store: MemoryStore = attrs.Factory(MemoryStore)
    clock: FixedClock = attrs.Factory(lambda: FixedClock(START))
    random: SystemRandom = attrs.Factory(SystemRandom)
    hasher: Sha256SecretHasher = attrs.Factory(Sha256SecretHasher)
    otp: PyOtpPasswords = attrs.Factory(PyOtpPasswords)
    policy: SessionPolicy = attrs.Factory(SessionPolicy)
    passwords: Argon2PasswordHasher = attrs.Factory(
        lambda: Argon2PasswordHasher(
            argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
    )
    limiter: MemoryRateLimiter = attrs.field(init=False)
    uow: UnitOfWorkFactory = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.limiter = MemoryRateLimiter(self.clock)
        self.uow = memory_uow_factory(self.store)

    def second_factor(self) -> SecondFactor:
        return SecondFactor(self.uow, self.otp, self.hasher, self.clock, self.random)

    def two_factor(self) -> TwoFactor:
        return TwoFactor(
            self.uow,
            self.otp,
            self.second_factor(),
            self.passwords,
            self.clock,
            self.limiter,
            self.policy,
        )

    def sign_in_uc(self) -> SignIn:
        starter = SessionStarter(self.uow, self.hasher, self.clock, self.random, self.policy)
        return SignIn(
            self.uow, self.passwords, self.limiter, self.policy, starter, self.second_factor()
        )

    def user(self, **changes: object) -> User:
        create = CreateUser(self.uow, self.passwords, self.clock, self.random)
        user = create(f"{uuid.uuid4().hex[:10]}@example.com", PASSWORD)
        if changes:
            user = attrs.evolve(user, **changes)
            with self.uow() as uow:
                uow.users.update(user)
                uow.commit()
        return user

    def stored(self, user: User) -> User:
        return self.store.tables.users[user.id]

    def enrolled(self, **changes: object) -> tuple[User, str, tuple[str, ...]]:
        """A user with two-factor on: (user, secret, recovery codes)."""
        user = self.user(**changes)
        secret = self.two_factor().setup(user.id).secret
        codes = self.two_factor().enable(user.id, self.code(secret), client=CLIENT)
        self.clock.advance(30)  # the enrolment code's step is spent
        return self.stored(user), secret, codes

    def code(self, secret: str, at: datetime | None = None) -> str:
        return pyotp.TOTP(secret).at(at or self.clock.now())

    def sign_in(self, user: User, code: str | None = None, client: str = CLIENT) -> SignedIn:
        return self.sign_in_uc()(user.email, PASSWORD, client=client, code=code)


@pytest.fixture
def env() -> Env:
    return Env()


# --- enrolment -----------------------------------------------------------------------------------


def test_setup_stores_a_pending_secret_and_gives_the_uri(env: Env) -> None:
    user = env.user()
    enrolment = env.two_factor().setup(user.id)
    stored = env.stored(user)
    assert stored.totp_pending_secret == enrolment.secret and not stored.two_factor_enabled
    assert enrolment.uri.startswith("otpauth://totp/imgtree:")
    assert f"secret={enrolment.secret}" in enrolment.uri and "issuer=imgtree" in enrolment.uri
    again = env.two_factor().setup(user.id)  # a new setup replaces the pending secret
    assert again.secret != enrolment.secret
    assert env.stored(user).totp_pending_secret == again.secret


def test_enable_needs_a_code_of_the_pending_secret(env: Env) -> None:
    user = env.user()
    with pytest.raises(Conflict):
        env.two_factor().enable(user.id, "123456", client=CLIENT)  # no setup yet
    secret = env.two_factor().setup(user.id).secret
    with pytest.raises(InvalidInput):
        env.two_factor().enable(user.id, None, client=CLIENT)
    wrong = "000000" if env.code(secret) != "000000" else "111111"
    with pytest.raises(Forbidden):
        env.two_factor().enable(user.id, wrong, client=CLIENT)
    assert not env.stored(user).two_factor_enabled
    codes = env.two_factor().enable(user.id, env.code(secret), client=CLIENT)
    stored = env.stored(user)
    assert stored.two_factor_enabled and stored.totp_secret == secret
    assert stored.totp_pending_secret is None
    assert len(codes) == len(set(codes)) == RECOVERY_CODE_COUNT
    assert all(len(c) == 19 and c.count("-") == 3 for c in codes)
    # Only lookup keys are stored, never the codes themselves.
    assert len(stored.recovery_codes) == RECOVERY_CODE_COUNT
    assert not set(stored.recovery_codes) & {c.replace("-", "") for c in codes}
    with pytest.raises(Conflict):
        env.two_factor().setup(user.id)


# --- sign-in -------------------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_and_starts_no_session_without_it(env: Env) -> None:
    user, secret, _ = env.enrolled()
    with pytest.raises(TwoFactorRequired) as raised:
        env.sign_in(user)
    assert raised.value.message == "Two-factor code required"
    assert env.store.tables.sessions == {}
    done = env.sign_in(user, env.code(secret))
    assert done.user.id == user.id and len(env.store.tables.sessions) == 1


def test_a_totp_code_is_good_once(env: Env) -> None:
    user, secret, _ = env.enrolled()
    code = env.code(secret)
    env.sign_in(user, code)
    with pytest.raises(Unauthenticated, match="Invalid two-factor code"):
        env.sign_in(user, code)
    env.clock.advance(30)
    env.sign_in(user, env.code(secret))  # the next step's code works


def test_an_earlier_steps_code_is_refused_after_a_later_one(env: Env) -> None:
    user, secret, _ = env.enrolled()
    earlier = env.code(secret, env.clock.now() - timedelta(seconds=30))
    env.sign_in(user, env.code(secret))
    with pytest.raises(Unauthenticated):
        env.sign_in(user, earlier)  # still within the window, but not after the used step


def test_a_recovery_code_is_good_once_and_typed_loosely(env: Env) -> None:
    user, _, codes = env.enrolled()
    env.sign_in(user, f"  {codes[0].upper()} ")
    with pytest.raises(Unauthenticated):
        env.sign_in(user, codes[0])
    env.sign_in(user, codes[1].replace("-", " "))
    assert len(env.stored(user).recovery_codes) == RECOVERY_CODE_COUNT - 2


def test_wrong_codes_count_as_failed_sign_ins(env: Env) -> None:
    user, secret, _ = env.enrolled()
    right = env.code(secret)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(env.policy.login_failures_per_pair.per_minute):
        with pytest.raises(Unauthenticated):
            env.sign_in(user, wrong)
    with pytest.raises(RateLimited):
        env.sign_in(user, right)  # even the right code waits: guessing is bounded
    env.sign_in(user, right, client="10.0.0.2")  # the owner elsewhere is not held up


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(min_value=-150, max_value=150))
def test_a_code_is_accepted_only_within_one_step_and_only_once(offset: int) -> None:
    env = Env()
    user, secret, _ = env.enrolled()
    issued = env.clock.now()
    code = env.code(secret, issued)
    env.clock.advance(offset)
    steps_apart = abs(int(env.clock.now().timestamp()) // 30 - int(issued.timestamp()) // 30)
    second_factor = env.second_factor()
    assert second_factor.accept(user.id, code) is (steps_apart <= 1)
    assert second_factor.accept(user.id, code) is False  # never twice


# --- turning it off, new recovery codes ----------------------------------------------------------


def test_disable_needs_the_password_and_a_code(env: Env) -> None:
    user, secret, codes = env.enrolled()
    tf = env.two_factor()
    with pytest.raises(InvalidInput):
        tf.disable(user.id, PASSWORD, None, client=CLIENT)
    with pytest.raises(Forbidden, match="Password is wrong"):
        tf.disable(user.id, "wrong password", env.code(secret), client=CLIENT)
    with pytest.raises(Forbidden, match="Invalid two-factor code"):
        tf.disable(user.id, PASSWORD, "not-a-code", client=CLIENT)
    tf.disable(user.id, PASSWORD, codes[0], client=CLIENT)
    stored = env.stored(user)
    assert not stored.two_factor_enabled and stored.recovery_codes == ()
    assert stored.totp_last_step is None
    env.sign_in(stored)  # a password alone again
    with pytest.raises(Conflict):
        tf.disable(user.id, PASSWORD, env.code(secret), client=CLIENT)


def test_new_recovery_codes_replace_the_old_ones(env: Env) -> None:
    user, secret, old = env.enrolled()
    new = env.two_factor().new_recovery_codes(user.id, env.code(secret), client=CLIENT)
    assert len(new) == RECOVERY_CODE_COUNT and not set(new) & set(old)
    with pytest.raises(Unauthenticated):
        env.sign_in(user, old[0])
    env.sign_in(user, new[0])
    with pytest.raises(Forbidden):
        env.two_factor().new_recovery_codes(user.id, old[1], client=CLIENT)


# --- admins -------------------------------------------------------------------------------------


def test_admins_can_be_required_to_have_two_factor(env: Env) -> None:
    admin = env.user(role=Role.ADMIN)
    strict = Admin(env.uow, env.clock, env.random, require_two_factor=True)
    with pytest.raises(Forbidden, match=TWO_FACTOR_FOR_ADMINS):
        strict.stats(admin)
    with pytest.raises(Forbidden, match=TWO_FACTOR_FOR_ADMINS):
        strict.end_sessions(admin, admin.id)
    Admin(env.uow, env.clock, env.random).stats(admin)  # off by default
    enrolled, _, _ = env.enrolled(role=Role.ADMIN)
    strict.stats(enrolled)
    # The operator's command line (no actor) is never asked.
    strict.update_user(None, admin.id, UserChanges(quota_bytes=5))

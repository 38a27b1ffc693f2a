"""Browser sessions: sign-in (throttled), sign-up, authentication, sign-out, password change.

Memory adapters, a FixedClock and the real argon2 hasher (with a cheap cost, for speed).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import argon2
import attrs
import pytest

from imgtree.adapters.memory import FixedClock, MemoryRateLimiter, MemoryStore, memory_uow_factory
from imgtree.adapters.system import Argon2PasswordHasher, Sha256SecretHasher, SystemRandom
from imgtree.domain.errors import (
    AccountInactive,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from imgtree.domain.model import Session, User
from imgtree.domain.policies import RatePolicy, SessionPolicy
from imgtree.domain.ports import UnitOfWorkFactory
from imgtree.domain.services import SessionStarter
from imgtree.domain.use_cases import sessions
from imgtree.domain.use_cases.accounts import CreateUser
from imgtree.domain.use_cases.sessions import (
    AuthenticateSession,
    ChangePassword,
    SignedIn,
    SignIn,
    SignOut,
    SignUp,
    UserSessions,
)
from imgtree.entrypoints.http.session.csrf import csrf_ok, csrf_token_for

PASSWORD = "correct horse battery"
LIFETIME = 3600  # seconds; short, so expiry is easy to reach


def cheap_argon2() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@attrs.define
class Env:
    policy: SessionPolicy = attrs.Factory(lambda: SessionPolicy(lifetime_seconds=LIFETIME))
    store: MemoryStore = attrs.Factory(MemoryStore)
    clock: FixedClock = attrs.Factory(FixedClock)
    random: SystemRandom = attrs.Factory(SystemRandom)
    hasher: Sha256SecretHasher = attrs.Factory(Sha256SecretHasher)
    passwords: Argon2PasswordHasher = attrs.Factory(cheap_argon2)
    limiter: MemoryRateLimiter = attrs.field(init=False)
    uow: UnitOfWorkFactory = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.limiter = MemoryRateLimiter(self.clock)
        self.uow = memory_uow_factory(self.store)

    # use cases
    def create_user(self) -> CreateUser:
        return CreateUser(self.uow, self.passwords, self.clock, self.random)

    def session_starter(self) -> SessionStarter:
        return SessionStarter(self.uow, self.hasher, self.clock, self.random, self.policy)

    def sign_in_uc(self) -> SignIn:
        return SignIn(self.uow, self.passwords, self.limiter, self.policy, self.session_starter())

    def sign_up(self) -> SignUp:
        return SignUp(self.create_user(), self.limiter, self.policy, self.session_starter())

    def authenticate(self) -> AuthenticateSession:
        return AuthenticateSession(self.uow, self.hasher, self.clock, self.policy)

    def sign_out(self) -> SignOut:
        return SignOut(self.uow, self.hasher, self.clock)

    def user_sessions(self) -> UserSessions:
        return UserSessions(self.uow, self.clock)

    def change_password(self) -> ChangePassword:
        return ChangePassword(self.uow, self.passwords, self.clock)

    # helpers
    def user(
        self, email: str | None = None, password: str | None = PASSWORD, *, active: bool = True
    ) -> User:
        user = self.create_user()(email or f"{uuid.uuid4().hex[:10]}@example.com", password)
        if not active:
            user = attrs.evolve(user, active=False)
            with self.uow() as uow:
                uow.users.update(user)
                uow.commit()
        return user

    def sign_in(
        self, user: User, password: str = PASSWORD, client: str = "10.0.0.1", **kw: str
    ) -> SignedIn:
        return self.sign_in_uc()(user.email, password, client=client, **kw)

    def session(self, session_id: uuid.UUID) -> Session:
        return self.store.tables.sessions[session_id]

    def stored_user(self, user_id: uuid.UUID) -> User:
        return self.store.tables.users[user_id]


@pytest.fixture
def env() -> Env:
    return Env()


# --- the dummy hash for unknown users ----------------------------------------------------------


def test_the_dummy_hash_is_valid_argon2_and_never_matches() -> None:
    # Whatever hasher verifies it (verification uses the hash's own cost parameters).
    for passwords in (cheap_argon2(), Argon2PasswordHasher()):
        assert passwords.verify("anything at all", sessions._DUMMY_HASH) is False
    # It parses (so verifying costs a full argon2 run, like a wrong password does).
    params = argon2.extract_parameters(sessions._DUMMY_HASH)
    assert params.type is argon2.Type.ID


# --- SignIn --------------------------------------------------------------------------------------


def test_sign_in_wrong_password_and_unknown_email_look_the_same(env: Env) -> None:
    ann = env.user("ann@example.com")
    no_password = env.user("nopass@example.com", password=None)
    messages = []
    for email, password in [
        ("ann@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("nopass@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ]:
        with pytest.raises(Unauthenticated) as caught:
            env.sign_in_uc()(email, password, client="1.2.3.4")
        messages.append(caught.value.message)
    assert messages == ["Invalid email or password"] * 4
    assert env.store.tables.sessions == {}
    assert ann.password_hash and no_password.password_hash is None


# A JSON number where text belongs reaches the domain as None: tests/http/test_commands.py.
@pytest.mark.parametrize(
    ("email", "password"), [(None, PASSWORD), ("a@example.com", None), (None, None)]
)
def test_sign_in_needs_text(env: Env, email: str | None, password: str | None) -> None:
    with pytest.raises(InvalidInput):
        env.sign_in_uc()(email, password, client="1.2.3.4")


def test_sign_in_normalises_the_email(env: Env) -> None:
    ann = env.user("ann@example.com")
    signed = env.sign_in_uc()("  ANN@Example.COM ", PASSWORD, client="1.2.3.4")
    assert signed.user == ann


def test_sign_in_inactive_account(env: Env) -> None:
    user = env.user(active=False)
    with pytest.raises(AccountInactive):
        env.sign_in(user)
    # A wrong password never reveals that the account exists but is switched off.
    with pytest.raises(Unauthenticated):
        env.sign_in(user, "wrong password")
    assert env.store.tables.sessions == {}


def test_sign_in_is_throttled_per_client_address(env: Env) -> None:
    limit = env.policy.login_per_ip.per_minute
    users = [env.user() for _ in range(5)]  # spread over accounts: below their own limit
    for i in range(limit):
        with pytest.raises(Unauthenticated):
            env.sign_in(users[i % 5], "wrong password", client="6.6.6.6")
    with pytest.raises(RateLimited) as caught:
        env.sign_in(users[0], client="6.6.6.6")  # even the right password
    assert caught.value.limit == limit
    assert caught.value.retry_after >= 1
    assert env.sign_in(users[0], client="7.7.7.7")  # another address is not affected
    env.clock.advance(env.policy.login_per_ip.window_seconds)
    assert env.sign_in(users[0], client="6.6.6.6")  # a new window


def test_an_attackers_failures_never_lock_the_owner_out(env: Env) -> None:
    """ASVS 6.1.1: wrong passwords from one address stop that address, not the account."""
    ann = env.user("ann@example.com")
    limit = env.policy.login_failures_per_pair.per_minute
    for _ in range(limit):
        with pytest.raises(Unauthenticated):
            env.sign_in(ann, "wrong password", client="6.6.6.6")
    with pytest.raises(RateLimited) as caught:
        env.sign_in(ann, client="6.6.6.6")  # that address waits, even with the right password
    assert caught.value.retry_after >= 1 and "try again in" in caught.value.message
    assert env.sign_in(ann, client="7.7.7.7")  # the owner, from their own address
    env.clock.advance(env.policy.login_failures_per_pair.window_seconds)
    assert env.sign_in(ann, client="6.6.6.6")  # a new window


def test_spraying_one_account_gets_one_guess_per_address() -> None:
    policy = SessionPolicy(
        login_failures_per_pair=RatePolicy(per_minute=3, window_seconds=900),
        login_failures_per_account=RatePolicy(per_minute=4, window_seconds=3600),
    )
    env = Env(policy=policy)
    ann, bob = env.user("ann@example.com"), env.user("bob@example.com")
    for i in range(4):  # the account's budget, spent from four addresses
        email = "ANN@example.com" if i % 2 else "ann@example.com"  # the same account
        with pytest.raises(Unauthenticated):
            env.sign_in_uc()(email, "wrong password", client=f"10.0.0.{i}")
    # Past it, an address that already failed for the account waits ...
    with pytest.raises(RateLimited):
        env.sign_in(ann, client="10.0.0.1")
    # ... a new address is still heard: a wrong guess fails (and counts), the right one works.
    with pytest.raises(Unauthenticated):
        env.sign_in(ann, "wrong password", client="10.9.9.8")
    with pytest.raises(RateLimited):
        env.sign_in(ann, "wrong password", client="10.9.9.8")  # its one guess is spent
    assert env.sign_in(ann, client="10.9.9.9")
    assert env.sign_in(bob, client="10.0.0.1")  # other accounts are not affected


def test_sign_in_throttles_unknown_accounts_too() -> None:
    env = Env(policy=SessionPolicy(login_failures_per_pair=RatePolicy(per_minute=1)))
    with pytest.raises(Unauthenticated):
        env.sign_in_uc()("ghost@example.com", PASSWORD, client="1.1.1.1")
    with pytest.raises(RateLimited):
        env.sign_in_uc()("ghost@example.com", PASSWORD, client="1.1.1.1")


def test_right_passwords_count_nothing(env: Env) -> None:
    ann = env.user("ann@example.com")
    for _ in range(env.policy.login_failures_per_pair.per_minute + 2):
        assert env.sign_in(ann, client="5.5.5.5")


def test_sign_in_stores_only_the_token_hash(env: Env) -> None:
    user = env.user()
    signed = env.sign_in(user, user_agent="x" * 500)
    (stored,) = env.store.tables.sessions.values()
    assert stored == signed.session
    assert stored.user_id == user.id
    assert stored.token_hash == env.hasher.hash(signed.token)
    assert signed.token not in repr(stored)
    assert len(signed.token) >= 43  # 32 bytes of entropy, URL-safe
    now = env.clock.now()
    assert (stored.created_at, stored.last_seen_at) == (now, now)
    assert stored.expires_at == now + timedelta(seconds=LIFETIME)
    assert stored.revoked_at is None
    assert stored.user_agent == "x" * 300
    assert signed.user == user


def test_every_sign_in_is_a_new_session(env: Env) -> None:
    user = env.user()
    first, second = env.sign_in(user), env.sign_in(user)
    assert first.token != second.token
    assert first.session.id != second.session.id
    assert csrf_token_for(first.token) != csrf_token_for(second.token)
    assert len(env.store.tables.sessions) == 2


def test_csrf_token_is_derived_from_the_session_token(env: Env) -> None:
    user = env.user()
    signed, other = env.sign_in(user), env.sign_in(user)
    csrf, other_csrf = csrf_token_for(signed.token), csrf_token_for(other.token)
    assert csrf != signed.token
    assert signed.token not in csrf
    assert csrf_ok(signed.token, csrf)
    for presented in [None, "", other_csrf, signed.token, csrf + "x", "x"]:
        assert not csrf_ok(signed.token, presented), presented


def test_session_lookup_key_is_the_stored_sha256_as_before() -> None:
    # No migration: rows written when the domain used hash() as the key still match.
    hasher = Sha256SecretHasher()
    key = "sha256$" + hashlib.sha256(b"session-token-1").hexdigest()
    assert hasher.lookup_key("session-token-1") == hasher.hash("session-token-1") == key


def test_csrf_token_is_unchanged() -> None:
    # SHA-256 hex of "csrf:" + the session token, as before it moved out of the domain:
    # tokens handed to open browser tabs stay valid across the upgrade.
    assert csrf_token_for("session-token-1") == (
        "3cd9eefa2aa922647c0cba279e9972152184716424593c5b3d072a4bbc731c96"
    )
    assert csrf_token_for("session-token-1") == Sha256SecretHasher().hash(
        "csrf:session-token-1"
    ).removeprefix("sha256$")


# --- SignUp --------------------------------------------------------------------------------------


def test_sign_up_closed_is_forbidden() -> None:
    env = Env(policy=SessionPolicy(signup_open=False))
    with pytest.raises(Forbidden):
        env.sign_up()("new@example.com", PASSWORD, client="1.2.3.4")
    assert env.store.tables.users == {}


def test_sign_up_creates_the_account_and_signs_it_in(env: Env) -> None:
    signed = env.sign_up()(" New@Example.com ", PASSWORD, client="1.2.3.4", name=" Newt ")
    assert signed.user.email == "new@example.com"
    assert signed.user.name == "Newt"
    assert env.stored_user(signed.user.id) == signed.user
    assert signed.user.password_hash and env.passwords.verify(PASSWORD, signed.user.password_hash)
    assert env.session(signed.session.id).token_hash == env.hasher.hash(signed.token)
    assert csrf_ok(signed.token, csrf_token_for(signed.token))
    assert env.authenticate()(signed.token).user == signed.user
    assert env.sign_in(signed.user).user == signed.user  # the password works for signing in


def test_sign_up_duplicate_email_is_a_conflict(env: Env) -> None:
    env.sign_up()("dup@example.com", PASSWORD, client="1.2.3.4")
    with pytest.raises(Conflict):
        env.sign_up()("DUP@example.com", "another password", client="1.2.3.4")
    assert len(env.store.tables.users) == 1
    assert len(env.store.tables.sessions) == 1


@pytest.mark.parametrize(
    ("email", "password"),
    [(None, PASSWORD), ("a@example.com", None), ("a@example.com", "short"), ("nope", PASSWORD)],
)
def test_sign_up_rejects_bad_input(env: Env, email: str | None, password: str | None) -> None:
    with pytest.raises(InvalidInput):
        env.sign_up()(email, password, client="1.2.3.4")
    assert env.store.tables.users == {}
    assert env.store.tables.sessions == {}


def test_sign_up_is_throttled_per_client_address() -> None:
    env = Env(policy=SessionPolicy(login_per_ip=RatePolicy(per_minute=2)))
    for i in range(2):
        env.sign_up()(f"u{i}@example.com", PASSWORD, client="1.2.3.4")
    with pytest.raises(RateLimited):
        env.sign_up()("u9@example.com", PASSWORD, client="1.2.3.4")
    assert len(env.store.tables.users) == 2


# --- AuthenticateSession -------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "no-such-token", "x" * 201])
def test_authenticate_unknown_tokens(env: Env, token: str | None) -> None:
    env.sign_in(env.user())
    with pytest.raises(Unauthenticated):
        env.authenticate()(token)


def test_authenticate_a_valid_session(env: Env) -> None:
    user = env.user()
    signed = env.sign_in(user)
    ctx = env.authenticate()(signed.token)
    assert (ctx.user, ctx.session, ctx.token) == (user, signed.session, signed.token)


def test_authenticate_a_revoked_session(env: Env) -> None:
    signed = env.sign_in(env.user())
    with env.uow() as uow:
        uow.sessions.update(attrs.evolve(signed.session, revoked_at=env.clock.now()))
        uow.commit()
    with pytest.raises(Unauthenticated):
        env.authenticate()(signed.token)


def test_authenticate_an_inactive_user(env: Env) -> None:
    user = env.user()
    signed = env.sign_in(user)
    with env.uow() as uow:
        uow.users.update(attrs.evolve(user, active=False))
        uow.commit()
    with pytest.raises(AccountInactive):
        env.authenticate()(signed.token)


def test_authenticate_a_session_whose_user_is_gone(env: Env) -> None:
    user = env.user()
    signed = env.sign_in(user)
    del env.store.tables.users[user.id]
    with pytest.raises(Unauthenticated):
        env.authenticate()(signed.token)


def test_an_idle_session_expires(env: Env) -> None:
    signed = env.sign_in(env.user())
    env.clock.advance(LIFETIME - 1)
    assert env.authenticate()(signed.token)  # just in time: slides the expiry
    env.clock.advance(LIFETIME - 1)
    assert env.authenticate()(signed.token)
    env.clock.advance(LIFETIME)  # exactly at expiry: gone
    with pytest.raises(Unauthenticated):
        env.authenticate()(signed.token)
    # ...and it stays gone: a failed attempt does not revive it.
    with pytest.raises(Unauthenticated):
        env.authenticate()(signed.token)


def test_a_session_used_regularly_outlives_its_first_lifetime(env: Env) -> None:
    signed = env.sign_in(env.user())
    start = env.clock.now()
    for _ in range(5):
        env.clock.advance(LIFETIME // 2)
        env.authenticate()(signed.token)
    assert env.clock.now() - start > timedelta(seconds=2 * LIFETIME)
    assert env.session(signed.session.id).expires_at == env.clock.now() + timedelta(
        seconds=LIFETIME
    )


def test_last_seen_is_written_at_most_once_a_minute(env: Env) -> None:
    signed = env.sign_in(env.user())
    start = env.clock.now()

    env.clock.advance(59)
    ctx = env.authenticate()(signed.token)
    assert ctx.session == signed.session  # nothing written within the minute
    assert env.session(signed.session.id) == signed.session

    env.clock.advance(1)
    now = env.clock.now()
    ctx = env.authenticate()(signed.token)
    refreshed = attrs.evolve(
        signed.session, last_seen_at=now, expires_at=now + timedelta(seconds=LIFETIME)
    )
    assert ctx.session == refreshed
    assert env.session(signed.session.id) == refreshed
    assert refreshed.created_at == start

    env.clock.advance(30)
    assert env.authenticate()(signed.token).session == refreshed
    assert env.session(signed.session.id) == refreshed


# --- SignOut -------------------------------------------------------------------------------------


def test_sign_out_revokes_the_session_once(env: Env) -> None:
    user = env.user()
    signed, other = env.sign_in(user), env.sign_in(user)
    signed_out_at = env.clock.now()
    env.sign_out()(signed.token)
    assert env.session(signed.session.id).revoked_at == signed_out_at
    with pytest.raises(Unauthenticated):
        env.authenticate()(signed.token)
    assert env.authenticate()(other.token)  # the other session lives on

    env.clock.advance(120)
    env.sign_out()(signed.token)  # idempotent: the first revocation time stays
    assert env.session(signed.session.id).revoked_at == signed_out_at


@pytest.mark.parametrize("token", [None, "", "unknown-token"])
def test_sign_out_without_a_session_does_nothing(env: Env, token: str | None) -> None:
    signed = env.sign_in(env.user())
    env.sign_out()(token)
    assert env.session(signed.session.id) == signed.session


# --- ChangePassword ------------------------------------------------------------------------------


NEW_PASSWORD = "a brand new secret"


def test_change_password_with_a_wrong_current_password(env: Env) -> None:
    user = env.user()
    signed = env.sign_in(user)
    with pytest.raises(Forbidden):
        env.change_password()(user.id, "wrong password", NEW_PASSWORD)
    assert env.stored_user(user.id) == user
    assert env.session(signed.session.id) == signed.session


@pytest.mark.parametrize("new", ["", "1234567", "x" * 1025])
def test_change_password_to_a_bad_length(env: Env, new: str) -> None:
    user = env.user()
    with pytest.raises(InvalidInput):
        env.change_password()(user.id, PASSWORD, new)
    assert env.stored_user(user.id) == user


@pytest.mark.parametrize(("current", "new"), [(None, NEW_PASSWORD), (PASSWORD, None), (None, None)])
def test_change_password_needs_text(env: Env, current: str | None, new: str | None) -> None:
    user = env.user()
    with pytest.raises(InvalidInput):
        env.change_password()(user.id, current, new)


def test_change_password_for_an_unknown_or_passwordless_user(env: Env) -> None:
    with pytest.raises(Unauthenticated):
        env.change_password()(uuid.uuid4(), PASSWORD, NEW_PASSWORD)
    user = env.user(password=None)
    with pytest.raises(Unauthenticated):
        env.change_password()(user.id, PASSWORD, NEW_PASSWORD)


def test_change_password_ends_every_other_session(env: Env) -> None:
    user, bob = env.user(), env.user()
    current, laptop, phone = env.sign_in(user), env.sign_in(user), env.sign_in(user)
    bobs = env.sign_in(bob)
    env.clock.advance(5)

    env.change_password()(user.id, PASSWORD, NEW_PASSWORD, keep_session_id=current.session.id)

    stored = env.stored_user(user.id)
    assert stored.password_hash != user.password_hash
    assert stored.password_hash and env.passwords.verify(NEW_PASSWORD, stored.password_hash)
    for gone in (laptop, phone):
        assert env.session(gone.session.id).revoked_at == env.clock.now()
        with pytest.raises(Unauthenticated):
            env.authenticate()(gone.token)
    assert env.session(current.session.id).revoked_at is None
    assert env.authenticate()(current.token).user == stored
    assert env.authenticate()(bobs.token).user == bob  # other users are not affected

    with pytest.raises(Unauthenticated):
        env.sign_in(user)  # the old password no longer works
    assert env.sign_in(user, NEW_PASSWORD)


def test_change_password_without_a_kept_session_ends_them_all(env: Env) -> None:
    user = env.user()
    sessions_ = [env.sign_in(user) for _ in range(2)]
    env.change_password()(user.id, PASSWORD, NEW_PASSWORD)
    for signed in sessions_:
        with pytest.raises(Unauthenticated):
            env.authenticate()(signed.token)


def test_an_active_session_still_ends_at_its_absolute_limit() -> None:
    """ASVS 7.3.2: sliding expiry (1 h after the last request) under an absolute cap (5 h)."""
    env = Env(policy=SessionPolicy(lifetime_seconds=3600, max_lifetime_seconds=5 * 3600))
    user = env.user()
    signed = env.sign_in(user)
    for _ in range(9):  # a request every 30 min: the sliding expiry alone never ends it
        env.clock.advance(1800)
        assert env.authenticate()(signed.token).user.id == user.id
    env.clock.advance(1800)  # 5 h after sign-in
    with pytest.raises(Unauthenticated):
        env.authenticate()(signed.token)
    assert env.sign_in(user)  # signing in again starts a new one


def test_a_new_sessions_expiry_respects_a_short_absolute_limit() -> None:
    env = Env(policy=SessionPolicy(lifetime_seconds=3600, max_lifetime_seconds=600))
    signed = env.sign_in(env.user())
    assert signed.session.expires_at == signed.session.created_at + timedelta(seconds=600)


# --- UserSessions: an account's own sessions -----------------------------------------------------


def test_sign_in_keeps_the_cleaned_user_agent_and_the_address(env: Env) -> None:
    ann = env.user()
    done = env.sign_in(ann, user_agent="Firefox/1\x00\u202e<b>", address="2001:db8::5")
    stored = env.session(done.session.id)
    assert stored.user_agent == "Firefox/1 <b>" and stored.address == "2001:db8::5"


def test_user_sessions_lists_live_ones_newest_first(env: Env) -> None:
    ann, bob = env.user(), env.user()
    first = env.sign_in(ann)
    env.clock.advance(seconds=5)
    second = env.sign_in(ann)
    env.clock.advance(seconds=5)
    gone = env.sign_in(ann)
    env.sign_out()(gone.token)
    env.sign_in(bob)
    listed = env.user_sessions().list(ann.id)
    assert [s.id for s in listed] == [second.session.id, first.session.id]
    env.clock.advance(seconds=LIFETIME)
    assert env.user_sessions().list(ann.id) == []


def test_ending_a_session_is_for_its_owner_only(env: Env) -> None:
    ann, bob = env.user(), env.user()
    anns = env.sign_in(ann)
    with pytest.raises(NotFound):
        env.user_sessions().end(bob.id, anns.session.id)
    with pytest.raises(NotFound):
        env.user_sessions().end(ann.id, uuid.uuid4())
    env.user_sessions().end(ann.id, anns.session.id)
    assert env.session(anns.session.id).revoked_at == env.clock.now()
    with pytest.raises(Unauthenticated):
        env.authenticate()(anns.token)
    with pytest.raises(NotFound):  # already ended
        env.user_sessions().end(ann.id, anns.session.id)


def test_ending_the_others_keeps_the_current_one(env: Env) -> None:
    ann, bob = env.user(), env.user()
    here, *others = [env.sign_in(ann) for _ in range(3)]
    bobs = env.sign_in(bob)
    assert env.user_sessions().end_others(ann.id, here.session.id) == 2
    assert env.authenticate()(here.token).user.id == ann.id
    assert env.authenticate()(bobs.token).user.id == bob.id
    for other in others:
        with pytest.raises(Unauthenticated):
            env.authenticate()(other.token)
    assert env.user_sessions().end_others(ann.id, here.session.id) == 0


def test_a_password_is_never_truncated(env: Env) -> None:
    """ASVS 6.2.8: only the first 1024 characters are hashed, but the right password followed
    by anything is still wrong, at sign-in and as the current password of a change."""
    long_password = "x" * 1024
    user = env.user("long@example.com", password=long_password)
    assert env.sign_in_uc()("long@example.com", long_password, client="1.2.3.4").user == user
    for extra in ("y", "x", "x" * 5000):
        with pytest.raises(Unauthenticated):
            env.sign_in_uc()("long@example.com", long_password + extra, client="5.6.7.8")
        with pytest.raises(Forbidden, match="Current password is wrong"):
            env.change_password()(user.id, long_password + extra, "a brand new passphrase")
    # nothing changed: the original still signs in
    assert env.sign_in_uc()("long@example.com", long_password, client="1.2.3.4").user == user

"""Browser sessions: sign in (throttled), authenticate a cookie, sign out, change password.

The cookie carries an opaque random token; only its hash is stored. (The HTTP layer derives
the CSRF token from the session token: entrypoints/http/session/csrf.py.)
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import attrs

from imgtree.domain.errors import (
    AccountInactive,
    Forbidden,
    InvalidInput,
    NotFound,
    TwoFactorRequired,
    Unauthenticated,
)
from imgtree.domain.model import Session, User, normalise_email
from imgtree.domain.policies import SessionPolicy
from imgtree.domain.ports import (
    Clock,
    PasswordHasher,
    PasswordScreen,
    RateLimiter,
    SecretHasher,
    UnitOfWorkFactory,
)
from imgtree.domain.services.second_factor import SecondFactor
from imgtree.domain.services.session_starter import SessionStarter, SignedIn
from imgtree.domain.services.sign_in_failures import FailedSignIns
from imgtree.domain.use_cases.accounts import (
    MAX_PASSWORD_LENGTH,
    CreateUser,
    check_new_password,
    password_matches,
)
from imgtree.domain.use_cases.rate_limit import EnforceRateLimit

# A syntactically valid argon2id hash of a random string: verifying against it for unknown
# emails makes "no such user" cost as much as "wrong password".
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
    "Jx2Yl7v9mO0k7cG7m5b8Gg0t0k1b3o7Fh3Kx3a0kYy8"
)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@attrs.frozen
class SessionContext:
    user: User
    session: Session
    token: str


@attrs.define
class SignIn:
    """Check an email and password (throttled per client and per account) and start a
    session. `None`: the caller gave no email or password."""

    uow: UnitOfWorkFactory
    passwords: PasswordHasher
    limiter: RateLimiter
    policy: SessionPolicy
    sessions: SessionStarter
    second_factor: SecondFactor | None = None  # None: no account can have two-factor on

    def __call__(
        self,
        email: str | None,
        password: str | None,
        *,
        client: str,
        user_agent: str = "",
        address: str = "",
        code: str | None = None,
    ) -> SignedIn:
        """`client`: the address as rate limits count it (an IPv6 /64); `address`: the
        client's own address, kept with the session for its owner to see; `code`: the
        second factor (a TOTP or recovery code) of an account that has two-factor on."""
        if email is None or password is None:
            raise InvalidInput("email and password are required")
        try:
            email = normalise_email(email)
        except ValueError:
            raise Unauthenticated("Invalid email or password") from None
        # Every attempt counts against its address; only failures count against the account.
        EnforceRateLimit(self.limiter, self.policy.login_per_ip)(client, scope="login-ip")
        failures = FailedSignIns(self.limiter, self.policy, email, client)
        failures.check()
        with self.uow(read_only=True) as uow:
            user = uow.users.get_by_email(email)
        if user is None or user.password_hash is None:
            self.passwords.verify(password[:MAX_PASSWORD_LENGTH], _DUMMY_HASH)
            failures.count()
            raise Unauthenticated("Invalid email or password")
        if not password_matches(self.passwords, password, user.password_hash):
            failures.count()
            raise Unauthenticated("Invalid email or password")
        if not user.active:
            raise AccountInactive("Account inactive")
        if user.two_factor_enabled:
            if not code:
                raise TwoFactorRequired("Two-factor code required")
            # A wrong code is a failed sign-in: the same throttle bounds guessing codes.
            if self.second_factor is None or not self.second_factor.accept(user.id, code):
                failures.count()
                raise Unauthenticated("Invalid two-factor code")
        return self.sessions.start(user, user_agent, address)


@attrs.define
class SignUp:
    """Open sign-up (when the deployment allows it): create the account and sign it in."""

    create_user: CreateUser
    limiter: RateLimiter
    policy: SessionPolicy
    sessions: SessionStarter

    def __call__(
        self,
        email: str | None,
        password: str | None,
        *,
        client: str,
        name: str = "",
        user_agent: str = "",
        address: str = "",
    ) -> SignedIn:
        if not self.policy.signup_open:
            raise Forbidden("Sign-up is closed on this instance")
        if email is None or password is None:
            raise InvalidInput("email and password are required")
        EnforceRateLimit(self.limiter, self.policy.login_per_ip)(client, scope="signup-ip")
        user = self.create_user(email, password, name=name)
        return self.sessions.start(user, user_agent, address)


@attrs.define
class AuthenticateSession:
    uow: UnitOfWorkFactory
    hasher: SecretHasher
    clock: Clock
    policy: SessionPolicy

    def __call__(self, token: str | None) -> SessionContext:
        if not token or len(token) > 200:
            raise Unauthenticated("Not signed in")
        now = self.clock.now()
        token_hash = self.hasher.lookup_key(token)
        with self.uow(read_only=True) as uow:
            session = uow.sessions.get_by_token_hash(token_hash)
            if session is None or not session.valid(now):
                raise Unauthenticated("Not signed in")
            user = uow.users.get(session.user_id)
        if user is None:
            raise Unauthenticated("Not signed in")
        if not user.active:
            raise AccountInactive("Account inactive")
        if now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
            # Sliding expiry, written at most once a minute (re-read: a sign-out may have
            # landed in between, and must not be undone).
            with self.uow() as uow:
                current = uow.sessions.get_by_token_hash(token_hash)
                if current is None or not current.valid(now):
                    raise Unauthenticated("Not signed in")
                session = attrs.evolve(
                    current,
                    last_seen_at=now,
                    expires_at=self.policy.expiry(current.created_at, now),
                )
                uow.sessions.update(session)
                uow.commit()
        return SessionContext(user, session, token)


@attrs.define
class SignOut:
    uow: UnitOfWorkFactory
    hasher: SecretHasher
    clock: Clock

    def __call__(self, token: str | None) -> None:
        if not token:
            return
        with self.uow() as uow:
            session = uow.sessions.get_by_token_hash(self.hasher.lookup_key(token))
            if session is not None and session.revoked_at is None:
                uow.sessions.update(attrs.evolve(session, revoked_at=self.clock.now()))
                uow.commit()


@attrs.define
class ChangePassword:
    uow: UnitOfWorkFactory
    passwords: PasswordHasher
    clock: Clock
    screen: PasswordScreen | None = None  # refuses common passwords (the app always sets it)

    def __call__(
        self,
        user_id: uuid.UUID,
        current: str | None,
        new: str | None,
        *,
        keep_session_id: uuid.UUID | None = None,
    ) -> None:
        """`None`: the caller did not give that password."""
        if current is None or new is None:
            raise InvalidInput("the current and the new password are required")
        check_new_password(new, None)  # its length, before any lookup
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None or user.password_hash is None:
                raise Unauthenticated("Not signed in")
            if not password_matches(self.passwords, current, user.password_hash):
                raise Forbidden("Current password is wrong")
            check_new_password(new, self.screen, context=(user.email, user.name))
            uow.users.update(attrs.evolve(user, password_hash=self.passwords.hash(new)))
            # Every other session ends: a changed password must lock out whoever else had it.
            uow.sessions.revoke_all_for_user(user_id, self.clock.now(), except_id=keep_session_id)
            uow.commit()


@attrs.define
class UserSessions:
    """An account's own sessions (ASVS 7.4.5, 7.5.2): list the live ones, end one, end all
    but the current one. Another account's session is "not found", never "forbidden"."""

    uow: UnitOfWorkFactory
    clock: Clock

    def list(self, user_id: uuid.UUID) -> list[Session]:
        with self.uow(read_only=True) as uow:
            return uow.sessions.list_active_for_user(user_id, self.clock.now())

    def end(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        now = self.clock.now()
        with self.uow() as uow:
            session = uow.sessions.get(session_id)
            if session is None or session.user_id != user_id or not session.valid(now):
                raise NotFound("Session not found")
            uow.sessions.update(attrs.evolve(session, revoked_at=now))
            uow.commit()

    def end_others(self, user_id: uuid.UUID, current_id: uuid.UUID) -> int:
        """End every live session of the account but `current_id`; how many ended."""
        with self.uow() as uow:
            count = uow.sessions.revoke_all_for_user(
                user_id, self.clock.now(), except_id=current_id
            )
            uow.commit()
        return count

"""Start a browser session for an account that has just proved who it is."""

from __future__ import annotations

import attrs

from imgtree.domain.model import Session, User, clean_address, clean_user_agent
from imgtree.domain.policies import SessionPolicy
from imgtree.domain.ports import Clock, SecretHasher, SecureRandom, UnitOfWorkFactory

SESSION_TOKEN_BYTES = 32


@attrs.frozen
class SignedIn:
    user: User
    session: Session
    token: str  # goes into the cookie; never stored


@attrs.define
class SessionStarter:
    """Sign-in and sign-up both end here: a random token for the cookie, its lookup key
    stored, the session's lifetime from the policy."""

    uow: UnitOfWorkFactory
    hasher: SecretHasher
    clock: Clock
    random: SecureRandom
    policy: SessionPolicy

    def start(self, user: User, user_agent: str = "", address: str = "") -> SignedIn:
        now = self.clock.now()
        token = self.random.token(SESSION_TOKEN_BYTES)
        session = Session(
            id=self.random.uuid(),
            user_id=user.id,
            token_hash=self.hasher.lookup_key(token),
            created_at=now,
            expires_at=self.policy.expiry(now, now),
            last_seen_at=now,
            user_agent=clean_user_agent(user_agent),
            address=clean_address(address),
        )
        with self.uow() as uow:
            uow.sessions.add(session)
            uow.commit()
        return SignedIn(user, session, token)

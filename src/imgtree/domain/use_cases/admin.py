"""The operator's use cases: statistics, finding users, changing role/state/quota, the audit log.

Every change is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import attrs

from imgtree.domain.commands import UNSET, UserChanges
from imgtree.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, NothingToChange
from imgtree.domain.model import AuditEntry, Page, Role, User
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import Clock, ImageStats, SecureRandom, UnitOfWorkFactory
from imgtree.domain.use_cases.list_images import page_window

MAX_QUERY = 200
TWO_FACTOR_FOR_ADMINS = "Turn on two-factor sign-in to use the admin tools"


@attrs.frozen
class AdminStats:
    users: int
    active_users: int
    pending_presigns: int
    images: ImageStats


def require_admin(user: User | None) -> User:
    if user is None or not user.is_active_admin:
        raise Forbidden("Admin role required")
    return user


@attrs.define
class Admin:
    uow: UnitOfWorkFactory
    clock: Clock
    random: SecureRandom
    paging: PagePolicy = attrs.Factory(PagePolicy)
    # IMGTREE_REQUIRE_ADMIN_2FA: an admin without two-factor sign-in may sign in, but not
    # use the admin tools (by session or API key) until they turn it on.
    require_two_factor: bool = False

    def authorise(self, actor: User | None) -> User:
        """The actor, if they may use the admin tools (Forbidden otherwise)."""
        return self._admin(actor)

    def _admin(self, actor: User | None) -> User:
        admin = require_admin(actor)
        if self.require_two_factor and not admin.two_factor_enabled:
            raise Forbidden(TWO_FACTOR_FOR_ADMINS)
        return admin

    def stats(self, actor: User | None, *, days: int = 30) -> AdminStats:
        self._admin(actor)
        now = self.clock.now()
        with self.uow(read_only=True) as uow:
            users, active = uow.users.counts()
            return AdminStats(
                users=users,
                active_users=active,
                pending_presigns=uow.pending_uploads.count_open(now),
                images=uow.stats.image_stats(now, days=days),
            )

    def users(
        self,
        actor: User | None,
        *,
        query: str | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> Page[User]:
        self._admin(actor)
        query = (query or "").strip()[:MAX_QUERY]
        page, limit = page_window(page, limit, self.paging)
        with self.uow(read_only=True) as uow:
            total = uow.users.count_search(query)
            items = uow.users.search(query, offset=(page - 1) * limit, limit=limit)
        return Page(tuple(items), page, limit, total)

    def update_user(self, actor: User | None, user_id: uuid.UUID, changes: UserChanges) -> User:
        """Change an account's role, active flag or quota (`quota_bytes` >= 0, None: unlimited).

        `actor` None means the operator's command line (trusted, still audited).
        """
        if actor is not None:
            self._admin(actor)
        if changes.empty:
            raise NothingToChange("Nothing to change: set a role, the active flag or a quota")
        fields: dict[str, Any] = {}
        if changes.role is not UNSET:
            fields["role"] = changes.role
        if changes.active is not UNSET:
            fields["active"] = changes.active
        if changes.quota_bytes is not UNSET:
            if changes.quota_bytes is not None and changes.quota_bytes < 0:
                raise InvalidInput("quota_bytes must be >= 0, or None for unlimited")
            fields["quota_bytes"] = changes.quota_bytes
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None:
                raise NotFound("User not found")
            updated = attrs.evolve(user, **fields)
            loses_admin = user.is_active_admin and not updated.is_active_admin
            # Keep the instance administrable: someone must remain able to undo this.
            if loses_admin and uow.users.count_active_admins() <= 1:
                raise Conflict("The last active admin cannot be demoted or deactivated")
            uow.users.update(updated)
            if user.active and not updated.active:
                # A switched-off account is signed out everywhere: switching it back on
                # must not bring its old sessions back.
                uow.sessions.revoke_all_for_user(user.id, self.clock.now())
            diff = {
                name: {"from": _plain(getattr(user, name)), "to": _plain(getattr(updated, name))}
                for name in fields
                if getattr(user, name) != getattr(updated, name)
            }
            uow.audit.add(
                AuditEntry(
                    id=self.random.uuid(),
                    actor_id=actor.id if actor else None,
                    action="user.update",
                    target_id=user.id,
                    details=json.dumps({"email": user.email, "changes": diff}, sort_keys=True),
                    created_at=self.clock.now(),
                )
            )
            uow.commit()
        return updated

    def end_sessions(self, actor: User | None, user_id: uuid.UUID) -> int:
        """Sign the account out everywhere (audited); how many sessions ended.

        `actor` None means the operator's command line."""
        if actor is not None:
            self._admin(actor)
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None:
                raise NotFound("User not found")
            count = uow.sessions.revoke_all_for_user(user.id, now)
            uow.audit.add(
                AuditEntry(
                    id=self.random.uuid(),
                    actor_id=actor.id if actor else None,
                    action="user.sessions.end",
                    target_id=user.id,
                    details=json.dumps({"email": user.email, "sessions": count}, sort_keys=True),
                    created_at=now,
                )
            )
            uow.commit()
        return count

    def audit_log(
        self, actor: User | None, *, page: int | None = None, limit: int | None = None
    ) -> Page[AuditEntry]:
        self._admin(actor)
        page, limit = page_window(page, limit, self.paging)
        with self.uow(read_only=True) as uow:
            total = uow.audit.count()
            items = uow.audit.list(offset=(page - 1) * limit, limit=limit)
        return Page(tuple(items), page, limit, total)


def _plain(value: Role | bool | int | None) -> str | bool | int | None:
    """A field's value as the audit log's JSON holds it."""
    return value.value if isinstance(value, Role) else value

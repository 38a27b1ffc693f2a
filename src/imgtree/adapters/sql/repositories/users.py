"""Accounts: lookups by id and email, admin search and counts."""

from __future__ import annotations

import uuid

import attrs
from sqlalchemy import ColumnElement, case, func, or_, select, true

from imgtree.adapters.sql.repositories.base import Repository
from imgtree.adapters.sql.repositories.mapping import user_from_row, user_values
from imgtree.adapters.sql.tables import users
from imgtree.domain.model import Role, User


class SqlUserRepository(Repository[User]):
    table = users
    what = "user"
    readonly = ("used_bytes",)
    to_entity = staticmethod(user_from_row)
    to_values = staticmethod(user_values)

    def add(self, user: User) -> None:
        self._add(user)

    def get(self, user_id: uuid.UUID) -> User | None:
        return self._one({"id": user_id})

    def get_by_email(self, email: str) -> User | None:
        # Stored emails are normalised (stripped, lower-cased), so equality hits the unique index.
        return self._one({"email": email.strip().lower()})

    def _matching(self, query: str) -> ColumnElement[bool]:
        q = query.strip().lower()
        if not q:
            return true()
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return or_(
            users.c.email.like(pattern, escape="\\"),
            func.lower(users.c.name).like(pattern, escape="\\"),
        )

    def search(self, query: str, *, offset: int, limit: int) -> list[User]:
        return self._many(
            select(users)
            .where(self._matching(query))
            .order_by(users.c.created_at, users.c.id)
            .offset(offset)
            .limit(limit)
        )

    def count_search(self, query: str) -> int:
        count = select(func.count()).select_from(users).where(self._matching(query))
        return int(self._s.execute(count).scalar_one())

    def count_active_admins(self) -> int:
        # Lock the rows counted (Postgres; SQLite serialises writers anyway): two admins
        # demoting each other at once must not both see the other as the one who remains.
        admins = (
            select(users.c.id)
            .where(users.c.role == Role.ADMIN.value, users.c.active.is_(True))
            .order_by(users.c.id)
            .with_for_update()
        )
        return len(self._s.execute(admins).all())

    def counts(self) -> tuple[int, int]:
        row = self._s.execute(
            select(func.count(), func.coalesce(func.sum(case((users.c.active, 1), else_=0)), 0))
        ).one()
        return int(row[0]), int(row[1])

    def update(self, user: User) -> None:
        self._update(user)

    def use_second_factor(self, before: User, after: User) -> bool:
        last = users.c.totp_last_step
        result = self._s.execute(
            users.update()
            .where(
                users.c.id == before.id,
                last.is_(None) if before.totp_last_step is None else last == before.totp_last_step,
                users.c.recovery_codes == "\n".join(before.recovery_codes),
            )
            .values(
                totp_last_step=after.totp_last_step,
                recovery_codes="\n".join(after.recovery_codes),
            )
        )
        if result.rowcount != 1:
            self._seen.pop(before.id, None)
            return False
        self._remember(
            attrs.evolve(
                before, totp_last_step=after.totp_last_step, recovery_codes=after.recovery_codes
            )
        )
        return True

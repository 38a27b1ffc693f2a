"""Accounts and sessions (issue 14): each session's client address, and two-factor sign-in.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 20:30:00

`sessions.address`: the client address at sign-in (after trusted-proxy handling), shown in
the account's list of sessions. `users.totp_*`: the account's TOTP secret (NULL: two-factor
sign-in is off), a secret being enrolled, the last time step accepted (a code is good once),
and the lookup keys of the unused recovery codes (one per line).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("address", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("totp_pending_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("recovery_codes", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("recovery_codes")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_pending_secret")
        batch.drop_column("totp_secret")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("address")

"""API keys get scopes and an optional expiry.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 20:20:00

Keys made before scopes existed keep working with every scope their owner's role allows
(admin keys: all five; others: all but admin), so no script breaks on upgrade. The owner's
role is checked again on every request, so a demoted admin's key loses `admin` anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USER_SCOPES = "upload images:read images:delete albums"


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("scopes", sa.Text(), nullable=False, server_default=_USER_SCOPES)
        )
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        sa.text(
            "UPDATE api_keys SET scopes = :scopes"
            " WHERE user_id IN (SELECT id FROM users WHERE role = 'admin')"
        ).bindparams(scopes=f"{_USER_SCOPES} admin")
    )
    # The default served only the rows that existed: new keys always name their scopes.
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("scopes", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")

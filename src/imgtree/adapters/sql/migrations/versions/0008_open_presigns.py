"""Bounded open presigns: a guest upload's client address, and partial indexes that make
counting (and summing) one uploader's open presigns cheap.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:30:00

Every presign counts the uploader's open uploads (unclaimed, unexpired) and, for an account,
sums their declared bytes against its quota. Both indexes cover unclaimed rows only, with
equality on the owner (or a guest's address) and then a range on expires_at.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNCLAIMED = sa.text("claimed_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("pending_uploads") as batch:
        batch.add_column(sa.Column("address", sa.Text(), nullable=True))
    op.create_index(
        "ix_pending_uploads_owner_open",
        "pending_uploads",
        ["owner_id", "expires_at"],
        postgresql_where=_UNCLAIMED,
        sqlite_where=_UNCLAIMED,
    )
    op.create_index(
        "ix_pending_uploads_address_open",
        "pending_uploads",
        ["address", "expires_at"],
        postgresql_where=_UNCLAIMED,
        sqlite_where=_UNCLAIMED,
    )


def downgrade() -> None:
    op.drop_index("ix_pending_uploads_address_open", table_name="pending_uploads")
    op.drop_index("ix_pending_uploads_owner_open", table_name="pending_uploads")
    with op.batch_alter_table("pending_uploads") as batch:
        batch.drop_column("address")

"""A per-user count of live images, so gallery totals are not counted on every page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("image_count", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE users SET image_count = (SELECT COUNT(*) FROM images"
        " WHERE images.owner_id = users.id AND images.deleted_at IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("image_count")

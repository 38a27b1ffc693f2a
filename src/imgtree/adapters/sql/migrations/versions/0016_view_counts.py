"""View counts (issue 17 item 4): page views and media hits per image.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 03:40:00

Counted in memory by each worker and added in batches (`ImageRepository.add_views`: one
`UPDATE ... SET page_views = page_views + :n` per image per flush), so a GET never writes.
Every existing image starts at 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(
            sa.Column("page_views", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("media_hits", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("media_hits")
        batch.drop_column("page_views")

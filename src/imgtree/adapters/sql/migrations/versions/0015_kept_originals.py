"""Originals kept for their owners (issue 16 item 3, IMGTREE_KEEP_ORIGINALS).

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-01 03:30:00

`images.original_key` / `original_content_type`: the uploaded file (a HEIC or AVIF published
as JPEG) when the deployment keeps originals; NULL for every image before this migration and
for images published as uploaded. `original_size_bytes` (0 without one) counts against the
owner's quota with `size_bytes`, so existing usage figures stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("original_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("original_content_type", sa.String(32), nullable=True))
        batch.add_column(
            sa.Column("original_size_bytes", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("original_size_bytes")
        batch.drop_column("original_content_type")
        batch.drop_column("original_key")

"""The listing index in the listing's exact order (created_at DESC, id DESC).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 01:50:00

With `id` ascending in the index, Postgres could not walk it for ORDER BY created_at DESC,
id DESC and sorted all of an owner's images for every page.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_images_owner_live_recent", table_name="images")
    op.create_index(
        "ix_images_owner_live_recent",
        "images",
        ["owner_id", "deleted_at", sa.text("created_at DESC"), sa.text("id DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_images_owner_live_recent", table_name="images")
    op.create_index(
        "ix_images_owner_live_recent",
        "images",
        ["owner_id", "deleted_at", sa.text("created_at DESC"), "id"],
    )

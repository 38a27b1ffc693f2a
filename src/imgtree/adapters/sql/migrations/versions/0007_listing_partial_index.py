"""The listing index as a partial index over live images: (owner_id, created_at DESC, id DESC)
WHERE deleted_at IS NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 03:30:00

Postgres does not treat `deleted_at IS NULL` as an equality that fixes the index's second
column, so it could not take the page order from (owner_id, deleted_at, created_at, id): it
sorted all of an owner's live images, or walked the global created_at index filtering every
other user's images out. With deleted rows left out of the index instead, owner_id is the
only leading column and the index is in page order on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_images_owner_live_recent", table_name="images")
    op.create_index(
        "ix_images_owner_live_recent",
        "images",
        ["owner_id", sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=_LIVE,
        sqlite_where=_LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_images_owner_live_recent", table_name="images")
    op.create_index(
        "ix_images_owner_live_recent",
        "images",
        ["owner_id", "deleted_at", sa.text("created_at DESC"), sa.text("id DESC")],
    )

"""The gallery's orders (issue 17 item 1): size and name indexes beside the recent one.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 03:50:00

Partial (live rows only) and led by owner_id like `ix_images_owner_live_recent`, so a page
of an owner's gallery sorted by size or by name walks an index in order instead of sorting
all of the owner's images; "oldest first" walks the recent index backwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_images_owner_live_size",
        "images",
        ["owner_id", sa.text("size_bytes DESC"), sa.text("id DESC")],
        postgresql_where=_LIVE,
        sqlite_where=_LIVE,
    )
    op.create_index(
        "ix_images_owner_live_name",
        "images",
        ["owner_id", sa.text("lower(original_name)"), "id"],
        postgresql_where=_LIVE,
        sqlite_where=_LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_images_owner_live_name", table_name="images")
    op.drop_index("ix_images_owner_live_size", table_name="images")

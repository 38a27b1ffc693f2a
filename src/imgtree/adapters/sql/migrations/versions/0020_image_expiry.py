"""Expiry (issue 17 item 2): an image can be set to delete itself after a time.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 04:30:00

`images.expires_at` (NULL: never) hides the image from every reader from that moment;
`imgtree purge` soft-deletes expired rows (partial index `ix_images_expiring` over the rows
that expire at all, led by the owner so a gallery's total can take off its expired rows) and releases their bytes like any deleted image's.
`pending_uploads.image_expires_in` carries a presigned upload's "delete after" to completion.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    live_expiring = sa.text("expires_at IS NOT NULL AND deleted_at IS NULL")
    op.create_index(
        "ix_images_expiring",
        "images",
        ["owner_id", "expires_at"],
        postgresql_where=live_expiring,
        sqlite_where=live_expiring,
    )
    with op.batch_alter_table("pending_uploads") as batch:
        batch.add_column(sa.Column("image_expires_in", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads") as batch:
        batch.drop_column("image_expires_in")
    op.drop_index("ix_images_expiring", table_name="images")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("expires_at")

"""Placeholders and colour (issue 16 item 4): each image's BlurHash and dominant colour.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 03:30:00

`images.blurhash` (a BlurHash, at most 166 characters: 9 x 9 components) and
`images.dominant_color` ("#rrggbb"): computed from the thumbnail at upload. NULL for images
uploaded before this migration until `imgtree backfill-placeholders` computes them from their
stored thumbnails; the API returns null and the web app shows its neutral background then.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("blurhash", sa.String(166), nullable=True))
        batch.add_column(sa.Column("dominant_color", sa.String(7), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("dominant_color")
        batch.drop_column("blurhash")

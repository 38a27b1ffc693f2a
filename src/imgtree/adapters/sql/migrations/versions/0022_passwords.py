"""Passwords on images and albums (issue 17 item 3).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 08:30:00

`images.password_hash`, `albums.password_hash`: the argon2id hash of the password visitors
enter before they see the image or album; NULL: none. Plain ADD COLUMN (no batch copy of
`images`, so its expression index ix_images_owner_live_name stays as it is).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("images", sa.Column("password_hash", sa.Text(), nullable=True))
    op.add_column("albums", sa.Column("password_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (no batch copy: the expression index survives).
    op.drop_column("albums", "password_hash")
    op.drop_column("images", "password_hash")

"""Images get a three-way visibility (public, unlisted, private) and a description.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 01:45:00

`visibility` replaces the boolean `is_public` on images and on pending (presigned) uploads:
true was "anyone with the link" and becomes `unlisted`, false becomes `private`. Nothing was
listed publicly before, so no existing image becomes `public`. The old column is dropped so
there is one source of truth; no index used it (the listing indexes of 0006/0007 are on
owner_id, created_at, id over live rows). Downgrade maps back (public and unlisted -> true).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("images", "pending_uploads")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(
            table,
            sa.Column("visibility", sa.String(16), nullable=False, server_default="unlisted"),
        )
        old = sa.table(table, sa.column("is_public", sa.Boolean()), sa.column("visibility"))
        op.execute(old.update().where(old.c.is_public.is_(False)).values(visibility="private"))
        # SQLite (3.35+) and Postgres both drop a column no index or constraint uses in place.
        op.drop_column(table, "is_public")
    op.add_column("images", sa.Column("description", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("images", "description")
    for table in _TABLES:
        op.add_column(
            table, sa.Column("is_public", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        new = sa.table(table, sa.column("is_public", sa.Boolean()), sa.column("visibility"))
        op.execute(new.update().where(new.c.visibility == "private").values(is_public=False))
        op.drop_column(table, "visibility")

"""Image visibility and descriptions (issue 15).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 01:45:00

Visibility is public / unlisted / private. It is stored as the existing `is_public` flag
(false: private) plus `listed` (public rather than unlisted), so every existing image keeps
exactly who can see it: `is_public` true becomes unlisted (anyone with the link, listed
nowhere, as before), false stays private. Presigned uploads carry it to their image.
`images.description`: the owner's text for the page and its embeds.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(
            sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("pending_uploads") as batch:
        batch.add_column(
            sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads") as batch:
        batch.drop_column("listed")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("description")
        batch.drop_column("listed")

"""Albums worth sharing (issue 15 item 6): the owner's cover and the order of an album.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 02:00:00

`albums.cover_image_id`: NULL means the cover is the first image in the album's order. No
foreign key (images already reference albums); a picked image that is deleted or leaves the
album is ignored when the cover is chosen.

`images.album_position`: the image's place in its album once the owner has arranged it
(0 first). NULL until then, and for images added since, which follow the arranged ones,
newest first, exactly as every album was ordered before this migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("albums") as batch:
        batch.add_column(sa.Column("cover_image_id", sa.Uuid(), nullable=True))
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("album_position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("album_position")
    with op.batch_alter_table("albums") as batch:
        batch.drop_column("cover_image_id")

"""Pending uploads for presign -> PUT -> complete; an index for purging deleted images.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pending_uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("album_id", sa.Uuid(), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("declared_type", sa.String(32), nullable=False),
        sa.Column("declared_size", sa.BigInteger(), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("completion_token_hash", sa.String(128), nullable=False),
        sa.Column("put_token_hash", sa.String(128), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("received_at", nullable=True),
        _ts("claimed_at", nullable=True),
        sa.Column("image_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pending_uploads"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_pending_uploads_owner_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name="fk_pending_uploads_api_key_id_api_keys",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["album_id"],
            ["albums.id"],
            name="fk_pending_uploads_album_id_albums",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_pending_uploads_completion_token_hash",
        "pending_uploads",
        ["completion_token_hash"],
        unique=True,
    )
    op.create_index("ix_pending_uploads_expires_at", "pending_uploads", ["expires_at"])
    op.create_index("ix_images_deleted_at", "images", ["deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_images_deleted_at", table_name="images")
    op.drop_index("ix_pending_uploads_expires_at", table_name="pending_uploads")
    op.drop_index("ix_pending_uploads_completion_token_hash", table_name="pending_uploads")
    op.drop_table("pending_uploads")

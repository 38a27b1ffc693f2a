"""Initial schema: users, api_keys, albums, images, rate_limit_windows.

Revision ID: 0001
Revises:
Create Date: 2026-01-01 00:00:00

Written out in full (not importing tables.py) so this revision stays what it was when later
revisions change the tables; a test checks the migrated schema against tables.metadata.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("quota_bytes", sa.BigInteger(), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
        _ts("revoked_at", nullable=True),
        sa.Column("upload_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_keys_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_api_keys_prefix", "api_keys", ["prefix"], unique=True)
    op.create_index("ix_api_keys_user_id_created_at", "api_keys", ["user_id", "created_at"])
    op.create_table(
        "albums",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_albums"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_albums_owner_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_albums_owner_id", "albums", ["owner_id"])
    op.create_table(
        "images",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("thumb_key", sa.Text(), nullable=False),
        sa.Column("thumb_content_type", sa.String(32), nullable=False),
        sa.Column("delete_token_hash", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.Column("album_id", sa.Uuid(), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("animated", sa.Boolean(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        _ts("deleted_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_images"),
        sa.UniqueConstraint("slug", name="uq_images_slug"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_images_owner_id_users"),
        sa.ForeignKeyConstraint(
            ["album_id"], ["albums.id"], name="fk_images_album_id_albums", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name="fk_images_api_key_id_api_keys",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_images_owner_live_recent",
        "images",
        ["owner_id", "deleted_at", sa.text("created_at DESC"), "id"],
    )
    op.create_index("ix_images_album_id", "images", ["album_id"])
    op.create_index("ix_images_api_key_id", "images", ["api_key_id"])
    op.create_table(
        "rate_limit_windows",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name="pk_rate_limit_windows"),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_windows")
    op.drop_index("ix_images_api_key_id", table_name="images")
    op.drop_index("ix_images_album_id", table_name="images")
    op.drop_index("ix_images_owner_live_recent", table_name="images")
    op.drop_table("images")
    op.drop_index("ix_albums_owner_id", table_name="albums")
    op.drop_table("albums")
    op.drop_index("ix_api_keys_user_id_created_at", table_name="api_keys")
    op.drop_index("ix_api_keys_prefix", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("users")

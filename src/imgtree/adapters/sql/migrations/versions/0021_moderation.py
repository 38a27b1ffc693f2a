"""Moderation (issue 17 item 6): hidden images, reports, the block list of content digests.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 04:30:00

`blocked_hashes`: SHA-256 digests (hex) of content an admin removed as abusive; an upload
whose raw bytes or published bytes hash to one is refused (HTTP 451).
`reports`: visitors' reports of images (one open report per reporter address hash and image).
`images.hidden`: hidden by a moderator (not found for everyone but admins);
`images.uploader_hash`: the keyed hash of the uploader's client address (never the address);
NULL for the images uploaded before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(
            sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("uploader_hash", sa.String(length=64), nullable=True))
    _restore_name_index()
    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("image_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reporter_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["images.id"],
            name=op.f("fk_reports_image_id_images"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index(
        op.f("ix_reports_image_id_reporter_hash"), "reports", ["image_id", "reporter_hash"]
    )
    op.create_index(
        op.f("ix_reports_dismissed_at_created_at"), "reports", ["dismissed_at", "created_at"]
    )
    op.create_table(
        "blocked_hashes",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("image_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blocked_hashes")),
    )


def downgrade() -> None:
    op.drop_table("blocked_hashes")
    op.drop_index(op.f("ix_reports_dismissed_at_created_at"), table_name="reports")
    op.drop_index(op.f("ix_reports_image_id_reporter_hash"), table_name="reports")
    op.drop_table("reports")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("uploader_hash")
        batch.drop_column("hidden")
    _restore_name_index()


def _restore_name_index() -> None:
    """On SQLite, batch mode rebuilds `images` by copying it, and recreates only the indexes
    Alembic can reflect: 0017's expression index on lower(original_name) would be lost (the
    gallery's name order would then sort every row of the owner). Put it back as 0017 made it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_images_owner_live_name "
            "ON images (owner_id, lower(original_name), id) WHERE deleted_at IS NULL"
        )

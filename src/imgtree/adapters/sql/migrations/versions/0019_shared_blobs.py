"""Shared blobs (issue 16 item 5): identical published bytes are stored once.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 03:30:00

`blobs`: one row per stored content stem (the name its `images/`, `thumbs/` and
`renditions/` keys share) with `refs`, the number of image rows using it. New uploads are
stored under `images/<sha256 of the published bytes>.<ext>`; images stored before this
migration keep their `images/<uuid>.<ext>` keys and get a row each here (refs = the image
rows using the key: 1), soft-deleted ones included (they hold their reference until purge),
so one code path releases old and new alike.

`images.storage_key` gets an index: deleting an image on a public bucket counts the live
images sharing its bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _stem(key: str) -> str:
    """As shared_blobs.stem_of: `images/<stem>.<ext>` -> `<stem>` (kept here, frozen)."""
    return key.rsplit("/", 1)[-1].partition(".")[0]


def upgrade() -> None:
    blobs = op.create_table(
        "blobs",
        sa.Column("stem", sa.String(length=128), nullable=False),
        sa.Column("refs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stem", name=op.f("pk_blobs")),
    )
    op.create_index(op.f("ix_images_storage_key"), "images", ["storage_key"], unique=False)
    images = sa.table("images", sa.column("storage_key", sa.Text))
    counted = sa.select(images.c.storage_key, sa.func.count()).group_by(images.c.storage_key)
    refs: dict[str, int] = {}
    for key, count in op.get_bind().execute(counted):
        refs[_stem(key)] = refs.get(_stem(key), 0) + int(count)
    rows = [{"stem": stem, "refs": n} for stem, n in refs.items()]
    for start in range(0, len(rows), BATCH):
        op.bulk_insert(blobs, rows[start : start + BATCH])


def downgrade() -> None:
    op.drop_index(op.f("ix_images_storage_key"), table_name="images")
    op.drop_table("blobs")

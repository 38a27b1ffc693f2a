"""`imgtree export DIR`: a consistent snapshot of a running deployment.

1. Every exported table is read in ONE read-only transaction (Postgres: SERIALIZABLE READ
   ONLY DEFERRABLE; SQLite in WAL mode: one deferred read transaction, a snapshot that
   neither blocks the server's writers nor sees them), streamed to `tables/<table>.jsonl`.
   While `images` streams, the keys its rows reference (published file, thumbnail, kept
   original) go to a scratch list on disk, not into memory.
2. The transaction ends; the listed blobs are copied into `blobs/<key>`, hashed on the way.
   Blobs are immutable once written (content-addressed keys; a key is never rewritten with
   other bytes), so copying them after the snapshot copies what the rows mean.
3. `manifest.json` is written last and the work directory renamed onto DIR.

The race with purge (and with deletion on a public bucket): a blob may vanish between the
row read and the copy. For an image that the snapshot already shows deleted or expired (never
served; purge may take it any moment, a public bucket drops a deleted image's bytes at once)
the export records the key under `missing_blobs` in the manifest and goes on. For a live
image it fails loudly (nothing is left at DIR): either the image was deleted and purged while
the export ran (the message says so: run it again) or storage lost it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, select, text

from imgtree.adapters.backup.format import (
    BLOBS_DIR,
    CHUNK,
    EXPORTED_TABLES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SKIPPED_BLOBS,
    SKIPPED_TABLES,
    TABLES_DIR,
    BackupError,
    blob_path,
    encode_value,
    file_digest,
)
from imgtree.adapters.sql import tables as t
from imgtree.domain.ports import BlobStorage

_ROWS_PER_FETCH = 1000


@attrs.frozen
class ExportReport:
    directory: Path
    rows: dict[str, int]
    blobs: int
    blob_bytes: int
    missing_blobs: list[dict[str, str]]


@contextlib.contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction that sees the database as of its start."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(
                isolation_level="SERIALIZABLE",
                postgresql_readonly=True,
                postgresql_deferrable=True,
            )
        else:
            # The engine's begin hook issues a deferred BEGIN for read-only connections
            # (adapters/sql/uow.py); in WAL mode that read is a snapshot beside the writers.
            connection = connection.execution_options(imgtree_read_only=True)
        with connection.begin():
            yield connection


def _source(connection: Connection) -> dict[str, str]:
    source = {"database": connection.dialect.name}
    if connection.dialect.name == "sqlite":
        source["journal_mode"] = str(connection.exec_driver_sql("PRAGMA journal_mode").scalar())
    return source


def export_snapshot(
    engine: Engine,
    storage: BlobStorage,
    directory: Path,
    *,
    source: Mapping[str, str] | None = None,
) -> ExportReport:
    """Write a snapshot of the database at `engine` and its blobs in `storage` to
    `directory`, which must not exist or be empty. Atomic: the snapshot is built in a
    sibling `.<name>.partial-*` directory and renamed onto `directory` once complete."""
    directory = Path(directory).absolute()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} is not empty: export into a new or empty directory")
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name}.partial-", dir=directory.parent))
    try:
        report = _export_into(engine, storage, work, dict(source or {}))
        os.rename(work, directory)  # replaces an empty directory atomically
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return attrs.evolve(report, directory=directory)


def _export_into(
    engine: Engine, storage: BlobStorage, work: Path, source: dict[str, str]
) -> ExportReport:
    (work / TABLES_DIR).mkdir()
    (work / BLOBS_DIR).mkdir()
    refs_path = work / ".blob-refs.jsonl"  # scratch: removed before the manifest is written
    counts: dict[str, int] = {}
    with snapshot(engine) as connection, refs_path.open("w") as refs:
        revision = ",".join(
            sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        )
        # The database's clock, inside the snapshot: what "expired" means for these rows.
        taken_at = _utc(connection.execute(select(_now())).scalar_one())
        source = {**_source(connection), **source}
        for table in EXPORTED_TABLES:
            counts[table.name] = _dump_table(connection, table, work, refs, taken_at)
    missing: list[dict[str, str]] = []
    files: dict[str, dict[str, Any]] = {}
    blob_bytes = 0
    with refs_path.open() as refs:
        for line in refs:
            key, image_id, gone = json.loads(line)
            copied = _copy_blob(engine, storage, work, key, image_id, gone=gone)
            if copied is None:
                if gone:
                    missing.append({"key": key, "image_id": image_id, "reason": "image deleted"})
                continue
            files[f"{BLOBS_DIR}/{key}"] = copied
            blob_bytes += copied["size"]
    refs_path.unlink()
    for table in EXPORTED_TABLES:
        name = f"{TABLES_DIR}/{table.name}.jsonl"
        sha256, size = file_digest(work / name)
        files[name] = {"sha256": sha256, "size": size}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "imgtree_version": importlib.metadata.version("imgtree"),
        "schema_revision": revision,
        "created_at": encode_value(taken_at),
        "source": source,
        "tables": counts,
        "skipped": {"tables": SKIPPED_TABLES, "blobs": SKIPPED_BLOBS},
        "missing_blobs": missing,
        "files": dict(sorted(files.items())),
    }
    with (work / MANIFEST).open("w") as out:
        json.dump(manifest, out, indent=1)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    blob_count = sum(1 for name in files if name.startswith(f"{BLOBS_DIR}/"))
    return ExportReport(work, counts, blob_count, blob_bytes, missing)


def _now() -> Any:
    from sqlalchemy import func

    return func.current_timestamp()


def _utc(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite answers CURRENT_TIMESTAMP as text, in UTC
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dump_table(
    connection: Connection, table: Any, work: Path, refs: Any, taken_at: datetime
) -> int:
    order = list(table.primary_key.columns)
    result = connection.execution_options(yield_per=_ROWS_PER_FETCH).execute(
        select(table).order_by(*order)
    )
    count = 0
    with (work / TABLES_DIR / f"{table.name}.jsonl").open("w") as out:
        for row in result.mappings():
            out.write(json.dumps({k: encode_value(v) for k, v in row.items()}) + "\n")
            count += 1
            if table is t.images:
                expires_at = row["expires_at"]
                gone = row["deleted_at"] is not None or (
                    expires_at is not None and expires_at <= taken_at
                )
                for key in (row["storage_key"], row["thumb_key"], row["original_key"]):
                    if key:
                        refs.write(json.dumps([key, str(row["id"]), gone]) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return count


def _copy_blob(
    engine: Engine,
    storage: BlobStorage,
    work: Path,
    key: str,
    image_id: str,
    *,
    gone: bool,
) -> dict[str, Any] | None:
    """Copy one blob into the export; its sha256 and size, or None when it was copied
    already (shared content) or is missing for an image the snapshot shows deleted."""
    target = blob_path(work, key)
    if target.exists():
        return None
    try:
        source = storage.open(key)
    except KeyError:
        if gone:
            return None
        raise BackupError(_missing_message(engine, key, image_id)) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    partial = target.with_name(f".{target.name}.tmp")
    with source, partial.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    partial.rename(target)
    return {"sha256": digest.hexdigest(), "size": size}


def _missing_message(engine: Engine, key: str, image_id: str) -> str:
    with engine.connect() as connection:
        row = connection.execute(
            select(t.images.c.deleted_at).where(t.images.c.id == uuid.UUID(image_id))
        ).first()
    if row is None or row.deleted_at is not None:
        return (
            f"blob {key} of image {image_id} vanished during the export: the image was"
            " deleted (and purged) after the snapshot; run the export again"
        )
    return (
        f"blob {key} of live image {image_id} is missing from storage: the source"
        " deployment has lost it; nothing was exported"
    )

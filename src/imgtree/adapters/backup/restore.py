"""`imgtree import DIR`: restore an export into an empty deployment, SQLite or Postgres,
local disk or S3.

1. Verify: the manifest's format, every listed file's size and sha256, no unlisted file, a
   row count per table. A tampered or truncated export is refused before anything is written.
2. Check the target: its schema at the export's revision, and every imgtree table empty.
3. Blobs first: every file under `blobs/` is put under its key (puts are idempotent, so a
   re-run after a failure puts them again).
4. Rows last, in foreign-key order, in ONE transaction that re-checks emptiness first: a
   failure leaves no row (and so no row pointing at a missing blob). Blobs a failed import
   put are unreferenced: `imgtree purge` sweeps them after its grace period, or a re-run
   reuses them.

Files are streamed, never read whole: memory stays bounded by a batch of rows.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from imgtree.adapters.backup.format import (
    BLOBS_DIR,
    EXPORTED_TABLES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    TABLES_DIR,
    BackupError,
    blob_path,
    decode_value,
    file_digest,
    walk_files,
)
from imgtree.adapters.sql import tables as t
from imgtree.adapters.storage.local import content_type_for
from imgtree.domain.ports import BlobStorage

_BATCH = 500
# Tables that must be empty in the target (rate-limit windows may already count requests).
_MUST_BE_EMPTY = (*EXPORTED_TABLES, t.sessions, t.pending_uploads)


@attrs.frozen
class ImportReport:
    rows: dict[str, int]
    blobs: int
    blob_bytes: int


def verify_export(directory: Path) -> dict[str, Any]:
    """The manifest of the export at `directory`, once every file checks out."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        partial = " (an unfinished export has no manifest)" if directory.is_dir() else ""
        raise BackupError(f"{directory} holds no imgtree export: no {MANIFEST}{partial}")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{manifest_path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path} is not an imgtree export manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"export format version {manifest.get('format_version')!r} is not supported"
            f" (this imgtree reads version {FORMAT_VERSION})"
        )
    files = manifest.get("files")
    counts = manifest.get("tables")
    if not isinstance(files, dict) or not isinstance(counts, dict):
        raise BackupError(f"{manifest_path} lists no files or tables")
    expected_tables = {table.name for table in EXPORTED_TABLES}
    if set(counts) != expected_tables:
        raise BackupError(
            f"the export's tables {sorted(counts)} are not this format's {sorted(expected_tables)}"
        )
    for name in expected_tables:
        if f"{TABLES_DIR}/{name}.jsonl" not in files:
            raise BackupError(f"the manifest lists no {TABLES_DIR}/{name}.jsonl")
    present = set(walk_files(directory)) - {MANIFEST}
    unlisted = sorted(present - set(files))
    if unlisted:
        raise BackupError(f"the export holds files its manifest does not list: {unlisted[:5]}")
    for name, expected in files.items():
        if not isinstance(expected, dict):
            raise BackupError(f"the manifest's entry for {name!r} is not an object")
        if not (name.startswith(f"{TABLES_DIR}/") or name.startswith(f"{BLOBS_DIR}/")):
            raise BackupError(f"the manifest lists {name!r}, outside tables/ and blobs/")
        if name.startswith(f"{BLOBS_DIR}/"):
            blob_path(directory, name.removeprefix(f"{BLOBS_DIR}/"))  # refuses odd keys
        path = directory / name
        if name not in present:
            raise BackupError(f"{name} is listed in the manifest but missing")
        sha256, size = file_digest(path)
        if size != expected.get("size") or not hmac.compare_digest(
            sha256, str(expected.get("sha256"))
        ):
            raise BackupError(f"{name} does not match its checksum: the export is damaged")
    return dict(manifest)


def import_snapshot(engine: Engine, storage: BlobStorage, directory: Path) -> ImportReport:
    """Restore the export at `directory` into the (migrated, empty) database at `engine`
    and into `storage`."""
    directory = Path(directory)
    manifest = verify_export(directory)
    with engine.connect() as connection:
        _check_revision(connection, str(manifest.get("schema_revision")))
        _check_empty(connection)
    blobs = 0
    blob_bytes = 0
    for name in manifest["files"]:
        if not name.startswith(f"{BLOBS_DIR}/"):
            continue
        key = name.removeprefix(f"{BLOBS_DIR}/")
        with blob_path(directory, key).open("rb") as source:
            storage.put(key, source, content_type_for(key))
        blobs += 1
        blob_bytes += int(manifest["files"][name]["size"])
    rows: dict[str, int] = {}
    with engine.begin() as connection:  # SQLite: BEGIN IMMEDIATE (the write lock up front)
        _check_empty(connection)
        for table in EXPORTED_TABLES:
            rows[table.name] = _load_table(connection, table, directory)
            if rows[table.name] != manifest["tables"][table.name]:
                raise BackupError(
                    f"{table.name}: {rows[table.name]} rows in the file, the manifest says"
                    f" {manifest['tables'][table.name]}; nothing was imported"
                )
    return ImportReport(rows, blobs, blob_bytes)


def _check_revision(connection: Connection, expected: str) -> None:
    try:
        current = ",".join(
            sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        )
    except SQLAlchemyError:  # no alembic_version table: never migrated
        current = ""
    if current != expected:
        raise BackupError(
            f"the export is at schema revision {expected}, the target database at"
            f" {current or 'none'}: import with the imgtree release that made the export"
            " (then upgrade), into a database migrated by that release"
        )


def _check_empty(connection: Connection) -> None:
    for table in _MUST_BE_EMPTY:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            raise BackupError(
                f"the target database is not empty ({table.name} has {count} rows): import"
                " into a new, migrated database"
            )


def _load_table(connection: Connection, table: Any, directory: Path) -> int:
    columns = {column.name: column for column in table.columns}
    count = 0
    for batch in _batches(directory / TABLES_DIR / f"{table.name}.jsonl"):
        values = []
        for document in batch:
            if not isinstance(document, dict) or set(document) - set(columns):
                raise BackupError(f"{table.name}: a row with unknown columns; nothing imported")
            try:
                values.append({k: decode_value(columns[k], v) for k, v in document.items()})
            except (TypeError, ValueError) as exc:
                raise BackupError(f"{table.name}: a bad value ({exc}); nothing imported") from None
        connection.execute(table.insert(), values)
        count += len(values)
    return count


def _batches(path: Path) -> Iterator[list[Any]]:
    batch: list[Any] = []
    with path.open() as lines:
        for number, line in enumerate(lines, 1):
            try:
                batch.append(json.loads(line))
            except ValueError:
                raise BackupError(
                    f"{path.name} line {number} is not JSON; nothing imported"
                ) from None
            if len(batch) >= _BATCH:
                yield batch
                batch = []
    if batch:
        yield batch

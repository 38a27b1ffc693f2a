"""The export format: which tables and blobs a snapshot holds, how rows become JSON lines,
and how files are checksummed.

    DIR/manifest.json             written last: format, versions, counts, every file's sha256
    DIR/tables/<table>.jsonl      one JSON object per row, in primary-key order
    DIR/blobs/<storage key>       the bytes of every blob the rows reference

Values are portable: datetimes as ISO 8601 UTC (`2026-01-01T12:00:00Z`), UUIDs as their
canonical text, bytes as base64, integers, strings, booleans and null as themselves, so an
export from SQLite imports into Postgres and back.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, LargeBinary, Table, Uuid

from imgtree.adapters.sql import tables as t
from imgtree.adapters.sql.tables import UtcDateTime

FORMAT = "imgtree-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "tables"
BLOBS_DIR = "blobs"
CHUNK = 1 << 20

# The data, in foreign-key order (parents first): inserted in this order on import.
EXPORTED_TABLES: tuple[Table, ...] = (
    t.users,
    t.api_keys,  # hashed secrets, as they are: every key authenticates after a move
    t.albums,
    t.images,  # live, soft-deleted (the retention still applies) and expired alike
    t.blobs,  # the reference counts of shared content
    t.blocked_hashes,
    t.reports,
    t.audit_log,
)

# Transient state, left out on purpose (docs/backups.md).
SKIPPED_TABLES: dict[str, str] = {
    "sessions": "browser sessions: everyone signs in again after a restore",
    "pending_uploads": "presigned uploads in flight: their clients start again",
    "rate_limit_windows": "rate-limit counters: they restart at zero",
}
SKIPPED_BLOBS = (
    "renditions/ (resized copies, made again on first request);"
    " uploads/ (raw bytes of presigned uploads in flight)"
)


class BackupError(Exception):
    """An export or import refused or failed; the message says why and what to do."""


def encode_value(value: Any) -> Any:
    """A column value as a portable JSON value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot export a value of type {type(value).__name__}")


def decode_value(column: Column[Any], value: Any) -> Any:
    """A portable JSON value back as what `column` stores."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UtcDateTime):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(f"{column.table.name}.{column.name}: datetime without a zone")
        return moment.astimezone(UTC)
    if isinstance(kind, Uuid):
        return uuid.UUID(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value, validate=True)
    return value


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def blob_path(root: Path, key: str) -> Path:
    """Where the blob `key` lives under an export's `blobs/` directory; a key that could
    name anything outside it is refused."""
    segments = key.split("/")
    if not key or "\\" in key or "\x00" in key or any(not s or s.startswith(".") for s in segments):
        raise BackupError(f"refusing the storage key {key!r}: not an imgtree key")
    return root.joinpath(BLOBS_DIR, *segments)


def walk_files(root: Path) -> Iterator[str]:
    """Every file under `root`, as a relative POSIX path."""
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            yield Path(dirpath, name).relative_to(root).as_posix()

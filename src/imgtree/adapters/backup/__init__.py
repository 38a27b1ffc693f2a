"""Backups and moves: `imgtree export DIR` and `imgtree import DIR` (docs/backups.md).

A snapshot is the database's rows as portable JSON lines plus the blobs they reference, with
a manifest of checksums; it restores into an empty deployment of either backend.
"""

from imgtree.adapters.backup.export import ExportReport, export_snapshot
from imgtree.adapters.backup.format import BackupError
from imgtree.adapters.backup.restore import ImportReport, import_snapshot, verify_export

__all__ = [
    "BackupError",
    "ExportReport",
    "ImportReport",
    "export_snapshot",
    "import_snapshot",
    "verify_export",
]

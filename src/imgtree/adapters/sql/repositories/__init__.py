"""Repositories over SQLAlchemy Core: rows in, domain objects out, mapped explicitly.

All of them work inside the caller's Connection transaction (the unit of work owns commit).
Inserts and updates run in a SAVEPOINT, so a constraint violation becomes `Conflict` and
leaves the surrounding unit of work usable, as the in-memory adapter would be.

    base             the shared plumbing (guarded writes, prebuilt key lookups, snapshots)
    mapping          rows to domain objects and back
    users, api_keys, albums, images, pending_uploads, sessions
                     one repository each
    blobs            references to shared stored content
    blocked_hashes   the moderators' block list of content digests
    reports          visitors' reports of images (the moderators' queue)
    audit            the audit log
    stats            the admin dashboard's aggregates
"""

from imgtree.adapters.sql.repositories.albums import SqlAlbumRepository
from imgtree.adapters.sql.repositories.api_keys import SqlApiKeyRepository
from imgtree.adapters.sql.repositories.audit import SqlAuditLog
from imgtree.adapters.sql.repositories.blobs import SqlBlobRepository
from imgtree.adapters.sql.repositories.blocked_hashes import SqlBlockedHashRepository
from imgtree.adapters.sql.repositories.images import SqlImageRepository
from imgtree.adapters.sql.repositories.pending_uploads import SqlPendingUploadRepository
from imgtree.adapters.sql.repositories.reports import SqlReportRepository
from imgtree.adapters.sql.repositories.sessions import SqlSessionRepository
from imgtree.adapters.sql.repositories.stats import SqlStats
from imgtree.adapters.sql.repositories.users import SqlUserRepository

__all__ = [
    "SqlAlbumRepository",
    "SqlApiKeyRepository",
    "SqlAuditLog",
    "SqlBlobRepository",
    "SqlBlockedHashRepository",
    "SqlImageRepository",
    "SqlPendingUploadRepository",
    "SqlReportRepository",
    "SqlSessionRepository",
    "SqlStats",
    "SqlUserRepository",
]

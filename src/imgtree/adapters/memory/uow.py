"""In-memory repositories and unit of work.

A unit of work holds the store's lock from enter to exit and works on a copy of its tables,
so it is serialisable and `rollback` (or leaving without `commit`) discards everything.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import attrs

from imgtree.domain.commands import PLAIN_QUERY, ImageQuery, ImageSort, ModerationQuery
from imgtree.domain.errors import Conflict, QuotaExceeded
from imgtree.domain.model import (
    Album,
    ApiKey,
    AuditEntry,
    BlockedHash,
    Image,
    PendingUpload,
    Report,
    Role,
    Session,
    User,
)
from imgtree.domain.ports import ImageStats, OpenUploads, ViewCount


@attrs.define
class _Tables:
    users: dict[uuid.UUID, User] = attrs.Factory(dict)
    api_keys: dict[uuid.UUID, ApiKey] = attrs.Factory(dict)
    albums: dict[uuid.UUID, Album] = attrs.Factory(dict)
    images: dict[uuid.UUID, Image] = attrs.Factory(dict)
    pending_uploads: dict[uuid.UUID, PendingUpload] = attrs.Factory(dict)
    blobs: dict[str, int] = attrs.Factory(dict)  # content stem -> references
    # sha256 -> (reason, image id, when)
    blocked_hashes: dict[str, tuple[str, uuid.UUID | None, datetime]] = attrs.Factory(dict)
    reports: dict[uuid.UUID, Report] = attrs.Factory(dict)
    sessions: dict[uuid.UUID, Session] = attrs.Factory(dict)
    audit: list[AuditEntry] = attrs.Factory(list)

    def copy(self) -> _Tables:
        return _Tables(
            users=dict(self.users),
            api_keys=dict(self.api_keys),
            albums=dict(self.albums),
            images=dict(self.images),
            pending_uploads=dict(self.pending_uploads),
            blobs=dict(self.blobs),
            blocked_hashes=dict(self.blocked_hashes),
            reports=dict(self.reports),
            sessions=dict(self.sessions),
            audit=list(self.audit),
        )


class MemoryStore:
    """The shared state behind every MemoryUnitOfWork made from it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables = _Tables()


class _UserRepo:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, user: User) -> None:
        if user.id in self._t.users or self.get_by_email(user.email) is not None:
            raise Conflict("A user with this email already exists")
        self._t.users[user.id] = user

    def get(self, user_id: uuid.UUID) -> User | None:
        return self._t.users.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        email = email.strip().lower()
        return next((u for u in self._t.users.values() if u.email == email), None)

    def update(self, user: User) -> None:
        current = self._t.users.get(user.id)
        if current is not None:  # usage is the repository's to keep
            self._t.users[user.id] = attrs.evolve(user, used_bytes=current.used_bytes)

    def use_second_factor(self, before: User, after: User) -> bool:
        current = self._t.users.get(before.id)
        if current is None or (current.totp_last_step, current.recovery_codes) != (
            before.totp_last_step,
            before.recovery_codes,
        ):
            return False
        self._t.users[before.id] = attrs.evolve(
            current, totp_last_step=after.totp_last_step, recovery_codes=after.recovery_codes
        )
        return True

    def _matching(self, query: str) -> list[User]:
        q = query.strip().lower()
        found = [u for u in self._t.users.values() if q in u.email or q in u.name.lower()]
        return sorted(found, key=lambda u: (u.created_at, u.id))

    def search(self, query: str, *, offset: int, limit: int) -> list[User]:
        return self._matching(query)[offset : offset + limit]

    def count_search(self, query: str) -> int:
        return len(self._matching(query))

    def count_active_admins(self) -> int:
        return sum(1 for u in self._t.users.values() if u.role is Role.ADMIN and u.active)

    def counts(self) -> tuple[int, int]:
        users = self._t.users.values()
        return len(users), sum(1 for u in users if u.active)


class _ApiKeyRepo:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, key: ApiKey) -> None:
        if key.id in self._t.api_keys or self.get_by_prefix(key.prefix) is not None:
            raise Conflict("API key already exists")
        self._t.api_keys[key.id] = key

    def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return self._t.api_keys.get(key_id)

    def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return next((k for k in self._t.api_keys.values() if k.prefix == prefix), None)

    def list_for_user(self, user_id: uuid.UUID) -> list[ApiKey]:
        keys = [k for k in self._t.api_keys.values() if k.user_id == user_id]
        return sorted(keys, key=lambda k: (k.created_at, str(k.id)), reverse=True)

    def update(self, key: ApiKey) -> None:
        if key.id in self._t.api_keys:
            self._t.api_keys[key.id] = key

    def increment_uploads(self, key_id: uuid.UUID, by: int) -> None:
        key = self._t.api_keys.get(key_id)
        if key is not None:
            self._t.api_keys[key_id] = attrs.evolve(key, upload_count=key.upload_count + by)


class _AlbumRepo:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, album: Album) -> None:
        if album.id in self._t.albums:
            raise Conflict("Album already exists")
        self._t.albums[album.id] = album

    def get(self, album_id: uuid.UUID) -> Album | None:
        return self._t.albums.get(album_id)

    def list_for_owner(self, owner_id: uuid.UUID) -> list[Album]:
        mine = [a for a in self._t.albums.values() if a.owner_id == owner_id]
        return sorted(mine, key=lambda a: (a.created_at, a.id), reverse=True)

    def update(self, album: Album) -> None:
        if album.id in self._t.albums:
            self._t.albums[album.id] = album

    def remove(self, album_id: uuid.UUID) -> None:
        if self._t.albums.pop(album_id, None) is None:
            return
        for image in list(self._t.images.values()):  # ON DELETE SET NULL
            if image.album_id == album_id:
                self._t.images[image.id] = attrs.evolve(image, album_id=None)
        for pending in list(self._t.pending_uploads.values()):  # ON DELETE SET NULL too
            if pending.album_id == album_id:
                self._t.pending_uploads[pending.id] = attrs.evolve(pending, album_id=None)


def _queried(live: list[Image], query: ImageQuery) -> list[Image]:
    """The gallery query over an owner's live images, as the SQL adapter runs it."""
    needle = query.needle
    found = [
        i
        for i in live
        if (query.visibility is None or i.visibility is query.visibility)
        and (query.content_type is None or i.content_type is query.content_type)
        and (not needle or needle in i.original_name.lower() or needle in i.title.lower())
    ]
    if query.sort is ImageSort.OLDEST:
        found.sort(key=lambda i: (i.created_at, i.id))
    elif query.sort is ImageSort.SIZE:
        found.sort(key=lambda i: (i.size_bytes, i.id), reverse=True)
    elif query.sort is ImageSort.NAME:
        found.sort(key=lambda i: (i.original_name.lower(), i.id))
    else:
        found.sort(key=lambda i: (i.created_at, i.id), reverse=True)
    return found


class _ImageRepo:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, image: Image) -> None:
        if image.id in self._t.images or self.slug_exists(image.slug):
            raise Conflict("Image already exists")
        if image.owner_id is not None and not image.deleted:
            self._use(image.owner_id, image.charged_bytes)
        self._t.images[image.id] = image

    def _use(self, owner_id: uuid.UUID, size: int) -> None:
        owner = self._t.users.get(owner_id)
        if owner is None:
            raise Conflict("The image's owner does not exist")
        used = max(0, owner.used_bytes + size)
        if size > 0 and owner.quota_bytes is not None and used > owner.quota_bytes:
            raise QuotaExceeded.over_quota(
                used=owner.used_bytes, quota=owner.quota_bytes, needed=size
            )
        self._t.users[owner_id] = attrs.evolve(owner, used_bytes=used)

    def get(self, image_id: uuid.UUID) -> Image | None:
        return self._t.images.get(image_id)

    def get_by_slug(self, slug: str) -> Image | None:
        return next((i for i in self._t.images.values() if i.slug == slug and not i.deleted), None)

    def slug_exists(self, slug: str) -> bool:
        return any(i.slug == slug for i in self._t.images.values())

    def _live_for(
        self,
        owner_id: uuid.UUID,
        album_id: uuid.UUID | None = None,
        public_only: bool = False,
        listed_only: bool = False,
        now: datetime | None = None,
    ) -> list[Image]:
        return [
            i
            for i in self._t.images.values()
            if i.owner_id == owner_id
            and not i.deleted
            and (now is None or not i.expired(now))
            and (album_id is None or i.album_id == album_id)
            and (i.is_public or not (public_only or listed_only))
            and (i.listed or not listed_only)
            and not (i.hidden and (public_only or listed_only))
        ]

    def list_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        offset: int,
        limit: int,
        album_id: uuid.UUID | None = None,
        public_only: bool = False,
        listed_only: bool = False,
        query: ImageQuery = PLAIN_QUERY,
        now: datetime | None = None,
    ) -> list[Image]:
        live = sorted(
            self._live_for(owner_id, album_id, public_only, listed_only, now),
            key=lambda i: (i.created_at, i.id),
            reverse=True,
        )
        if not query.plain:
            return _queried(live, query)[offset : offset + limit]
        if album_id is not None:  # arranged first, in order; the rest newest first (stable)
            live.sort(key=lambda i: (i.album_position is None, i.album_position or 0))
        return live[offset : offset + limit]

    def count_for_owner(
        self,
        owner_id: uuid.UUID,
        *,
        album_id: uuid.UUID | None = None,
        public_only: bool = False,
        listed_only: bool = False,
        query: ImageQuery = PLAIN_QUERY,
        now: datetime | None = None,
    ) -> int:
        live = self._live_for(owner_id, album_id, public_only, listed_only, now)
        return len(live if query.plain else _queried(live, query))

    def update(self, image: Image) -> None:
        current = self._t.images.get(image.id)
        if current is not None:  # the counts are add_views', `hidden` set_hidden's to keep
            self._t.images[image.id] = attrs.evolve(
                image,
                page_views=current.page_views,
                media_hits=current.media_hits,
                hidden=current.hidden,
            )

    def add_views(self, counts: Mapping[str, ViewCount]) -> None:
        by_slug = {i.slug: i for i in self._t.images.values() if i.slug in counts}
        for slug, count in counts.items():
            image = by_slug.get(slug)
            if image is not None:
                self._t.images[image.id] = attrs.evolve(
                    image,
                    page_views=image.page_views + count.page_views,
                    media_hits=image.media_hits + count.media_hits,
                )

    def bytes_for_owner(self, owner_id: uuid.UUID) -> int:
        return sum(i.charged_bytes for i in self._live_for(owner_id))

    def assign_owner(self, image_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        image = self._t.images.get(image_id)
        if image is None or image.deleted or image.owner_id is not None:
            return False
        self._use(owner_id, image.charged_bytes)
        self._t.images[image_id] = attrs.evolve(image, owner_id=owner_id)
        return True

    def mark_deleted(self, image_id: uuid.UUID, at: datetime) -> bool:
        image = self._t.images.get(image_id)
        if image is None or image.deleted:
            return False
        self._t.images[image_id] = attrs.evolve(image, deleted_at=at)
        if image.owner_id is not None:
            self._use(image.owner_id, -image.charged_bytes)
        return True

    def list_deleted_before(self, at: datetime, *, limit: int) -> list[Image]:
        gone = [i for i in self._t.images.values() if i.deleted_at and i.deleted_at < at]
        return sorted(gone, key=lambda i: (i.deleted_at, i.id))[:limit]

    def list_expired(self, now: datetime, *, limit: int) -> list[Image]:
        gone = [i for i in self._t.images.values() if i.is_live and i.expired(now)]
        return sorted(gone, key=lambda i: (i.expires_at, i.id))[:limit]

    def list_without_placeholder(self, *, after: uuid.UUID | None, limit: int) -> list[Image]:
        missing = [
            i
            for i in self._t.images.values()
            if i.is_live and i.blurhash is None and (after is None or i.id > after)
        ]
        return sorted(missing, key=lambda i: i.id)[:limit]

    def remove(self, image_id: uuid.UUID) -> None:
        self._t.images.pop(image_id, None)

    def _moderated(self, query: ModerationQuery) -> list[Image]:
        text = query.text.casefold()
        reported = {r.image_id for r in self._t.reports.values() if r.is_open}
        return [
            i
            for i in self._t.images.values()
            if not i.deleted
            and (not text or any(text in f.casefold() for f in (i.title, i.original_name, i.slug)))
            and (query.owner_id is None or i.owner_id == query.owner_id)
            and (not query.guests_only or i.owner_id is None)
            and (not query.reported_only or i.id in reported)
        ]

    def search_all(self, query: ModerationQuery, *, offset: int, limit: int) -> list[Image]:
        found = sorted(self._moderated(query), key=lambda i: (i.created_at, i.id), reverse=True)
        return found[offset : offset + limit]

    def count_all(self, query: ModerationQuery) -> int:
        return len(self._moderated(query))

    def set_hidden(self, image_id: uuid.UUID, hidden: bool) -> bool:
        image = self._t.images.get(image_id)
        if image is None or image.deleted:
            return False
        self._t.images[image_id] = attrs.evolve(image, hidden=hidden)
        return True

    def count_live_with_key(self, storage_key: str) -> int:
        return sum(
            1 for i in self._t.images.values() if i.storage_key == storage_key and not i.deleted
        )


class _BlobRepo:
    """The store's lock, held by the unit of work from enter to exit, is every row's lock."""

    def __init__(self, t: _Tables) -> None:
        self._t = t

    def acquire(self, stem: str) -> int:
        self._t.blobs[stem] = self._t.blobs.get(stem, 0) + 1
        return self._t.blobs[stem]

    def release(self, stem: str) -> int:
        left = max(self._t.blobs.get(stem, 0) - 1, 0)
        if left:
            self._t.blobs[stem] = left
        else:
            self._t.blobs.pop(stem, None)
        return left

    def lock(self, stem: str) -> int:
        return self._t.blobs.setdefault(stem, 0)

    def forget(self, stem: str) -> None:
        if self._t.blobs.get(stem) == 0:
            del self._t.blobs[stem]

    def refs(self, stem: str) -> int:
        return self._t.blobs.get(stem, 0)


class _ReportRepo:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, report: Report) -> bool:
        if report.id in self._t.reports:
            raise Conflict("Report already exists")
        if any(
            r.is_open and r.image_id == report.image_id and r.reporter_hash == report.reporter_hash
            for r in self._t.reports.values()
        ):
            return False
        self._t.reports[report.id] = report
        return True

    def get(self, report_id: uuid.UUID) -> Report | None:
        return self._t.reports.get(report_id)

    def dismiss(self, report_id: uuid.UUID, at: datetime) -> bool:
        report = self._t.reports.get(report_id)
        if report is None or not report.is_open:
            return False
        self._t.reports[report_id] = attrs.evolve(report, dismissed_at=at)
        return True

    def dismiss_for_image(self, image_id: uuid.UUID, at: datetime) -> int:
        open_ = [r for r in self._t.reports.values() if r.is_open and r.image_id == image_id]
        for r in open_:
            self._t.reports[r.id] = attrs.evolve(r, dismissed_at=at)
        return len(open_)

    def _latest_by_image(self) -> list[tuple[datetime, uuid.UUID]]:
        latest: dict[uuid.UUID, datetime] = {}
        for r in self._t.reports.values():
            if r.is_open and (r.image_id not in latest or r.created_at > latest[r.image_id]):
                latest[r.image_id] = r.created_at
        return sorted(((at, i) for i, at in latest.items()), reverse=True)

    def open_image_ids(self, *, offset: int, limit: int) -> list[uuid.UUID]:
        return [i for _, i in self._latest_by_image()[offset : offset + limit]]

    def count_open_images(self) -> int:
        return len(self._latest_by_image())

    def open_for_images(self, image_ids: Sequence[uuid.UUID]) -> list[Report]:
        wanted = set(image_ids)
        found = [r for r in self._t.reports.values() if r.is_open and r.image_id in wanted]
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    def open_counts(self, image_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        counts: dict[uuid.UUID, int] = {}
        wanted = set(image_ids)
        for r in self._t.reports.values():
            if r.is_open and r.image_id in wanted:
                counts[r.image_id] = counts.get(r.image_id, 0) + 1
        return counts


class _BlockedHashRepo:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, sha256: str, *, reason: str, image_id: uuid.UUID | None, at: datetime) -> bool:
        if sha256 in self._t.blocked_hashes:
            return False
        self._t.blocked_hashes[sha256] = (reason, image_id, at)
        return True

    def any_of(self, digests: Sequence[str]) -> bool:
        return any(d in self._t.blocked_hashes for d in digests)

    def count(self) -> int:
        return len(self._t.blocked_hashes)

    def list_page(self, *, offset: int, limit: int) -> list[BlockedHash]:
        rows = [BlockedHash(d, r, i, at) for d, (r, i, at) in self._t.blocked_hashes.items()]
        rows.sort(key=lambda b: b.sha256)
        rows.sort(key=lambda b: b.created_at, reverse=True)
        return rows[offset : offset + limit]

    def remove(self, sha256: str) -> BlockedHash | None:
        row = self._t.blocked_hashes.pop(sha256, None)
        return None if row is None else BlockedHash(sha256, *row)


class _PendingUploadRepo:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, pending: PendingUpload) -> None:
        if pending.id in self._t.pending_uploads or self.get_by_completion_hash(
            pending.completion_token_hash
        ):
            raise Conflict("Upload already exists")
        self._t.pending_uploads[pending.id] = pending

    def get(self, pending_id: uuid.UUID) -> PendingUpload | None:
        return self._t.pending_uploads.get(pending_id)

    def get_by_completion_hash(self, token_hash: str) -> PendingUpload | None:
        return next(
            (p for p in self._t.pending_uploads.values() if p.completion_token_hash == token_hash),
            None,
        )

    def mark_received(self, pending_id: uuid.UUID, at: datetime) -> bool:
        pending = self._t.pending_uploads.get(pending_id)
        if pending is None or pending.received_at is not None:
            return False
        self._t.pending_uploads[pending_id] = attrs.evolve(pending, received_at=at)
        return True

    def reset_received(self, pending_id: uuid.UUID) -> None:
        pending = self._t.pending_uploads.get(pending_id)
        if pending is not None:
            self._t.pending_uploads[pending_id] = attrs.evolve(pending, received_at=None)

    def claim(self, pending_id: uuid.UUID, at: datetime) -> bool:
        pending = self._t.pending_uploads.get(pending_id)
        if pending is None or pending.claimed_at is not None:
            return False
        self._t.pending_uploads[pending_id] = attrs.evolve(pending, claimed_at=at)
        return True

    def set_image(self, pending_id: uuid.UUID, image_id: uuid.UUID) -> None:
        pending = self._t.pending_uploads.get(pending_id)
        if pending is not None:
            self._t.pending_uploads[pending_id] = attrs.evolve(pending, image_id=image_id)

    def list_stale(self, before: datetime, *, limit: int) -> list[PendingUpload]:
        stale = [p for p in self._t.pending_uploads.values() if p.expires_at < before]
        return sorted(stale, key=lambda p: (p.expires_at, p.id))[:limit]

    def remove(self, pending_id: uuid.UUID) -> None:
        self._t.pending_uploads.pop(pending_id, None)

    def count_open(self, now: datetime) -> int:
        return sum(
            1
            for p in self._t.pending_uploads.values()
            if p.claimed_at is None and p.expires_at > now
        )

    def open_for_owner(self, owner_id: uuid.UUID, now: datetime) -> OpenUploads:
        return _open((p for p in self._t.pending_uploads.values() if p.owner_id == owner_id), now)

    def open_for_guest(self, address: str | None, now: datetime) -> OpenUploads:
        return _open(
            (
                p
                for p in self._t.pending_uploads.values()
                if p.owner_id is None and p.address == address
            ),
            now,
        )


def _open(uploads: Iterable[PendingUpload], now: datetime) -> OpenUploads:
    live = [p for p in uploads if p.is_open(now)]
    return OpenUploads(
        count=len(live),
        declared_bytes=sum(p.declared_size for p in live),
        first_expiry=min((p.expires_at for p in live), default=None),
    )


class _SessionRepo:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, session: Session) -> None:
        if session.id in self._t.sessions or self.get_by_token_hash(session.token_hash):
            raise Conflict("Session already exists")
        self._t.sessions[session.id] = session

    def get(self, session_id: uuid.UUID) -> Session | None:
        return self._t.sessions.get(session_id)

    def get_by_token_hash(self, token_hash: str) -> Session | None:
        return next((s for s in self._t.sessions.values() if s.token_hash == token_hash), None)

    def list_active_for_user(self, user_id: uuid.UUID, now: datetime) -> list[Session]:
        mine = [s for s in self._t.sessions.values() if s.user_id == user_id and s.valid(now)]
        return sorted(sorted(mine, key=lambda s: s.id), key=lambda s: s.created_at, reverse=True)

    def update(self, session: Session) -> None:
        if session.id in self._t.sessions:
            self._t.sessions[session.id] = session

    def revoke_all_for_user(
        self, user_id: uuid.UUID, at: datetime, *, except_id: uuid.UUID | None = None
    ) -> int:
        count = 0
        for s in list(self._t.sessions.values()):
            if s.user_id == user_id and s.revoked_at is None and s.id != except_id:
                self._t.sessions[s.id] = attrs.evolve(s, revoked_at=at)
                count += 1
        return count


class _AuditLog:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def add(self, entry: AuditEntry) -> None:
        self._t.audit.append(entry)

    def list(self, *, offset: int, limit: int) -> list[AuditEntry]:
        newest = sorted(self._t.audit, key=lambda e: (e.created_at, e.id), reverse=True)
        return newest[offset : offset + limit]

    def count(self) -> int:
        return len(self._t.audit)


class _Stats:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def image_stats(self, now: datetime, *, days: int = 30, top: int = 10) -> ImageStats:
        live = [i for i in self._t.images.values() if not i.deleted]
        everything = list(self._t.images.values())  # uploads count even if since deleted

        def since(d: int) -> int:
            return sum(1 for i in everything if i.created_at > now - timedelta(days=d))

        by_type: dict[str, int] = {}
        for i in live:
            by_type[i.content_type.value] = by_type.get(i.content_type.value, 0) + 1
        per_user: dict[uuid.UUID, tuple[int, int]] = {}
        for i in live:
            if i.owner_id is not None:
                n, b = per_user.get(i.owner_id, (0, 0))
                per_user[i.owner_id] = (n + 1, b + i.charged_bytes)
        top_list = sorted(per_user.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))[:top]
        start = (now - timedelta(days=days - 1)).astimezone(UTC).date()
        per_day: dict[str, tuple[int, int]] = {
            (start + timedelta(days=k)).isoformat(): (0, 0) for k in range(days)
        }
        for i in everything:
            day = i.created_at.astimezone(UTC).date().isoformat()  # UTC days, as in SQL
            if day in per_day:
                n, b = per_day[day]
                per_day[day] = (n + 1, b + i.charged_bytes)
        return ImageStats(
            images=len(live),
            bytes_stored=sum(i.charged_bytes for i in live),
            uploads_24h=since(1),
            uploads_7d=since(7),
            uploads_30d=since(30),
            guest_uploads=sum(1 for i in everything if i.owner_id is None),
            account_uploads=sum(1 for i in everything if i.owner_id is not None),
            by_type=by_type,
            top_uploaders=[
                (uid, self._t.users[uid].email if uid in self._t.users else "", n, b)
                for uid, (n, b) in top_list
            ],
            per_day=[(day, n, b) for day, (n, b) in per_day.items()],
            bytes_in_storage=sum({i.storage_key: i.size_bytes for i in everything}.values()),
        )


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore, *, read_only: bool = False) -> None:
        self._store = store
        self._read_only = read_only
        self._work: _Tables | None = None

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        self._work = self._store.tables.copy()
        self.users = _UserRepo(self._work)
        self.api_keys = _ApiKeyRepo(self._work)
        self.albums = _AlbumRepo(self._work)
        self.images = _ImageRepo(self._work)
        self.pending_uploads = _PendingUploadRepo(self._work)
        self.blobs = _BlobRepo(self._work)
        self.blocked_hashes = _BlockedHashRepo(self._work)
        self.reports = _ReportRepo(self._work)
        self.sessions = _SessionRepo(self._work)
        self.audit = _AuditLog(self._work)
        self.stats = _Stats(self._work)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._work = None
        self._store.lock.release()

    def commit(self) -> None:
        if self._work is None:
            raise RuntimeError("commit outside the unit of work")
        if self._read_only:  # as the SQL adapter: a read-only unit of work never commits
            raise RuntimeError("commit in a read-only unit of work")
        self._store.tables = self._work.copy()

    def rollback(self) -> None:
        if self._work is not None:
            self._work = self._store.tables.copy()
            self.users = _UserRepo(self._work)
            self.api_keys = _ApiKeyRepo(self._work)
            self.albums = _AlbumRepo(self._work)
            self.images = _ImageRepo(self._work)
            self.pending_uploads = _PendingUploadRepo(self._work)
            self.blobs = _BlobRepo(self._work)
            self.blocked_hashes = _BlockedHashRepo(self._work)
            self.reports = _ReportRepo(self._work)
            self.sessions = _SessionRepo(self._work)
            self.audit = _AuditLog(self._work)
            self.stats = _Stats(self._work)


def memory_uow_factory(store: MemoryStore) -> Callable[..., MemoryUnitOfWork]:
    def make(*, read_only: bool = False) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(store, read_only=read_only)  # serialisable either way

    return make

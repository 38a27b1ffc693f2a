"""Moderation: admins list every image (guests' too), hide, unhide and remove them, optionally
putting the content on the block list; visitors report images into the admins' queue.

Every moderator action is audited in the transaction that makes it. The block list holds
exact SHA-256 digests, never perceptual hashes (docs/decisions.md, "Moderation").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from typing import Any

import attrs

from imgtree.domain.commands import ModerationQuery
from imgtree.domain.errors import InvalidInput, NotFound, RateLimited
from imgtree.domain.model import (
    MAX_REPORT_TEXT,
    AuditEntry,
    BlockedHash,
    Image,
    Page,
    Report,
    ReportReason,
    User,
)
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import (
    AddressHasher,
    BlobStorage,
    Clock,
    RateLimiter,
    SecureRandom,
    UnitOfWork,
    UnitOfWorkFactory,
)
from imgtree.domain.rules import IMAGE_NOT_FOUND
from imgtree.domain.services.shared_blobs import stem_of
from imgtree.domain.use_cases.admin import MAX_QUERY, Admin
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.list_images import page_window
from imgtree.domain.use_cases.view_image import ViewImage

MAX_REASON_NOTE = 500  # the moderator's note on a removal, kept in the audit log and list
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20
# Control characters other than tab and newline: a report's text is shown in the admin page
# (escaped), and is kept as plain text without invisible bytes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@attrs.frozen
class ModeratedImage:
    image: Image
    owner: User | None
    open_reports: int


@attrs.frozen
class ReportedImage:
    """One row of the report queue: an image and its open reports, newest first. `image` is
    None when the image was deleted or purged since (its reports then await dismissal)."""

    image_id: uuid.UUID
    image: Image | None
    reports: tuple[Report, ...]


def clean_report_text(text: str) -> str:
    """The visitor's note: control characters dropped, at most MAX_REPORT_TEXT characters."""
    cleaned = _CONTROL.sub("", text).strip()
    if len(cleaned) > MAX_REPORT_TEXT:
        raise InvalidInput(f"text must be at most {MAX_REPORT_TEXT} characters")
    return cleaned


def report_reason(value: object) -> ReportReason:
    try:
        return ReportReason(str(value))
    except ValueError:
        choices = ", ".join(r.value for r in ReportReason)
        raise InvalidInput(f"reason must be one of: {choices}") from None


@attrs.define
class Moderation:
    admin: Admin  # who may moderate (role, two-factor rule)
    uow: UnitOfWorkFactory
    clock: Clock
    random: SecureRandom
    storage: BlobStorage
    deleter: DeleteImage
    addresses: AddressHasher
    limiter: RateLimiter
    view_image: ViewImage  # who may see an image may report it, as its page decides
    paging: PagePolicy = attrs.Factory(PagePolicy)
    # Reports per client address per hour (IMGTREE_REPORT_LIMIT_PER_HOUR).
    report_limit: int = 10
    report_window_seconds: int = 3600

    # --- admins ------------------------------------------------------------------------------

    def images(
        self,
        actor: User | None,
        query: ModerationQuery,
        *,
        page: int | None = None,
        limit: int | None = None,
    ) -> Page[ModeratedImage]:
        self.admin.authorise(actor)
        query = attrs.evolve(query, text=query.text.strip()[:MAX_QUERY])
        page, limit = page_window(page, limit, self.paging)
        with self.uow(read_only=True) as uow:
            total = uow.images.count_all(query)
            found = uow.images.search_all(query, offset=(page - 1) * limit, limit=limit)
            counts = uow.reports.open_counts([i.id for i in found])
            owners = self._owners(uow, found)
        items = tuple(
            ModeratedImage(i, owners.get(i.owner_id) if i.owner_id else None, counts.get(i.id, 0))
            for i in found
        )
        return Page(items, page, limit, total)

    @staticmethod
    def _owners(uow: UnitOfWork, found: list[Image]) -> dict[uuid.UUID, User]:
        owners: dict[uuid.UUID, User] = {}
        for owner_id in {i.owner_id for i in found if i.owner_id is not None}:
            user = uow.users.get(owner_id)
            if user is not None:
                owners[owner_id] = user
        return owners

    def set_hidden(self, actor: User | None, image_id: uuid.UUID, hidden: bool) -> Image:
        """Hide (not found for everyone but admins) or unhide a live image; audited."""
        admin = self.admin.authorise(actor)
        with self.uow() as uow:
            image = uow.images.get(image_id)
            if image is None or not uow.images.set_hidden(image_id, hidden):
                raise NotFound(IMAGE_NOT_FOUND)
            self._audit(uow, admin, "image.hide" if hidden else "image.unhide", image, {})
            uow.commit()
        return attrs.evolve(image, hidden=hidden)

    def delete(
        self, actor: User | None, image_id: uuid.UUID, *, block: bool = False, reason: str = ""
    ) -> tuple[Image, tuple[str, ...]]:
        """Remove a live image as its owner would (soft delete, purged later; unpublished at
        once on a public bucket), closing its open reports; with `block`, put its content's
        digests on the block list so it cannot be uploaded again. Audited. The image and the
        digests blocked."""
        admin = self.admin.authorise(actor)
        reason = _CONTROL.sub("", reason).strip()
        if len(reason) > MAX_REASON_NOTE:
            raise InvalidInput(f"reason must be at most {MAX_REASON_NOTE} characters")
        with self.uow(read_only=True) as uow:
            image = uow.images.get(image_id)
        if image is None or not image.is_live:
            raise NotFound(IMAGE_NOT_FOUND)
        digests = self._digests(image) if block else ()  # read outside the transaction
        now = self.clock.now()
        with self.uow() as uow:
            if not uow.images.mark_deleted(image.id, now):
                raise NotFound(IMAGE_NOT_FOUND)  # a concurrent delete won
            closed = uow.reports.dismiss_for_image(image.id, now)
            for digest in digests:
                uow.blocked_hashes.add(digest, reason=reason, image_id=image.id, at=now)
            details = {"blocked": list(digests), "reason": reason, "reports_closed": closed}
            self._audit(uow, admin, "image.delete", image, details)
            uow.commit()
        deleted = self.deleter.unpublish(attrs.evolve(image, deleted_at=now))
        return deleted, digests

    def _digests(self, image: Image) -> tuple[str, ...]:
        """The SHA-256 of the published bytes (the content stem of a content-addressed key;
        read and hashed for an image stored before those) and of the kept original, if any."""
        stem = stem_of(image.storage_key)
        digests = [stem if _SHA256_HEX.fullmatch(stem) else self._hash_blob(image.storage_key)]
        if image.original_key is not None:
            with contextlib.suppress(KeyError):  # purged or lost: the published digest stays
                digests.append(self._hash_blob(image.original_key))
        return tuple(dict.fromkeys(d for d in digests if d))

    def _hash_blob(self, key: str) -> str:
        try:
            source = self.storage.open(key)
        except KeyError:
            return ""
        digest = hashlib.sha256()
        with source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def blocked(
        self, actor: User | None, *, page: int | None = None, limit: int | None = None
    ) -> Page[BlockedHash]:
        """The block list, the most recently blocked first."""
        self.admin.authorise(actor)
        page, limit = page_window(page, limit, self.paging)
        with self.uow(read_only=True) as uow:
            total = uow.blocked_hashes.count()
            rows = uow.blocked_hashes.list_page(offset=(page - 1) * limit, limit=limit)
        return Page(tuple(rows), page, limit, total)

    def unblock(self, actor: User | None, sha256: str) -> BlockedHash:
        """Take a digest off the block list (uploads of that content are accepted again);
        NotFound when it is not on it. Audited as `image.unblock` on the image it came from."""
        admin = self.admin.authorise(actor)
        digest = sha256.strip().lower()
        if not _SHA256_HEX.fullmatch(digest):
            raise InvalidInput("sha256 must be 64 hexadecimal characters")
        now = self.clock.now()
        with self.uow() as uow:
            removed = uow.blocked_hashes.remove(digest)
            if removed is None:
                raise NotFound("That digest is not on the block list")
            uow.audit.add(
                AuditEntry(
                    id=self.random.uuid(),
                    actor_id=admin.id,
                    action="image.unblock",
                    target_id=removed.image_id,
                    details=json.dumps(
                        {"unblocked": [removed.sha256], "blocked_reason": removed.reason},
                        sort_keys=True,
                    ),
                    created_at=now,
                )
            )
            uow.commit()
        return removed

    def reports(
        self, actor: User | None, *, page: int | None = None, limit: int | None = None
    ) -> Page[ReportedImage]:
        """Images with open reports, the most recently reported first, each with its reports."""
        self.admin.authorise(actor)
        page, limit = page_window(page, limit, self.paging)
        with self.uow(read_only=True) as uow:
            total = uow.reports.count_open_images()
            ids = uow.reports.open_image_ids(offset=(page - 1) * limit, limit=limit)
            reports = uow.reports.open_for_images(ids)
            images = {i: uow.images.get(i) for i in ids}
        grouped = tuple(
            ReportedImage(
                image_id=i,
                image=images[i],
                reports=tuple(r for r in reports if r.image_id == i),
            )
            for i in ids
        )
        return Page(grouped, page, limit, total)

    def dismiss(self, actor: User | None, report_id: uuid.UUID) -> Report:
        admin = self.admin.authorise(actor)
        now = self.clock.now()
        with self.uow() as uow:
            report = uow.reports.get(report_id)
            if report is None or not uow.reports.dismiss(report_id, now):
                raise NotFound("Report not found, or already closed")
            uow.audit.add(
                AuditEntry(
                    id=self.random.uuid(),
                    actor_id=admin.id,
                    action="report.dismiss",
                    target_id=report.image_id,
                    details=json.dumps(
                        {"report_id": str(report.id), "reason": report.reason.value},
                        sort_keys=True,
                    ),
                    created_at=now,
                )
            )
            uow.commit()
        return attrs.evolve(report, dismissed_at=now)

    def _audit(
        self, uow: UnitOfWork, admin: User, action: str, image: Image, extra: dict[str, Any]
    ) -> None:
        details = {
            "slug": image.slug,
            "owner_id": str(image.owner_id) if image.owner_id else None,
            **extra,
        }
        uow.audit.add(
            AuditEntry(
                id=self.random.uuid(),
                actor_id=admin.id,
                action=action,
                target_id=image.id,
                details=json.dumps(details, sort_keys=True),
                created_at=self.clock.now(),
            )
        )

    # --- visitors ----------------------------------------------------------------------------

    def report(
        self,
        slug: str,
        *,
        reason: ReportReason,
        text: str,
        address: str,
        viewer: User | None = None,
    ) -> bool:
        """Report the image at `slug`, seen by whoever may see it (anonymous: public or
        unlisted ones). Limited per client address (RateLimited past it, counted before the
        lookup so guessing slugs costs the same budget). True when recorded, False when this
        address already has an open report of the image (counted once)."""
        reporter = self.addresses.digest(address)
        decision = self.limiter.hit(
            f"report:{reporter}", limit=self.report_limit, window_seconds=self.report_window_seconds
        )
        if not decision.allowed:
            raise RateLimited(
                "Too many reports from this address: try again later",
                limit=decision.limit,
                window_seconds=self.report_window_seconds,
                retry_after=max(1, decision.reset_after),
                policy="reports",
            )
        text = clean_report_text(text)
        image = self.view_image(slug, viewer_id=viewer.id if viewer else None)
        with self.uow() as uow:
            added = uow.reports.add(
                Report(
                    id=self.random.uuid(),
                    image_id=image.id,
                    reason=reason,
                    text=text,
                    reporter_hash=reporter,
                    created_at=self.clock.now(),
                )
            )
            if added:
                uow.commit()
        return added

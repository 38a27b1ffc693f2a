"""Moderation use cases on the in-memory adapters: delete with block (and what it blocks),
the publisher's refusal of blocked raw or published bytes, hide, reports (dedupe, limit,
cleaning) and who may moderate."""

from __future__ import annotations

import hashlib
import io
import uuid
from typing import BinaryIO

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imgtree.adapters.memory import MemoryRateLimiter
from imgtree.adapters.system import HmacAddressHasher
from imgtree.domain.commands import ModerationQuery, Uploader
from imgtree.domain.errors import Blocked, Forbidden, InvalidInput, NotFound, RateLimited
from imgtree.domain.model import (
    MAX_REPORT_TEXT,
    ImageFormat,
    ReportReason,
    Role,
    User,
    Visibility,
)
from imgtree.domain.ports import ProcessedImage
from imgtree.domain.use_cases.admin import Admin
from imgtree.domain.use_cases.moderation import Moderation, clean_report_text
from imgtree.domain.use_cases.view_image import ViewImage
from tests.support.factories import make_image
from tests.support.world import FakeImageProcessor, World, png


class RewritingProcessor(FakeImageProcessor):
    """Publishes different bytes than were uploaded (as metadata stripping does)."""

    def process(self, source: BinaryIO) -> ProcessedImage:
        processed = super().process(source)
        data = processed.published.read() + b"-published"
        return attrs.evolve(processed, published=io.BytesIO(data), published_size=len(data))


@attrs.define
class ModWorld:
    world: World = attrs.Factory(World)
    limit: int = 5

    def moderation(self, *, two_factor: bool = False) -> Moderation:
        w = self.world
        return Moderation(
            admin=Admin(w.uow, w.clock, w.random, require_two_factor=two_factor),
            uow=w.uow,
            clock=w.clock,
            random=w.random,
            storage=w.storage,
            deleter=w.delete(),
            addresses=HmacAddressHasher("k" * 32),
            limiter=self.limiter,
            view_image=ViewImage(w.uow, clock=w.clock),
            report_limit=self.limit,
        )

    limiter: MemoryRateLimiter = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.limiter = MemoryRateLimiter(self.world.clock)

    def admin(self) -> User:
        return self.world.user(role=Role.ADMIN)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_delete_with_block_refuses_the_same_bytes_from_anyone_and_nothing_else() -> None:
    m = ModWorld()
    mod, admin = m.moderation(), m.admin()
    uploaded = m.world.upload_one(Uploader(address="203.0.113.1"))
    image = uploaded.image
    assert image.uploader_hash == HmacAddressHasher("k" * 32).digest("203.0.113.1")
    deleted, digests = mod.delete(admin, image.id, block=True, reason="abuse")
    assert deleted.deleted
    data = png().source.getvalue()  # type: ignore[attr-defined]
    assert digests == (sha(data),)
    for uploader in (Uploader(), Uploader(user=m.world.user())):
        with pytest.raises(Blocked):
            m.world.publisher().publish(uploader, png(), None, image.visibility)
    other = png(size=77)
    assert m.world.publisher().publish(Uploader(), other, None, image.visibility)


def test_the_raw_upload_digest_blocks_too() -> None:
    """A kept original's digest is blocked; the publisher checks the raw upload's digest."""
    m = ModWorld(world=World(processor=RewritingProcessor()))
    data = png().source.getvalue()  # type: ignore[attr-defined]
    with m.world.uow() as uow:
        uow.blocked_hashes.add(sha(data), reason="", image_id=None, at=m.world.clock.now())
        uow.commit()
    with pytest.raises(Blocked):
        m.world.publisher().publish(Uploader(), png(), None, Visibility.UNLISTED)
    # the published bytes differ from the raw ones: only the raw digest was listed
    assert m.world.publisher().publish(Uploader(), png(size=60), None, Visibility.UNLISTED)


def test_blocking_an_image_stored_before_content_keys_hashes_its_bytes() -> None:
    m = ModWorld()
    legacy_id = uuid.uuid4()
    data = b"legacy published bytes"
    m.world.storage.put(f"images/{legacy_id}.png", io.BytesIO(data), "image/png")
    original = b"the heic as uploaded"
    m.world.storage.put(f"originals/{legacy_id}.heic", io.BytesIO(original), "image/heic")
    image = make_image(
        None,
        id=legacy_id,
        original_key=f"originals/{legacy_id}.heic",
        original_content_type=ImageFormat.HEIC,
    )
    with m.world.uow() as uow:
        uow.images.add(image)
        uow.commit()
    _, digests = m.moderation().delete(m.admin(), image.id, block=True)
    assert digests == (sha(data), sha(original))
    with m.world.uow() as uow:
        assert uow.blocked_hashes.count() == 2


def test_only_active_admins_moderate_and_the_two_factor_rule_applies() -> None:
    m = ModWorld()
    image = m.world.upload_one(None).image
    mod = m.moderation()
    switched_off = m.world.update_user(m.admin(), active=False)
    for actor in (None, m.world.user(), switched_off):
        with pytest.raises(Forbidden):
            mod.images(actor, ModerationQuery())
        with pytest.raises(Forbidden):
            mod.delete(actor, image.id, block=True)
        with pytest.raises(Forbidden):
            mod.set_hidden(actor, image.id, True)
        with pytest.raises(Forbidden):
            mod.reports(actor)
        with pytest.raises(Forbidden):
            mod.dismiss(actor, uuid.uuid4())
    with pytest.raises(Forbidden):
        m.moderation(two_factor=True).images(m.admin(), ModerationQuery())
    live = m.world.image(image.id)
    assert live is not None and live.is_live and not live.hidden
    with m.world.uow() as uow:
        assert uow.blocked_hashes.count() == 0 and uow.audit.count() == 0


def test_hidden_images_are_not_found_by_viewers_nor_reportable() -> None:
    m = ModWorld()
    owner = m.world.user()
    image = m.world.upload_one(owner).image
    mod, admin = m.moderation(), m.admin()
    mod.set_hidden(admin, image.id, True)
    for viewer in (None, owner.id):
        with pytest.raises(NotFound):
            ViewImage(m.world.uow, clock=m.world.clock)(image.slug, viewer_id=viewer)
    with pytest.raises(NotFound):
        mod.report(image.slug, reason=ReportReason.SPAM, text="", address="a")
    (row,) = mod.images(admin, ModerationQuery()).items
    assert row.image.hidden and row.owner is not None and row.owner.id == owner.id
    mod.set_hidden(admin, image.id, False)
    assert ViewImage(m.world.uow, clock=m.world.clock)(image.slug).id == image.id


def test_reports_dedupe_per_address_and_stop_at_the_limit() -> None:
    m = ModWorld(limit=3)
    mod = m.moderation()
    image = m.world.upload_one(None).image
    assert mod.report(image.slug, reason=ReportReason.ABUSE, text="a", address="1.1.1.1")
    assert not mod.report(image.slug, reason=ReportReason.SPAM, text="b", address="1.1.1.1")
    assert mod.report(image.slug, reason=ReportReason.OTHER, text="", address="2.2.2.2")
    with pytest.raises(NotFound):  # a miss counts too
        mod.report("nosuchslug", reason=ReportReason.SPAM, text="", address="1.1.1.1")
    with pytest.raises(RateLimited):
        mod.report(image.slug, reason=ReportReason.SPAM, text="", address="1.1.1.1")
    (group,) = mod.reports(m.admin()).items
    assert group.image is not None and group.image.id == image.id
    assert len(group.reports) == 2
    assert all("1.1.1.1" not in r.reporter_hash for r in group.reports)
    m.world.clock.advance(3601)  # a new window
    assert not mod.report(image.slug, reason=ReportReason.SPAM, text="", address="1.1.1.1")


@given(st.text(max_size=600))
def test_report_text_is_clean_or_refused(text: str) -> None:
    try:
        cleaned = clean_report_text(text)
    except InvalidInput:
        assert len(text.strip()) > MAX_REPORT_TEXT
        return
    assert len(cleaned) <= MAX_REPORT_TEXT
    assert not any((ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in cleaned)


@given(st.binary(min_size=1, max_size=64), st.binary(min_size=1, max_size=64))
def test_an_exact_hash_never_blocks_different_bytes(blocked: bytes, other: bytes) -> None:
    m = ModWorld()
    with m.world.uow() as uow:
        uow.blocked_hashes.add(sha(blocked), reason="", image_id=None, at=m.world.clock.now())
        assert uow.blocked_hashes.any_of([sha(other)]) == (blocked == other)

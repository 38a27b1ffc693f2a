"""Shared blobs under concurrency, on real SQL (SQLite, Postgres) and real local storage:
threads upload the same file while others delete and purge copies of it. Afterwards every
kept image's bytes are stored and every stored key is counted exactly (shared_blobs)."""

from __future__ import annotations

import io
import random
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from imgtree.adapters.imaging.pillow import PillowImageProcessor
from imgtree.adapters.sql import sql_uow_factory
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.system import Sha256SecretHasher, SystemClock, SystemRandom
from imgtree.domain.model import Image, User
from imgtree.domain.policies import UploadPolicy
from imgtree.domain.ports import BlobInfo
from imgtree.domain.services import Publisher
from imgtree.domain.services.shared_blobs import stem_of
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.purge import Purge
from imgtree.domain.use_cases.upload import IncomingFile, Uploaded, Uploader, UploadImages
from tests.contract.test_repositories import run_threads
from tests.support import imagegen
from tests.support.factories import add_users, make_user
from tests.support.sql_fixtures import sql_engine

ROUNDS = 8
UPLOADERS = 3
CONTENT = imagegen.png(24, 24)


class SlowLookups(LocalBlobStorage):
    """Local storage whose `stat` takes a few milliseconds (a network store's HEAD): it widens
    the window between an uploader seeing the bytes stored and taking its reference, where a
    concurrent last release deletes them."""

    def stat(self, key: str) -> BlobInfo | None:
        info = super().stat(key)
        time.sleep(0.005)
        return info


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_parallel_uploads_deletes_and_purges_of_the_same_file(
    request: pytest.FixtureRequest, database: str, tmp_path: Path
) -> None:
    engine = sql_engine(request, database)
    uow = sql_uow_factory(engine)
    storage = SlowLookups(tmp_path / "blobs")
    clock = SystemClock()  # retention 0: purge removes what was deleted a moment ago
    owner = make_user()
    add_users(uow, owner)
    publisher = Publisher(
        uow,
        storage,
        PillowImageProcessor(),
        Sha256SecretHasher(),
        clock,
        SystemRandom(),
        UploadPolicy(max_file_bytes=1 << 20, batch_limit=5),
    )
    uploads = UploadImages(publisher)
    deleter = DeleteImage(uow, Sha256SecretHasher(), clock, storage)
    purger = Purge(uow, storage, clock)
    shuffle = random.Random(16)

    def upload_one(_: int) -> None:
        (outcome,) = uploads(Uploader(user=owner), [IncomingFile(io.BytesIO(CONTENT), "a.png")])
        assert isinstance(outcome, Uploaded), outcome

    for _ in range(ROUNDS):
        with uow(read_only=True) as work:
            live = work.images.list_for_owner(owner.id, offset=0, limit=1000)
        victims = shuffle.sample(live, k=len(live))  # every live copy goes this round
        go = threading.Barrier(UPLOADERS + 2)

        def task(i: int, go: threading.Barrier = go, victims: list[Image] = victims) -> None:
            go.wait(10)
            if i < UPLOADERS:
                upload_one(i)
            elif i == UPLOADERS:  # the last references go while the uploads run
                for image in victims:
                    deleter.by_owner(owner.id, image.id)
                purger(retention_seconds=0)
            else:
                purger(retention_seconds=0)

        run_threads(UPLOADERS + 2, task)

    assert_consistent(uow, storage, owner)
    purger(retention_seconds=0, orphan_grace_seconds=0)  # quiet now: sweep everything
    assert_consistent(uow, storage, owner)
    with uow(read_only=True) as work:
        assert work.images.count_for_owner(owner.id) == UPLOADERS  # the last round's


def assert_consistent(uow: object, storage: LocalBlobStorage, owner: User) -> None:
    """Every kept image's bytes are stored; every stored key's stem is counted, and the
    count is the number of image rows using it."""
    with uow(read_only=True) as work:  # type: ignore[operator]
        live = work.images.list_for_owner(owner.id, offset=0, limit=1000)
        rows = [*live, *work.images.list_deleted_before(FAR_FUTURE, limit=1000)]
        using: dict[str, int] = {}
        for image in rows:
            using[stem_of(image.storage_key)] = using.get(stem_of(image.storage_key), 0) + 1
        counted = {stem: work.blobs.refs(stem) for stem in using}
    assert counted == using
    for image in rows:  # app-served storage: soft-deleted images keep their bytes too
        assert storage.stat(image.storage_key) is not None, f"row without bytes: {image}"
        assert storage.stat(image.thumb_key) is not None, f"row without thumbnail: {image}"
    for key in storage.iter_keys():
        assert using.get(stem_of(key), 0) > 0, f"stored but unreferenced: {key}"


FAR_FUTURE = SystemClock().now() + timedelta(days=36_500)

"""Fault injection: small failing decorators around the real adapters, and the invariants.

`rewire(app)` swaps the container's storage and unit-of-work factory for `FlakyStorage` and
`FlakyUowFactory` (wrapping the adapters `make_app` built) and rebuilds the use cases and the
falcon app on them, as tests/conftest.py overrides providers. Both wrappers pass everything
through until a test arms a fault. `check_consistent` then states what must hold after any
fault: no live image row without both of its blobs, each user's `used_bytes` equal to the sum
of their live images, and, after a purge run past the grace period, no blob but live ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import attrs
import falcon.testing
import sqlalchemy.exc
from dependency_injector import providers

from imgtree.adapters.memory import FixedClock
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.domain.errors import StorageUnavailable
from imgtree.domain.model import User
from imgtree.domain.ports import BlobInfo, UnitOfWorkFactory
from imgtree.domain.use_cases.purge import Purge, PurgeReport
from imgtree.entrypoints.http.app import create_app
from tests.support import imagegen
from tests.support.app import App
from tests.support.multipart import encode

STORAGE_DOWN = "Storage unavailable"


class FlakyStorage:
    """A BlobStorage decorator. Put calls are numbered from 1 (since construction or `reset`);
    those in `fail_puts` raise `put_error()`; with `write_then_fail` the bytes land first (a
    lost response). `fail_deletes` makes every delete raise. `public_base` makes the storage
    serve blobs itself (so a user delete removes them at once, as with a public bucket)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.fail_puts: set[int] = set()
        self.write_then_fail = False
        self.fail_deletes = False
        self.public_base: str | None = None
        self.before_put: Callable[[int], None] | None = None
        self.put_error: Callable[[], BaseException] = lambda: StorageUnavailable(STORAGE_DOWN)
        self.puts = 0
        self.failed_deletes = 0

    def reset(self) -> None:
        self.fail_puts, self.write_then_fail, self.fail_deletes = set(), False, False
        self.before_put, self.puts = None, 0

    def put(self, key: str, source: BinaryIO, content_type: str) -> BlobInfo:
        self.puts += 1
        if self.before_put is not None:
            self.before_put(self.puts)
        if self.puts in self.fail_puts:
            if self.write_then_fail:
                self.inner.put(key, source, content_type)
            raise self.put_error()
        return self.inner.put(key, source, content_type)  # type: ignore[no-any-return]

    def delete(self, key: str) -> None:
        if self.fail_deletes:
            self.failed_deletes += 1
            raise StorageUnavailable(STORAGE_DOWN)
        self.inner.delete(key)

    def public_url(self, key: str) -> str | None:
        if self.public_base is not None:
            return f"{self.public_base}/{key}"
        return self.inner.public_url(key)  # type: ignore[no-any-return]

    @property
    def serves_publicly(self) -> bool:
        return self.public_base is not None or bool(self.inner.serves_publicly)

    def __getattr__(self, name: str) -> Any:  # open, stat, iter_keys, presign_put, path_for
        return getattr(self.inner, name)


def injected_db_error() -> sqlalchemy.exc.OperationalError:
    return sqlalchemy.exc.OperationalError(
        "COMMIT", {}, Exception("injected: server closed the connection unexpectedly")
    )


class FlakyUowFactory:
    """A UnitOfWorkFactory decorator: the next `fail_image_commits` commits of a unit of work
    that added an image raise a connection-level OperationalError (the transaction is then
    rolled back by the real unit of work, as a lost connection would)."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self.inner = inner
        self.fail_image_commits = 0
        self.failed = 0

    def __call__(self, **options: Any) -> _FlakyUow:  # e.g. read_only=True
        return _FlakyUow(self, self.inner(**options))


class _FlakyImages:
    def __init__(self, inner: Any, uow: _FlakyUow) -> None:
        self._inner, self._uow = inner, uow

    def add(self, image: Any) -> None:
        self._inner.add(image)
        self._uow.added_image = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _FlakyUow:
    def __init__(self, owner: FlakyUowFactory, inner: Any) -> None:
        self._owner, self._inner = owner, inner
        self.added_image = False

    def __enter__(self) -> _FlakyUow:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    @property
    def images(self) -> _FlakyImages:
        return _FlakyImages(self._inner.images, self)

    def commit(self) -> None:
        if self.added_image and self._owner.fail_image_commits > 0:
            self._owner.fail_image_commits -= 1
            self._owner.failed += 1
            raise injected_db_error()
        self._inner.commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@attrs.define
class Rig:
    """The app on flaky adapters, with the real ones kept for checking and purging."""

    app: App
    storage: FlakyStorage
    uow: FlakyUowFactory
    real_uow: UnitOfWorkFactory
    real_storage: Any

    @property
    def client(self) -> falcon.testing.TestClient:
        return self.app.client


def rewire(app: App) -> Rig:
    container = app.container
    real_uow, real_storage = container.adapters.uow_factory(), container.adapters.storage()
    storage, uow = FlakyStorage(real_storage), FlakyUowFactory(real_uow)
    container.adapters.storage.override(providers.Object(storage))
    container.adapters.uow_factory.override(providers.Object(uow))
    # Use cases are singletons holding the adapters they were built with: build them again
    # (the adapters stay: the engine's pool, the session database, the memory store).
    for provider in container.use_cases.providers.values():
        if isinstance(provider, providers.Singleton):
            provider.reset()
    client = falcon.testing.TestClient(create_app(container))
    return Rig(App(container, client, real_storage), storage, uow, real_uow, real_storage)


# --- requests -------------------------------------------------------------------------------


def upload(
    client: falcon.testing.TestClient, headers: dict[str, str], *images: bytes
) -> falcon.testing.Result:
    files = [("file", f"f{i}.png", "image/png", data) for i, data in enumerate(images)]
    body, ctype = encode(files or [("file", "f.png", "image/png", imagegen.png(20, 16))])
    return client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}
    )


def media_path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def next_upload_works(rig: Rig, headers: dict[str, str]) -> None:
    """With every fault cleared, an upload lands and its bytes are served."""
    rig.storage.reset()
    r = upload(rig.client, headers, imagegen.png(24, 18))
    assert r.status_code == 200, r.text
    (img,) = r.json["images"]
    if rig.storage.public_base is None:
        got = rig.client.simulate_get(media_path(img["direct_url"]))
        assert got.status_code == 200 and got.content[:4] == b"\x89PNG"


# --- invariants -----------------------------------------------------------------------------


def hidden_files(storage: Any) -> list[str]:
    """Temp files (dot-names) a LocalBlobStorage left anywhere under its root."""
    if not isinstance(storage, LocalBlobStorage):
        return []
    found = []
    for dirpath, _, filenames in os.walk(storage.root):
        found += [os.path.join(dirpath, n) for n in filenames if n.startswith(".")]
    return found


def purge_after_grace(rig: Rig, *, retention_seconds: int = 0) -> PurgeReport:
    """`imgtree purge` as it would run two hours later (past the default 1 h grace)."""
    later = FixedClock(datetime.now(UTC) + timedelta(hours=2))
    return Purge(uow=rig.real_uow, storage=rig.real_storage, clock=later)(
        retention_seconds=retention_seconds, orphan_grace_seconds=3600
    )


def live_keys(rig: Rig, users: Sequence[User]) -> set[str]:
    keys: set[str] = set()
    with rig.real_uow() as uow:
        for user in users:
            for image in uow.images.list_for_owner(user.id, offset=0, limit=100_000):
                keys |= {image.storage_key, image.thumb_key}
    return keys


def check_consistent(rig: Rig, users: Sequence[User], *, purge: bool = True) -> PurgeReport | None:
    """No row without bytes, no quota leak; after a purge, no blob but the live images'."""
    with rig.real_uow() as uow:
        for user in users:
            live = uow.images.list_for_owner(user.id, offset=0, limit=100_000)
            current = uow.users.get(user.id)
            assert current is not None
            total = sum(i.size_bytes for i in live)
            assert current.used_bytes == total == uow.images.bytes_for_owner(user.id), (
                f"quota leak: used_bytes={current.used_bytes}, live images hold {total}"
            )
            for image in live:
                for key in (image.storage_key, image.thumb_key):
                    assert rig.real_storage.stat(key) is not None, f"row without bytes: {key}"
    report = purge_after_grace(rig) if purge else None
    if purge:
        assert set(rig.real_storage.iter_keys()) == live_keys(rig, users)
        assert hidden_files(rig.real_storage) == []
    return report


def image_count(rig: Rig, users: Sequence[User]) -> int:
    with rig.real_uow() as uow:
        return sum(uow.images.count_for_owner(u.id) for u in users)


def noise_png(w: int, h: int, seed: int = 0) -> bytes:
    """A PNG that does not compress (random pixels): w * h * 3 bytes, give or take."""
    import io
    import random

    from PIL import Image

    rng = random.Random(seed)
    im = Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()

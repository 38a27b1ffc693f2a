"""The BlobStorage contract, run against every adapter, plus local-filesystem specifics.

The contract tests use only the `BlobStorage` Protocol, so a new backend (S3, ...) joins by
adding one entry to the `storage` fixture. Keys are unique per test (a shared bucket is fine)
and shaped like imgtree's own: `<dir>/<uuid>.<ext>` whose extension matches the type.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import pytest

from imgtree.adapters.memory import FixedClock, MemoryBlobStorage
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.domain.ports import BlobStorage
from tests.s3 import make_s3_storage, moto_server  # noqa: F401  (moto_server: the fixture)

MiB = 1024 * 1024


@pytest.fixture(params=["memory", "local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStorage:
    if request.param == "memory":
        return MemoryBlobStorage(FixedClock())
    if request.param == "s3":
        # Looked up lazily so memory/local runs never start the moto server.
        return make_s3_storage(request.getfixturevalue("moto_server"))
    return LocalBlobStorage(tmp_path / "media")


def new_key(directory: str = "images", ext: str = "jpg") -> str:
    return f"{directory}/{uuid.uuid4()}.{ext}"


class ChunkStream(io.RawIOBase):
    """A non-seekable stream fed by an iterable of chunks (like a network upload)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def stream(chunks: Iterable[bytes]) -> BinaryIO:
    return io.BufferedReader(ChunkStream(chunks))  # type: ignore[return-value]


def read_all(storage: BlobStorage, key: str) -> bytes:
    with storage.open(key) as f:
        return f.read()


# --- the contract ----------------------------------------------------------------------------


def test_put_open_stat_delete_round_trip(storage: BlobStorage) -> None:
    key = new_key()
    data = b"\xff\xd8 not really a jpeg \xff\xd9"

    info = storage.put(key, io.BytesIO(data), "image/jpeg")

    assert info.key == key
    assert info.size == len(data)
    assert info.content_type == "image/jpeg"
    assert info.etag
    assert info.modified_at.utcoffset() == timedelta(0)
    assert read_all(storage, key) == data
    stat = storage.stat(key)
    assert stat is not None
    assert (stat.key, stat.size, stat.content_type, stat.etag) == (
        key,
        len(data),
        "image/jpeg",
        info.etag,
    )
    assert stat.modified_at.utcoffset() == timedelta(0)

    storage.delete(key)

    assert storage.stat(key) is None
    with pytest.raises(KeyError):
        storage.open(key)


def test_open_is_seekable(storage: BlobStorage) -> None:
    key = new_key()
    storage.put(key, io.BytesIO(b"0123456789"), "image/jpeg")
    with storage.open(key) as f:
        f.seek(5)
        assert f.read(2) == b"56"
        f.seek(0)
        assert f.read() == b"0123456789"


def test_binary_content_is_exact(storage: BlobStorage) -> None:
    key = new_key(ext="png")
    # Every byte value, plus sequences text-mode I/O would mangle.
    data = bytes(range(256)) * 3 + b"\r\n\n\r\x00\x00\x1a" + "é".encode()

    info = storage.put(key, io.BytesIO(data), "image/png")

    assert read_all(storage, key) == data
    assert info.size == len(data)


def test_empty_blob(storage: BlobStorage) -> None:
    key = new_key()
    assert storage.put(key, io.BytesIO(b""), "image/jpeg").size == 0
    assert read_all(storage, key) == b""


@pytest.mark.parametrize(
    ("ext", "content_type"),
    [("jpg", "image/jpeg"), ("png", "image/png"), ("gif", "image/gif"), ("webp", "image/webp")],
)
def test_content_type_round_trips(storage: BlobStorage, ext: str, content_type: str) -> None:
    key = new_key("thumbs", ext)
    assert storage.put(key, io.BytesIO(b"x"), content_type).content_type == content_type
    stat = storage.stat(key)
    assert stat is not None and stat.content_type == content_type


def test_overwrite_replaces_content_and_etag(storage: BlobStorage) -> None:
    key = new_key()
    first = storage.put(key, io.BytesIO(b"first version"), "image/jpeg")

    second = storage.put(key, io.BytesIO(b"second, longer version"), "image/jpeg")

    assert read_all(storage, key) == b"second, longer version"
    assert second.size == len(b"second, longer version")
    assert second.etag != first.etag
    stat = storage.stat(key)
    assert stat is not None and stat.etag == second.etag


def test_etag_is_stable_while_unchanged(storage: BlobStorage) -> None:
    key = new_key()
    info = storage.put(key, io.BytesIO(b"same"), "image/jpeg")
    read_all(storage, key)
    etags = {s.etag for s in (storage.stat(key), storage.stat(key)) if s is not None}
    assert etags == {info.etag}


def test_absent_key(storage: BlobStorage) -> None:
    key = new_key()
    assert storage.stat(key) is None
    with pytest.raises(KeyError):
        storage.open(key)
    storage.delete(key)  # not an error


def test_delete_is_idempotent(storage: BlobStorage) -> None:
    key = new_key()
    storage.put(key, io.BytesIO(b"bytes"), "image/jpeg")
    storage.delete(key)
    storage.delete(key)
    assert storage.stat(key) is None


def test_keys_are_independent(storage: BlobStorage) -> None:
    image_id = uuid.uuid4()
    image, thumb = f"images/{image_id}.png", f"thumbs/{image_id}.jpg"
    storage.put(image, io.BytesIO(b"full"), "image/png")
    storage.put(thumb, io.BytesIO(b"small"), "image/jpeg")

    storage.delete(image)

    assert storage.stat(image) is None
    assert read_all(storage, thumb) == b"small"


def test_large_blob_streams_in_chunks(storage: BlobStorage) -> None:
    key = new_key()
    chunk = bytes(range(256)) * 256  # 64 KiB
    count = 5 * MiB // len(chunk)
    expected = hashlib.sha256()
    for _ in range(count):
        expected.update(chunk)

    info = storage.put(key, stream(chunk for _ in range(count)), "image/jpeg")

    assert info.size == 5 * MiB
    got = hashlib.sha256()
    with storage.open(key) as f:
        while block := f.read(256 * 1024):
            got.update(block)
    assert got.hexdigest() == expected.hexdigest()


def test_readers_see_the_old_blob_during_a_put(storage: BlobStorage) -> None:
    key = new_key()
    storage.put(key, io.BytesIO(b"old"), "image/jpeg")
    seen: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        yield b"new-part-1"
        seen.append(read_all(storage, key))  # mid-write: must still be the old blob
        yield b"new-part-2"

    storage.put(key, stream(chunks()), "image/jpeg")

    assert seen == [b"old"]
    assert read_all(storage, key) == b"new-part-1new-part-2"


# --- LocalBlobStorage specifics ------------------------------------------------------------------


class Boom(Exception):
    pass


def failing_stream(good_chunks: int) -> BinaryIO:
    def chunks() -> Iterator[bytes]:
        for _ in range(good_chunks):
            yield b"x" * 65536
        raise Boom("client went away")

    return stream(chunks())


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture
def local(tmp_path: Path) -> LocalBlobStorage:
    return LocalBlobStorage(tmp_path / "media")


BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside.jpg",
    "images/../../outside.jpg",
    "images/..",
    "..",
    "images/a..b.jpg",
    "images\\x.jpg",
    "..\\..\\x.jpg",
    "images/x\x00.jpg",
    "images//x.jpg",
    "images/",
    "/",
    ".",
    "images/./x.jpg",
    "images/.hidden.jpg",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_local_rejects_keys_that_could_escape_root(local: LocalBlobStorage, key: str) -> None:
    with pytest.raises(ValueError):
        local.put(key, io.BytesIO(b"x"), "image/jpeg")
    with pytest.raises(ValueError):
        local.open(key)
    with pytest.raises(ValueError):
        local.stat(key)
    with pytest.raises(ValueError):
        local.delete(key)
    with pytest.raises(ValueError):
        local.path_for(key)
    assert all_files(local.root.parent) == []


def test_local_rejects_a_symlink_leading_out_of_root(
    local: LocalBlobStorage, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (local.root / "images").symlink_to(outside, target_is_directory=True)

    with pytest.raises(ValueError):
        local.put("images/x.jpg", io.BytesIO(b"x"), "image/jpeg")
    assert list(outside.iterdir()) == []


def test_local_failed_stream_leaves_no_file_and_no_temp_file(local: LocalBlobStorage) -> None:
    key = new_key()
    with pytest.raises(Boom):
        local.put(key, failing_stream(good_chunks=20), "image/jpeg")

    assert local.stat(key) is None
    assert all_files(local.root) == []


def test_local_failed_overwrite_keeps_the_old_blob(local: LocalBlobStorage) -> None:
    key = new_key()
    local.put(key, io.BytesIO(b"old"), "image/jpeg")

    with pytest.raises(Boom):
        local.put(key, failing_stream(good_chunks=3), "image/jpeg")

    assert read_all(local, key) == b"old"
    assert all_files(local.root) == [key]


def test_local_disk_errors_are_storage_unavailable(
    local: LocalBlobStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imgtree.adapters.storage import local as module
    from imgtree.domain.errors import StorageUnavailable

    def no_space(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module.os, "fsync", no_space)
    key = new_key()

    with pytest.raises(StorageUnavailable):
        local.put(key, io.BytesIO(b"data"), "image/jpeg")
    monkeypatch.undo()
    assert all_files(local.root) == []


def test_local_files_are_readable_by_a_web_server(local: LocalBlobStorage) -> None:
    key = new_key()
    local.put(key, io.BytesIO(b"x"), "image/jpeg")
    path = local.path_for(key)
    assert path is not None
    assert path.stat().st_mode & 0o777 == 0o644


def test_local_path_for(local: LocalBlobStorage) -> None:
    key = new_key()
    assert local.path_for(key) is None
    local.put(key, io.BytesIO(b"bytes"), "image/jpeg")

    path = local.path_for(key)

    assert path is not None
    assert path.read_bytes() == b"bytes"
    assert path.resolve().is_relative_to(local.root)
    assert local.path_for("images") is None  # a directory is not a blob


def test_local_iter_keys(local: LocalBlobStorage) -> None:
    keys = sorted([new_key("images"), new_key("images", "png"), new_key("thumbs")])
    for key in keys:
        local.put(key, io.BytesIO(b"x"), "image/png" if key.endswith("png") else "image/jpeg")
    # An in-flight (or crashed) write's temp file is not a key.
    (local.root / "images" / ".abc.jpg.123.tmp").write_bytes(b"partial")

    assert sorted(local.iter_keys()) == keys
    assert sorted(local.iter_keys("images/")) == [k for k in keys if k.startswith("images/")]
    assert sorted(local.iter_keys("thumbs")) == [k for k in keys if k.startswith("thumbs/")]
    assert list(local.iter_keys("nothing/")) == []
    with pytest.raises(ValueError):
        list(local.iter_keys("../"))


def test_local_content_type_follows_the_key(local: LocalBlobStorage) -> None:
    assert local.put("images/a.jpeg", io.BytesIO(b"x"), "image/jpeg").content_type == "image/jpeg"
    assert local.put("misc/blob", io.BytesIO(b"x"), "application/octet-stream").content_type == (
        "application/octet-stream"
    )
    # It cannot remember a type that contradicts the key, so it refuses rather than lie later.
    with pytest.raises(ValueError):
        local.put("images/b.jpg", io.BytesIO(b"x"), "image/png")
    assert local.stat("images/b.jpg") is None


def test_local_survives_a_new_instance(tmp_path: Path) -> None:
    key = new_key()
    info = LocalBlobStorage(tmp_path / "m").put(key, io.BytesIO(b"persisted"), "image/jpeg")
    again = LocalBlobStorage(tmp_path / "m")
    assert read_all(again, key) == b"persisted"
    stat = again.stat(key)
    assert stat is not None and stat.etag == info.etag


def test_local_mid_write_temp_file_lives_next_to_the_target(local: LocalBlobStorage) -> None:
    # Same directory means same filesystem, so the final os.replace is an atomic rename.
    key = new_key()
    seen: list[list[str]] = []

    def chunks() -> Iterator[bytes]:
        yield b"part"
        seen.append(os.listdir(local.root / "images"))
        yield b"rest"

    local.put(key, stream(chunks()), "image/jpeg")

    assert len(seen[0]) == 1 and seen[0][0].startswith(".") and seen[0][0].endswith(".tmp")

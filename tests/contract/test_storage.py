"""The BlobStorage contract, run against every adapter, plus local-filesystem specifics.

The contract tests use only the `BlobStorage` Protocol, so a new backend (S3, ...) joins by
adding one entry to the `storage` fixture. Keys are unique per test (a shared bucket is fine)
and shaped like imgtree's own: `<dir>/<uuid>.<ext>` whose extension matches the type.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import pytest
import requests

from imgtree.adapters.memory import FixedClock, MemoryBlobStorage
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.storage.s3 import S3BlobStorage, signed_headers
from imgtree.domain.errors import StorageUnavailable
from imgtree.domain.ports import BlobStorage
from tests.support.s3 import (
    make_s3_storage,
    new_bucket_name,
    s3_client,
)

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


def test_iter_keys_lists_by_prefix(storage: BlobStorage) -> None:
    keys = sorted([new_key("images"), new_key("images", "png"), new_key("thumbs")])
    for key in keys:
        storage.put(key, io.BytesIO(b"x"), "image/png" if key.endswith("png") else "image/jpeg")

    assert sorted(storage.iter_keys()) == keys
    assert sorted(storage.iter_keys("images/")) == [k for k in keys if k.startswith("images/")]
    assert sorted(storage.iter_keys("thumbs")) == [k for k in keys if k.startswith("thumbs/")]
    assert list(storage.iter_keys("nothing/")) == []


def test_presign_put_binds_type_and_size_or_declines(storage: BlobStorage) -> None:
    """A presigned URL must make the store refuse another type or size (both signed); a store
    that cannot promise that declines (None) and the app takes the PUT itself."""
    url = storage.presign_put(new_key(), "image/jpeg", 1234, 60)
    if url is not None:
        assert {"content-type", "content-length"} <= signed_headers(url)
    assert list(storage.iter_keys()) == []  # presigning stores nothing


def test_serves_publicly_says_whether_blobs_have_a_public_url(storage: BlobStorage) -> None:
    key = new_key()
    assert isinstance(storage.serves_publicly, bool)
    assert storage.serves_publicly == (storage.public_url(key) is not None)


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


# --- S3BlobStorage specifics ---------------------------------------------------------------------


@pytest.fixture
def s3_endpoint(request: pytest.FixtureRequest) -> str:
    """The session's moto endpoint (by name: the imported fixture is not a test argument)."""
    return str(request.getfixturevalue("moto_server"))


@pytest.fixture
def s3(s3_endpoint: str) -> S3BlobStorage:
    return make_s3_storage(s3_endpoint, public_base_url="https://cdn.example.test/media/")


def closed_port_endpoint() -> str:
    # Bind then release a port: nothing listens there, so connects are refused at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_s3_presigned_put_accepts_a_direct_upload(s3: S3BlobStorage) -> None:
    key = new_key(ext="png")
    url = s3.presign_put(key, "image/png", len(b"direct bytes"), 300)
    assert url is not None

    query = parse_qs(urlsplit(url).query)
    # Content-Type and Content-Length are signed, so S3 refuses an upload of another type or
    # of another size than declared.
    assert {"content-type", "content-length"} <= set(query["X-Amz-SignedHeaders"][0].split(";"))
    assert query["X-Amz-Expires"] == ["300"]

    response = requests.put(url, data=b"direct bytes", headers={"Content-Type": "image/png"})

    assert response.status_code == 200, response.text
    stat = s3.stat(key)
    assert stat is not None
    assert (stat.size, stat.content_type) == (len(b"direct bytes"), "image/png")
    assert read_all(s3, key) == b"direct bytes"


def sigv4_accepts(url: str, headers: dict[str, str], secret: str, method: str = "PUT") -> bool:
    """What S3 checks on a presigned request: the SigV4 signature recomputed from the request
    as sent (method, path, query and the values of the headers the URL signs) must equal the
    URL's. A signed header the request lacks, or carries with another value, fails it."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    signed = params["X-Amz-SignedHeaders"].split(";")
    sent = {k.lower(): str(v).strip() for k, v in headers.items()} | {"host": parts.netloc}
    if not set(signed) <= set(sent):
        return False

    def enc(value: str) -> str:
        return quote(value, safe="-_.~")

    canonical_query = "&".join(
        f"{enc(k)}={enc(v)}" for k, v in sorted(query) if k != "X-Amz-Signature"
    )
    canonical_request = "\n".join(
        [
            method,
            parts.path,
            canonical_query,
            "".join(f"{h}:{sent[h]}\n" for h in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = params["X-Amz-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, params["X-Amz-Signature"])


def offline_s3(**kwargs: object) -> S3BlobStorage:
    # Presigning is local computation: no request leaves the process.
    return S3BlobStorage(
        bucket="my-bucket",
        region="eu-west-1",
        access_key_id="AKIDEXAMPLE",
        secret_access_key="secret",
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("endpoint", [None, "https://minio.example.test"])
def test_s3_presigned_put_binds_the_declared_size_and_type(endpoint: str | None) -> None:
    storage = offline_s3(endpoint_url=endpoint, path_style=endpoint is not None)
    url = storage.presign_put("uploads/a.png", "image/png", 1234, 900)
    assert url is not None
    assert {"content-length", "content-type", "host"} <= signed_headers(url)
    # A client's HTTP library sends Content-Length from the body: only exactly 1234 bytes of
    # image/png carry a valid signature (the verifier agrees with botocore on the good one).
    assert sigv4_accepts(url, {"Content-Type": "image/png", "Content-Length": "1234"}, "secret")
    for headers in (
        {"Content-Type": "image/png", "Content-Length": "1235"},  # parking more bytes
        {"Content-Type": "image/png", "Content-Length": "1233"},
        {"Content-Type": "text/html", "Content-Length": "1234"},
        {"Content-Type": "image/png"},  # chunked, no length
    ):
        assert not sigv4_accepts(url, headers, "secret"), headers
    assert not sigv4_accepts(
        url, {"Content-Type": "image/png", "Content-Length": "1234"}, "other secret"
    )


def test_s3_presign_declines_when_the_sdk_leaves_the_size_unsigned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A client whose signer never sees Content-Length, as an SDK that dropped it would do.
    client = S3BlobStorage._make_client(
        region="eu-west-1",
        endpoint_url=None,
        access_key_id="AKIDEXAMPLE",
        secret_access_key="secret",
        path_style=False,
    )

    def drop_content_length(request: Any, **_: object) -> None:
        del request.headers["Content-Length"]

    client.meta.events.register("before-sign.s3.PutObject", drop_content_length)
    storage = S3BlobStorage(bucket="my-bucket", client=client)
    # No URL that would take any size: the app's own PUT route (which enforces it) instead.
    assert storage.presign_put("uploads/a.png", "image/png", 1234, 900) is None
    assert "did not sign" in caplog.text


def test_s3_presign_refuses_a_negative_size() -> None:
    with pytest.raises(ValueError):
        offline_s3().presign_put("uploads/a.png", "image/png", -1, 60)


def test_s3_presign_refuses_a_type_its_key_contradicts(s3: S3BlobStorage) -> None:
    with pytest.raises(ValueError):
        s3.presign_put(new_key(ext="jpg"), "text/html", 10, 60)


def test_s3_public_url(s3_endpoint: str) -> None:
    key = new_key()
    with_cdn = make_s3_storage(s3_endpoint, public_base_url="https://cdn.example.test/media/")
    assert with_cdn.public_url(key) == f"https://cdn.example.test/media/{key}"
    assert with_cdn.serves_publicly is True
    assert make_s3_storage(s3_endpoint).public_url(key) is None
    assert make_s3_storage(s3_endpoint).serves_publicly is False
    with pytest.raises(ValueError):
        with_cdn.public_url("../secrets")


@pytest.mark.parametrize(
    ("endpoint", "path_style", "expected_prefix"),
    [
        (None, False, "https://my-bucket.s3.amazonaws.com/images/"),  # virtual-hosted on AWS
        (None, True, "https://s3.eu-west-1.amazonaws.com/my-bucket/images/"),
        ("https://minio.example.test", True, "https://minio.example.test/my-bucket/images/"),
    ],
)
def test_s3_addressing_style(endpoint: str | None, path_style: bool, expected_prefix: str) -> None:
    # Presigning is local computation: no request leaves the process.
    storage = S3BlobStorage(
        bucket="my-bucket",
        region="eu-west-1",
        endpoint_url=endpoint,
        access_key_id="AKIDEXAMPLE",
        secret_access_key="secret",
        path_style=path_style,
    )
    url = storage.presign_put("images/a.jpg", "image/jpeg", 10, 60)
    assert url is not None and url.startswith(expected_prefix)


def test_s3_falls_back_to_the_credential_chain(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Only the environment may supply credentials here: no profile files, no instance role.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-env-secret")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    storage = S3BlobStorage(bucket=new_bucket_name(), region="us-east-1", endpoint_url=s3_endpoint)
    storage.ensure_bucket()
    key = new_key()

    storage.put(key, io.BytesIO(b"env creds"), "image/jpeg")

    assert read_all(storage, key) == b"env creds"
    url = storage.presign_put(key, "image/jpeg", 10, 60)
    assert url is not None
    assert parse_qs(urlsplit(url).query)["X-Amz-Credential"][0].startswith("from-env/")


def test_s3_refuses_half_a_key_pair() -> None:
    with pytest.raises(ValueError):
        S3BlobStorage(bucket="b", access_key_id="only-the-id")
    with pytest.raises(ValueError):
        S3BlobStorage(bucket="b", secret_access_key="only-the-secret")


def test_s3_objects_carry_the_apps_serving_headers(s3: S3BlobStorage, s3_endpoint: str) -> None:
    key = new_key(ext="webp")
    s3.put(key, io.BytesIO(b"x"), "image/webp")

    head = s3_client(s3_endpoint).head_object(Bucket=s3.bucket, Key=key)

    assert head["ContentType"] == "image/webp"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentDisposition"] == "inline"


def test_s3_refuses_a_type_its_key_contradicts(s3: S3BlobStorage) -> None:
    key = new_key(ext="jpg")
    with pytest.raises(ValueError):
        s3.put(key, io.BytesIO(b"<html>"), "text/html")
    assert s3.stat(key) is None


@pytest.mark.parametrize("key", BAD_KEYS)
def test_s3_rejects_keys_imgtree_never_makes(s3: S3BlobStorage, key: str) -> None:
    with pytest.raises(ValueError):
        s3.put(key, io.BytesIO(b"x"), "image/jpeg")
    with pytest.raises(ValueError):
        s3.open(key)
    with pytest.raises(ValueError):
        s3.stat(key)
    with pytest.raises(ValueError):
        s3.delete(key)
    with pytest.raises(ValueError):
        s3.presign_put(key, "image/jpeg", 10, 60)
    assert list(s3.iter_keys()) == []


def test_s3_iter_keys_skips_objects_imgtree_did_not_make(
    s3: S3BlobStorage, s3_endpoint: str
) -> None:
    key = new_key()
    s3.put(key, io.BytesIO(b"x"), "image/jpeg")
    raw = s3_client(s3_endpoint)
    for foreign in ("images/", "images/.DS_Store", "/leading-slash.jpg"):
        raw.put_object(Bucket=s3.bucket, Key=foreign, Body=b"")

    assert list(s3.iter_keys()) == [key]


@pytest.mark.parametrize("seekable", [True, False], ids=["seekable", "stream"])
def test_s3_multipart_upload_round_trips(s3_endpoint: str, seekable: bool) -> None:
    # S3's minimum part size is 5 MiB; 11 MiB in 5 MiB parts makes three parts.
    storage = make_s3_storage(s3_endpoint, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    key = new_key()
    data = os.urandom(11 * MiB)
    source = (
        io.BytesIO(data)
        if seekable
        else stream(data[i : i + MiB] for i in range(0, len(data), MiB))
    )

    info = storage.put(key, source, "image/jpeg")

    assert info.size == len(data)
    assert info.etag.endswith("-3")  # a multipart ETag names its part count
    assert read_all(storage, key) == data


def test_s3_failed_multipart_upload_keeps_the_old_blob_and_leaves_no_parts(
    s3_endpoint: str,
) -> None:
    storage = make_s3_storage(s3_endpoint, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    key = new_key()
    storage.put(key, io.BytesIO(b"old"), "image/jpeg")

    with pytest.raises(Boom):  # the caller's stream failing is not a storage error
        storage.put(key, failing_stream(good_chunks=200), "image/jpeg")  # dies after 12.5 MiB

    assert read_all(storage, key) == b"old"
    uploads = s3_client(s3_endpoint).list_multipart_uploads(Bucket=storage.bucket)
    assert uploads.get("Uploads", []) == []


def test_s3_open_is_a_private_copy(s3: S3BlobStorage) -> None:
    key = new_key()
    s3.put(key, io.BytesIO(b"first"), "image/jpeg")
    with s3.open(key) as f:
        s3.put(key, io.BytesIO(b"second"), "image/jpeg")
        assert f.read() == b"first"  # a reader's copy never changes under it


def test_s3_ensure_bucket(s3_endpoint: str) -> None:
    east = S3BlobStorage(
        bucket=new_bucket_name(),
        region="us-east-1",
        endpoint_url=s3_endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        path_style=True,
    )
    assert east.ensure_bucket() is True
    assert east.ensure_bucket() is False  # idempotent
    # Outside us-east-1 the bucket must be created with a matching LocationConstraint.
    west = make_s3_storage(s3_endpoint, region="eu-west-1")
    location = s3_client(s3_endpoint).get_bucket_location(Bucket=west.bucket)
    assert location["LocationConstraint"] == "eu-west-1"
    assert west.ensure_bucket() is False


def test_s3_missing_bucket_is_storage_unavailable(s3_endpoint: str) -> None:
    storage = S3BlobStorage(
        bucket=new_bucket_name(),
        region="us-east-1",
        endpoint_url=s3_endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        path_style=True,
    )
    with pytest.raises(StorageUnavailable):
        storage.put(new_key(), io.BytesIO(b"x"), "image/jpeg")
    with pytest.raises(StorageUnavailable):
        storage.open(new_key())


def test_s3_unreachable_endpoint_is_storage_unavailable_without_details() -> None:
    endpoint = closed_port_endpoint()
    client = s3_client(endpoint, retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1)
    storage = S3BlobStorage(bucket="imgtree-down", client=client)
    key = new_key()
    calls: list[Callable[[], object]] = [
        lambda: storage.put(key, io.BytesIO(b"x"), "image/jpeg"),
        lambda: storage.put(key, stream([b"x"]), "image/jpeg"),
        lambda: storage.open(key),
        lambda: storage.stat(key),
        lambda: storage.delete(key),
        lambda: list(storage.iter_keys()),
        storage.ensure_bucket,
    ]
    for call in calls:
        with pytest.raises(StorageUnavailable) as caught:
            call()
        message = str(caught.value)
        assert message == "Storage unavailable"
        assert endpoint.split("//")[1] not in message and "http" not in message


def test_s3_default_client_reports_an_unreachable_endpoint() -> None:
    # The composition root's path: the adapter builds its own client (3 attempts, backoff).
    storage = S3BlobStorage(
        bucket="imgtree-down",
        region="us-east-1",
        endpoint_url=closed_port_endpoint(),
        access_key_id="testing",
        secret_access_key="testing",
    )
    with pytest.raises(StorageUnavailable, match=r"^Storage unavailable$"):
        storage.stat(new_key())


# --- staging (local disk: the published file is renamed into place, not copied) -------------


def _dot_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob(".*") if p.is_file())


def test_local_staged_file_becomes_the_blob_without_a_copy(local: LocalBlobStorage) -> None:
    key = new_key()
    staged = local.staging("images/")
    data = os.urandom(3 * MiB + 5)
    staged.write(data)
    inode = os.fstat(staged.fileno()).st_ino
    info = local.put(key, staged, "image/jpeg")
    staged.close()  # the caller's close after a put keeps the blob
    assert read_all(local, key) == data and info.size == len(data)
    path = local.path_for(key)
    assert path is not None and path.stat().st_ino == inode  # renamed, not copied
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert _dot_files(local.root) == []
    with pytest.raises(ValueError):
        local.put(new_key(), staged, "image/jpeg")  # a staged file is put once


def test_local_discarded_staging_leaves_nothing(local: LocalBlobStorage) -> None:
    staged = local.staging("images/")
    staged.write(b"half an image")
    assert _dot_files(local.root)  # in flight: a dot-file beside the blobs
    assert list(local.iter_keys()) == []  # never listed as a key
    staged.close()
    assert _dot_files(local.root) == []


def test_local_staging_of_another_store_is_copied(tmp_path: Path) -> None:
    mine, other = LocalBlobStorage(tmp_path / "a"), LocalBlobStorage(tmp_path / "b")
    staged = other.staging("images/")
    staged.write(b"bytes")
    staged.seek(0)
    key = new_key()
    mine.put(key, staged, "image/jpeg")
    staged.close()
    assert read_all(mine, key) == b"bytes"
    assert _dot_files(tmp_path) == []


def test_local_staging_left_by_a_dead_process_is_swept(local: LocalBlobStorage) -> None:
    staged = local.staging("images/")
    name = staged.staged_path  # type: ignore[attr-defined]
    os.utime(name, (0, 0))  # as if its writer was killed long ago
    assert local.sweep_leftovers(datetime.now(UTC) - timedelta(hours=1)) == 1
    assert not os.path.exists(name)
    staged.close()

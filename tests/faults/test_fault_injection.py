"""Faults injected through the adapters, and what must hold after each one.

Storage writes fail (first put, thumbnail put, after the bytes landed, mid-write with
ENOSPC, on a really full tmpfs), storage deletes fail during a user delete and during purge,
the database commit fails after the blobs were written (with and without a failing
compensation), Postgres refuses connections (between requests and mid-upload), and a real
gunicorn worker is SIGKILLed mid-upload. After each: a clean error (never a 500 or a hang),
no image row without its bytes, `used_bytes` equal to the live images' sum, every orphan
removed by purge past its grace period, and the next request works.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from bench.procs import workers_of
from bench.soak import master_for_port
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import imgtree.adapters.storage.local as local_storage
from imgtree.domain.errors import StorageUnavailable
from tests.faults import (
    STORAGE_DOWN,
    Rig,
    check_consistent,
    hidden_files,
    image_count,
    live_keys,
    next_upload_works,
    noise_png,
    purge_after_grace,
    rewire,
    upload,
)
from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.multipart import encode
from tests.support.servers import base_env, cli, serve

DB_DOWN = "Service temporarily unavailable, please retry"
LOCAL_DOWN = "Blob storage is unavailable"  # what LocalBlobStorage says for an OSError


@pytest.fixture(params=["memory", "sqlite"])
def rig(make_app: Callable[..., App], request: pytest.FixtureRequest) -> Rig:
    return rewire(make_app(backend=request.param))


@pytest.fixture(params=["memory", "sqlite", "postgres_s3"])
def any_rig(make_app: Callable[..., App], request: pytest.FixtureRequest) -> Rig:
    return rewire(make_app(backend=request.param))


def image_id(item: dict[str, Any]) -> str:
    """The UUID of an uploaded image (the upload's "id" is its slug; the delete_url names it)."""
    return urlsplit(item["delete_url"]).path.rsplit("/", 1)[-1]


def presign_and_put(rig: Rig, headers: dict[str, str], data: bytes) -> tuple[dict[str, Any], int]:
    doc = rig.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "p.png", "contentType": "image/png", "sizeBytes": len(data)},
        headers=headers,
    ).json
    parts = urlsplit(doc["put_url"])
    assert doc["put_url"].startswith(BASE_URL)
    r = rig.client.simulate_put(
        parts.path, query_string=parts.query, body=data, headers={"Content-Type": "image/png"}
    )
    return doc, r.status_code


# --- storage writes -------------------------------------------------------------------------


@pytest.mark.parametrize("failing_put", [1, 2], ids=["image-put", "thumbnail-put"])
def test_storage_write_failure_is_a_clean_503(rig: Rig, failing_put: int) -> None:
    user = rig.app.user()
    headers = rig.app.auth(user)
    rig.storage.fail_puts = {failing_put}
    r = upload(rig.client, headers, imagegen.png(30, 20))
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"  # every file failed on a retryable error
    (item,) = r.json["images"]
    assert item["error"] == STORAGE_DOWN and item["status"] == 503
    # Compensation already removed the image blob when the thumbnail failed.
    assert list(rig.real_storage.iter_keys()) == [] and image_count(rig, [user]) == 0
    report = check_consistent(rig, [user])
    assert report is not None and report.orphan_blobs == 0
    next_upload_works(rig, headers)
    check_consistent(rig, [user])


def test_one_failing_file_of_a_batch_leaves_the_others(rig: Rig) -> None:
    user = rig.app.user()
    headers = rig.app.auth(user)
    rig.storage.fail_puts = {4}  # the second file's thumbnail
    r = upload(rig.client, headers, *(imagegen.png(10 + i, 10) for i in range(3)))
    assert r.status_code == 200
    first, second, third = r.json["images"]
    assert "url" in first and "url" in third
    assert second["error"] == STORAGE_DOWN and second["status"] == 503
    assert image_count(rig, [user]) == 2
    assert len(list(rig.real_storage.iter_keys())) == 4
    check_consistent(rig, [user])
    next_upload_works(rig, headers)


def test_lost_put_response_leaves_an_orphan_only_purge_removes(rig: Rig) -> None:
    """The bytes landed but the put raised (a lost response): blob first, row second means
    an orphan, never a row without bytes; purge removes it once past the grace period."""
    user = rig.app.user()
    headers = rig.app.auth(user)
    rig.storage.fail_puts, rig.storage.write_then_fail = {1}, True
    r = upload(rig.client, headers, imagegen.png(30, 20))
    assert r.status_code == 503 and image_count(rig, [user]) == 0
    (orphan,) = rig.real_storage.iter_keys()
    # A purge inside the grace period leaves it (it could be an upload in flight)...
    rig.app.container.use_cases.purge()(retention_seconds=0)
    assert list(rig.real_storage.iter_keys()) == [orphan]
    # ...one past it removes it.
    report = check_consistent(rig, [user])
    assert report is not None and report.orphan_blobs == 1
    next_upload_works(rig, headers)


def test_presigned_put_failure_frees_the_url_for_a_retry(rig: Rig) -> None:
    user = rig.app.user()
    headers = rig.app.auth(user)
    data = imagegen.png(40, 30)
    rig.storage.fail_puts = {1}
    doc, status = presign_and_put(rig, headers, data)
    assert status == 503
    assert not list(rig.real_storage.iter_keys())
    parts = urlsplit(doc["put_url"])
    retry = rig.client.simulate_put(
        parts.path, query_string=parts.query, body=data, headers={"Content-Type": "image/png"}
    )
    assert retry.status_code == 200, retry.text
    done = rig.client.simulate_post(
        "/api/v1/upload/complete",
        json={"completion_token": doc["completion_token"]},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    check_consistent(rig, [user])


def test_storage_failure_while_completing_is_clean(rig: Rig) -> None:
    user = rig.app.user()
    headers = rig.app.auth(user)
    doc, status = presign_and_put(rig, headers, imagegen.png(40, 30))
    assert status == 200
    rig.storage.fail_puts = {3}  # put 1 was the PUT; 2 the image; 3 its thumbnail
    r = rig.client.simulate_post(
        "/api/v1/upload/complete",
        json={"completion_token": doc["completion_token"]},
        headers=headers,
    )
    assert r.status_code == 503 and r.json["images"][0]["error"] == STORAGE_DOWN
    # The raw object and the half-published blobs are gone; the token was consumed.
    assert list(rig.real_storage.iter_keys()) == [] and image_count(rig, [user]) == 0
    check_consistent(rig, [user])
    next_upload_works(rig, headers)


# --- storage deletes ------------------------------------------------------------------------


def test_failing_blob_delete_still_deletes_and_purge_cleans_up(rig: Rig) -> None:
    """With a storage that serves blobs itself, a delete removes them at once; when that
    fails the delete still succeeds (the row is what hides the image) and purge retries."""
    rig.storage.public_base = "https://cdn.example"
    user = rig.app.user()
    headers = rig.app.auth(user)
    (img,) = upload(rig.client, headers, imagegen.png(30, 20)).json["images"]
    rig.storage.fail_deletes = True
    r = rig.client.simulate_delete(f"/api/v1/images/{image_id(img)}", headers=headers)
    assert r.status_code == 200, r.text
    assert rig.storage.failed_deletes == 1  # the first failure ends the attempt
    listed = rig.client.simulate_get("/api/v1/images", headers=headers).json
    assert listed["total"] == 0
    assert len(list(rig.real_storage.iter_keys())) == 2  # still there, for purge
    # Purge during the outage fails loudly and removes nothing (bytes first, row second)...
    with pytest.raises(StorageUnavailable):
        rig.app.container.use_cases.purge()(retention_seconds=0)
    assert len(list(rig.real_storage.iter_keys())) == 2
    # ...and the next purge, with the storage back, removes the blobs and then the row.
    report = check_consistent(rig, [user])
    assert report is not None and report.purged_images == 1
    next_upload_works(rig, headers)


# --- database commits -----------------------------------------------------------------------


def test_commit_failure_after_blobs_written_compensates(any_rig: Rig) -> None:
    rig = any_rig
    user = rig.app.user()
    headers = rig.app.auth(user)
    rig.uow.fail_image_commits = 1
    r = upload(rig.client, headers, imagegen.png(30, 20))
    assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
    assert r.json == {"success": False, "error": DB_DOWN}
    assert rig.uow.failed == 1
    assert list(rig.real_storage.iter_keys()) == [] and image_count(rig, [user]) == 0
    report = check_consistent(rig, [user])
    assert report is not None and report.orphan_blobs == 0
    next_upload_works(rig, headers)
    check_consistent(rig, [user])


def test_commit_and_compensation_failing_leave_orphans_for_purge(any_rig: Rig) -> None:
    rig = any_rig
    user = rig.app.user()
    headers = rig.app.auth(user)
    rig.uow.fail_image_commits, rig.storage.fail_deletes = 1, True
    r = upload(rig.client, headers, imagegen.png(30, 20))
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert image_count(rig, [user]) == 0
    assert len(list(rig.real_storage.iter_keys())) == 2  # compensation could not delete
    rig.storage.fail_deletes = False
    report = check_consistent(rig, [user])
    assert report is not None and report.orphan_blobs == 2
    next_upload_works(rig, headers)


# --- Postgres refusing connections ----------------------------------------------------------


@contextlib.contextmanager
def postgres_admin(database_url: str) -> Iterator[Callable[[bool], None]]:
    """`set_reachable(False)`: the database refuses new connections and its open ones are
    terminated (a failover or restart, as seen by the app); `set_reachable(True)` undoes it."""
    url = make_url(database_url)
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def set_reachable(reachable: bool) -> None:
        with admin.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(reachable).lower()}')
            )
            if not reachable:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )

    try:
        yield set_reachable
    finally:
        set_reachable(True)
        admin.dispose()


@pytest.fixture
def pg_rig(make_app: Callable[..., App]) -> Rig:
    return rewire(make_app(backend="postgres_s3"))


def test_postgres_terminated_connections_are_replaced(pg_rig: Rig, postgres_url: str) -> None:
    rig = pg_rig
    headers = rig.app.auth()
    assert rig.client.simulate_get("/api/v1/images", headers=headers).status_code == 200
    with postgres_admin(postgres_url) as set_reachable:
        set_reachable(False)
        set_reachable(True)  # every pooled connection is now dead
    # pool_pre_ping notices and reconnects: not even a 503.
    assert rig.client.simulate_get("/api/v1/images", headers=headers).status_code == 200


def test_postgres_down_is_a_503_and_recovers_without_restart(
    pg_rig: Rig, postgres_url: str
) -> None:
    rig = pg_rig
    user = rig.app.user()
    headers = rig.app.auth(user)
    with postgres_admin(postgres_url) as set_reachable:
        set_reachable(False)
        for _ in range(3):
            r = rig.client.simulate_get("/api/v1/images", headers=headers)
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            assert r.json == {"success": False, "error": DB_DOWN}
        r = upload(rig.client, headers, imagegen.png(20, 20))
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        set_reachable(True)
    assert rig.client.simulate_get("/api/v1/images", headers=headers).status_code == 200
    assert list(rig.real_storage.iter_keys()) == []
    next_upload_works(rig, headers)
    check_consistent(rig, [user])


def test_postgres_going_down_mid_upload(pg_rig: Rig, postgres_url: str) -> None:
    """The outage starts between the blobs and the row: 503, compensation, no row."""
    rig = pg_rig
    user = rig.app.user()
    headers = rig.app.auth(user)
    with postgres_admin(postgres_url) as set_reachable:

        def outage(n: int) -> None:
            if n == 2:  # the image is stored; the thumbnail is next, then the row
                set_reachable(False)

        rig.storage.before_put = outage
        r = upload(rig.client, headers, imagegen.png(30, 20))
        assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
        # Compensation decides under the content's row lock, which needs the database: what
        # was written stays, an orphan for purge (check_consistent below sweeps it).
        left = list(rig.real_storage.iter_keys())
        assert len(left) <= 2 and all(k.startswith(("images/", "thumbs/")) for k in left)
        set_reachable(True)
    assert image_count(rig, [user]) == 0
    check_consistent(rig, [user])
    next_upload_works(rig, headers)


# --- full disks -----------------------------------------------------------------------------


class _FillingFile:
    """A file object whose writes fail with ENOSPC once `room` bytes were written."""

    def __init__(self, inner: Any, room: int) -> None:
        self._inner, self._room = inner, room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            self._inner.write(data[: self._room])
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._inner.write(data)  # type: ignore[no-any-return]

    def __enter__(self) -> _FillingFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize("failing_write", [1, 2], ids=["image", "thumbnail"])
def test_enospc_mid_write_leaves_nothing_half_written(
    make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch, failing_write: int
) -> None:
    """ENOSPC part-way through a LocalBlobStorage write (the file has bytes in it). The image
    is staged (the decode child wrote it into a file beside the blobs): its put fails at the
    fsync; the thumbnail is copied: its put fails mid-write."""
    rig = rewire(make_app(backend="sqlite"))
    root = str(rig.real_storage.root)
    user = rig.app.user()
    headers = rig.app.auth(user)
    real_fdopen, real_fsync = os.fdopen, os.fsync

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        f = real_fdopen(fd, *args, **kwargs)
        if not os.readlink(f"/proc/self/fd/{fd}").startswith(root):
            return f
        return _FillingFile(f, 100)

    def fsync(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".staged."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    if failing_write == 1:
        monkeypatch.setattr(local_storage.os, "fsync", fsync)
    else:
        monkeypatch.setattr(local_storage.os, "fdopen", fdopen)
    r = upload(rig.client, headers, imagegen.png(64, 64))
    monkeypatch.undo()
    assert r.status_code == 503 and r.json["images"][0]["error"] == LOCAL_DOWN
    assert hidden_files(rig.real_storage) == [] and list(rig.real_storage.iter_keys()) == []
    check_consistent(rig, [user])
    next_upload_works(rig, headers)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (root only; skipped where mounting is not allowed)."""
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_full_disk_is_a_clean_error_and_recovers(
    make_app: Callable[..., App], tiny_disk: Path
) -> None:
    rig = rewire(make_app(backend="sqlite", media_dir=tiny_disk))
    user = rig.app.user()
    headers = rig.app.auth(user)
    statuses = []
    for i in range(8):  # ~200 KB each: the 1 MiB disk fills within a few
        r = upload(rig.client, headers, noise_png(260, 260, seed=i))
        statuses.append(r.status_code)
        if r.status_code != 200:
            assert r.status_code == 503 and r.json["images"][0]["error"] == LOCAL_DOWN
            break
    assert statuses[-1] == 503 and 200 in statuses, statuses
    assert hidden_files(rig.real_storage) == []
    check_consistent(rig, [user], purge=False)
    assert set(rig.real_storage.iter_keys()) == live_keys(rig, [user])
    # A presigned PUT onto the full disk: 503 + Retry-After, nothing left behind.
    _, status = presign_and_put(rig, headers, noise_png(300, 300, seed=99))
    assert status == 503 and hidden_files(rig.real_storage) == []
    # Free space (delete + purge), and uploads work again.
    listed = rig.client.simulate_get("/api/v1/images", headers=headers).json["images"]
    for item in listed:
        r = rig.client.simulate_delete(f"/api/v1/images/{item['id']}", headers=headers)
        assert r.status_code == 200
    report = check_consistent(rig, [user])
    assert report is not None and report.purged_images == len(listed)
    next_upload_works(rig, headers)


@pytest.mark.parametrize("processor_id", ["pillow", "pooled"])
def test_a_full_disk_under_the_staged_file_is_storage_unavailable(
    tiny_disk: Path, processor_id: str
) -> None:
    """`process_into` writing the published file onto a full disk: 503 (retry later), never
    422 "could not be decoded", whether the decode child or this process wrote it."""
    from imgtree.adapters.imaging import PillowImageProcessor
    from imgtree.adapters.imaging.pool import PooledImageProcessor, pool_source

    processor = (
        PillowImageProcessor()
        if processor_id == "pillow"
        else PooledImageProcessor(pool_source(None, 1))
    )
    storage = local_storage.LocalBlobStorage(tiny_disk / "media")
    into = storage.staging("images/")
    with open(tiny_disk / "filler", "wb", buffering=0) as filler, contextlib.suppress(OSError):
        while True:  # fill the disk up to its last block
            filler.write(b"\0" * 4096)
    with pytest.raises(StorageUnavailable):
        processor.process_into(io.BytesIO(noise_png(400, 400, seed=7)), into)
    into.close()  # discarding it: no error of its own (its unwritten buffer is dropped)
    assert hidden_files(storage) == []


def test_purge_sweeps_temp_files_of_killed_writers_after_the_grace(
    make_app: Callable[..., App],
) -> None:
    """A put killed mid-write leaves `.<name>.<random>.tmp`, which `iter_keys` never lists:
    purge removes it once past the grace period, and leaves a recent one (a put in flight)."""
    rig = rewire(make_app(backend="sqlite"))
    directory = rig.real_storage.root / "uploads"
    directory.mkdir()
    stale = directory / ".0b5e4c3e-1f7a-4f0e-9d35-8c2a1c7f6e01.png.x1y2z3.tmp"
    stale.write_bytes(b"half an upload")
    report = rig.app.container.use_cases.purge()(
        retention_seconds=0
    )  # now: inside the grace period
    assert stale.exists() and report.orphan_blobs == 0
    report = purge_after_grace(rig)
    assert not stale.exists() and report.orphan_blobs == 1


# --- a worker killed mid-upload (real gunicorn) -----------------------------------------------


def _slow_request(base: str, method: str, path: str, headers: dict[str, str], body: bytes,
                  sent: int) -> socket.socket:  # fmt: skip
    """Open a connection and send the head plus the first `sent` bytes of `body` only."""
    port = int(base.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    sock.sendall(head.encode() + body[:sent])
    return sock


def _kill_worker_and_wait(master: int, worker: int) -> None:
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # gunicorn's master starts a replacement
        now = workers_of(master)
        if now and worker not in now:
            return
        time.sleep(0.1)
    raise AssertionError("gunicorn did not replace the killed worker")


def _closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        return True


@pytest.mark.smoke
def test_worker_killed_mid_upload(tmp_path: Path) -> None:
    media = tmp_path / "media"
    env = base_env(
        IMGTREE_DATABASE_URL=f"sqlite:///{tmp_path / 'imgtree.sqlite3'}",
        IMGTREE_MEDIA_DIR=str(media),
    )
    cli(env, "migrate")
    cli(env, "users", "create", "kill@example.com", "--password", "correct horse battery")
    key = cli(env, "keys", "create", "--email", "kill@example.com", "--name", "k")
    auth = {"Authorization": f"Bearer {key.strip().splitlines()[-1]}"}
    big = noise_png(1000, 1000)  # ~3 MB
    with serve(env, tmp_path / "server.log", workers=1) as base:
        master = master_for_port(int(base.rsplit(":", 1)[1]))
        assert master is not None
        env = {**env, "IMGTREE_BASE_URL": base}

        # 1. A slow multipart upload: the worker is reading the body when it dies.
        body, ctype = encode([("file", "big.png", "image/png", big)])
        (worker,) = workers_of(master)
        sock = _slow_request(
            base, "POST", "/api/v1/upload", {**auth, "Content-Type": ctype}, body, len(body) // 3
        )
        time.sleep(1.0)
        _kill_worker_and_wait(master, worker)
        assert _closed_by_peer(sock)
        sock.close()

        # 2. A slow presigned PUT: the worker is streaming into a temp file when it dies.
        doc = requests.post(
            f"{base}/api/v1/upload/presign",
            headers=auth,
            json={"filename": "big.png", "contentType": "image/png", "sizeBytes": len(big)},
            timeout=30,
        ).json()
        parts = urlsplit(doc["put_url"])
        (worker,) = workers_of(master)
        sock = _slow_request(
            base,
            "PUT",
            f"{parts.path}?{parts.query}",
            {"Content-Type": "image/png"},
            big,
            len(big) // 3,
        )
        deadline = time.monotonic() + 10
        while not hidden_files(local_storage.LocalBlobStorage(media)):
            assert time.monotonic() < deadline, "the PUT never started writing"
            time.sleep(0.05)
        _kill_worker_and_wait(master, worker)
        assert _closed_by_peer(sock)
        sock.close()
        left_behind = hidden_files(local_storage.LocalBlobStorage(media))
        assert len(left_behind) == 1 and left_behind[0].endswith(".tmp")

        # No image row; the next requests work on the replacement worker.
        listing = requests.get(f"{base}/api/v1/images", headers=auth, timeout=30).json()
        assert listing["total"] == 0
        done = requests.post(
            f"{base}/api/v1/upload/complete",
            headers=auth,
            json={"completion_token": doc["completion_token"]},
            timeout=30,
        )
        assert done.status_code == 400  # nothing was stored under the upload's key
        r = requests.post(
            f"{base}/api/v1/upload",
            headers=auth,
            files=[("file", ("ok.png", imagegen.png(30, 30), "image/png"))],
            timeout=30,
        )
        assert r.status_code == 200, r.text
        (img,) = r.json()["images"]
        assert requests.get(img["direct_url"], timeout=30).status_code == 200

        # Purge removes the dead worker's temp file (grace 0: nothing else is in flight).
        out = cli(env, "purge", "--retention", "0", "--grace", "0")
        assert "purged" in out
        assert hidden_files(local_storage.LocalBlobStorage(media)) == []
        keys = sorted(local_storage.LocalBlobStorage(media).iter_keys())
        assert len(keys) == 2 and all(k.startswith(("images/", "thumbs/")) for k in keys)
        assert requests.get(img["direct_url"], timeout=30).status_code == 200

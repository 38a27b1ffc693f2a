"""`ImageProcessor` whose every decode runs in the sandbox, inside a hard processing budget.

`PooledImageProcessor` is the port as the app uses it: `process` and `inspect` hand the upload
to a decode child of a `DecodePool` (see `sandbox`) as a file descriptor, and turn the child's
answer back into the port's types. What the budget guarantees the caller:

- a file that runs over its CPU, memory or wall-clock budget is refused with
  `ImageTooComplex` (422) and nothing of it is returned, so nothing is stored or charged; the
  calling worker never held its pixels, so its memory does not grow;
- the pool's size bounds how many decodes run at once; a caller waits at most
  `queue_seconds` for a free child, then gets `ProcessingBusy` (503, retry later);
- a child's reply is checked before use (JSON fields typed and bounded, the published file
  a regular file of the announced size).

A `DecodePool` is either started here (`DecodePool.start`, a supervisor subprocess that this
process owns and stops) or attached by its socket path (`imgtree serve` starts one per host in
the gunicorn master and gives its path to every worker). `private_pool()` is the lazily
started, per-process pool for everything else: tests, embedders, the CLI.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import attrs

from imgtree.adapters.imaging import sandbox
from imgtree.adapters.imaging.container import MAX_ICC_BYTES
from imgtree.domain.errors import (
    DomainError,
    FileTooLarge,
    ImageTooComplex,
    InvalidImage,
    ProcessingBusy,
    StorageUnavailable,
    UnsupportedMediaType,
)
from imgtree.domain.model import ImageFormat, is_blurhash, is_hex_color
from imgtree.domain.policies import ProcessingPolicy
from imgtree.domain.ports import ImageInfo, ProcessedImage, ResizedImage

log = logging.getLogger("imgtree.imaging")

MiB = 1 << 20
TOO_COMPLEX = "Image too complex to process"
BUSY = "Image processing is busy, please retry shortly"
STORAGE_DOWN = "Blob storage is unavailable"
_REPLY_GRACE = 2.0  # seconds past the child's own wall-clock kill before the client gives up
_MAX_THUMBNAIL = 16 * MiB
# glibc: keep a decode child's heap warm between jobs. By default every image buffer above
# 128 KiB is a fresh mmap, zeroed page by page (~260 page faults per 400x300 PNG); below
# these thresholds freed memory is reused instead. A child whose RSS stays high is recycled
# (sandbox.RECYCLE_RSS_GROWTH), so the memory kept is bounded. An operator's own values win.
WARM_HEAP = {"MALLOC_MMAP_THRESHOLD_": str(16 * MiB), "MALLOC_TRIM_THRESHOLD_": str(64 * MiB)}
_MAX_INLINE = sandbox.MAX_INLINE  # larger published files come as a descriptor
_MAX_MESSAGE = 2000
_ERRORS: dict[str, type[InvalidImage] | type[UnsupportedMediaType] | type[FileTooLarge]] = {
    "InvalidImage": InvalidImage,
    "UnsupportedMediaType": UnsupportedMediaType,
    "FileTooLarge": FileTooLarge,
}


class DecodeObserver(Protocol):
    """Who hears about each decode job (the server's metrics): when it starts, how long it
    waited for a decode process, and how it ended (`ok`, or the refusal: `too_complex`,
    `busy`, `invalid_image`, `unsupported_type`, `too_large`, `storage_error`)."""

    def decode_started(self, op: str) -> None: ...

    def decode_waited(self, seconds: float) -> None: ...

    def decode_finished(self, op: str, outcome: str, seconds: float) -> None: ...


_OUTCOMES: tuple[tuple[type[DomainError], str], ...] = (
    (ImageTooComplex, "too_complex"),
    (ProcessingBusy, "busy"),
    (UnsupportedMediaType, "unsupported_type"),
    (FileTooLarge, "too_large"),
    (StorageUnavailable, "storage_error"),
    (InvalidImage, "invalid_image"),
)


def _outcome(error: BaseException) -> str:
    return next((name for kind, name in _OUTCOMES if isinstance(error, kind)), "error")


@attrs.frozen
class ProcessBudget:
    """Hard limits per file, and how long a caller waits for a free decode process."""

    cpu_seconds: int = 10
    wall_seconds: float = 30.0
    memory_bytes: int = 512 * MiB
    queue_seconds: float = 10.0
    retry_after_seconds: int = 5

    def __attrs_post_init__(self) -> None:
        if self.cpu_seconds < 1 or self.wall_seconds <= 0 or self.queue_seconds <= 0:
            raise ValueError("process budgets must be positive")
        if self.memory_bytes < 64 * MiB:
            raise ValueError("the memory budget must be at least 64 MiB")


class DecodePool:
    """A running sandbox: its socket, and the supervisor process when this process owns it."""

    def __init__(
        self,
        socket_path: str,
        *,
        process: subprocess.Popen[bytes] | None = None,
        workers: int = 0,
        directory: str | None = None,
    ) -> None:
        self.socket_path = socket_path
        self.workers = workers
        self._process = process
        self._directory = directory
        self._owner = os.getpid()

    @classmethod
    def start(cls, workers: int, *, timeout: float = 30.0) -> DecodePool:
        """Start a supervisor with `workers` decode children; return once it accepts jobs."""
        directory = tempfile.mkdtemp(prefix="imgtree-decode-")
        pool = cls(str(Path(directory) / "sock"), workers=workers, directory=directory)
        try:
            pool._launch(timeout)
        except BaseException:
            pool.stop()
            raise
        return pool

    def _launch(self, timeout: float = 30.0) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "imgtree.adapters.imaging.sandbox",
                "--socket",
                self.socket_path,
                "--workers",
                str(self.workers),
            ],
            stdin=subprocess.DEVNULL,
            close_fds=True,
            env={**WARM_HEAP, **os.environ},
        )
        deadline = time.monotonic() + timeout
        while not self.accepting():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self._terminate()
                raise RuntimeError("the image decode pool did not start")
            time.sleep(0.02)

    def keep_alive(self, stopping: threading.Event, interval: float = 1.0) -> None:
        """Until `stopping` is set, start the supervisor again (same socket) if it died, so
        processes that only know the socket path (gunicorn's workers) keep being served."""
        while not stopping.wait(interval):
            if not self.alive and os.getpid() == self._owner:
                log.error("the image decode pool exited; starting it again")
                with contextlib.suppress(RuntimeError):
                    self._launch()

    def accepting(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            try:
                sock.connect(self.socket_path)
            except OSError:
                return False
        return True

    @property
    def alive(self) -> bool:
        return self._process is None or self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        """Stop the supervisor (and with it every child), if this process started it."""
        if self._process is None or os.getpid() != self._owner:
            return
        self._terminate()
        if self._directory:
            shutil.rmtree(self._directory, ignore_errors=True)

    def _terminate(self) -> None:
        assert self._process is not None
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


_private: dict[int, DecodePool] = {}
_private_lock = threading.Lock()


def private_pool(workers: int) -> DecodePool:
    """This process's own pool of `workers` children, started on first use (and again if it
    died), stopped when the process exits."""
    with _private_lock:
        pool = _private.get(workers)
        if pool is None or not pool.alive or pool._owner != os.getpid():
            if pool is not None and pool._owner == os.getpid():
                pool.stop()
            pool = _private[workers] = DecodePool.start(workers)
        return pool


@atexit.register
def _stop_private_pools() -> None:
    for pool in list(_private.values()):
        pool.stop()


def pool_source(socket_path: str | None, workers: int) -> Callable[[], DecodePool]:
    """Where a processor finds its pool: the host's (`imgtree serve` gives its socket path)
    or, without one, this process's private pool, started on first use."""
    if socket_path:
        shared = DecodePool(socket_path, workers=workers)
        return lambda: shared
    return lambda: private_pool(workers)


@attrs.frozen
class _Handover:
    """How the upload reaches the child: as a descriptor of a file at `offset` (with the
    temporary copy to close, when one was made), or as its bytes."""

    fd: int = -1
    offset: int = 0
    copy: BinaryIO | None = None
    data: bytes | None = None


def _handover(source: BinaryIO) -> _Handover:
    """A small upload held in memory goes as bytes (no file is made for it); a real file
    goes as its own descriptor; anything else is copied to a temporary file first."""
    start = source.tell()
    if sandbox.in_memory(source):
        size = source.seek(0, os.SEEK_END) - start
        source.seek(start)
        if 0 < size <= sandbox.MAX_INLINE:
            data = source.read()
            source.seek(start)
            return _Handover(data=data)
    fd, offset, copy = _descriptor(source)
    return _Handover(fd, offset, copy)


def _descriptor(source: BinaryIO) -> tuple[int, int, BinaryIO | None]:
    """(fd, offset, temporary copy to close) for the upload: its own descriptor when it is a
    real file (a spooled file rolls over to disk here), else a copy in a temporary file."""
    start = source.tell()
    try:
        fd = source.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        copy = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the caller)
        shutil.copyfileobj(source, copy, 1 << 18)
        copy.flush()
        return copy.fileno(), 0, copy
    with contextlib.suppress(AttributeError, OSError, ValueError):
        source.flush()
    return fd, start, None


def _peer_pid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid: int = struct.unpack("3i", creds)[0]
    return pid


def _kill_stuck_child(pid: int, supervisor: int) -> None:
    """SIGKILL a child that outlived its own wall-clock kill, if it is really the
    supervisor's child (the pid in a greeting is the child's word; the parent is checked)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        raw = Path(f"/proc/{pid}/stat").read_text()
        if int(raw[raw.rindex(")") + 2 :].split()[1]) == supervisor:
            os.kill(pid, signal.SIGKILL)


def _int(doc: dict[str, Any], name: str, low: int = 0, high: int = 1 << 40) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"bad {name}")
    return value


def _placeholder(reply: dict[str, Any]) -> tuple[str | None, str | None]:
    """The child's (blurhash, dominant colour): each absent or exactly the shape the domain
    accepts (they end up in HTML attributes), else ValueError like any other bad reply."""
    hashed, colour = reply.get("blurhash"), reply.get("dominant_color")
    if hashed is not None and not is_blurhash(hashed):
        raise ValueError("bad blurhash")
    if colour is not None and not is_hex_color(colour):
        raise ValueError("bad dominant_color")
    return hashed, colour


def _image_info(reply: dict[str, Any]) -> ImageInfo:
    return ImageInfo(
        format=ImageFormat(str(reply.get("format"))),
        width=_int(reply, "width", 1),
        height=_int(reply, "height", 1),
        frames=_int(reply, "frames", 1),
        source_format=(
            None if reply.get("source_format") is None else ImageFormat(str(reply["source_format"]))
        ),
    )


class PooledImageProcessor:
    """The `ImageProcessor` port, decoding in the sandbox. The limits are those of
    `PillowImageProcessor`, which the decode children run."""

    def __init__(
        self,
        pool: DecodePool | Callable[[], DecodePool],
        *,
        budget: ProcessBudget | None = None,
        max_pixels: int = 50_000_000,
        max_frames: int = 1000,
        thumbnail_size: int = 320,
        max_icc_bytes: int = MAX_ICC_BYTES,
        max_side: int | None = None,
        observer: DecodeObserver | None = None,
    ) -> None:
        self._pool = pool if callable(pool) else (lambda: pool)
        self.budget = budget or ProcessBudget()
        self.observer = observer
        self.limits: dict[str, int] = {
            "max_pixels": max_pixels,
            "max_frames": max_frames,
            "thumbnail_size": thumbnail_size,
            "max_icc_bytes": max_icc_bytes,
        }
        if max_side is not None:
            self.limits["max_side"] = max_side

    @classmethod
    def from_policy(
        cls,
        pool: DecodePool | Callable[[], DecodePool],
        policy: ProcessingPolicy,
        *,
        thumbnail_size: int = 320,
        observer: DecodeObserver | None = None,
    ) -> PooledImageProcessor:
        """The processor enforcing exactly the limits and budget a deployment publishes."""
        budget = ProcessBudget(
            cpu_seconds=policy.cpu_seconds,
            wall_seconds=policy.wall_seconds,
            memory_bytes=policy.memory_bytes,
            queue_seconds=policy.queue_seconds,
        )
        return cls(
            pool,
            budget=budget,
            max_pixels=policy.max_image_pixels,
            max_frames=policy.max_frames,
            thumbnail_size=thumbnail_size,
            max_side=policy.max_image_side,
            observer=observer,
        )

    # --- the port ------------------------------------------------------------------------

    def inspect(self, source: BinaryIO) -> ImageInfo:
        reply, published, _thumbnail = self._run("inspect", source)
        assert published is None
        try:
            return _image_info(reply)
        except ValueError:
            raise InvalidImage("Image could not be decoded") from None

    def process(self, source: BinaryIO) -> ProcessedImage:
        reply, published, thumbnail = self._run("process", source)
        if published is None:
            raise InvalidImage("Image could not be decoded")
        return self._processed(reply, published, thumbnail, owned=True)

    def process_into(self, source: BinaryIO, into: BinaryIO) -> ProcessedImage:
        """`process`, the child writing the published bytes straight into `into` (passed as
        a descriptor): they never cross the socket and are never copied here."""
        try:
            into_fd = into.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return self.process(source)  # not a real file: the child cannot write into it
        reply, published, thumbnail = self._run("process", source, into_fd)
        if published is not None or reply.get("published_into") is not True:
            if published is not None:
                published.close()
            raise InvalidImage("Image could not be decoded")
        return self._processed(reply, into, thumbnail, owned=False)

    def resize(
        self, source: BinaryIO, bound: int, format: ImageFormat | None = None
    ) -> ResizedImage:
        """`PillowImageProcessor.resize` in a decode child, with the upload budget."""
        extra: dict[str, Any] = {"bound": bound}
        if format is not None:
            extra["format"] = format.value
        reply, data, _thumbnail = self._run("resize", source, extra=extra)
        if data is None:
            raise InvalidImage("Image could not be decoded")
        try:
            info = _image_info(reply)
            size = _int(reply, "published_size", 1)
            data.seek(0, os.SEEK_END)
            if data.tell() != size or max(info.width, info.height) > bound:
                raise ValueError("the resized file is not what the reply says")
            if format is not None and info.format is not format:
                raise ValueError("the resized file is not in the format asked for")
        except (ValueError, OSError):
            data.close()
            raise InvalidImage("Image could not be decoded") from None
        data.seek(0)
        return ResizedImage(
            data=data, size=size, format=info.format, width=info.width, height=info.height
        )

    def placeholder_of(self, thumbnail: BinaryIO) -> tuple[str | None, str | None]:
        """`PillowImageProcessor.placeholder_of` in a decode child, with the upload budget."""
        reply, data, _thumbnail = self._run("placeholder", thumbnail)
        if data is not None:
            data.close()
            raise InvalidImage("Image could not be decoded")
        try:
            return _placeholder(reply)
        except ValueError:
            raise InvalidImage("Image could not be decoded") from None

    def _processed(
        self, reply: dict[str, Any], published: BinaryIO, thumbnail: bytes, *, owned: bool
    ) -> ProcessedImage:
        """The port's answer, once the child's reply is checked against the published file
        (a regular file of the announced size, unless its bytes came inline)."""
        try:
            info = _image_info(reply)
            size = _int(reply, "published_size", 1)
            thumbnail_format = ImageFormat(str(reply.get("thumbnail_format")))
            blurhash, dominant_color = _placeholder(reply)
            if reply.get("published_inline") is not True:
                described = os.fstat(published.fileno())
                if not stat.S_ISREG(described.st_mode) or described.st_size != size:
                    raise ValueError("the published file is not what the reply says")
        except (ValueError, OSError):
            if owned:
                published.close()
            raise InvalidImage("Image could not be decoded") from None
        published.seek(0)
        return ProcessedImage(
            info=info,
            published=published,
            published_size=size,
            thumbnail=io.BytesIO(thumbnail),
            thumbnail_format=thumbnail_format,
            blurhash=blurhash,
            dominant_color=dominant_color,
        )

    def pool_problem(self) -> str | None:
        """Why decodes cannot run now (for readiness), or None: the pool's socket must accept
        a connection within a second (a decode child greets it and sees it close)."""
        try:
            pool = self._pool()
        except (OSError, RuntimeError):
            return "the decode pool did not start"
        if not pool.alive:
            return "the decode pool exited"
        if not pool.accepting():
            return "the decode pool does not accept jobs"
        return None

    # --- one job ---------------------------------------------------------------------------

    def _run(
        self,
        op: str,
        source: BinaryIO,
        into_fd: int = -1,
        *,
        extra: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], BinaryIO | None, bytes]:
        observer = self.observer
        if observer is None:
            return self._job(op, source, into_fd, extra=extra)
        observer.decode_started(op)
        started = time.perf_counter()
        outcome = "error"
        try:
            done = self._job(op, source, into_fd, extra=extra)
            outcome = "ok"
            return done
        except BaseException as exc:
            outcome = _outcome(exc)
            raise
        finally:
            observer.decode_finished(op, outcome, time.perf_counter() - started)

    def _job(
        self,
        op: str,
        source: BinaryIO,
        into_fd: int = -1,
        *,
        extra: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], BinaryIO | None, bytes]:
        budget = self.budget
        try:
            pool = self._pool()
        except (OSError, RuntimeError) as exc:
            log.error("image decode pool unavailable: %s", exc)
            raise ProcessingBusy(BUSY, retry_after=budget.retry_after_seconds) from exc
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            child, supervisor = self._wait_for_child(sock, pool)
            upload = _handover(source)
            try:
                request = {
                    **(extra or {}),
                    "op": op,
                    "offset": upload.offset,
                    "limits": self.limits,
                    "budget": {
                        "cpu_seconds": budget.cpu_seconds,
                        "wall_seconds": budget.wall_seconds,
                        "memory_bytes": budget.memory_bytes,
                    },
                }
                sock.settimeout(budget.wall_seconds + _REPLY_GRACE)
                fds = [] if upload.data is not None else [upload.fd]
                if into_fd >= 0:
                    request["into"] = True
                    fds.append(into_fd)
                if upload.data is not None:
                    request["inline"] = len(upload.data)
                try:
                    sandbox.send_message(sock, request, fds)
                    if upload.data is not None:
                        sock.sendall(upload.data)
                    return self._reply(sock)
                except TimeoutError:
                    _kill_stuck_child(child, supervisor)
                    log.warning("image decode ran past %ss: killed", budget.wall_seconds)
                    raise ImageTooComplex(TOO_COMPLEX) from None
                except ValueError:
                    raise InvalidImage("Image could not be decoded") from None
                except (EOFError, OSError):
                    # The kernel ended the child: CPU (SIGXCPU), wall time (SIGALRM), or a crash.
                    log.warning("image decode process ended before answering (over budget)")
                    raise ImageTooComplex(TOO_COMPLEX) from None
            finally:
                if upload.copy is not None:
                    upload.copy.close()
                elif upload.data is None:
                    # The child moved the shared file offset: put the caller's file back.
                    with contextlib.suppress(OSError, ValueError):
                        source.seek(upload.offset)

    def _wait_for_child(self, sock: socket.socket, pool: DecodePool) -> tuple[int, int]:
        """Connect and wait (at most queue_seconds) for a child's greeting: (child, supervisor)."""
        sock.settimeout(self.budget.queue_seconds)
        started = time.perf_counter()
        try:
            sock.connect(pool.socket_path)
            supervisor = _peer_pid(sock)
            magic, child = sandbox.GREETING.unpack(sandbox.recv_exact(sock, sandbox.GREETING.size))
            if self.observer is not None:
                self.observer.decode_waited(time.perf_counter() - started)
        except TimeoutError:
            log.warning("no free image decode process within %ss", self.budget.queue_seconds)
            raise ProcessingBusy(BUSY, retry_after=self.budget.retry_after_seconds) from None
        except (OSError, EOFError) as exc:
            log.error("image decode pool unreachable: %s", exc)
            raise ProcessingBusy(BUSY, retry_after=self.budget.retry_after_seconds) from exc
        if magic != sandbox.MAGIC:
            raise ProcessingBusy(BUSY, retry_after=self.budget.retry_after_seconds)
        return child, supervisor

    def _reply(self, sock: socket.socket) -> tuple[dict[str, Any], BinaryIO | None, bytes]:
        reply, fds, rest = sandbox.recv_message(sock, max_size=1 << 16, max_fds=1)
        published: BinaryIO | None = os.fdopen(fds[0], "rb") if fds else None
        try:
            if reply.get("ok") is not True:
                raise self._failure(reply)
            if reply.get("published_inline") is True and published is None:
                inline = _int(reply, "published_size", 1, _MAX_INLINE)
                data = sandbox.recv_exact(sock, inline, rest[:inline])
                rest = rest[inline:]
                published = io.BytesIO(data)
            size = (
                _int(reply, "thumbnail_size", 0, _MAX_THUMBNAIL) if "thumbnail_size" in reply else 0
            )
            thumbnail = sandbox.recv_exact(sock, size, rest[:size]) if size else b""
        except BaseException:
            if published is not None:
                published.close()
            raise
        return reply, published, thumbnail

    def _failure(self, reply: dict[str, Any]) -> Exception:
        error = reply.get("error")
        if error == "budget":
            return ImageTooComplex(TOO_COMPLEX)
        if error == "StorageUnavailable":
            # Writing the published file into our storage file failed (a full disk): 503.
            return StorageUnavailable(STORAGE_DOWN)
        message = reply.get("message")
        if not isinstance(message, str) or not message or len(message) > _MAX_MESSAGE:
            message = "Image could not be decoded"
        return _ERRORS.get(str(error), InvalidImage)(message)

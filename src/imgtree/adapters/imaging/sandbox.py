"""The decode sandbox: a supervisor process and its decode children, the only place that decodes.

Run as ``python -m imgtree.adapters.imaging.sandbox --socket PATH --workers N``. The
supervisor preloads Pillow, binds a Unix socket (mode 0600) and forks N children that each
`accept()` on it, one job at a time; it re-forks any child that exits, and exits itself when
its parent does. A client (`pool.PooledImageProcessor`) connects, waits for a child's
greeting (so a saturated pool is seen as a wait, which the client bounds), passes the upload
as a file descriptor (SCM_RIGHTS: no bytes are copied, no path is exposed) with the job's
limits as JSON, and gets back a JSON reply, the published file as another descriptor and the
thumbnail's bytes.

Per job a child runs under hard limits set by the kernel, not by the decoder's good manners:

- ``RLIMIT_CPU``: the soft limit is the CPU already used plus the job's seconds; past it the
  kernel sends SIGXCPU, whose default action ends the process;
- ``ITIMER_REAL`` with SIGALRM left at its default action: the wall-clock kill;
- ``RLIMIT_AS``: the address space the child had when idle plus the job's memory budget, so an
  allocation past it fails (MemoryError, or a codec error) instead of growing the host's RSS.

A child that runs over is gone (the client reads end-of-file and refuses the file); a child
that hit the memory limit, or whose RSS stayed high after a job, exits after replying, so the
next job starts in a fresh process. Replies are JSON, never pickles: a child that a parser
bug had subverted still could not make the client run code.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import signal
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GREETING = struct.Struct("<4sI")  # magic, child pid
MAGIC = b"IMGT"
LENGTH = struct.Struct("<I")
MAX_REQUEST = 1 << 16
# Uploads held in memory up to this size travel as bytes through the socket, and so do the
# published files the processor keeps in memory (up to imaging.stream.SPOOL_MAX, the same
# 8 MiB); larger ones go as a descriptor of their file. Measured (bench R1, same sitting): for
# a 3.7 MB JPEG, its published bytes through the socket cost ~7 CPU-ms less than a temporary
# file in the child that the worker reads back.
MAX_INLINE = 8 << 20
# A child leaves once its idle RSS has grown this far past its first idle RSS (allocator
# arenas kept after a large image), or after this many jobs: memory goes back to the host.
RECYCLE_RSS_GROWTH = 96 << 20
RECYCLE_JOBS = 2000
_IDLE_POLL = 1.0  # seconds between checks that the supervisor is still there


# --- wire helpers (shared with the client) ---------------------------------------------------


def send_message(sock: socket.socket, doc: dict[str, Any], fds: list[int] | None = None) -> None:
    body = json.dumps(doc, separators=(",", ":")).encode()
    data = LENGTH.pack(len(body)) + body
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.sendall(data)


def recv_exact(sock: socket.socket, n: int, head: bytes = b"") -> bytes:
    parts = [head]
    got = len(head)
    while got < n:
        piece = sock.recv(min(n - got, 1 << 20))
        if not piece:
            raise EOFError("the peer closed the connection")
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def recv_message(
    sock: socket.socket, *, max_size: int = MAX_REQUEST, max_fds: int = 0
) -> tuple[dict[str, Any], list[int], bytes]:
    """One length-prefixed JSON message, the descriptors that came with it, and any bytes
    read past its end."""
    if max_fds:
        first, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, max_fds)
    else:
        first, fds = sock.recv(1 << 16), []
    try:
        if not first:
            raise EOFError("the peer closed the connection")
        head = recv_exact(sock, LENGTH.size, first) if len(first) < LENGTH.size else first
        (size,) = LENGTH.unpack_from(head)
        if size > max_size:
            raise ValueError("message too large")
        data = recv_exact(sock, LENGTH.size + size, head)
        doc = json.loads(data[LENGTH.size : LENGTH.size + size])
        if not isinstance(doc, dict):
            raise ValueError("message is not an object")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return doc, fds, data[LENGTH.size + size :]


# --- measurements of this process -------------------------------------------------------------


def _status_kb(*fields: str) -> dict[str, int]:
    """The named kB fields of /proc/self/status (0 when unreadable)."""
    found = dict.fromkeys(fields, 0)
    with contextlib.suppress(OSError), open("/proc/self/status", "rb") as f:
        for line in f:
            name, _, value = line.partition(b":")
            key = name.decode()
            if key in found:
                found[key] = int(value.split()[0])
    return found


def in_memory(file: Any) -> bool:
    """A BytesIO, or a SpooledTemporaryFile that has not rolled over to disk."""
    if isinstance(file, io.BytesIO):
        return True
    return isinstance(file, tempfile.SpooledTemporaryFile) and not getattr(file, "_rolled", True)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak_rss() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM to the current RSS (per job peaks).
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


# --- the child ---------------------------------------------------------------------------------


class _Child:
    def __init__(self, listener: socket.socket, supervisor: int) -> None:
        self.listener = listener
        self.supervisor = supervisor
        self.processors: dict[tuple[Any, ...], Any] = {}
        idle = _status_kb("VmSize", "VmRSS")
        self.idle_vm = idle["VmSize"] * 1024
        self.idle_rss = idle["VmRSS"] * 1024
        self.jobs = 0

    def run(self) -> None:
        self.listener.settimeout(_IDLE_POLL)
        while os.getppid() == self.supervisor and self.jobs < RECYCLE_JOBS:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.jobs += 1
            with conn:
                conn.settimeout(None)
                keep_going = self._serve(conn)
            if not keep_going:
                return

    def _serve(self, conn: socket.socket) -> bool:
        """One job; False when this process should be replaced after it."""
        try:
            conn.sendall(GREETING.pack(MAGIC, os.getpid()))
            request, fds, rest = recv_message(conn, max_fds=2)
            inline = request.get("inline")
            into = request.get("into") is True
            wanted = (0 if inline is not None else 1) + (1 if into else 0)
            if len(fds) != wanted or (
                inline is not None and not (isinstance(inline, int) and 0 < inline <= MAX_INLINE)
            ):
                for fd in fds:
                    os.close(fd)
                return True
            # The file to write the published bytes into (the client's staged blob).
            into_file: Any = os.fdopen(fds.pop(), "r+b") if into else None
            if inline is not None:
                # A small upload held in memory by the client comes as bytes, not as a file.
                source: Any = io.BytesIO(recv_exact(conn, inline, rest[:inline]))
            else:
                source = os.fdopen(fds[0], "rb")
        except (OSError, EOFError, ValueError):
            return True  # the client gave up while queued, or spoke nonsense
        try:
            reply, published, thumbnail, healthy = self._job(request, source, into_file)
        finally:
            source.close()
        try:
            if published is not None and published is into_file:
                reply["published_into"] = True
                send_message(conn, reply)
                conn.sendall(thumbnail)
                published = None  # the client's file: closed below as into_file
            elif published is None:
                send_message(conn, reply)
            elif in_memory(published):
                # Small files never touched disk here: their bytes go inline, before the
                # thumbnail's (cheaper than making a file only to pass its descriptor).
                reply["published_inline"] = True
                send_message(conn, reply)
                with _memory_view(published) as inline:
                    conn.sendall(inline)
                conn.sendall(thumbnail)
            else:
                send_message(conn, reply, [published.fileno()])
                conn.sendall(thumbnail)
        except OSError:
            pass  # the client is gone (its own wall-clock limit); nothing to undo here
        finally:
            if published is not None:
                published.close()
            if into_file is not None:
                into_file.close()
        return healthy

    def _processor(self, limits: dict[str, int]) -> Any:
        from imgtree.adapters.imaging.pillow import PillowImageProcessor

        key = tuple(sorted(limits.items()))
        processor = self.processors.get(key)
        if processor is None:
            processor = self.processors[key] = PillowImageProcessor(**limits)
        return processor

    def _job(
        self, request: dict[str, Any], source: Any, into: Any = None
    ) -> tuple[dict[str, Any], Any, bytes, bool]:
        from imgtree.domain.errors import DomainError
        from imgtree.domain.model import ImageFormat

        op = request.get("op")
        budget = request.get("budget") or {}
        cpu = int(budget.get("cpu_seconds", 10))
        wall = float(budget.get("wall_seconds", 30))
        memory = int(budget.get("memory_bytes", 512 << 20))
        processor = self._processor(dict(request.get("limits") or {}))
        source.seek(int(request.get("offset", 0)))
        cpu_before = _cpu_seconds()
        _reset_peak_rss()
        _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
        _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
        published = None
        healthy = True
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_before) + cpu, cpu_hard))
            resource.setrlimit(resource.RLIMIT_AS, (self.idle_vm + memory, as_hard))
            signal.setitimer(signal.ITIMER_REAL, wall)
            if op == "inspect":
                info = processor.inspect(source)
                reply: dict[str, Any] = {"ok": True, **_info(info)}
                thumbnail = b""
            elif op == "process":
                done = (
                    processor.process(source)
                    if into is None
                    else processor.process_into(source, into)
                )
                published = done.published
                thumbnail = done.thumbnail.read()
                done.thumbnail.close()
                published.flush()
                reply = {
                    "ok": True,
                    **_info(done.info),
                    "published_size": done.published_size,
                    "thumbnail_format": done.thumbnail_format.value,
                    "thumbnail_size": len(thumbnail),
                    "blurhash": done.blurhash,
                    "dominant_color": done.dominant_color,
                }
            elif op == "placeholder":
                hashed, colour = processor.placeholder_of(source)
                reply, thumbnail = {"ok": True, "blurhash": hashed, "dominant_color": colour}, b""
            elif op == "resize" and isinstance(request.get("bound"), int) and request["bound"] > 0:
                target = request.get("format")
                resized = processor.resize(
                    source, request["bound"], None if target is None else ImageFormat(target)
                )
                published, thumbnail = resized.data, b""
                if resized.size > MAX_INLINE:  # too large to go inline: pass a descriptor
                    published = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
                    published.write(resized.data.getbuffer())
                    resized.data.close()
                reply = {
                    "ok": True,
                    "format": resized.format.value,
                    "width": resized.width,
                    "height": resized.height,
                    "frames": 1,
                    "published_size": resized.size,
                }
            else:
                reply, thumbnail = {"ok": False, "error": "InvalidInput", "message": "bad op"}, b""
        except MemoryError:
            reply, thumbnail, healthy = _over_budget(), b"", False
        except DomainError as exc:
            if _caused_by_memory(exc):  # the processor maps every decoder failure to a 422
                reply, thumbnail, healthy = _over_budget(), b"", False
            else:
                reply, thumbnail = {"ok": False, "error": type(exc).__name__}, b""
                reply["message"] = exc.message
        except Exception as exc:  # a decoder failure PillowImageProcessor did not map
            print(f"imgtree decode child: {type(exc).__name__}: {exc}", file=sys.stderr)
            reply, thumbnail = {"ok": False, "error": "InvalidImage", "message": ""}, b""
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            resource.setrlimit(resource.RLIMIT_AS, (as_hard, as_hard))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_hard, cpu_hard))
        reply["cpu_ms"] = round((_cpu_seconds() - cpu_before) * 1000, 1)
        status = _status_kb("VmHWM", "VmRSS")
        reply["peak_rss_kb"] = status["VmHWM"]
        healthy = healthy and status["VmRSS"] * 1024 <= self.idle_rss + RECYCLE_RSS_GROWTH
        return reply, published, thumbnail, healthy


def _memory_view(file: Any) -> memoryview:
    """The bytes of an in-memory file (see `in_memory`) without copying them."""
    memory = file if isinstance(file, io.BytesIO) else file._file
    view: memoryview = memory.getbuffer()
    return view


def _over_budget() -> dict[str, Any]:
    return {"ok": False, "error": "budget", "message": "memory"}


def _caused_by_memory(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if seen is None:
            return False
        if isinstance(seen, MemoryError):
            return True
    return False


def _info(info: Any) -> dict[str, Any]:
    return {
        "format": info.format.value,
        "width": info.width,
        "height": info.height,
        "frames": info.frames,
        "source_format": None if info.source_format is None else info.source_format.value,
    }


def _child_main(listener: socket.socket, supervisor: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGXCPU, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    # A child the kernel ends for its budget must not write a core file of a hostile upload.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    code = 0
    try:
        _Child(listener, supervisor).run()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


# --- the supervisor ------------------------------------------------------------------------------


def serve(socket_path: str, workers: int) -> None:
    # Preloaded once, shared copy-on-write by every child.
    import PIL.Image

    import imgtree.adapters.imaging.pillow  # noqa: F401

    PIL.Image.init()
    parent = os.getppid()
    me = os.getpid()
    path = Path(socket_path)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_mask = os.umask(0o177)
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_mask)
    listener.listen(256)
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children: set[int] = set()
    quick_deaths = 0
    started: dict[int, float] = {}

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:
            _child_main(listener, me)
        children.add(pid)
        started[pid] = time.monotonic()

    for _ in range(workers):
        spawn()
    try:
        while not stopping and os.getppid() == parent:
            reaped = False
            while True:
                try:
                    pid, _status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    pid = 0
                if pid == 0:
                    break
                reaped = True
                children.discard(pid)
                lived = time.monotonic() - started.pop(pid, 0.0)
                quick_deaths = quick_deaths + 1 if lived < 1.0 else 0
            if reaped and quick_deaths > 5 * workers:
                time.sleep(min(5.0, 0.1 * quick_deaths))  # something is broken: do not spin
            while len(children) < workers and not stopping:
                spawn()
            time.sleep(0.05 if reaped else 0.25)
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            path.unlink()
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m imgtree.adapters.imaging.sandbox")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    serve(args.socket, max(1, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())

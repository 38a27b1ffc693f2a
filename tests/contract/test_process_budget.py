"""The processing budget of `PooledImageProcessor`: what runs over is refused, the caller stays
small, a saturated pool is a bounded wait, and a misbehaving decode child cannot crash or fool
its caller.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bench.procs import children, status_kb
from PIL import Image

from imgtree.adapters.imaging import PillowImageProcessor, sandbox
from imgtree.adapters.imaging import pool as pool_module
from imgtree.adapters.imaging.pool import (
    TOO_COMPLEX,
    DecodePool,
    PooledImageProcessor,
    ProcessBudget,
    private_pool,
)
from imgtree.domain.errors import (
    ImageTooComplex,
    InvalidImage,
    ProcessingBusy,
    UnsupportedMediaType,
)
from imgtree.domain.model import ImageFormat
from tests.support import imagegen
from tests.support.budget import kill_all, long_gif, solid_png

MiB = 1 << 20
ROOMY = ProcessBudget(cpu_seconds=60, wall_seconds=120, memory_bytes=2048 * MiB)


def pooled(budget: ProcessBudget, workers: int = 2, **limits: int) -> PooledImageProcessor:
    return PooledImageProcessor(lambda: private_pool(workers), budget=budget, **limits)


def small_png() -> io.BytesIO:
    return io.BytesIO(imagegen.png(64, 48))


def test_a_file_over_the_memory_budget_is_refused_and_the_caller_does_not_grow() -> None:
    processor = pooled(ProcessBudget(memory_bytes=64 * MiB))
    data = solid_png()  # ~200 MB of pixels
    before = status_kb(os.getpid(), "VmRSS")
    with pytest.raises(ImageTooComplex, match=TOO_COMPLEX):
        processor.process(io.BytesIO(data))
    assert status_kb(os.getpid(), "VmRSS") - before < 32 * 1024, (
        "the caller's memory grew with the decode"
    )
    # The same pool goes on serving.
    assert processor.process(small_png()).info.width == 64


def test_the_same_file_passes_with_room() -> None:
    done = pooled(ROOMY).process(io.BytesIO(solid_png()))
    assert (done.info.width, done.info.height) == (7000, 7000)
    done.published.close()


def test_a_file_over_the_cpu_budget_is_refused() -> None:
    # 600 frames of 1 MP: several CPU-seconds, allowed by raised image limits, over 1 s of CPU.
    processor = pooled(
        ProcessBudget(cpu_seconds=1, wall_seconds=120),
        max_pixels=1_000_000_000,
        max_frames=10_000,
    )
    started = time.monotonic()
    with pytest.raises(ImageTooComplex):
        processor.process(io.BytesIO(long_gif()))
    assert time.monotonic() - started < 60
    assert processor.process(small_png()).info.format is ImageFormat.PNG


def test_a_file_over_the_wall_clock_budget_is_refused() -> None:
    processor = pooled(ProcessBudget(wall_seconds=0.05))
    with pytest.raises(ImageTooComplex):
        processor.process(io.BytesIO(solid_png()))
    assert pooled(ROOMY).process(small_png()).info.width == 64


def test_a_saturated_pool_answers_busy_after_the_bounded_wait() -> None:
    budget = ProcessBudget(cpu_seconds=60, wall_seconds=60, queue_seconds=0.3)
    processor = pooled(budget, workers=1, max_pixels=1_000_000_000, max_frames=10_000)
    processor.process(small_png())  # the pool is up
    outcome: list[object] = []
    slow = threading.Thread(
        target=lambda: outcome.append(processor.process(io.BytesIO(long_gif())))
    )
    slow.start()
    try:
        time.sleep(0.3)  # the only child is now decoding the long animation
        started = time.monotonic()
        with pytest.raises(ProcessingBusy) as caught:
            processor.process(small_png())
        assert 0.25 < time.monotonic() - started < 5
        assert caught.value.retry_after == budget.retry_after_seconds
    finally:
        slow.join(120)
    assert outcome and not isinstance(outcome[0], Exception)
    assert processor.process(small_png()).info.width == 64


def test_a_child_killed_mid_decode_is_a_refusal_and_is_replaced() -> None:
    pool = private_pool(1)
    processor = PooledImageProcessor(lambda: pool, budget=ROOMY, max_pixels=10**9, max_frames=10**4)
    processor.process(small_png())
    assert pool.pid is not None
    errors: list[BaseException] = []

    def run() -> None:
        try:
            processor.process(io.BytesIO(long_gif()))
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.5)
    kill_all(children(pool.pid))
    worker.join(60)
    assert errors and isinstance(errors[0], ImageTooComplex)
    assert processor.process(small_png()).info.width == 64


def test_domain_errors_come_back_as_themselves() -> None:
    processor = pooled(ROOMY)
    with pytest.raises(UnsupportedMediaType):
        processor.process(io.BytesIO(b"%PDF-1.7 not an image"))
    with pytest.raises(InvalidImage) as caught:
        processor.process(io.BytesIO(imagegen.truncated(imagegen.png(64, 48))))
    assert not isinstance(caught.value, ImageTooComplex)


def test_sources_that_are_not_files_and_offsets(tmp_path: Path) -> None:
    processor = pooled(ROOMY)
    data = imagegen.jpeg(80, 60)
    path = tmp_path / "upload"
    path.write_bytes(b"junk-before" + data)
    with path.open("rb") as f:
        f.seek(len(b"junk-before"))
        assert processor.process(f).info.width == 80
        assert f.tell() == len(b"junk-before")  # the caller's file is where it was
    with tempfile.SpooledTemporaryFile(max_size=1 << 20) as spooled:
        spooled.write(data)
        spooled.seek(0)
        assert processor.process(spooled).info.height == 60  # type: ignore[arg-type]


# --- a decode "child" that lies: the client must stay in control ----------------------------


@pytest.fixture
def fake_sandbox() -> Iterator[Callable[[Callable[[socket.socket], None]], DecodePool]]:
    directory = tempfile.mkdtemp(prefix="imgtree-fake-")
    servers: list[socket.socket] = []

    def start(behave: Callable[[socket.socket], None]) -> DecodePool:
        path = os.path.join(directory, f"s{len(servers)}")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(4)
        servers.append(server)

        def loop() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn, contextlib.suppress(OSError):
                    behave(conn)

        threading.Thread(target=loop, daemon=True).start()
        return DecodePool(path)

    yield start
    for server in servers:
        server.close()


def _greet_and_read(conn: socket.socket) -> None:
    conn.sendall(sandbox.GREETING.pack(sandbox.MAGIC, os.getpid() + 10**6))
    _, fds, _ = sandbox.recv_message(conn, max_fds=1)
    for fd in fds:
        os.close(fd)


def _replies() -> dict[str, Callable[[socket.socket], None]]:
    def raw(data: bytes) -> Callable[[socket.socket], None]:
        def behave(conn: socket.socket) -> None:
            _greet_and_read(conn)
            conn.sendall(data)

        return behave

    def doc(d: dict[str, object]) -> Callable[[socket.socket], None]:
        def behave(conn: socket.socket) -> None:
            _greet_and_read(conn)
            sandbox.send_message(conn, d)

        return behave

    def wrong_fd(conn: socket.socket) -> None:
        _greet_and_read(conn)
        left, right = socket.socketpair()
        reply = {"ok": True, "format": "image/png", "width": 1, "height": 1, "frames": 1}
        sandbox.send_message(
            conn,
            {**reply, "published_size": 10, "thumbnail_format": "image/jpeg", "thumbnail_size": 0},
            [left.fileno()],
        )
        left.close()
        right.close()

    good = {"ok": True, "format": "image/png", "width": 1, "height": 1, "frames": 1}
    return {
        "hangs-up": lambda conn: _greet_and_read(conn),
        "garbage": raw(b"\x05\x00\x00\x00{{{{{"),
        "huge-length": raw(b"\xff\xff\xff\xff"),
        "not-an-object": doc([]),  # type: ignore[dict-item]
        "bad-format": doc({**good, "format": "text/html", "published_size": 1}),
        "negative-width": doc({**good, "width": -5, "published_size": 1}),
        "no-published-file": doc({**good, "published_size": 10, "thumbnail_format": "image/jpeg"}),
        "published-is-a-socket": wrong_fd,
        "unknown-error-class": doc({"ok": False, "error": "SystemExit", "message": "x"}),
        "inline-too-large": doc({**good, "published_inline": True, "published_size": 1 << 40}),
    }


@pytest.mark.parametrize("behaviour", list(_replies()))
def test_a_lying_child_is_only_ever_an_invalid_image(
    fake_sandbox: Callable[[Callable[[socket.socket], None]], DecodePool], behaviour: str
) -> None:
    pool = fake_sandbox(_replies()[behaviour])
    processor = PooledImageProcessor(pool, budget=ProcessBudget(wall_seconds=2))
    with pytest.raises(InvalidImage):
        processor.process(small_png())


def test_a_peer_that_is_no_sandbox_is_busy_not_a_crash(
    fake_sandbox: Callable[[Callable[[socket.socket], None]], DecodePool],
) -> None:
    pool = fake_sandbox(lambda conn: conn.sendall(b"HTTP/1.1 200 OK\r\n"))
    with pytest.raises(ProcessingBusy):
        PooledImageProcessor(pool, budget=ProcessBudget(queue_seconds=1)).process(small_png())
    missing = DecodePool("/nonexistent/imgtree.sock")
    with pytest.raises(ProcessingBusy):
        PooledImageProcessor(missing).process(small_png())


def test_a_published_file_past_the_inline_size_comes_as_a_file() -> None:
    im = Image.frombytes("RGB", (2000, 1600), random.Random(7).randbytes(2000 * 1600 * 3))
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=0)
    data = out.getvalue()
    assert len(data) > sandbox.MAX_INLINE
    done = pooled(ROOMY).process(io.BytesIO(data))
    expected = PillowImageProcessor().process(io.BytesIO(data))
    with done.published, expected.published:
        assert os.fstat(done.published.fileno()).st_size == done.published_size
        assert done.published.read() == expected.published.read()


@pytest.mark.parametrize(
    "reply",
    [
        {"blurhash": '"><script>alert(1)</script>'},
        {"blurhash": 42},
        {"dominant_color": "red; background: url(//evil)"},
        {"dominant_color": "#FF0000"},
        {"dominant_color": ["#ff0000"]},
    ],
)
def test_a_child_placeholder_of_the_wrong_shape_is_refused(reply: dict[str, object]) -> None:
    """The placeholder ends up in HTML attributes and CSS: from a (possibly compromised)
    decode child, only the exact formats the domain accepts pass."""
    with pytest.raises(ValueError):
        pool_module._placeholder(reply)


def test_a_child_placeholder_may_be_absent() -> None:
    assert pool_module._placeholder({}) == (None, None)
    good = {"blurhash": "L" + "0" * 27, "dominant_color": "#00ff7f"}
    assert pool_module._placeholder(good) == ("L" + "0" * 27, "#00ff7f")

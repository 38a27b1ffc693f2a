"""Helpers for the `imgtree upload` / `imgtree login` tests: run the command as a user would
(a subprocess with its own config folder), a folder of photos, and an imgtree app served over
a real socket from a thread (for a rate-limit window shorter than production's minute)."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.support import imagegen
from tests.support.servers import BIN, base_env

# Files above this go through presign -> PUT -> complete in the tests (`--presign-above`).
PRESIGN_ABOVE = 10_000


def user_key(server_env: dict[str, str], email: str) -> str:
    """A user and an API key on the instance `server_env` describes, made through its
    container in this process (the CLI's `users create` and `keys create` do the same, at
    the cost of two interpreter starts)."""
    from imgtree.entrypoints.containers import build_container
    from imgtree.entrypoints.settings import Settings

    container = build_container(Settings.from_env(server_env))
    try:
        user = container.use_cases.create_user()(email, "long enough secret for cli")
        return container.use_cases.create_api_key()(user.id, "cli").secret
    finally:
        container.shutdown_resources()


def album_of(server_env: dict[str, str], email: str, title: str) -> str:
    """A new album of the user with `email`, made through the instance's container: its id."""
    from imgtree.domain.model import normalise_email
    from imgtree.entrypoints.containers import build_container
    from imgtree.entrypoints.settings import Settings

    container = build_container(Settings.from_env(server_env))
    try:
        with container.adapters.uow_factory()() as uow:
            user = uow.users.get_by_email(normalise_email(email))
        assert user is not None
        return str(container.use_cases.albums().create(user.id, title).id)
    finally:
        container.shutdown_resources()


def album_of_image(server_env: dict[str, str], slug: str) -> str | None:
    """The album id the image with `slug` is in, read from the instance's database."""
    from imgtree.entrypoints.containers import build_container
    from imgtree.entrypoints.settings import Settings

    container = build_container(Settings.from_env(server_env))
    try:
        with container.adapters.uow_factory()() as uow:
            image = uow.images.get_by_slug(slug)
        assert image is not None
        return str(image.album_id) if image.album_id else None
    finally:
        container.shutdown_resources()


def client_env(home: Path, **values: str) -> dict[str, str]:
    """An environment with no IMGTREE_* of the test run's and a config folder of its own."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    return base_env(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), **values)


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`imgtree ARGS` with stdin not a terminal (no prompts, no progress bars)."""
    return subprocess.run(
        [str(BIN / "imgtree"), *args],
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def photo_folder(root: Path) -> dict[str, bytes]:
    """A folder as a camera and a person leave it: images at two levels, one of them above
    PRESIGN_ABOVE, one without an extension, a hidden folder and a hidden file, and notes.
    Returns what `imgtree upload` should send, by relative path, in the order it should."""
    sent = {
        "a.png": imagegen.png(40, 30),
        "b.jpg": imagegen.jpeg(50, 30),
        "c": imagegen.gif(20, 20),  # an image without an extension: sniffed
        "trip/big.jpg": imagegen.jpeg(1200, 900),
        "trip/d.webp": imagegen.webp(30, 20),
    }
    assert len(sent["trip/big.jpg"]) > PRESIGN_ABOVE
    assert all(len(v) < PRESIGN_ABOVE for k, v in sent.items() if k != "trip/big.jpg")
    skipped = {
        ".hidden/e.png": imagegen.png(10, 10),
        ".f.png": imagegen.png(12, 10),
        "notes.txt": b"not an image",
    }
    for name, data in {**sent, **skipped}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return sent


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def wsgi_thread(app: Any, port: int = 0) -> Iterator[str]:
    """Serve a WSGI app on a loopback port (a free one by default) from a thread; yield its
    base URL."""
    server = make_server(
        "127.0.0.1", port, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_with_terminal(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`imgtree ARGS` with stderr on a pseudo-terminal (as in an interactive shell) and
    stdout on a pipe (as in `imgtree upload ... | xargs`): (exit status, stdout, stderr)."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    # A terminal of 30 rows x 100 columns, as a window would report it (a new pty has 0 x 0).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    try:
        proc = subprocess.Popen(
            [str(BIN / "imgtree"), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
        )
        os.close(slave)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout = proc.stdout.read() if proc.stdout else ""
        status = proc.wait(timeout=120)
    finally:
        os.close(master)
    return status, stdout, b"".join(chunks).decode("utf-8", "replace")

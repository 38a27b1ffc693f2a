"""Start and stop real `imgtree serve` (gunicorn) processes for the smoke, browser and fault
tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "imgtree"), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def base_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGTREE_")}
    env.update(values)
    return env


def local_env(root: Path, **values: str) -> dict[str, str]:
    """The environment of an instance on SQLite + local disk under `root`, migrated."""
    env = base_env(
        IMGTREE_DATABASE_URL=f"sqlite:///{root / 'imgtree.sqlite3'}",
        IMGTREE_MEDIA_DIR=str(root / "media"),
        **values,
    )
    cli(env, "migrate")
    return env


@contextlib.contextmanager
def serve(
    env: dict[str, str],
    log_path: Path,
    *,
    workers: int = 2,
    access_log: bool = False,
    probe: str = "/api/v1/upload",
) -> Iterator[str]:
    """Run `imgtree serve` on a free loopback port; yield its base URL once `probe` answers
    200 (`/readyz`: database, storage and decode pool ready)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**env, "IMGTREE_BASE_URL": env.get("IMGTREE_BASE_URL", base)}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                str(BIN / "imgtree"),
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                *(() if access_log else ("--no-access-log",)),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{base}{probe}", timeout=5).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def eventually_status(url: str, status: int, *, within: float | None = None) -> int:
    """GET `url` until it answers `status` or `within` seconds pass; the last status seen.

    Another worker may serve a just-deleted image for up to the media cache's TTL (see
    imgtree.entrypoints.http.cache): a change is immediate only in the worker that made it.
    """
    from imgtree.entrypoints.http.app import MEDIA_CACHE_TTL

    deadline = time.monotonic() + (MEDIA_CACHE_TTL + 1.0 if within is None else within)
    while True:
        got = requests.get(url, timeout=10).status_code
        if got == status or time.monotonic() >= deadline:
            return got
        time.sleep(0.1)

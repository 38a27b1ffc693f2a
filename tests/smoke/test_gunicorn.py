"""Boot the real `imgtree serve` (gunicorn) on SQLite + local disk and use it over a socket,
exactly as a newcomer would after `make run`: migrate, create a user and a key with the CLI,
upload with multipart and JSON, fetch every URL, list, delete."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests import imagegen

pytestmark = pytest.mark.smoke
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("smoke")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "IMGTREE_BASE_URL": base,
        "IMGTREE_DATABASE_URL": f"sqlite:///{root / 'imgtree.sqlite3'}",
        "IMGTREE_MEDIA_DIR": str(root / "media"),
    }
    cli(env, "migrate")
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "imgtree"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/api/v1/upload", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, (root / "server.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield base, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_newcomer_flow_over_real_http(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    cli(env, "users", "create", "new@example.com", "--password", "correct horse battery")
    out = cli(env, "keys", "create", "--email", "new@example.com", "--name", "sharex")
    key = out.strip().splitlines()[-1]
    assert key.startswith("imgt_")
    listing = cli(env, "keys", "list", "--email", "new@example.com")
    assert "sharex" in listing and key not in listing
    auth = {"Authorization": f"Bearer {key}"}

    # ShareX-style multipart, two files in one request.
    r = requests.post(
        f"{base}/api/v1/upload",
        headers=auth,
        files=[
            (
                "file",
                ("a.jpg", imagegen.jpeg(640, 480, exif_orientation=6, gps=True), "image/jpeg"),
            ),
            ("file", ("b.png", imagegen.png(64, 64, alpha=True), "image/png")),
        ],
        timeout=30,
    )
    assert r.status_code == 200, r.text
    first, second = r.json()["images"]
    assert first["url"].startswith(base)

    # JSON base64.
    r = requests.post(
        f"{base}/api/v1/upload",
        headers=auth,
        json={
            "filename": "c.gif",
            "file_base64": base64.b64encode(imagegen.gif(16, 16, frames=3)).decode(),
        },
        timeout=30,
    )
    assert r.status_code == 200, r.text

    page = requests.get(first["url"], timeout=10)
    assert page.status_code == 200 and 'property="og:image"' in page.text
    direct = requests.get(first["direct_url"], timeout=10)
    assert direct.status_code == 200 and direct.headers["Content-Type"] == "image/jpeg"
    assert b"GPS" not in direct.content
    thumb = requests.get(first["thumb_url"], timeout=10)
    assert thumb.status_code == 200
    ranged = requests.get(first["direct_url"], headers={"Range": "bytes=0-1"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == b"\xff\xd8"

    listing = requests.get(f"{base}/api/v1/images", headers=auth, timeout=10).json()
    assert listing["total"] == 3

    confirm = requests.get(second["delete_url"], timeout=10)
    assert confirm.status_code == 200 and "Delete this image?" in confirm.text
    assert requests.get(second["direct_url"], timeout=10).status_code == 200
    assert requests.delete(second["delete_url"], timeout=10).status_code == 200
    assert requests.get(second["direct_url"], timeout=10).status_code == 404

    bad = requests.post(f"{base}/api/v1/upload", headers=auth, data=b"x", timeout=10)
    assert bad.status_code == 415
    assert requests.get(f"{base}/api/v1/upload", timeout=10).status_code == 200

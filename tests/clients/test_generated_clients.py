"""Clients generated from the running server's /api/v1/openapi.json work against it, unedited.

One live `imgtree serve` (SQLite + local disk, one worker so a delete is seen at once by the
media route) with a user and an API key. For each generator (pinned, see tests/support/clients.py):
fetch the document from the server, generate a client into a temporary directory, run the
committed hand-written driver through it: discovery, multipart upload of two files, JSON
base64 upload, presign -> PUT -> complete (one, and a batch of two), list, the published bytes
through the media operation, delete by id, delete by token. The driver checks each answer;
this test then checks the outcome against the server on its own: the surviving images serve
the bytes the client fetched, the deleted ones are 404 and out of the listing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import imagegen
from tests.support.clients import CLIENTS, TS_DIR, generate_python, node_tools, opc_python
from tests.support.servers import cli, local_env, serve

pytestmark = pytest.mark.smoke

PASSWORD = "correct horse battery"
# The only warning openapi-python-client 0.29 prints on the document: the app's own PUT route
# takes exactly the declared image type (as a bucket's presigned URL does), and the generator
# makes raw bodies of application/octet-stream only (docs/decisions.md).
PYTHON_WARNINGS = {"PUT /api/v1/upload/put/{pendingId}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("clients")
    env = local_env(root)
    with serve(env, root / "server.log", workers=1) as base:
        env = {**env, "IMGTREE_BASE_URL": base}
        cli(env, "users", "create", "owner@example.com", "--password", PASSWORD)
        key = cli(env, "keys", "create", "--email", "owner@example.com", "--name", "clients")
        document = root / "openapi.json"
        answer = requests.get(f"{base}/api/v1/openapi.json", timeout=30)
        assert answer.status_code == 200, answer.text
        document.write_bytes(answer.content)
        images = root / "images"
        images.mkdir()
        for name, data in {
            "a.png": imagegen.png(40, 30),
            "b.jpg": imagegen.jpeg(48, 32),
            "c.png": imagegen.png(20, 10, alpha=True),
            "d.png": imagegen.png(64, 48),
            "e.png": imagegen.png(30, 60),
            "f.png": imagegen.png(50, 50),
        }.items():
            (images / name).write_bytes(data)
        yield {
            "base": base,
            "key": key.strip().splitlines()[-1],
            "document": document,
            "images": images,
            "log": root / "server.log",
        }


def _run(args: list[str | Path], cwd: Path | None = None) -> str:
    out = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, f"{args}:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    return out.stdout


def _check_outcome(server: dict[str, Any], summary: dict[str, Any]) -> None:
    """What the driver did, seen by the server: six images; the two deleted ones 404 and
    unlisted; the others listed, serving exactly the bytes the client fetched."""
    base, auth = server["base"], {"Authorization": f"Bearer {server['key']}"}
    uploaded = summary["uploaded"]
    assert len(set(uploaded)) == 6
    gone = {summary["deleted_by_id"], summary["deleted_by_token"]}
    assert gone == set(uploaded[:2])
    listing = requests.get(f"{base}/api/v1/images?limit=100", headers=auth, timeout=30).json()
    listed = {i["slug"]: i for i in listing["images"]}
    for slug in uploaded:
        if slug in gone:
            assert slug not in listed
            assert requests.get(f"{base}/i/{slug}", timeout=30).status_code == 404
            continue
        served = requests.get(listed[slug]["direct_url"], timeout=30)
        assert served.status_code == 200
        assert hashlib.sha256(served.content).hexdigest() == summary["media_sha256"][slug]
    assert "Traceback" not in Path(server["log"]).read_text()


def test_generated_python_client(server: dict[str, Any], tmp_path: Path) -> None:
    printed = generate_python(server["document"], tmp_path / "py")
    warned = {
        line.removeprefix("WARNING parsing ").split(" within ")[0]
        for line in printed.splitlines()
        if line.startswith("WARNING")
    }
    assert warned == PYTHON_WARNINGS, printed
    assert (tmp_path / "py" / "imgtree_client" / "api" / "v1" / "upload_images.py").exists()
    out = _run(
        [
            opc_python(),
            CLIENTS / "python_driver.py",
            tmp_path / "py",
            server["base"],
            server["key"],
            server["images"],
        ]
    )
    _check_outcome(server, json.loads(out.strip().splitlines()[-1]))


def test_generated_typescript_client(server: dict[str, Any], tmp_path: Path) -> None:
    modules = node_tools()
    work = tmp_path / "ts"
    work.mkdir()
    for name in ("driver.ts", "tsconfig.json"):
        shutil.copy(TS_DIR / name, work / name)
    (work / "node_modules").symlink_to(modules, target_is_directory=True)
    bin_dir = modules / ".bin"
    _run(
        [
            bin_dir / "openapi-ts",
            "--input",
            server["document"],
            "--output",
            work / "generated",
            "--client",
            "@hey-api/client-fetch",
            "--no-log-file",
            "--silent",
        ],
        cwd=work,
    )
    # Strict type-check of the generated code and the driver together, then compile and run.
    _run([bin_dir / "tsc", "--project", work / "tsconfig.json"], cwd=work)
    out = _run(
        ["node", work / "out" / "driver.js", server["base"], server["key"], server["images"]],
        cwd=work,
    )
    _check_outcome(server, json.loads(out.strip().splitlines()[-1]))

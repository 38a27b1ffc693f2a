"""`imgtree export` while a real gunicorn server takes uploads (issue 18 item 6).

Two workers on SQLite + local disk take uploads (and deletes) from a client thread the whole
time; `imgtree export` runs in the middle of it. Each export must be one consistent
moment: its checksums verify, every image row's blobs are in it, and the counters the
server keeps in step with the rows (a user's image count and used bytes, a content's
reference count) agree with the rows exported beside them. The export then restores with
`imgtree import` into a new deployment whose blobs match byte for byte; the commands'
refusals (non-empty directory, tampered export) exit 1 with a sentence.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
import requests

from tests.support import imagegen
from tests.support.backup import assert_consistent_export
from tests.support.servers import BIN, cli, local_env, serve

pytestmark = pytest.mark.smoke


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "imgtree"), *args], env=env, capture_output=True, text=True, timeout=120
    )


def _sign_up_with_key(base: str) -> dict[str, str]:
    browser = requests.Session()
    r = browser.post(
        f"{base}/api/auth/signup",
        json={"email": "live@example.com", "password": "correct horse battery"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    r = browser.post(f"{base}/api/keys", json={"name": "load"}, headers=csrf, timeout=30)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['key']}"}


def test_export_while_the_server_takes_uploads(tmp_path: Path) -> None:
    env = local_env(tmp_path / "live", IMGTREE_RATE_LIMIT_PER_MINUTE="100000")
    with serve(env, tmp_path / "server.log") as base:
        auth = _sign_up_with_key(base)
        stop = threading.Event()
        uploaded: list[str] = []
        errors: list[str] = []

        def upload_forever() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                data = imagegen.png(8 + n % 50, 8 + n // 50)
                r = requests.post(
                    f"{base}/api/v1/upload",
                    headers=auth,
                    files=[("file", (f"{n}.png", data, "image/png"))],
                    timeout=30,
                )
                if r.status_code != 200:
                    errors.append(r.text)
                    return
                uploaded.append(r.json()["images"][0]["delete_url"])
                if n % 4 == 0:  # and now and then a delete, moving the counters back
                    image_id = uploaded[-1].split("/api/images/")[1].split("?")[0]
                    requests.delete(f"{base}/api/v1/images/{image_id}", headers=auth, timeout=30)

        client = threading.Thread(target=upload_forever)
        client.start()
        try:
            while len(uploaded) < 4 and not errors:
                stop.wait(0.05)
            out = cli(env, "export", str(tmp_path / "export"))
            assert out.startswith("exported ")
            exported = assert_consistent_export(tmp_path / "export")
            during = len(uploaded)
            while len(uploaded) < during + 2 and not errors:
                stop.wait(0.05)
        finally:
            stop.set()
            client.join(timeout=60)
        assert errors == []
        assert 0 < exported < len(uploaded)  # the uploads went on during and after it

    refused = _run(env, "export", str(tmp_path / "export"))
    assert refused.returncode == 1 and "is not empty" in refused.stderr

    target = local_env(tmp_path / "restored")
    out = cli(target, "import", str(tmp_path / "export"))
    assert out.startswith("imported ")
    restored = Path(target["IMGTREE_MEDIA_DIR"])
    blobs = tmp_path / "export" / "blobs"
    for path in blobs.rglob("*"):
        if path.is_file():
            assert (restored / path.relative_to(blobs)).read_bytes() == path.read_bytes()

    rows = tmp_path / "export" / "tables" / "images.jsonl"
    rows.write_text(
        rows.read_text().replace('"original_name": "1.png"', '"original_name": "x.png"')
    )
    tampered = _run(target, "import", str(tmp_path / "export"))
    assert tampered.returncode == 1
    assert "images.jsonl does not match its checksum" in tampered.stderr

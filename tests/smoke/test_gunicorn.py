"""Boot the real `imgtree serve` (gunicorn) on SQLite + local disk and use it over a socket,
exactly as a newcomer would after `make run`: migrate, create a user and a key with the CLI,
upload with multipart and JSON, presign -> PUT -> complete, fetch every URL, list, delete."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import imagegen
from tests.support.chevereto_clients import (
    json_path,
    picgo_plugin,
    sharex_preset,
    sharex_preset_query,
)
from tests.support.servers import cli, eventually_status, local_env, serve

pytestmark = pytest.mark.smoke


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("smoke")
    env = local_env(root)
    with serve(env, root / "server.log", access_log=True) as base:
        yield base, {**env, "IMGTREE_BASE_URL": base, "SMOKE_LOG": str(root / "server.log")}


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

    # presign -> PUT (to the app itself on local storage) -> complete.
    data = imagegen.png(300, 200)
    doc = requests.post(
        f"{base}/api/v1/upload/presign",
        headers=auth,
        json={"filename": "big.png", "contentType": "image/png", "sizeBytes": len(data)},
        timeout=10,
    ).json()
    assert doc["put_url"].startswith(base)
    put = requests.put(doc["put_url"], data=data, headers={"Content-Type": "image/png"}, timeout=10)
    assert put.status_code == 200, put.text
    done = requests.post(
        f"{base}/api/v1/upload/complete",
        headers=auth,
        json={"completion_token": doc["completion_token"]},
        timeout=30,
    )
    assert done.status_code == 200, done.text

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
    assert listing["total"] == 4

    confirm = requests.get(second["delete_url"], timeout=10)
    assert confirm.status_code == 200 and "Delete this image?" in confirm.text
    assert requests.get(second["direct_url"], timeout=10).status_code == 200
    assert requests.delete(second["delete_url"], timeout=10).status_code == 200
    assert eventually_status(second["direct_url"], 404) == 404

    bad = requests.post(f"{base}/api/v1/upload", headers=auth, data=b"x", timeout=10)
    assert bad.status_code == 415
    assert requests.get(f"{base}/api/v1/upload", timeout=10).status_code == 200
    assert "purged" in cli(env, "purge", "--retention", "0")


def test_an_upload_only_key_over_real_http(server: tuple[str, dict[str, str]]) -> None:
    """Issue 14: a key confined to uploading (what the ShareX download holds) uploads, and
    gets 403 on listing, deleting and the admin API, even when its owner is an admin."""
    base, env = server
    cli(
        env,
        "users",
        "create",
        "ops@example.com",
        "--password",
        "a long admin passphrase",
        "--admin",
    )
    out = cli(
        env, "keys", "create", "--email", "ops@example.com", "--name", "sx", "--scope", "upload"
    )
    auth = {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}
    r = requests.post(
        f"{base}/api/v1/upload",
        headers=auth,
        files=[("file", ("s.png", imagegen.png(32, 32), "image/png"))],
        timeout=30,
    )
    assert r.status_code == 200, r.text
    image = r.json()["images"][0]
    assert requests.get(f"{base}/api/v1/upload", headers=auth, timeout=10).json()["scopes"] == [
        "upload"
    ]
    refused = [
        requests.get(f"{base}/api/v1/images", headers=auth, timeout=10),
        requests.delete(
            f"{base}/api/v1/images/00000000-0000-4000-8000-000000000000", headers=auth, timeout=10
        ),
        requests.get(f"{base}/api/admin/stats", headers=auth, timeout=10),
        requests.get(f"{base}/api/admin/users", headers=auth, timeout=10),
    ]
    assert [x.status_code for x in refused] == [403, 403, 403, 403], [x.text for x in refused]
    assert all("lacks the" in x.json()["error"] for x in refused)
    # its delete link carries its own token and keeps working
    token = image["delete_url"].split("token=", 1)[1]
    confirm = requests.get(image["delete_url"], timeout=10)
    assert confirm.status_code == 200
    # the confirmation page's assets are fetched with the link as their Referer
    requests.get(f"{base}/static/site.css", headers={"Referer": image["delete_url"]}, timeout=10)
    assert requests.delete(image["delete_url"], timeout=10).status_code == 200
    # The request log (one JSON line per request) names the path, never the token (nor the
    # key). Workers write their lines on their own schedule: wait for the DELETE's.
    image_path = "/api/images/" + image["delete_url"].split("/api/images/")[1].split("?")[0]
    log = Path(env["SMOKE_LOG"]).read_text()
    wanted = {"method": "DELETE", "path": image_path, "status": 200}

    def logged() -> bool:
        lines = (json.loads(x) for x in log.splitlines() if x.startswith("{"))
        return any(wanted.items() <= line.items() for line in lines)

    deadline = time.monotonic() + 15
    while not logged():
        assert time.monotonic() < deadline, log[-2000:]
        time.sleep(0.2)
        log = Path(env["SMOKE_LOG"]).read_text()
    assert token not in log and auth["Authorization"].split()[1] not in log


def test_views_counted_by_workers_reach_the_database_when_they_stop(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Issue 17 item 4 over real gunicorn: two workers count in memory (a 1-hour interval, so
    only the shutdown flush can write them) and gunicorn's worker_exit writes them on stop."""
    root = tmp_path_factory.mktemp("views")
    env = local_env(root, IMGTREE_VIEW_FLUSH_SECONDS="3600")
    cli(env, "users", "create", "views@example.com", "--password", "correct horse battery")
    key = cli(env, "keys", "create", "--email", "views@example.com", "--name", "k")
    auth = {"Authorization": f"Bearer {key.strip().splitlines()[-1]}"}
    with serve(env, root / "server.log") as base:
        r = requests.post(
            f"{base}/api/v1/upload",
            headers=auth,
            files=[("file", ("v.png", imagegen.png(32, 32), "image/png"))],
            timeout=30,
        )
        assert r.status_code == 200, r.text
        slug = r.json()["images"][0]["id"]
        with requests.Session() as http:  # keep-alive and new connections: both workers
            for _ in range(10):
                assert http.get(f"{base}/i/{slug}", timeout=10).status_code == 200
        for _ in range(5):
            assert requests.get(f"{base}/media/{slug}.png", timeout=10).status_code == 200
        listed = requests.get(f"{base}/api/v1/images", headers=auth, timeout=10).json()
        assert listed["images"][0]["page_views"] == 0  # still in the workers' memory
    # The server has stopped (SIGTERM: graceful); its workers wrote what they counted.
    with serve(env, root / "server2.log") as base:
        listed = requests.get(f"{base}/api/v1/images", headers=auth, timeout=10).json()
    image = listed["images"][0]
    assert (image["page_views"], image["media_hits"]) == (10, 5)


def test_chevereto_clients_over_real_http(server: tuple[str, dict[str, str]]) -> None:
    """POST /api/1/upload on gunicorn, as ShareX's Chevereto preset (key in the form, then in
    the URL) and a PicGo plugin (the key after the file) send it; the key never in the log."""
    base, env = server
    cli(env, "users", "create", "chv@example.com", "--password", "correct horse battery")
    key = cli(env, "keys", "create", "--email", "chv@example.com", "--name", "chv")
    key = key.strip().splitlines()[-1]
    data = imagegen.png(96, 64)
    for request in (
        sharex_preset(key, "shot.png", data),
        sharex_preset_query(key, "shot.png", data),
        picgo_plugin(key, "clip.png", data),
    ):
        path, headers, body = request
        r = requests.post(f"{base}{path}", data=body, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["status_code"] == 200 and doc["success"]["code"] == 200
        image = requests.get(json_path(doc, "{json:image.url}"), timeout=10)
        assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
        assert requests.get(doc["image"]["thumb"]["url"], timeout=10).status_code == 200
        assert requests.get(doc["image"]["url_viewer"], timeout=10).status_code == 200
    # curl -F source=@file -H "X-API-Key: ..." -F format=txt, as Chevereto's docs show it
    r = requests.post(
        f"{base}/api/1/upload",
        headers={"X-API-Key": key},
        files={"source": ("c.png", data, "image/png")},
        data={"format": "txt"},
        timeout=30,
    )
    assert r.status_code == 200 and r.text.startswith(f"{base}/media/"), r.text
    refused = requests.post(
        f"{base}/api/1/upload", files={"source": ("c.png", data, "image/png")}, timeout=30
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 100
    deadline = time.monotonic() + 15
    # the refused request's JSON log line (the last of the three) is written once it is answered
    while '"path":"/api/1/upload","status":400' not in (log := Path(env["SMOKE_LOG"]).read_text()):
        assert time.monotonic() < deadline, log[-2000:]
        time.sleep(0.2)
    assert key not in log

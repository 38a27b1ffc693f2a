"""Storage quotas under real concurrency: 20 parallel uploads against 4 gunicorn workers.

A user's quota fits exactly K of the 20 identical images. Whatever the interleaving across
processes, exactly K land (200), the rest are refused (413 "Storage quota exceeded"), the
account's usage is exactly K images, and no blob of a refused upload stays on disk. Runs on
SQLite and on Postgres (local disk for the media either way).
"""

from __future__ import annotations

import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from imgtree.adapters.imaging.pillow import PillowImageProcessor
from imgtree.adapters.sql.migrate import upgrade
from imgtree.entrypoints.containers import build_container
from imgtree.entrypoints.settings import Settings
from tests.support import imagegen
from tests.support.pg import temporary_database
from tests.support.servers import base_env, cli, serve

pytestmark = pytest.mark.smoke

N = 20
K = 7
EMAIL = "racer@example.com"
QUOTA_ERROR = "Storage quota exceeded: "


def published_size(data: bytes) -> int:
    processed = PillowImageProcessor().process(io.BytesIO(data))
    processed.published.close()
    processed.thumbnail.close()
    return processed.published_size


def media_files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def race(root: Path, database_url: str) -> None:
    media = root / "media"
    env = base_env(
        IMGTREE_DATABASE_URL=database_url,
        IMGTREE_MEDIA_DIR=str(media),
        IMGTREE_RATE_LIMIT_PER_MINUTE="100000",
    )
    data = imagegen.png(96, 64)
    size = published_size(data)
    # Set up in-process (each `imgtree` command is a slow interpreter start on a busy box).
    upgrade(database_url)
    container = build_container(Settings.from_env(env))
    try:
        user = container.use_cases.create_user()(EMAIL, quota_bytes=K * size)
        key = container.use_cases.create_api_key()(user.id, "race").secret
    finally:
        container.shutdown_resources()
    auth = {"Authorization": f"Bearer {key}"}

    with serve(env, root / "server.log", workers=4) as base:
        start = threading.Barrier(N)

        def upload(i: int) -> requests.Response:
            with requests.Session() as s:
                start.wait(timeout=30)
                return s.post(
                    f"{base}/api/v1/upload",
                    headers=auth,
                    files=[("file", (f"{i}.png", data, "image/png"))],
                    timeout=60,
                )

        with ThreadPoolExecutor(max_workers=N) as pool:
            responses = list(pool.map(upload, range(N)))

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * K + [413] * (N - K), [r.text for r in responses]
        for r in responses:
            if r.status_code == 413:
                body = r.json()
                assert body["success"] is False and body["error"].startswith(QUOTA_ERROR)
                (item,) = body["images"]
                assert item["error"].startswith(QUOTA_ERROR) and item["status"] == 413

        listing = requests.get(
            f"{base}/api/v1/images", headers=auth, params={"limit": 100}, timeout=10
        ).json()
        assert listing["total"] == K
        assert {i["size_bytes"] for i in listing["images"]} == {size}
        ids = {i["id"] for i in listing["images"]}
        discovery = requests.get(f"{base}/api/v1/upload", headers=auth, timeout=10).json()
        assert discovery["quota"] == {
            "used_bytes": K * size,
            "quota_bytes": K * size,
            "remaining_bytes": 0,
        }

    (line,) = [x for x in cli(env, "users", "list", "--query", EMAIL).splitlines() if x]
    assert re.search(rf"\bused={K * size}\b", line), line
    assert re.search(rf"\bquota={K * size}\b", line), line
    # The K images are the same bytes: one stored file and its thumbnail (shared blobs), no
    # blob of a refused upload, no temp file.
    assert len(ids) == K
    files = media_files(media)
    (published,) = [f for f in files if f.startswith("images/")]
    (thumb,) = [f for f in files if f.startswith("thumbs/")]
    assert Path(published).stem == Path(thumb).stem
    assert len(files) == 2, files


def test_parallel_uploads_never_overshoot_the_quota_on_sqlite(tmp_path: Path) -> None:
    race(tmp_path, f"sqlite:///{tmp_path / 'imgtree.sqlite3'}")


def test_parallel_uploads_never_overshoot_the_quota_on_postgres(tmp_path: Path) -> None:
    with temporary_database() as url:
        race(tmp_path, url)

"""Concurrency through the real app (falcon.testing from many threads), on memory, SQLite +
local disk and Postgres + S3 (moto):

- 50 parallel completes of one token publish exactly one image;
- threads uploading and deleting at random against one quota never take the usage past it,
  and the usage finally equals the sum of the live images.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import falcon.testing
import pytest
import requests

from tests.faults import Rig, check_consistent, rewire, upload
from tests.support import imagegen
from tests.support.app import BASE_URL, App

BACKENDS = ["memory", "sqlite", "postgres_s3"]
COMPLETERS = 50


@pytest.fixture(params=BACKENDS)
def rig(make_app: Callable[..., App], request: pytest.FixtureRequest) -> Rig:
    return rewire(make_app(backend=request.param))


def put(rig: Rig, url: str, data: bytes, content_type: str) -> int:
    if url.startswith(BASE_URL):  # the app's own PUT route (memory, local disk)
        parts = urlsplit(url)
        r = rig.client.simulate_put(
            parts.path, query_string=parts.query, body=data, headers={"Content-Type": content_type}
        )
        return r.status_code
    return requests.put(  # a presigned bucket URL (moto)
        url, data=data, headers={"Content-Type": content_type}, timeout=10
    ).status_code


def test_parallel_completes_of_one_token_make_one_image(rig: Rig) -> None:
    user = rig.app.user()
    key = rig.app.container.use_cases.create_api_key()(user.id, "racer")
    headers = {"Authorization": f"Bearer {key.secret}"}
    data = imagegen.png(120, 90)
    doc = rig.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "race.png", "contentType": "image/png", "sizeBytes": len(data)},
        headers=headers,
    ).json
    assert put(rig, doc["put_url"], data, "image/png") == 200
    barrier = threading.Barrier(COMPLETERS)

    def complete(_: int) -> falcon.testing.Result:
        barrier.wait(timeout=30)
        return rig.client.simulate_post(
            "/api/v1/upload/complete",
            json={"completion_token": doc["completion_token"]},
            headers=headers,
        )

    with ThreadPoolExecutor(COMPLETERS) as pool:
        results = list(pool.map(complete, range(COMPLETERS)))
    statuses = Counter(r.status_code for r in results)
    print(
        "\ncompletes:",
        dict(Counter((r.status_code, r.json["images"][0].get("error")) for r in results)),
    )
    assert statuses == {200: 1, 400: COMPLETERS - 1}, statuses
    losers = {r.json["images"][0]["error"] for r in results if r.status_code == 400}
    # A loser either finds the token claimed, or (later still) the raw object gone.
    assert losers <= {
        "Invalid or expired upload token",
        "Upload not found: PUT the file to put_url before completing",
    }, losers
    listed = rig.client.simulate_get("/api/v1/images", headers=headers).json
    assert listed["total"] == 1
    keys = list(rig.real_storage.iter_keys())
    assert len(keys) == 2 and not [k for k in keys if k.startswith("uploads/")]
    (api_key,) = rig.app.container.use_cases.list_api_keys()(user.id)
    assert api_key.upload_count == 1
    check_consistent(rig, [user])


THREADS = 6
OPS_PER_THREAD = 12


def test_parallel_uploads_and_deletes_never_pass_the_quota(rig: Rig) -> None:
    pool = [imagegen.png(40 + 9 * i, 30 + 7 * i) for i in range(6)]
    quota = 3 * max(len(p) for p in pool)  # room for about three to five images at once
    user = rig.app.user(quota_bytes=quota)
    headers = rig.app.auth(user)
    owned: list[str] = []  # uploaded image UUIDs not yet claimed by a deleter
    lock = threading.Lock()
    statuses: Counter[str] = Counter()
    unexpected: list[str] = []
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        """Read the usage as fast as possible while the workers run; keep the peak."""
        while not done.is_set():
            with rig.real_uow() as uow:
                current = uow.users.get(user.id)
            assert current is not None
            peak[0] = max(peak[0], current.used_bytes)

    def record(kind: str, r: Any, ok: tuple[int, ...]) -> None:
        with lock:
            statuses[f"{kind} {r.status_code}"] += 1
            if r.status_code not in ok:
                unexpected.append(f"{kind} {r.status_code}: {r.text[:200]}")

    def worker(index: int) -> None:
        rng = random.Random(index)
        for _ in range(OPS_PER_THREAD):
            with lock:
                victim = (
                    owned.pop(rng.randrange(len(owned))) if owned and rng.random() < 0.4 else None
                )
            if victim is None:
                r = upload(rig.client, headers, rng.choice(pool))
                record("upload", r, (200, 413))
                if r.status_code == 200:
                    (img,) = r.json["images"]
                    with lock:
                        owned.append(urlsplit(img["delete_url"]).path.rsplit("/", 1)[-1])
                else:
                    assert r.json["error"].startswith("Storage quota exceeded: ")
            else:
                r = rig.client.simulate_delete(f"/api/v1/images/{victim}", headers=headers)
                record("delete", r, (200,))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(THREADS) as executor:
            list(executor.map(worker, range(THREADS)))
    finally:
        done.set()
        watcher.join(30)
    print(f"\nquota {quota} B, peak usage {peak[0]} B, statuses {dict(statuses)}")
    assert not unexpected, unexpected
    assert statuses["upload 200"] > 0 and statuses["upload 413"] > 0, statuses
    assert statuses["delete 200"] > 0, statuses
    assert peak[0] <= quota, (peak[0], quota)
    with rig.real_uow() as uow:
        live = uow.images.list_for_owner(user.id, offset=0, limit=1000)
        current = uow.users.get(user.id)
    assert current is not None
    assert current.used_bytes == sum(i.size_bytes for i in live) <= quota
    assert {str(i.id) for i in live} == set(owned)
    check_consistent(rig, [user])  # and purge leaves exactly the live images' blobs

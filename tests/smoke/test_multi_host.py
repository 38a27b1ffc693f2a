"""Two `imgtree serve` processes on one Postgres and one bucket (moto), as two app hosts would
run: they share images, completion tokens and the per-IP rate limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support import imagegen
from tests.support.pg import temporary_database
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, make_s3_storage
from tests.support.servers import base_env, cli, serve

pytestmark = pytest.mark.smoke
RATE = 30


@pytest.fixture(scope="module")
def hosts(
    tmp_path_factory: pytest.TempPathFactory, moto_server: str
) -> Iterator[tuple[str, str, dict[str, str]]]:
    root: Path = tmp_path_factory.mktemp("hosts")
    bucket = make_s3_storage(moto_server).bucket
    with temporary_database() as database_url:
        env = base_env(
            IMGTREE_DATABASE_URL=database_url,
            IMGTREE_STORAGE="s3",
            IMGTREE_S3_BUCKET=bucket,
            IMGTREE_S3_ENDPOINT_URL=moto_server,
            IMGTREE_S3_REGION=REGION,
            IMGTREE_S3_ACCESS_KEY_ID=ACCESS_KEY,
            IMGTREE_S3_SECRET_ACCESS_KEY=SECRET_KEY,
            IMGTREE_RATE_LIMIT_PER_MINUTE=str(RATE),
            # Tests speak for several "clients" through X-Forwarded-For from loopback.
            IMGTREE_TRUSTED_PROXIES="127.0.0.1",
        )
        cli(env, "migrate")
        with (
            serve(env, root / "a.log", workers=4) as a,
            serve(env, root / "b.log", workers=2) as b,
        ):
            yield a, b, env


def client(ip: str, key: str | None = None) -> dict[str, str]:
    headers = {"X-Forwarded-For": ip}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def test_hosts_share_images_and_tokens(hosts: tuple[str, str, dict[str, str]]) -> None:
    a, b, env = hosts
    cli(env, "users", "create", "ops@example.com", "--password", "long enough secret")
    key = cli(env, "keys", "create", "--email", "ops@example.com", "--name", "k").split()[-1]
    headers = client("198.51.100.1", key)

    r = requests.post(
        f"{a}/api/v1/upload",
        headers=headers,
        files=[("file", ("a.png", imagegen.png(50, 40), "image/png"))],
        timeout=30,
    )
    assert r.status_code == 200, r.text
    img = r.json()["images"][0]
    # The image uploaded through host A is served by host B.
    assert requests.get(img["direct_url"].replace(a, b), timeout=10).status_code == 200
    assert requests.get(f"{b}/api/v1/images", headers=headers, timeout=10).json()["total"] == 1

    # Presign on A, PUT straight to the bucket, complete on B; a second complete on A fails.
    data = imagegen.jpeg(400, 300)
    doc = requests.post(
        f"{a}/api/v1/upload/presign",
        headers=headers,
        json={"filename": "p.jpg", "contentType": "image/jpeg", "sizeBytes": len(data)},
        timeout=10,
    ).json()
    assert not doc["put_url"].startswith(a)  # the bytes never pass through the app
    put = requests.put(
        doc["put_url"], data=data, headers={"Content-Type": "image/jpeg"}, timeout=10
    )
    assert put.status_code == 200
    done = requests.post(
        f"{b}/api/v1/upload/complete",
        headers=headers,
        json={"token": doc["completion_token"]},
        timeout=30,
    )
    assert done.status_code == 200, done.text
    again = requests.post(
        f"{a}/api/v1/upload/complete",
        headers=headers,
        json={"token": doc["completion_token"]},
        timeout=30,
    )
    assert again.status_code == 400


def _wait_for_fresh_window(margin: float = 15.0) -> None:
    # Fixed one-minute windows: don't start a burst that would straddle a boundary.
    into = time.time() % 60
    if into > 60 - margin:
        time.sleep(60 - into + 0.5)


def test_rate_limit_holds_across_workers(hosts: tuple[str, str, dict[str, str]]) -> None:
    a, _b, _env = hosts
    _wait_for_fresh_window()
    headers = client("203.0.113.40")

    def hit(_: int) -> int:
        return requests.post(f"{a}/api/v1/upload", headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(hit, range(40)))
    # Unauthenticated requests still count (key guessing is throttled too): 401 until the limit.
    assert statuses.count(429) == 40 - RATE
    assert statuses.count(401) == RATE


def test_rate_limit_is_shared_between_hosts(hosts: tuple[str, str, dict[str, str]]) -> None:
    a, b, _env = hosts
    _wait_for_fresh_window()
    headers = client("203.0.113.41")
    statuses = [
        requests.post(f"{host}/api/v1/upload", headers=headers, timeout=10).status_code
        for host in [a, b] * 20
    ]
    assert statuses.count(429) == 40 - RATE

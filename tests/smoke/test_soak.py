"""A bounded mixed-traffic soak: `imgtree serve` with 4 workers on Postgres + local disk.

Short in `make test` (IMGTREE_SOAK_SECONDS, default 12 s of traffic after a 2 s warm-up); the documented long run
(docs/reliability.md) is

    IMGTREE_SOAK_SECONDS=300 .venv/bin/pytest tests/smoke/test_soak.py -s

Asserts: zero 5xx (and no other unexpected status), no lost upload (every acknowledged image
is listed and its direct URL serves bytes identical to the copy fetched right after upload;
the listing total matches), deleted images 404, and flat worker memory: the median summed
worker RSS of the last third of the run is within +25% of the first third's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from bench.soak import RssSampler, Soak, format_report, master_for_port

from tests.support.pg import temporary_database
from tests.support.servers import base_env, cli, serve

pytestmark = pytest.mark.smoke

SECONDS = float(os.environ.get("IMGTREE_SOAK_SECONDS", "12"))
THREADS = int(os.environ.get("IMGTREE_SOAK_THREADS", "4"))
WARMUP_SECONDS = 2.0  # every worker imports Pillow and fills its pool before sampling starts
RSS_GROWTH_LIMIT = 1.25
REPORT_ENV = "IMGTREE_SOAK_REPORT"  # optional path: write the figures there too


def new_key(env: dict[str, str], name: str) -> str:
    """A fresh account and API key (the warm-up's images must not mix with the run's)."""
    email = f"{name}@example.com"
    cli(env, "users", "create", email, "--password", "correct horse battery")
    out = cli(env, "keys", "create", "--email", email, "--name", name)
    return out.strip().splitlines()[-1]


@pytest.mark.timeout(int(SECONDS) * 2 + 240)
def test_soak_mixed_traffic(tmp_path: Path) -> None:
    with temporary_database() as database_url:
        env = base_env(
            IMGTREE_DATABASE_URL=database_url,
            IMGTREE_MEDIA_DIR=str(tmp_path / "media"),
            IMGTREE_RATE_LIMIT_PER_MINUTE="1000000",
            # The soak reads deleted images on purpose (404s) from one address: the miss
            # budget (tests/http/test_enumeration.py) is not what it measures.
            IMGTREE_MISS_LIMIT="1000000",
            IMGTREE_DB_POOL_SIZE="8",
        )
        cli(env, "migrate")
        key, warm_key = (new_key(env, name) for name in ("soak", "warmup"))
        with serve(env, tmp_path / "server.log", workers=4) as base:
            master = master_for_port(int(base.rsplit(":", 1)[1]))
            assert master is not None, "gunicorn master not found"
            Soak(base, warm_key, seconds=WARMUP_SECONDS, threads=THREADS, seed=99).run()
            soak = Soak(base, key, seconds=SECONDS, threads=THREADS)
            with RssSampler(master) as sampler:
                report = soak.run()
            soak.verify()
            # The server is still healthy after the run.
            assert requests.get(f"{base}/api/v1/upload", timeout=10).status_code == 200
        text = format_report(report, sampler)
        print("\n" + text)
        if os.environ.get(REPORT_ENV):
            Path(os.environ[REPORT_ENV]).write_text(text + "\n")

    assert report.server_errors() == 0, text
    assert not report.unexpected, text
    assert report.acknowledged > 0 and report.deleted > 0, text
    assert report.verified == len(soak.live) == report.listed_total, text
    assert report.deleted_gone == len(soak.gone), text
    assert len(sampler.samples) >= 6, text
    first, last = sampler.thirds()
    assert last <= first * RSS_GROWTH_LIMIT, text

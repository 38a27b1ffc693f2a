"""Issue 18's done-when over real gunicorn (2 workers) on Postgres: /readyz is the start-up
probe; /metrics adds up what both workers counted (upload counters move, whichever worker
answers the scrape); /readyz turns 503 naming the database while it is cut off (a TCP proxy in
front of the shared Postgres, which keeps running) and 200 once it is back; every request is
one JSON log line with its request id."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from imgtree.adapters.sql.migrate import upgrade
from imgtree.entrypoints.containers import build_container
from imgtree.entrypoints.settings import Settings
from tests.support import imagegen
from tests.support.metrics import value
from tests.support.pg import temporary_database
from tests.support.servers import base_env, serve
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.smoke


def log_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def upload_pids(path: Path) -> set[object]:
    return {
        line["pid"]
        for line in log_lines(path)
        if line.get("route") == "/api/v1/upload" and line.get("status") == 200
    }


def worker_pids(path: Path) -> set[int]:
    """The workers gunicorn has booted so far (its own log lines, in the same format)."""
    return {
        int(str(line["msg"]).rsplit(" ", 1)[1])
        for line in log_lines(path)
        if str(line.get("msg", "")).startswith("Booting worker with pid: ")
    }


def readyz_until(base: str, status: int, within: float = 30.0) -> requests.Response:
    deadline = time.monotonic() + within
    while True:
        r = requests.get(f"{base}/readyz", timeout=10)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_metrics_readiness_and_logs_on_two_workers(tmp_path: Path) -> None:
    with temporary_database() as url:
        target = make_url(url)
        proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
        try:
            proxied = target.set(host="127.0.0.1", port=proxy.port)
            env = base_env(
                IMGTREE_DATABASE_URL=proxied.render_as_string(hide_password=False),
                IMGTREE_MEDIA_DIR=str(tmp_path / "media"),
                IMGTREE_RATE_LIMIT_PER_MINUTE="10000",
                IMGTREE_PROCESS_WORKERS="2",
            )
            # The schema and an account, made here (what `imgtree migrate`, `users create` and
            # `keys create` do, without three more interpreters starting).
            database = proxied.render_as_string(hide_password=False)
            upgrade(database)
            container = build_container(Settings(database_url=database))
            try:
                user = container.use_cases.create_user()("ops@example.com")
                key = container.use_cases.create_api_key()(user.id, "k").secret
            finally:
                container.shutdown_resources()
            auth = {"Authorization": f"Bearer {key}", "Connection": "close"}
            log = tmp_path / "server.log"
            with serve(env, log, workers=2, access_log=True, probe="/readyz") as base:
                png = imagegen.png(24, 24)
                uploaded = 0
                # New connections until both workers have taken uploads (bounded).
                while uploaded < 40 and (uploaded < 4 or len(upload_pids(log)) < 2):
                    r = requests.post(
                        f"{base}/api/v1/upload",
                        headers=auth,
                        files=[("file", ("a.png", png, "image/png"))],
                        timeout=30,
                    )
                    assert r.status_code == 200, r.text
                    uploaded += 1
                assert len(upload_pids(log)) == 2, "one worker took every upload"
                refused = requests.post(
                    f"{base}/api/v1/upload",
                    headers=auth,
                    files=[("file", ("n.txt", b"not an image", "text/plain"))],
                    timeout=30,
                )
                assert refused.status_code == 415
                # Every scrape, whichever worker answers it, sums both workers' counts.
                for _ in range(6):
                    scraped = requests.get(
                        f"{base}/metrics", headers={"Connection": "close"}, timeout=10
                    )
                    assert scraped.status_code == 200
                    text = scraped.text
                    accepted = value(
                        text, "imgtree_upload_files_total", type="image/png", outcome="accepted"
                    )
                    assert accepted == uploaded
                    assert (
                        value(text, "imgtree_upload_files_total", outcome="unsupported_type") == 1
                    )
                    assert (
                        value(
                            text,
                            "imgtree_http_requests_total",
                            route="/api/v1/upload",
                            status="200",
                        )
                        == uploaded
                    )
                    assert value(text, "imgtree_processing_seconds_count", outcome="ok") >= uploaded
                    assert value(text, "imgtree_db_pool_capacity") == 2 * 15  # two workers' pools

                # A worker that goes takes its live gauges, not the counts; its replacement
                # writes to the same directory (the one the master made and keeps).
                first_two = worker_pids(log)
                os.kill(min(first_two), signal.SIGTERM)
                deadline = time.monotonic() + 30
                while True:
                    text = requests.get(f"{base}/metrics", timeout=10).text
                    replaced = worker_pids(log) - first_two
                    two_live = value(text, "imgtree_db_pool_capacity") == 2 * 15
                    if replaced and two_live and requests.get(f"{base}/readyz", timeout=10).ok:
                        break
                    assert time.monotonic() < deadline, text
                    time.sleep(0.2)
                accepted = value(
                    text, "imgtree_upload_files_total", type="image/png", outcome="accepted"
                )
                assert accepted == uploaded

                assert readyz_until(base, 200).json()["checks"]["database"] == "ok"
                proxy.cut()
                down = readyz_until(base, 503)
                assert down.status_code == 503, down.text
                assert down.json()["status"] == "unavailable"
                assert down.json()["checks"]["database"].startswith("cannot reach the database")
                assert down.json()["checks"]["storage"] == "ok"
                proxy.restore()
                back = readyz_until(base, 200)
                assert back.status_code == 200, back.text
                assert back.json()["checks"]["database"] == "ok"

                traced = requests.get(
                    f"{base}/healthz", headers={"X-Request-ID": "probe-7"}, timeout=10
                )
                assert traced.headers["X-Request-ID"] == "probe-7"
            lines = log_lines(log)
            requests_logged = [x for x in lines if x.get("logger") == "imgtree.access"]
            assert any(x.get("request_id") == "probe-7" for x in requests_logged)
            assert all(isinstance(x.get("request_id"), str) for x in requests_logged)
            assert any(x.get("logger") == "gunicorn.error" for x in lines)  # same format
            assert key not in log.read_text()
        finally:
            proxy.close()

"""Light load generators: a keep-alive http.client loop, a small threaded client, and wrk."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

BOUNDARY = "benchBoundary7MA4YWxkTrZu0gW"
WRK_DIR = Path(__file__).resolve().parent / "wrk"


def multipart(data: bytes, filename: str, content_type: str) -> bytes:
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def upload_headers(key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {key}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }


@attrs.define
class Load:
    """What one load run measured (latencies in ms)."""

    requests: int
    seconds: float
    p50: float
    p99: float
    errors: int = 0
    client_cpu_ms: float | None = None
    statuses: dict[int, int] = attrs.Factory(dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Conn:
    """One keep-alive connection."""

    def __init__(self, base: str, timeout: float = 300) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        for attempt in (0, 1):
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                return resp.status, resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._conn.close()
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, doc: Any, headers: dict[str, str]) -> tuple[int, Any]:
        status, body = self.request(
            method, path, json.dumps(doc).encode(), {**headers, "Content-Type": "application/json"}
        )
        return status, json.loads(body) if body else None

    def close(self) -> None:
        self._conn.close()


def sequential(
    base: str,
    method: str,
    path: str,
    n: int,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> Load:
    """n requests one after the other on one keep-alive connection."""
    conn = Conn(base)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        status, _ = conn.request(method, path, body, headers)
        latencies.append((time.perf_counter() - t0) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    seconds = time.perf_counter() - start
    conn.close()
    errors = sum(v for k, v in statuses.items() if k != expect)
    return Load(n, seconds, _pct(latencies, 0.5), _pct(latencies, 0.99), errors, None, statuses)


class Uploader:
    """One upload of a file by one of the three upload paths, on one keep-alive connection:
    "multipart" and "json" are one request each, "presign" is presign → PUT → complete (with
    local storage the PUT goes to the app itself)."""

    PATHS = ("multipart", "json", "presign")

    def __init__(self, base: str, key: str, path: str, data: bytes, filename: str, ctype: str):
        if path not in self.PATHS:
            raise ValueError(path)
        self.conn, self.path = Conn(base), path
        self.auth = {"Authorization": f"Bearer {key}"}
        self.data, self.filename, self.ctype = data, filename, ctype
        # Bodies are built once, so the client's own work stays out of the loop.
        self.multipart = multipart(data, filename, ctype)
        self.multipart_headers = upload_headers(key)
        self.json_body = json.dumps(
            {"filename": filename, "file_base64": base64.b64encode(data).decode()}
        ).encode()
        self.declared = {"filename": filename, "contentType": ctype, "sizeBytes": len(data)}

    def once(self) -> int:
        if self.path == "multipart":
            return self.conn.request(
                "POST", "/api/v1/upload", self.multipart, self.multipart_headers
            )[0]
        if self.path == "json":
            headers = {**self.auth, "Content-Type": "application/json"}
            return self.conn.request("POST", "/api/v1/upload", self.json_body, headers)[0]
        status, doc = self.conn.json("POST", "/api/v1/upload/presign", self.declared, self.auth)
        if status != 200:
            return status
        put = urlsplit(doc["put_url"])
        status, _ = self.conn.request(
            "PUT", f"{put.path}?{put.query}", self.data, {"Content-Type": self.ctype}
        )
        if status >= 300:
            return status
        token = {"completion_token": doc["completion_token"]}
        return self.conn.json("POST", "/api/v1/upload/complete", token, self.auth)[0]

    def run(self, n: int) -> Load:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        start = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            status = self.once()
            latencies.append((time.perf_counter() - t0) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        seconds = time.perf_counter() - start
        errors = sum(v for k, v in statuses.items() if k != 200)
        return Load(n, seconds, _pct(latencies, 0.5), _pct(latencies, 0.99), errors, None, statuses)

    def close(self) -> None:
        self.conn.close()


def threaded(
    base: str,
    method: str,
    path: str,
    *,
    seconds: float,
    concurrency: int,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> Load:
    """A fallback when wrk is missing: `concurrency` threads, each with one connection."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    cpu0 = time.process_time()

    def worker() -> None:
        conn = Conn(base)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            status, _ = conn.request(method, path, body, headers)
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    errors = sum(v for k, v in statuses.items() if k != expect)
    client_cpu = (time.process_time() - cpu0) * 1000
    return Load(
        len(latencies),
        elapsed,
        _pct(latencies, 0.5),
        _pct(latencies, 0.99),
        errors,
        client_cpu,
        statuses,
    )


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        return float("nan")
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    script: str | None = None,
    env: dict[str, str] | None = None,
) -> Load:
    """Run wrk; parse requests, req/s, p50/p99 latency, non-2xx count, and wrk's own CPU."""
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    argv += ["--latency", "--timeout", "60s"]
    if script:
        argv += ["-s", str(WRK_DIR / script)]
    argv.append(url)
    t0 = os.times()
    out = subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True
    ).stdout
    t1 = os.times()
    client_cpu = t1.children_user - t0.children_user + t1.children_system - t0.children_system
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s|m|us)", out)
    elapsed = _ms(m.group(2) + m.group(3)) / 1000 if m else seconds
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    if errs:
        errors += sum(int(g) for g in errs.groups())
    return Load(
        requests,
        elapsed,
        _ms(p50.group(1)) if p50 else float("nan"),
        _ms(p99.group(1)) if p99 else float("nan"),
        errors,
        client_cpu * 1000,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")

"""/healthz (the process answers), /readyz (it can serve: database, storage, decode pool) and
/metrics (Prometheus), for load balancers, orchestrators and the operator's monitoring.

/healthz and /readyz are unauthenticated and cheap; /readyz answers 503 with the failing
check's short reason. Each check runs in its own thread and is waited for at most
`timeout` seconds (a database behind a dead network must not hang the probe); a check still
running from an earlier probe is not started twice (it reports that it timed out). The storage
check (a small write and delete) is remembered for `storage_cache_seconds`.

/metrics answers loopback clients (the client address after IMGTREE_TRUSTED_PROXIES is
applied; a request a proxy forwarded is not loopback unless that proxy is trusted and its
client is) and, when IMGTREE_METRICS_TOKEN is set, any client sending
`Authorization: Bearer <token>`; everyone else gets 403.
"""

from __future__ import annotations

import hmac
import io
import ipaddress
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import falcon

from imgtree.domain.errors import Forbidden
from imgtree.domain.ports import BlobStorage
from imgtree.entrypoints.http.requests import bearer_token, client_ip
from imgtree.entrypoints.metrics import CONTENT_TYPE, Metrics

Check = Callable[[], str | None]  # None: fine; else a short reason
OK = "ok"
CHECK_TIMEOUT = 2.0
STORAGE_CACHE_SECONDS = 2.0
HEALTH_PREFIX = "health/"


def storage_check(storage: BlobStorage) -> Check:
    """Write and delete a small object of this process's own (never a user's key)."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40]
    key = f"{HEALTH_PREFIX}probe-{host}-{os.getpid()}"

    def check() -> str | None:
        try:
            storage.put(key, io.BytesIO(b"ok"), "application/octet-stream")
            storage.delete(key)
        except Exception as exc:  # any failure is the answer, never a 500
            return f"storage is not writable ({type(exc).__name__})"
        return None

    return check


def database_check(engine: Any) -> Check:
    """A connection from the worker's own pool, and the schema at this release's head."""
    from imgtree.adapters.sql.migrate import engine_problem

    return lambda: engine_problem(engine)


def processing_check(processor: object) -> Check:
    """The decode pool answers, for processors that decode in one (in-process ones always can)."""
    problem = getattr(processor, "pool_problem", None)

    def check() -> str | None:
        if problem is None:
            return None
        result = problem()
        return result if isinstance(result, str) else None

    return check


class _Run:
    """One run of a check in a daemon thread (a hung check never holds the process open)."""

    def __init__(self, check: Check) -> None:
        self.done = threading.Event()
        self.problem: str | None = None
        threading.Thread(target=self._run, args=(check,), daemon=True).start()

    def _run(self, check: Check) -> None:
        try:
            self.problem = check()
        except Exception as exc:  # a check that breaks is a failed check, not a 500
            self.problem = f"check failed ({type(exc).__name__})"
        finally:
            self.done.set()


class Readiness:
    """Runs the checks side by side, each bounded by `timeout`; remembers `cached` ones."""

    def __init__(
        self,
        checks: Mapping[str, Check],
        *,
        timeout: float = CHECK_TIMEOUT,
        cached: Mapping[str, float] | None = None,
    ) -> None:
        self.checks = dict(checks)
        self.timeout = timeout
        self._cache_seconds = dict(cached or {})
        self._cached: dict[str, tuple[float, str]] = {}
        self._running: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def run(self) -> dict[str, str]:
        now = time.monotonic()
        results: dict[str, str] = {}
        started: dict[str, _Run] = {}
        with self._lock:
            for name, check in self.checks.items():
                remembered = self._cached.get(name)
                if remembered is not None and remembered[0] > now:
                    results[name] = remembered[1]
                    continue
                running = self._running.get(name)
                if running is not None and not running.done.is_set():
                    results[name] = f"timed out after {self.timeout:g}s (still checking)"
                    continue
                started[name] = self._running[name] = _Run(check)
        deadline = now + self.timeout
        for name, run in started.items():
            if not run.done.wait(max(deadline - time.monotonic(), 0.0)):
                results[name] = f"timed out after {self.timeout:g}s"
                continue
            results[name] = run.problem or OK
            seconds = self._cache_seconds.get(name)
            if seconds:
                with self._lock:
                    self._cached[name] = (time.monotonic() + seconds, results[name])
        return {name: results[name] for name in self.checks}


class HealthzResource:
    """GET /healthz: the process is up and answering (nothing else is looked at)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.set_header("Cache-Control", "no-store")
        resp.media = {"status": OK}


class ReadyzResource:
    """GET /readyz: 200 when every check passes, else 503 naming what failed."""

    def __init__(self, readiness: Readiness) -> None:
        self.readiness = readiness

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        checks = self.readiness.run()
        ready = all(result == OK for result in checks.values())
        resp.set_header("Cache-Control", "no-store")
        resp.status = 200 if ready else 503
        if not ready:
            resp.set_header("Retry-After", "5")
        resp.media = {"status": OK if ready else "unavailable", "checks": checks}


def is_loopback(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return parsed.is_loopback


FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


class MetricsResource:
    """GET /metrics: the Prometheus text format, for loopback or the metrics token."""

    def __init__(
        self,
        metrics: Metrics,
        token: str | None,
        trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
    ) -> None:
        self.metrics = metrics
        self._token = token.encode() if token else None
        self.trusted_proxies = trusted_proxies

    def local(self, req: falcon.Request) -> bool:
        """A loopback client, after proxy handling. A request that an untrusted proxy on this
        host forwarded (its peer is loopback, and it names a client) is not local."""
        if not is_loopback(client_ip(req, self.trusted_proxies)):
            return False
        peer = req.remote_addr or ""
        peer_trusted = any(_in(peer, network) for network in self.trusted_proxies)
        return peer_trusted or not any(req.get_header(h) for h in FORWARDING_HEADERS)

    def authorised(self, req: falcon.Request) -> bool:
        if self._token is None:
            return False
        given = bearer_token(req)
        if not given:
            return False
        return hmac.compare_digest(given.encode(), self._token)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not self.local(req) and not self.authorised(req):
            raise Forbidden(
                "Metrics are answered to loopback clients, or with the metrics token"
                " (IMGTREE_METRICS_TOKEN)"
            )
        resp.set_header("Cache-Control", "no-store")
        resp.content_type = CONTENT_TYPE
        resp.data = self.metrics.exposition()


def _in(address: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False

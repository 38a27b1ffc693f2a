"""Prometheus metrics behind one small interface (docs/operations.md lists every metric).

`Metrics` is what the rest of imgtree calls: `request`, `upload`, `rate_limited`,
`storage_error`, `database_error`, the decode pool's observer methods and `watch_pool` for
the database pool. Nothing else imports prometheus_client, and the domain never does.

Two modes:
- one process (falcon.testing, an embedder's server, plain `gunicorn imgtree.entrypoints.wsgi:app`
  without PROMETHEUS_MULTIPROC_DIR): each `Metrics` owns its registry, so every app built
  counts from zero and `exposition()` reads that registry;
- gunicorn's workers under `imgtree serve`: the command sets PROMETHEUS_MULTIPROC_DIR in the
  master before anything imports prometheus_client, so every worker writes its values to files in a
  fresh per-server directory; `exposition()` (in whichever worker the scrape reaches) sums them
  with a MultiProcessCollector, and a worker's live gauges go when it exits
  (`process_exited`).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client import values as _values

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds; request latency spans cached media (~1 ms) to large uploads (tens of seconds).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PROCESSING_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WAIT_BUCKETS = (0.001, 0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def multiprocess_dir() -> str | None:
    """The directory workers write their values to, when this process writes them there."""
    path = os.environ.get(MULTIPROC_ENV)
    # Values are files only if the variable was set before prometheus_client was imported.
    if path and _values.ValueClass is not _values.MutexValue:
        return path
    return None


def process_exited(pid: int) -> None:
    """A gunicorn worker went: drop its live gauges (in-flight decodes, pool connections)."""
    path = multiprocess_dir()
    if path:
        _multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


class Metrics:
    """Every metric imgtree exports; a method per thing that happened."""

    def __init__(self) -> None:
        self._dir = multiprocess_dir()
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._requests = Counter(
            "imgtree_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ("route", "method", "status"),
            registry=r,
        )
        self._latency = Histogram(
            "imgtree_http_request_duration_seconds",
            "Time from the request reaching the app to its response being handed to the server.",
            ("route", "method"),
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self._upload_files = Counter(
            "imgtree_upload_files",
            "Uploaded files by image type and outcome (accepted, or the refusal reason).",
            ("type", "outcome"),
            registry=r,
        )
        self._upload_bytes = Counter(
            "imgtree_upload_bytes",
            "Bytes of uploaded files by image type and outcome (stored size when accepted).",
            ("type", "outcome"),
            registry=r,
        )
        self._processing = Histogram(
            "imgtree_processing_seconds",
            "Time of one decode job in the processing pool, waiting for a process included.",
            ("op", "outcome"),
            buckets=PROCESSING_BUCKETS,
            registry=r,
        )
        self._processing_wait = Histogram(
            "imgtree_processing_wait_seconds",
            "Time a decode job waited for a free decode process.",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self._in_flight = Gauge(
            "imgtree_processing_in_flight",
            "Decode jobs running or waiting for a decode process, over all workers.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._pool_size = Gauge(
            "imgtree_processing_pool_size",
            "Decode processes on this host (IMGTREE_PROCESS_WORKERS).",
            registry=r,
            multiprocess_mode="livemax",
        )
        self._busy = Counter(
            "imgtree_processing_busy",
            "Decode jobs refused because no decode process came free in time (503).",
            registry=r,
        )
        self._rate_limited = Counter(
            "imgtree_rate_limited",
            "Requests refused by a rate limit (429), by limit and route template.",
            ("policy", "route"),
            registry=r,
        )
        self._storage_errors = Counter(
            "imgtree_storage_errors",
            "Blob storage failures answered with 503.",
            registry=r,
        )
        self._database_errors = Counter(
            "imgtree_database_errors",
            "Database failures answered with 503, by error class.",
            ("error",),
            registry=r,
        )
        self._db_in_use = Gauge(
            "imgtree_db_pool_connections_in_use",
            "Database connections checked out of the workers' pools.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._db_capacity = Gauge(
            "imgtree_db_pool_capacity",
            "Connections the workers' pools may open (pool size plus overflow).",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._unhandled = Counter(
            "imgtree_unhandled_errors",
            "Unexpected exceptions answered with 500.",
            registry=r,
        )

    # --- HTTP -------------------------------------------------------------------------------

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._request_children.get(key)
        if children is None:
            # labels() takes a lock and builds its key each time: the children of a route,
            # method and status are looked up once (routes and statuses are few).
            label = method if method in KNOWN_METHODS else "other"
            children = (
                self._requests.labels(route, label, str(status)),
                self._latency.labels(route, label),
            )
            if len(self._request_children) < 10_000:
                self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def upload(self, type_: str, outcome: str, nbytes: int) -> None:
        self._upload_files.labels(type_, outcome).inc()
        self._upload_bytes.labels(type_, outcome).inc(max(nbytes, 0))

    def rate_limited(self, policy: str, route: str) -> None:
        self._rate_limited.labels(policy, route).inc()

    def storage_error(self) -> None:
        self._storage_errors.inc()

    def database_error(self, error: str) -> None:
        self._database_errors.labels(error).inc()

    def unhandled_error(self) -> None:
        self._unhandled.inc()

    # --- the decode pool (adapters/imaging/pool.DecodeObserver) -----------------------------

    def pool_size(self, workers: int) -> None:
        self._pool_size.set(workers)

    def decode_started(self, op: str) -> None:
        self._in_flight.inc()

    def decode_waited(self, seconds: float) -> None:
        self._processing_wait.observe(seconds)

    def decode_finished(self, op: str, outcome: str, seconds: float) -> None:
        self._in_flight.dec()
        self._processing.labels(op, outcome).observe(seconds)
        if outcome == "busy":
            self._busy.inc()

    # --- the database pool ------------------------------------------------------------------

    def watch_pool(self, engine: Any) -> None:
        """Count `engine`'s checked-out connections and capacity (SQLAlchemy pool events)."""
        from sqlalchemy import event

        pool = engine.pool
        size = getattr(pool, "size", None)
        overflow = getattr(pool, "_max_overflow", 0)
        if callable(size):
            self._db_capacity.inc(size() + max(overflow, 0))
        in_use = self._db_in_use

        def checkout(*_: Any) -> None:
            in_use.inc()

        def checkin(*_: Any) -> None:
            in_use.dec()

        event.listen(pool, "checkout", checkout)
        event.listen(pool, "checkin", checkin)

    # --- exposition -------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The text format of every worker's values (multiprocess) or this registry's."""
        if self._dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry, path=self._dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)

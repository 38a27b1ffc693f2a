"""What the per-request observability costs (issue 18): request id, metrics, one JSON log line.

    python -m bench.observe_overhead [--requests N] [--rounds R]

One trivial falcon resource (`{"ok": true}`) called straight through WSGI (no server, no
socket: only the app's own work is timed), bare and with `Observe` (entrypoints/http/observe.py)
in front, the request log line written by the JSON formatter to /dev/null. Twice: with
prometheus_client's in-process values (falcon.testing, embedders) and, in a child process
with PROMETHEUS_MULTIPROC_DIR set, with the memory-mapped files `imgtree serve`'s workers
write. The two sides alternate A, B, A, B …; the figure is the median over rounds of the
per-request difference.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any


def _measure(requests: int, rounds: int) -> dict[str, float]:
    import falcon
    import falcon.testing

    from imgtree.entrypoints.http.observe import Observe
    from imgtree.entrypoints.logs import JsonFormatter, RequestIdFilter
    from imgtree.entrypoints.metrics import Metrics

    class Ok:
        def on_get(self, req: falcon.Request, resp: falcon.Response, thing_id: str) -> None:
            resp.media = {"ok": True, "id": thing_id}

    def app(middleware: list[Any]) -> Any:
        made = falcon.App(middleware=middleware)
        made.add_route("/api/v1/things/{thing_id}", Ok())
        return made

    devnull = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the process)
    handler = logging.StreamHandler(devnull)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    bare, observed = app([]), app([Observe(Metrics())])
    environ = falcon.testing.create_environ(
        "/api/v1/things/42", headers={"User-Agent": "bench"}, remote_addr="127.0.0.1"
    )

    def per_request(wsgi: Any) -> float:
        statuses: list[str] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            statuses.append(status)

        started = time.perf_counter()
        for _ in range(requests):
            for _chunk in wsgi(dict(environ), start_response):
                pass
        seconds = time.perf_counter() - started
        assert set(statuses) == {"200 OK"}, set(statuses)  # the figure is of real answers
        return seconds / requests * 1e6

    per_request(bare)
    per_request(observed)  # warm both
    bare_us, observed_us = [], []
    for _ in range(rounds):
        bare_us.append(per_request(bare))
        observed_us.append(per_request(observed))
    diffs = [o - b for b, o in zip(bare_us, observed_us, strict=True)]
    return {
        "bare_us": statistics.median(bare_us),
        "observed_us": statistics.median(observed_us),
        "overhead_us": statistics.median(diffs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.observe_overhead")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_measure(args.requests, args.rounds)))
        return 0
    results = {}
    with tempfile.TemporaryDirectory(prefix="imgtree-bench-metrics-") as directory:
        for mode, extra in (
            ("in-process", {}),
            ("multiprocess", {"PROMETHEUS_MULTIPROC_DIR": directory}),
        ):
            env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.observe_overhead",
                    "--child",
                    "--requests",
                    str(args.requests),
                    "--rounds",
                    str(args.rounds),
                ],
                env={**env, **extra},
                capture_output=True,
                text=True,
                check=True,
            )
            results[mode] = json.loads(out.stdout)
    for mode, r in results.items():
        print(
            f"{mode:13} bare {r['bare_us']:6.1f} µs/request, with Observe {r['observed_us']:6.1f}"
            f" µs: +{r['overhead_us']:.1f} µs per request"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

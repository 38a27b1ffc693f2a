"""A bounded mixed-traffic soak against a running `imgtree serve`, plus /proc helpers.

Used by tests/smoke/test_soak.py (which boots the server on Postgres + local disk); it can
also drive any loopback server you started yourself:

    python -m bench.soak --base http://127.0.0.1:8000 --key imgt_... --seconds 300

Each client thread loops over a weighted mix of: multipart upload, JSON base64 upload,
presign -> PUT -> complete, listing, media GETs (direct, thumbnail, page) and deletes (by
key, or through the delete_url). Every acknowledged image is fetched straight away and its
SHA-256 kept as the reference; `verify` later checks that every live image is listed and
still serves exactly those bytes, and that deleted ones are gone. Nothing leaves loopback;
the run is bounded by time and by an operation cap.
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import io
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs
import requests

from bench.procs import workers_of
from imgtree.entrypoints.http.app import MEDIA_CACHE_TTL

# --- /proc helpers --------------------------------------------------------------------------


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            # "pid (comm) state ppid ...": comm may contain spaces, so split after ')'.
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def rss_kib(pid: int) -> int | None:
    """Resident set size of `pid` in KiB (VmRSS), None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def master_for_port(port: int) -> int | None:
    """The gunicorn master serving `--bind 127.0.0.1:<port>` (its children are the workers)."""
    needle = f"127.0.0.1:{port}".encode()
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if b"serve" in cmdline and needle in cmdline:
            pids.append(int(name))
    masters = [p for p in pids if _ppid(p) not in pids]
    return masters[0] if len(masters) == 1 else None


class RssSampler:
    """Sample the summed RSS of a master's workers every `interval` seconds, in a thread."""

    def __init__(self, master: int, interval: float = 1.0) -> None:
        self.master, self.interval = master, interval
        self.samples: list[tuple[float, int, int]] = []  # (t, workers, total KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            sizes = [s for s in (rss_kib(p) for p in workers_of(self.master)) if s is not None]
            if sizes:
                self.samples.append((time.monotonic() - start, len(sizes), sum(sizes)))
            self._stop.wait(self.interval)

    def thirds(self) -> tuple[float, float]:
        """(median of the first third, median of the last third) of the totals, in KiB."""
        totals = [s[2] for s in self.samples]
        third = max(1, len(totals) // 3)
        return statistics.median(totals[:third]), statistics.median(totals[-third:])


# --- inputs ---------------------------------------------------------------------------------


def image_pool(count: int = 16, seed: int = 7) -> list[tuple[str, str, bytes]]:
    """(filename, content type, bytes): varied formats and sizes, made with Pillow."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)  # noqa: S311 (test inputs, not secrets)
    kinds = [("png", "PNG", "image/png"), ("jpg", "JPEG", "image/jpeg"),
             ("gif", "GIF", "image/gif"), ("webp", "WEBP", "image/webp")]  # fmt: skip
    pool = []
    for i in range(count):
        ext, fmt, ctype = kinds[i % len(kinds)]
        w, h = rng.randint(40, 480), rng.randint(40, 360)
        im = Image.new("RGB", (w, h), (rng.randrange(256), rng.randrange(256), 90))
        draw = ImageDraw.Draw(im)
        for _ in range(12):
            x, y = rng.randrange(w), rng.randrange(h)
            draw.rectangle((x, y, x + w // 5, y + h // 5), fill=(rng.randrange(256), 40, 200))
        out = io.BytesIO()
        im.save(out, fmt)
        pool.append((f"soak{i}.{ext}", ctype, out.getvalue()))
    return pool


# --- the run --------------------------------------------------------------------------------


@attrs.define
class Tracked:
    id: str
    slug: str
    direct_url: str
    thumb_url: str
    page_url: str
    delete_url: str
    sha256: str


@attrs.define
class SoakReport:
    seconds: float = 0.0
    requests: collections.Counter[str] = attrs.field(factory=collections.Counter)
    statuses: collections.Counter[str] = attrs.field(factory=collections.Counter)
    unexpected: list[str] = attrs.field(factory=list)
    acknowledged: int = 0
    deleted: int = 0
    verified: int = 0
    deleted_gone: int = 0
    listed_total: int = 0

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def server_errors(self) -> int:
        return sum(n for key, n in self.statuses.items() if key.rsplit(" ", 1)[-1][0] == "5")


class Soak:
    """Drive the mix from `threads` clients for `seconds` (at most `max_ops` operations,
    at most about `max_live` live images)."""

    def __init__(
        self,
        base: str,
        key: str,
        *,
        seconds: float,
        threads: int = 4,
        max_ops: int = 200_000,
        max_live: int = 1000,
        seed: int = 1,
    ) -> None:
        self.base, self.seconds, self.threads, self.max_ops = base, seconds, threads, max_ops
        self.max_live = max_live
        self.auth = {"Authorization": f"Bearer {key}"}
        self.pool = image_pool()
        self.report = SoakReport()
        self.live: dict[str, Tracked] = {}
        self.gone: dict[str, Tracked] = {}
        self._lock = threading.Lock()
        self._ops = 0
        self._seed = seed

    # -- bookkeeping --

    def _count(self, kind: str, r: requests.Response, ok: Sequence[int] = (200,)) -> bool:
        with self._lock:
            self.report.requests[kind] += 1
            self.report.statuses[f"{kind} {r.status_code}"] += 1
            if r.status_code not in ok:
                body = r.text[:200] if "json" in r.headers.get("Content-Type", "") else ""
                self.report.unexpected.append(f"{kind} {r.url}: {r.status_code} {body}")
                return False
        return True

    def _acknowledge(self, s: requests.Session, img: dict[str, Any]) -> None:
        """Fetch the reference copy right after upload and remember it."""
        r = s.get(img["direct_url"], timeout=30)
        if not self._count("media_direct", r):
            return
        tracked = Tracked(
            # The upload's "id" is the slug; the listing's is the UUID the delete_url names.
            id=urlsplit(img["delete_url"]).path.rsplit("/", 1)[-1],
            slug=img["id"],
            direct_url=img["direct_url"],
            thumb_url=img["thumb_url"],
            page_url=img["url"],
            delete_url=img["delete_url"],
            sha256=hashlib.sha256(r.content).hexdigest(),
        )
        with self._lock:
            self.live[tracked.id] = tracked
            self.report.acknowledged += 1

    # -- operations --

    def upload_multipart(self, s: requests.Session, rng: random.Random) -> None:
        picks = rng.sample(self.pool, rng.choice((1, 1, 2)))
        files = [("file", (name, data, ctype)) for name, ctype, data in picks]
        r = s.post(f"{self.base}/api/v1/upload", headers=self.auth, files=files, timeout=60)
        if self._count("upload_multipart", r):
            for img in r.json()["images"]:
                self._acknowledge(s, img)

    def upload_json(self, s: requests.Session, rng: random.Random) -> None:
        name, _, data = rng.choice(self.pool)
        doc = {"filename": name, "file_base64": base64.b64encode(data).decode()}
        r = s.post(f"{self.base}/api/v1/upload", headers=self.auth, json=doc, timeout=60)
        if self._count("upload_json", r):
            for img in r.json()["images"]:
                self._acknowledge(s, img)

    def upload_presigned(self, s: requests.Session, rng: random.Random) -> None:
        name, ctype, data = rng.choice(self.pool)
        doc = {"filename": name, "contentType": ctype, "sizeBytes": len(data)}
        r = s.post(f"{self.base}/api/v1/upload/presign", headers=self.auth, json=doc, timeout=30)
        if not self._count("presign", r):
            return
        signed = r.json()
        r = s.put(signed["put_url"], data=data, headers={"Content-Type": ctype}, timeout=60)
        if not self._count("put", r):
            return
        r = s.post(
            f"{self.base}/api/v1/upload/complete",
            headers=self.auth,
            json={"completion_token": signed["completion_token"]},
            timeout=60,
        )
        if self._count("complete", r):
            for img in r.json()["images"]:
                self._acknowledge(s, img)

    def listing(self, s: requests.Session, rng: random.Random) -> None:
        params = {"page": rng.randint(1, 3), "limit": rng.choice((10, 24, 50))}
        r = s.get(f"{self.base}/api/v1/images", headers=self.auth, params=params, timeout=30)
        self._count("list", r)

    def media(self, s: requests.Session, rng: random.Random) -> None:
        with self._lock:
            if not self.live:
                return
            t = self.live[rng.choice(list(self.live))]
        kind, url = rng.choice(
            (("media_direct", t.direct_url), ("media_thumb", t.thumb_url), ("page", t.page_url))
        )
        r = s.get(url, timeout=30)
        # Another thread may have deleted it since: 404 is then the right answer.
        with self._lock:
            deleted = t.id in self.gone
        self._count(kind, r, (200, 404) if deleted else (200,))

    def delete(self, s: requests.Session, rng: random.Random) -> None:
        with self._lock:
            if len(self.live) < 8:
                return
            t = self.live.pop(rng.choice(list(self.live)))
            self.gone[t.id] = t
        if rng.random() < 0.5:
            r = s.delete(f"{self.base}/api/v1/images/{t.id}", headers=self.auth, timeout=30)
            kind = "delete_api"
        else:
            r = s.delete(t.delete_url, timeout=30)
            kind = "delete_url"
        if self._count(kind, r):
            with self._lock:
                self.report.deleted += 1

    def _mix(self) -> list[tuple[Callable[[requests.Session, random.Random], None], int]]:
        return [
            (self.upload_multipart, 4),
            (self.upload_json, 2),
            (self.upload_presigned, 2),
            (self.listing, 3),
            (self.media, 8),
            (self.delete, 2),
        ]

    def _client(self, index: int, deadline: float, failures: list[BaseException]) -> None:
        rng = random.Random(self._seed * 1000 + index)  # noqa: S311 (a traffic mix)
        ops, weights = zip(*self._mix(), strict=True)
        try:
            with requests.Session() as s:
                while time.monotonic() < deadline:
                    with self._lock:
                        if self._ops >= self.max_ops:
                            return
                        self._ops += 1
                    with self._lock:
                        crowded = len(self.live) >= self.max_live
                    # Past `max_live` images, delete instead: disk use and verification stay
                    # bounded however long the run.
                    op = self.delete if crowded else rng.choices(ops, weights)[0]
                    op(s, rng)
        except BaseException as exc:  # a transport error is a failure of the run, kept
            failures.append(exc)

    def run(self) -> SoakReport:
        failures: list[BaseException] = []
        start = time.monotonic()
        deadline = start + self.seconds
        workers = [
            threading.Thread(target=self._client, args=(i, deadline, failures), daemon=True)
            for i in range(self.threads)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(self.seconds + 120)
        self.report.seconds = time.monotonic() - start
        for exc in failures:
            self.report.unexpected.append(f"client error: {type(exc).__name__}: {exc}")
        return self.report

    def verify(self) -> SoakReport:
        """Every live image listed and byte-identical to its reference; deleted ones gone."""
        with requests.Session() as s:
            listed: dict[str, dict[str, Any]] = {}
            page, total = 1, None
            while True:
                r = s.get(
                    f"{self.base}/api/v1/images",
                    headers=self.auth,
                    params={"page": page, "limit": 100},
                    timeout=30,
                )
                self._count("list", r)
                doc = r.json()
                total = doc["total"]
                listed.update({i["id"]: i for i in doc["images"]})
                if not doc["has_more"]:
                    break
                page += 1
            self.report.listed_total = total or 0
            if set(listed) != set(self.live):
                missing = sorted(set(self.live) - set(listed))[:5]
                extra = sorted(set(listed) - set(self.live))[:5]
                self.report.unexpected.append(f"listing differs: missing {missing} extra {extra}")
            if total != len(self.live):
                self.report.unexpected.append(f"total {total} != {len(self.live)} live")
            for t in self.live.values():
                r = s.get(t.direct_url, timeout=30)
                if self._count("media_direct", r):
                    if hashlib.sha256(r.content).hexdigest() == t.sha256:
                        self.report.verified += 1
                    else:
                        self.report.unexpected.append(f"bytes changed: {t.id}")
            # Other workers may serve a just-deleted image for up to the media cache's TTL.
            time.sleep(MEDIA_CACHE_TTL + 0.1)
            for t in self.gone.values():
                r = s.get(t.direct_url, timeout=30)
                if self._count("media_direct", r, (404,)):
                    self.report.deleted_gone += 1
        return self.report


def format_report(report: SoakReport, sampler: RssSampler | None = None) -> str:
    lines = [
        f"duration: {report.seconds:.1f} s, requests: {report.total_requests}"
        f" ({report.total_requests / max(report.seconds, 1e-9):.1f}/s)",
        "requests by type: " + ", ".join(f"{k}={v}" for k, v in sorted(report.requests.items())),
        "statuses: " + ", ".join(f"{k}={v}" for k, v in sorted(report.statuses.items())),
        f"5xx: {report.server_errors()}, unexpected: {len(report.unexpected)}",
        f"images acknowledged: {report.acknowledged}, deleted: {report.deleted},"
        f" live verified byte-identical: {report.verified}, deleted now 404:"
        f" {report.deleted_gone}, listing total: {report.listed_total}",
    ]
    if sampler is not None and sampler.samples:
        first, last = sampler.thirds()
        totals = [s[2] for s in sampler.samples]
        lines.append(
            f"worker RSS (sum of {sampler.samples[-1][1]} workers, {len(totals)} samples at"
            f" 1 s): min {min(totals) / 1024:.1f} MiB, max {max(totals) / 1024:.1f} MiB,"
            f" first-third median {first / 1024:.1f} MiB, last-third median"
            f" {last / 1024:.1f} MiB ({(last / first - 1) * 100:+.1f}%)"
        )
    lines.extend(f"  unexpected: {u}" for u in report.unexpected[:20])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8000 (loopback)")
    parser.add_argument("--key", required=True, help="an API key of a throw-away account")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-ops", type=int, default=200_000)
    args = parser.parse_args(argv)
    soak = Soak(
        args.base, args.key, seconds=args.seconds, threads=args.threads, max_ops=args.max_ops
    )
    port = int(args.base.rsplit(":", 1)[-1].split("/")[0])
    master = master_for_port(port)
    sampler = RssSampler(master) if master else None
    if sampler:
        with sampler:
            soak.run()
    else:
        soak.run()
    soak.verify()
    print(format_report(soak.report, sampler))
    return 1 if soak.report.unexpected or soak.report.server_errors() else 0


if __name__ == "__main__":
    sys.exit(main())

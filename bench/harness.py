"""The benchmark run: inputs, servers, the R1-R6 ratios, and docs/benchmarks.md.

Every ratio is measured within one run, its two sides interleaved (A, B, A, B, ...), and
reported as the median of the per-round ratios (at least 5 rounds; 1 with --quick).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from bench import client as cl
from bench import procs
from bench.inputs import make_all
from bench.procs import BIN, REPO, Server

THUMB = 320

# What profiling found for the missed targets (kept here so every regenerated report has it).
FINDINGS = """
## Findings (profiling, fixes, what remains)

**Issue [speed]: the upload path's own cost (R7 per path).** Found with py-spy under wrk on
the served upload (`python -m bench.spy_upload --top 15`, the table above) and cProfile
in-process (`python -m bench.profile_upload`). Kept, each measured A/B in one sitting
against the commit this work started from (1c7d038), the new harness on both sides
(`git worktree add`, `PYTHONPATH=<worktree>/src:<repo> python -m bench --only r1 --rounds 3`,
sides alternated, twice; figures are the two runs' medians):

| 12-MP JPEG, R7 = (server − reference) ÷ reference | 1c7d038 | + JSON streamed, staged publish, warm heap (e1230fb) | + 1 MiB multipart reads (c1743eb) |
|---|---|---|---|
| multipart | 0.44, 0.43 | 0.40, 0.36 | 0.31, 0.32 |
| JSON base64 | 0.87, 0.86 | 0.38, 0.34 | 0.38, 0.36 |
| presign → PUT → complete (local) | 0.51, 0.50 | 0.46, 0.41 | 0.47, 0.49 |
| R1 JPEG (server CPU-ms/upload) | 1.44, 1.43 (44.0, 44.7) | 1.40, 1.36 (42.7, 43.3) | 1.31, 1.32 (41.3, 42.0) |
| R1 400×300 PNG | 1.95, 1.82 | 1.90, 1.89 | 1.89, 1.90 |
| R3, 50 MB by JSON base64 (`--only r3`, 1c7d038 vs e1230fb) | 3.96, 3.98 | 0.00, 0.00 | |

1. **JSON base64 is decoded as it arrives** (`entrypoints/http/json_upload.py`): the body
   was read whole, parsed by `json.loads` and decoded by `base64.b64decode` (CPython's
   a2b_base64 ~6 ms and json.loads ~6 ms per 5 MB string, plus strip/split/join copies). A
   byte-level scanner now streams the `file_base64` string through pybase64 (SIMD, ~0.2 ms
   per 5 MB) into the spooled file and gives `json` only the small envelope. Worker CPU per
   JPEG 25 → 9 ms; memory for a 50 MB image +204 MB → +0 (R3).
2. **The published bytes are written once** (`StagingStorage`, `ProcessesInto`): the decode
   child writes the sanitised file into a staged file beside the blobs (passed by
   descriptor) and the put renames it, instead of the bytes crossing the decode socket,
   being joined, wrapped and copied into storage (py-spy: `LocalBlobStorage.put` was a third
   of the worker's samples).
3. **Workers keep a warm heap** (`entrypoints/heap.py`, glibc thresholds as the decode
   children have): 13.3 → 8.0 worker CPU-ms per JPEG in a same-sitting A/B of that change
   alone (`MALLOC_*` set vs not, 2 × 4 threads).
4. **Multipart is read in 1 MiB steps**: falcon's parser reads 32 KiB at a time, and on each
   read gunicorn's body reader copied what it held beyond it (up to 1 MiB of read-ahead):
   gunicorn's frames were half of the worker's samples. Large parts also spool straight to a
   temporary file (no 1 MiB in-memory roll-over).

Tried and not kept (did not move R6 beyond its noise): faster SQLite row converters for UUIDs
and datetimes (−0.9 µs per listed row in-process, the listing p50 unchanged within ±0.1 ms).
On this VM memory the guest never touched costs a host page fault on first use, so a tmpfs
that keeps filling makes later writes dearer (worker CPU per JPEG 10 → 19 ms with 2.3 GB of
other files in /dev/shm): the harness now clears stored blobs between runs.

What remains, by target:

- **R7 ≤ 0.25 on the JPEG**: multipart ~0.33, JSON ~0.35, presign ~0.42. Of ~11 CPU-ms over
  the reference, the decode children spend ~4 (sniff + rewrite, writing the file once,
  reading it back to decode: the reference decodes from memory and writes nothing) and the
  worker ~7 (py-spy: writing the upload to its spool file on /tmp, ext4's page cache, ~26 %
  of its samples; receiving 3.7 MB from the socket ~17 %; the fixed HTTP/auth/DB work
  ~2 CPU-ms, shown by **R1 (fixed cost)**). The next lever is that spool: on tmpfs, or handed
  to the decode child as the body arrives. Presign is three requests and moves the bytes
  twice (the PUT into storage, then complete reads them back).
- **R1 ≤ 1.25**: the JPEG is at ~1.31. The 400×300 PNG cannot get there in Python: its
  reference is ~3.3 CPU-ms and the per-upload fixed work (HTTP, multipart, key check,
  rate-limit write, slug, quota, insert, the decode hand-over) is ~2 CPU-ms by itself.
- **R5 ≥ 1.8 at 4 threads**: bounded by the machine (below): one 4-thread worker already
  keeps ~1.85 of the 2 cores busy, so a second worker can add at most ~8 %.
- **R6 ≤ 6**: SQLite ~7–8.5, Postgres ~7 (rounds 6.3–11.4; 10–15 in earlier runs of this
  harness on a slower hour). The listing p50 over HTTP is ~0.6 ms for one
  image and ~9.5 µs per further image (SQLAlchemy row processing ~3.7 µs, the domain `Image`
  ~2 µs, its JSON object ~2.4 µs, in-process); hello-world is ~0.2 ms, so 6× leaves ~6 µs per
  image after the fixed part. Postgres adds loopback round trips per unit of work. Meeting it
  without caching authentication would take a listing that skips the domain objects (a
  projection port) or fewer round trips per request; not done in this round.

**The processing budget (every decode in a sandboxed decode process).** Server CPU now
counts every process of the server: master, workers, the decode pool's supervisor and its
children. Same-sitting A/B against the code before the pool (f94ce54, in a `git worktree`,
`python -m bench --only r1 --rounds 5`, run alternately twice each):

| R1 | before the pool | the pool (bytes inline ≤ 8 MiB, as shipped) | the pool, published > 256 KiB as a temp file |
|---|---|---|---|
| 400×300 PNG (server CPU-ms/upload) | 1.98, 1.97 (11.2–12.0) | 2.16, 2.14 (12.7–12.8) | 2.07, 2.10 (12.2–12.8) |
| 12-MP JPEG (server CPU-ms/upload) | 1.40, 1.44 (66–69) | 1.51, 1.58 (75) | 1.66, 1.69 (82) |

So isolation costs ~1 CPU-ms per upload (connect, a JSON request and reply, the bytes
through a Unix socket: ~0.5 ms fixed, shown by **R1 (fixed cost)**) plus a few ms per MB for
large files: +5–9 % on R1. Two changes kept it there: decode children keep a warm heap (glibc
`MALLOC_MMAP_THRESHOLD_`/`MALLOC_TRIM_THRESHOLD_`: ~260 page faults per 400×300 PNG → 0),
and uploads and published files up to 8 MiB travel through the socket rather than through a
temporary file (the last column: 7 CPU-ms more per JPEG). What remains per MB is the bytes
crossing the socket twice; issue [speed] removes a copy on each side.
**R5** no longer measures what it was built for: with the pool, one worker's 4 threads
already keep both cores busy (1.88 cores, ~29 uploads/s, against 1.64 cores and ~26.5 before),
because decoding no longer holds that worker's GIL; a second worker adds nothing left to use,
so 2 workers ÷ 1 is ~1.0. **R5 (1 thread)** still shows workers that share nothing (1.90).

"Before" figures are from earlier full runs of this harness on this machine (the first run,
and the run that closed the previous round of work); "now" is the tables above. Absolute
figures drift by 10–20 % between hours on this shared 2-core machine, so the last round of
fixes was also measured A/B in one sitting: the previous code (commit 09333f6, checked out
with `git worktree add` and run with `PYTHONPATH=<worktree>/src:<worktree> python -m bench
--only r1,r4,r6 --rounds 3`) against this code, 3 rounds each, minutes apart:

| ratio | 09333f6 | this code |
|---|---|---|
| R1 PNG (server CPU-ms/upload) | 2.62 (11.7) | 1.87 (8.8) |
| R1 12-MP JPEG (server CPU-ms/upload) | 1.74 (70.7) | 1.61 (65.3) |
| R4 (PNG req/s; server CPU-ms/req) | 0.50 (4 128–4 231; 0.38) | 0.61 (4 994–5 451; 0.31) |
| R6 SQLite (listing p50) | 11.2 (5.2–5.5 ms) | 9.3 (2.9–3.0 ms) |
| R6 Postgres (listing p50) | 16.6 (6.4–7.0 ms) | 10.0 (3.7–3.8 ms) |

(R6's ratios moved less than its p50s because the hello-world p50 itself varied 0.31–0.48 ms
between those runs.)

- **R1** (server CPU per upload ÷ the bare Pillow work; first run ~1.7 JPEG / ~2.4 PNG, then
  1.45 / 2.37). Profiled in-process (cProfile over `falcon.testing`): a 16×16 PNG upload,
  whose Pillow work is ~0.1 ms, cost 4.3 CPU-ms, most of it SQLAlchemy building the same
  statements on every upload. Fixed: the per-upload writes (rate-limit upsert, usage update,
  insert, slug check, key count) and every key lookup are built once with bind parameters,
  and the unit of work holds a Core connection instead of an ORM Session (~40 µs per
  statement): the fixed cost is now ~2.7 CPU-ms over HTTP (**R1 (fixed cost)** above),
  the PNG ratio ~1.9. What remains cannot reach 1.15 on the PNG: its reference is ~4.4 ms, and
  the fixed work an upload must do (HTTP and multipart parsing, API-key check, the shared
  rate-limit write, slug and quota checks, the insert, two durable files) is ~3 ms in
  Python. On the 12-MP JPEG the decode alone equals the reference (37 of ~40 ms); the extra
  ~14 ms is that fixed work plus moving 3.7 MB through the multipart parser, the container
  rewrite's scan and two file copies (each 1–3 ms in the profile).
- **R2** met: imgtree's processor is faster than libvips here (draft-mode JPEG decode).
- **R3** (memory during a 50 MB upload, 2.0 → ~0.09): the processor used to read the whole
  file before sniffing it, and the JPEG/PNG rewrites held the file and their output as bytes.
  Fixed (`adapters/imaging/pillow.py`, `stream.py`): the first bytes are sniffed from the
  disk-spooled upload, and JPEG/PNG are rewritten as a plan of source ranges copied in
  256 KiB windows to a temp file that Pillow then decodes (draft mode for JPEG). A huge PNG
  still costs its full decode (no draft mode for PNG). With S3 the presign path moves none of
  the body through the app (R3-S3).
- **R4** (media GET ÷ hello-world, 0.11 → 0.48 → 0.56–0.61): earlier fixes were deferred
  read-only SQLite transactions and a 1 s per-worker lookup cache. A py-spy profile under
  wrk then showed opening the file, checking its real path and gunicorn's `socket.sendfile`
  set-up costing more than the rest of the request. Fixed: files ≤ 1 MiB are kept in memory
  with their 1 s lookup, within a per-worker byte budget (`IMGTREE_MEDIA_MEMORY_CACHE_BYTES`),
  so a hot small image touches no disk. **R4 (tiny image)** shows imgtree's own per-request
  cost is now within the target (~0.85). What keeps the 218 KB PNG below 0.8 is moving
  218 KB per request through loopback on the same two cores as the client: **R4 (nginx)**
  shows the same file costs nginx ~85 % of its own hello-world rate (0.15). Production
  deployments serve media from the bucket/CDN or nginx (README, "Production").
- **R5** (2 workers ÷ 1, 0.93 → ~1.2 with `imgtree serve`'s 4 threads per worker): Pillow
  releases the GIL while decoding and encoding, so one 4-thread worker already keeps ~1.6 of
  the 2 cores busy (the "cores busy" figures above): a second worker can only add the
  remaining ~0.3 core. With one thread per worker (**R5 (1 thread)**) one worker uses
  exactly 1.00 core and two use ~1.8: the workers share nothing that serialises them (no
  lock, no shared-row contention); the ratio is bounded by the machine. Its rows also show
  that 4 threads cost ~10 % more CPU per upload than 1 (GIL hand-offs).
- **R6** (listing 100 of 100 000 images ÷ hello-world p50; SQLite 117 → 12 → ~9,
  Postgres 299 → 17 → ~10; the listing's p50 5.3 → 2.9 ms on SQLite in the A/B table):
  earlier fixes were the gallery total kept on the user row and the listing index in page
  order. Then: the ORM Session, statements rebuilt per request,
  named row lookups and the json module (4.3 → 2.2 ms in-process); read-only units of work
  in autocommit on Postgres (10 → 6 round trips per request). A new contract test asked
  Postgres for the listing plan with sorts forbidden and found it could not take the page
  order from (owner_id, deleted_at, created_at, id) at all (`IS NULL` does not fix an index
  column): migration 0007 makes the index partial over live rows, so a busy instance no
  longer sorts an owner's images or filters other users' rows per page. The same tests pin
  a constant statement count per page whatever its size (no N+1). What remains is linear in
  the page: ~13 µs per image (the row's type conversion, the domain `Image`, its JSON
  object) on top of a fixed ~4× (SQLite) / ~6× (Postgres: six loopback round trips, two of
  them the pool's pre-ping, kept so connections survive server restarts) shown by
  **R6 (…, limit=1)**. So the target cannot be met by trimming the per-image work alone:
  the one-image request is already past 3×, for the API-key check (two indexed lookups) and
  the count and page queries, each in its own unit of work. Meeting it would take caching
  authenticated keys across requests (revocation and deactivation would then lag, where
  docs/decisions.md promises the very next request) and a raw-row JSON path that skips the
  domain objects (the model the embedding teams and both adapters share); we chose neither.
- **R6 (…, search)** and **R6 (…, sort=size)** (issue 17's gallery queries on the same
  100 000 images): another order costs what newest-first does (3.3 ms SQLite, 3.8 ms
  Postgres: each reads its own index in order). A search is ~80 ms (SQLite) and ~100 ms
  (Postgres): a substring cannot seek an index, so both the count and the page read the
  owner's 100 000 names (the page's name order still walks its index and stops at 100
  matches; the count cannot stop). Cheaper paths, not taken yet: a `pg_trgm` index on
  Postgres, or a capped count ("more than 1 000") for large galleries.
- **R4 (offload)** and **R4 (offload, photo)** (nginx + app with X-Accel-Redirect ÷ nginx
  static, 0.2–0.45 depending on the machine's other load; the 218 KB PNG and a 151 KB
  1280 px photo): with IMGTREE_MEDIA_OFFLOAD the app's share of a media request is its
  checks alone (~0.2 CPU-ms: no bytes, no file opened; the storage finds the file with O_PATH
  and one /proc readlink, 9 µs where resolving every segment took 27 µs). On loopback nginx
  sends 150–220 KB by sendfile at 22 000–36 000 req/s (5 GB/s), so the ratio measures CPU per
  request, not bytes: every offloaded request still crosses Python, and **R4 (offload,
  ceiling)** shows falcon's hello-world alone at ~0.6–0.9 of nginx; the offloaded request
  adds nginx's proxy hop and the lookup on the same two cores as nginx and wrk. Over a real
  link the bytes dominate (1 Gbit/s carries ~800 such photos a second, a few % of what either
  side can do here), and both sides saturate it alike. ≥ 0.8 on loopback would need the check
  out of Python (a signed URL nginx verifies itself, or public images served by nginx from
  disk with the app consulted only for private ones): both give up the app's per-request
  decisions (miss budget, visibility changes within the 1 s lookup TTL), so we kept them.
- **Renditions** and **Renditions (WebP)** (one 1280 px rendition of the 12-MP JPEG by
  imgtree's resizer ÷ pyvips, wall; the detail also gives the CPU ratio): ~1.0–1.2. Both
  shrink on load (Pillow's JPEG draft mode, libvips' shrink-on-load), then LANCZOS and a
  progressive, optimised JPEG or a q85 WebP encode; WebP's encode dominates, so the two
  converge there. Under load libvips' two threads get twice a single-threaded resizer's share
  of the CPU; read the CPU ratio with the wall one.
"""


@attrs.define
class Ratio:
    name: str
    what: str
    target: str
    ok: Callable[[float], bool]
    rounds: list[float] = attrs.Factory(list)
    detail: str = ""
    skipped: str = ""
    # A reference figure beside a target ratio (what a C server or a smaller file gets),
    # reported but not judged.
    reference: bool = False

    @property
    def median(self) -> float:
        return cl.median(self.rounds)

    @property
    def met(self) -> str:
        if self.skipped:
            return "skipped"
        if self.reference:
            return "reference"
        return "met" if self.ok(self.median) else "**missed**"


@attrs.define
class Row:
    scenario: str
    rps: float
    p50: float
    p99: float
    cpu_ms: float | None
    peak_mb: float | None
    note: str = ""


@attrs.define
class Report:
    quick: bool
    commands: list[str] = attrs.Factory(list)
    rows: list[Row] = attrs.Factory(list)
    ratios: list[Ratio] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)
    inputs: dict[str, int] = attrs.Factory(dict)
    profile: str = ""  # the per-stage breakdown (bench/profile_upload.py)
    spy: str = ""  # a served upload sampled by py-spy under wrk (bench/spy_upload.py)
    started: float = attrs.Factory(time.time)


@attrs.define
class Config:
    quick: bool
    rounds: int
    seconds: float  # per wrk run
    list_rows: int

    @classmethod
    def make(cls, quick: bool, rounds: int | None) -> Config:
        if quick:
            return cls(True, rounds or 1, 1.0, 500)
        return cls(False, rounds or 5, 4.0, 100_000)


# --- set-up ----------------------------------------------------------------------------------


def run_cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "imgtree"), *args], env=env, capture_output=True, text=True, timeout=120
    )
    if out.returncode != 0:
        raise RuntimeError(f"imgtree {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def account(env: dict[str, str], email: str) -> str:
    # `--password=…`: a random password may begin with "-", which argparse would take
    # for an option.
    run_cli(env, "users", "create", email, f"--password={secrets.token_urlsafe(16)}")
    return (
        run_cli(env, "keys", "create", "--email", email, "--name", "bench").strip().splitlines()[-1]
    )


def base_env(tmp: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGTREE_")}
    env.update(
        {
            "IMGTREE_DATABASE_URL": database_url,
            "IMGTREE_MEDIA_DIR": str(tmp / "media"),
            "IMGTREE_RATE_LIMIT_PER_MINUTE": "100000000",
            "IMGTREE_MAX_UPLOAD_BYTES": str(64 << 20),
        }
    )
    return env


def measure(server: Server, fn: Callable[[], cl.Load]) -> tuple[cl.Load, float, float]:
    """Run fn; return its load, server CPU-ms (master + workers) and peak worker MB."""
    workers = server.workers()
    for pid in workers:
        procs.reset_peak(pid)
    cpu0 = procs.cpu_ms(server.pids())
    with procs.RssSampler(workers, 0.02) as sampler:
        load = fn()
    cpu = procs.cpu_ms(server.pids()) - cpu0
    peak = max(max(procs.status_kb(p, "VmHWM"), sampler.peak[p]) for p in workers) / 1024
    return load, cpu, peak


def ms_per(cpu: float, n: int) -> float:
    return cpu / n if n else float("nan")


# --- R1 / R2: upload CPU against in-process work ---------------------------------------------


def pillow_reference(data: bytes) -> bytes:
    """The reference work: Pillow open + draft + thumbnail + encode of the same bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (THUMB, THUMB))
        im.thumbnail((THUMB, THUMB))
        out = io.BytesIO()
        im.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


_PNG_REFERENCE_MS: list[float] = []


R7_PATHS = {"multipart": "multipart", "json": "JSON base64", "presign": "presign → PUT → complete"}


def r1_uploads(
    cfg: Config, rep: Report, app: Server, key: str, data: dict[str, bytes], media: Path
) -> None:
    """R1 (multipart) and R7 (every upload path): each round uploads the file n times by each
    path in turn, then runs the in-process reference n times; ratios are per round."""
    ratio = Ratio(
        "R1",
        "server CPU-ms per multipart upload ÷ CPU-ms of Pillow open+draft+thumbnail+encode "
        "in-process (same bytes, same run)",
        "≤ 1.25 (stretch 1.15)",
        lambda v: v <= 1.25,
    )
    r7 = {
        path: Ratio(
            f"R7 ({label})",
            f"(server CPU-ms per upload by {label}, local disk − the reference CPU-ms) ÷ the "
            "reference CPU-ms, 12-MP JPEG (the PNG in the details)",
            "≤ 0.25",
            lambda v: v <= 0.25,
        )
        for path, label in R7_PATHS.items()
    }
    r7_details: dict[str, list[str]] = {path: [] for path in R7_PATHS}
    details = []
    for kind, filename, ctype, n in (
        ("png", "bench.png", "image/png", 6 if cfg.quick else 60),
        ("jpeg12mp", "bench.jpg", "image/jpeg", 3 if cfg.quick else 15),
    ):
        uploaders = {
            path: cl.Uploader(app.base, key, path, data[kind], filename, ctype) for path in R7_PATHS
        }
        for uploader in uploaders.values():
            uploader.run(2)  # warm-up
        for _ in range(2):
            pillow_reference(data[kind])
        per_round = []
        per_path: dict[str, list[float]] = {path: [] for path in R7_PATHS}
        for _ in range(cfg.rounds):
            server: dict[str, float] = {}
            for path, uploader in uploaders.items():
                _clear_media(media)
                load, cpu, peak = measure(app, lambda u=uploader, k=n: u.run(k))
                if load.errors:
                    raise RuntimeError(f"upload {kind} by {path}: {load.statuses}")
                server[path] = ms_per(cpu, n)
                rep.rows.append(
                    Row(
                        f"upload {kind} by {R7_PATHS[path]}, 1 connection, sequential",
                        load.rps,
                        load.p50,
                        load.p99,
                        server[path],
                        peak,
                        f"round {len(per_round) + 1}",
                    )
                )
                if path == "multipart":
                    multipart_load, multipart_peak = load, peak
            t0 = time.process_time()
            for _ in range(n):
                pillow_reference(data[kind])
            ref_ms = (time.process_time() - t0) * 1000 / n
            if kind == "png":
                _PNG_REFERENCE_MS.append(ref_ms)
            per_round.append((server["multipart"], ref_ms, multipart_load, multipart_peak))
            for path in R7_PATHS:
                per_path[path].append((server[path] - ref_ms) / ref_ms)
        for uploader in uploaders.values():
            uploader.close()
        kind_ratios = [s / r for s, r, _, _ in per_round]
        ratio.rounds.extend(kind_ratios)
        details.append(
            f"{kind}: server {cl.median([s for s, *_ in per_round]):.1f} CPU-ms/upload, "
            f"reference {cl.median([r for _, r, *_ in per_round]):.1f} CPU-ms; "
            f"ratio median {cl.median(kind_ratios):.2f} (rounds: "
            + ", ".join(f"{v:.2f}" for v in kind_ratios)
            + ")"
        )
        for path, values in per_path.items():
            if kind == "jpeg12mp":
                r7[path].rounds = values
            r7_details[path].append(
                f"{kind}: median {cl.median(values):.2f} (rounds: "
                + ", ".join(f"{v:.2f}" for v in values)
                + ")"
            )
    # The headline is the worse of the two kinds' medians.
    ratio.detail = "; ".join(details)
    ratio.rounds = _worse_kind(details, ratio.rounds, cfg.rounds)
    rep.ratios.append(ratio)
    rep.ratios.append(_r1_fixed_cost(cfg, rep, app, key))
    for path, r in r7.items():
        r.detail = "; ".join(r7_details[path])
        rep.ratios.append(r)


def _r1_fixed_cost(cfg: Config, rep: Report, app: Server, key: str) -> Ratio:
    """What an upload costs apart from the image work: a 16×16 PNG, whose Pillow work is
    ~0.1 ms, costs the server its per-upload fixed work (HTTP, multipart, auth, rate-limit
    write, slug, quota, the insert, two durable files)."""
    tiny = _tiny_png()
    body = cl.multipart(tiny, "tiny.png", "image/png")
    headers = cl.upload_headers(key)
    n = 6 if cfg.quick else 60
    cl.sequential(app.base, "POST", "/api/v1/upload", 2, body, headers)
    fixed = Ratio(
        "R1 (fixed cost)",
        "server CPU-ms per upload of a 16×16 PNG ÷ the PNG row's reference CPU-ms: the "
        "per-upload work that does not depend on the image",
        "reference",
        lambda v: True,
        reference=True,
    )
    ref_png = cl.median([v for v in _PNG_REFERENCE_MS]) if _PNG_REFERENCE_MS else float("nan")
    costs = []
    for _ in range(cfg.rounds):
        load, cpu, peak = measure(
            app, lambda: cl.sequential(app.base, "POST", "/api/v1/upload", n, body, headers)
        )
        if load.errors:
            raise RuntimeError(f"upload tiny: {load.statuses}")
        costs.append(ms_per(cpu, n))
        fixed.rounds.append(costs[-1] / ref_png)
        rep.rows.append(
            Row(
                "upload 16×16 PNG, 1 connection, sequential",
                load.rps,
                load.p50,
                load.p99,
                costs[-1],
                peak,
                "the fixed per-upload cost",
            )
        )
    fixed.detail = (
        f"16×16 PNG: server {cl.median(costs):.1f} CPU-ms/upload against the 400×300 PNG's "
        f"reference {ref_png:.1f} CPU-ms. Rounds: " + ", ".join(f"{v:.2f}" for v in fixed.rounds)
    )
    return fixed


def _worse_kind(_details: list[str], rounds: list[float], n: int) -> list[float]:
    png, jpeg = rounds[:n], rounds[n:]
    return png if cl.median(png) >= cl.median(jpeg) else jpeg


def r2_vips(cfg: Config, rep: Report, data: bytes) -> None:
    ratio = Ratio(
        "R2",
        "imgtree's thumbnail step (PillowImageProcessor.process: sniff, rewrite, verify-decode, "
        f"thumbnail, encode) on the 12-MP JPEG ÷ pyvips thumbnail_buffer({THUMB}) + "
        "jpegsave_buffer(Q=85), wall time, in-process",
        "≤ 1.0",
        lambda v: v <= 1.0,
    )
    try:
        import pyvips  # type: ignore[import-untyped]
    except Exception as exc:  # pyvips or libvips missing
        ratio.skipped = f"pyvips unavailable: {exc}"
        rep.ratios.append(ratio)
        return
    from imgtree.adapters.imaging.pillow import PillowImageProcessor

    pyvips.cache_set_max(0)  # no operation cache: every call does the work
    processor = PillowImageProcessor(thumbnail_size=THUMB)

    def imgtree_step() -> None:
        out = processor.process(io.BytesIO(data))
        out.published.close()
        out.thumbnail.close()

    def vips_step() -> None:
        pyvips.Image.thumbnail_buffer(data, THUMB, height=THUMB).jpegsave_buffer(Q=85)

    def per_op(fn: Callable[[], None], k: int) -> tuple[float, float]:
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(k):
            fn()
        return (time.perf_counter() - w0) * 1000 / k, (time.process_time() - c0) * 1000 / k

    for fn in (imgtree_step, vips_step, lambda: pillow_reference(data)):
        fn()
    k = 3 if cfg.quick else 15
    rows = []
    for _ in range(cfg.rounds):
        a = per_op(imgtree_step, k)
        b = per_op(vips_step, k)
        c = per_op(lambda: pillow_reference(data), k)
        ratio.rounds.append(a[0] / b[0])
        rows.append((a, b, c))
    med = lambda i, j: cl.median([r[i][j] for r in rows])  # noqa: E731
    ratio.detail = (
        f"imgtree step {med(0, 0):.1f} ms wall ({med(0, 1):.1f} CPU-ms); vips "
        f"{med(1, 0):.1f} ms wall ({med(1, 1):.1f} CPU-ms, libvips {pyvips.version(0)}."
        f"{pyvips.version(1)}.{pyvips.version(2)}); plain Pillow reference {med(2, 0):.1f} ms. "
        "Rounds: " + ", ".join(f"{v:.2f}" for v in ratio.rounds)
    )
    rep.ratios.append(ratio)


# --- Renditions: one sized copy made by imgtree's resizer against pyvips ----------------------

RENDITION_BOUND = 1280  # the default "medium" rendition (IMGTREE_RENDITION_SIZES)


def imgtree_rendition(data: bytes, bound: int, fmt: str) -> int:
    """One rendition by the code the server's decode children run (`make_rendition`, which a
    contract test holds byte-identical to PillowImageProcessor.resize), the size it made."""
    from imgtree.adapters.imaging import make_rendition

    return len(make_rendition(data, bound, None if fmt == "jpeg" else fmt))


def vips_rendition(pyvips: Any, data: bytes, bound: int, fmt: str) -> int:
    """The same resize by libvips: shrink-on-load, upright, the same quality and JPEG options."""
    im = pyvips.Image.thumbnail_buffer(data, bound, height=bound)
    if fmt == "jpeg":
        return len(im.jpegsave_buffer(Q=85, interlace=True, optimize_coding=True, strip=True))
    return len(im.webpsave_buffer(Q=85, strip=True))


def renditions_vips(cfg: Config, rep: Report, jpeg: bytes) -> None:
    """Renditions: wall time of one rendition of a 12-MP JPEG (→ 1280 px JPEG, and → 1280 px
    WebP, what a browser gets by negotiation or <picture>) by imgtree's resizer ÷ pyvips doing
    the same, in-process."""
    bound = RENDITION_BOUND if not cfg.quick else 320
    ratios = {
        fmt: Ratio(
            "Renditions" + ("" if fmt == "jpeg" else " (WebP)"),
            f"one rendition of the 12-MP JPEG → {bound} px {label} by imgtree's resizer "
            f"(make_rendition = PillowImageProcessor.resize) ÷ pyvips thumbnail_buffer({bound}) "
            f"+ {fmt}save_buffer(Q=85), wall time, in-process",
            "≤ 1.0",
            lambda v: v <= 1.0,
        )
        for fmt, label in (("jpeg", "JPEG"), ("webp", "WebP"))
    }
    try:
        import pyvips
    except Exception as exc:  # pyvips or libvips missing
        for ratio in ratios.values():
            ratio.skipped = f"pyvips unavailable: {exc}"
            rep.ratios.append(ratio)
        print(f"bench: renditions skipped, pyvips unavailable: {exc}", file=sys.stderr)
        return
    pyvips.cache_set_max(0)  # no operation cache: every call does the work

    def timed(fn: Callable[[], int]) -> tuple[float, float]:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        return (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000

    # One op of each side in turn (A, B, A, B ...), each round's ratio of the two medians:
    # the machine's other load then falls on both sides alike, and a spike moves no median.
    k = 2 if cfg.quick else 7
    for fmt, ratio in ratios.items():
        data = jpeg
        ours = functools.partial(imgtree_rendition, data, bound, fmt)
        theirs = functools.partial(vips_rendition, pyvips, data, bound, fmt)
        sizes = (ours(), theirs())  # warm both; the sizes go into the detail
        a_all: list[tuple[float, float]] = []
        b_all: list[tuple[float, float]] = []
        for _ in range(cfg.rounds):
            a, b = [], []
            for _ in range(k):
                a.append(timed(ours))
                b.append(timed(theirs))
            ratio.rounds.append(cl.median([t[0] for t in a]) / cl.median([t[0] for t in b]))
            a_all += a
            b_all += b
        med = lambda ts, i: cl.median([t[i] for t in ts])  # noqa: E731
        ratio.detail = (
            f"source {len(data) / 1e6:.2f} MB; imgtree {med(a_all, 0):.1f} ms wall "
            f"({med(a_all, 1):.1f} CPU-ms) → {sizes[0] / 1000:.0f} KB, vips "
            f"{med(b_all, 0):.1f} ms wall ({med(b_all, 1):.1f} CPU-ms, "
            f"{pyvips.vips_lib.vips_concurrency_get()} threads) → {sizes[1] / 1000:.0f} KB "
            f"(libvips {pyvips.version(0)}.{pyvips.version(1)}); CPU-ms ratio "
            f"{med(a_all, 1) / med(b_all, 1):.2f}. "
            "Rounds: " + ", ".join(f"{v:.2f}" for v in ratio.rounds)
        )
        rep.ratios.append(ratio)


# --- R3: memory during a 50 MB upload; S3 presign moves no body through the app ---------------


def r3_memory(
    cfg: Config, rep: Report, app1: Server, key: str, data: dict[str, bytes], media: Path
) -> None:
    ratio = Ratio(
        "R3",
        "peak worker memory increase during one ~50 MB upload ÷ the file size, on every upload "
        "path (multipart, JSON base64, presign → PUT → complete on local disk; VmHWM reset "
        "before the request, and 20 ms VmRSS sampling)",
        "≤ 0.1",
        lambda v: v <= 0.1,
    )
    worker = app1.workers()[0]
    details = []
    per_case: dict[str, list[float]] = {}
    for path, kind, filename, ctype, expect in (
        ("multipart", "blob50", "big.jpg", "image/jpeg", 415),
        ("multipart", "large_jpeg", "large.jpg", "image/jpeg", 200),
        ("json", "large_jpeg", "large.jpg", "image/jpeg", 200),
        ("presign", "large_jpeg", "large.jpg", "image/jpeg", 200),
    ):
        payload = data[kind]
        uploader = cl.Uploader(app1.base, key, path, payload, filename, ctype)
        case = f"{kind} by {R7_PATHS[path]}"
        per_case[case] = []
        for _ in range(cfg.rounds):
            _clear_media(media)
            uploader.conn.request("GET", "/api/v1/upload")
            time.sleep(0.2)
            procs.reset_peak(worker)
            base = procs.status_kb(worker, "VmRSS")
            t0 = time.perf_counter()
            with procs.RssSampler([worker]) as sampler:
                status = uploader.once()
            elapsed = (time.perf_counter() - t0) * 1000
            if status != expect:
                raise RuntimeError(f"{case}: status {status}, expected {expect}")
            peak = max(procs.status_kb(worker, "VmHWM"), sampler.peak[worker])
            increase = (peak - base) * 1024
            per_case[case].append(increase / len(payload))
            rep.rows.append(
                Row(
                    f"upload {case} ({len(payload) / 1e6:.0f} MB) → {status}, 1 worker",
                    1000 / elapsed,
                    elapsed,
                    elapsed,
                    None,
                    peak / 1024,
                    f"+{increase / 1e6:.1f} MB over {base / 1024:.0f} MB",
                )
            )
        uploader.close()
        details.append(
            f"{case} ({len(payload) / 1e6:.1f} MB, answered {expect}): median "
            f"{cl.median(per_case[case]):.2f} (rounds: "
            + ", ".join(f"{v:.2f}" for v in per_case[case])
            + ")"
        )
    _clear_media(media)
    ratio.rounds = max(per_case.values(), key=cl.median)
    ratio.detail = "; ".join(details) + ". Headline: the worst of them."
    rep.ratios.append(ratio)


def r3_s3(cfg: Config, rep: Report, tmp: Path, data: bytes) -> None:
    ratio = Ratio(
        "R3-S3",
        "bytes the app received (counting proxy in front of it) during presign + PUT + complete "
        "of one large JPEG ÷ its size; the PUT goes straight to S3 (moto)",
        "≪ 1 (≤ 0.01)",
        lambda v: v <= 0.01,
    )
    try:
        from moto.server import ThreadedMotoServer  # type: ignore[import-untyped]
    except ImportError as exc:
        ratio.skipped = f"moto unavailable: {exc}"
        rep.ratios.append(ratio)
        return
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    env = base_env(tmp, f"sqlite:///{tmp / 's3.sqlite3'}")
    env.update(
        {
            "IMGTREE_STORAGE": "s3",
            "IMGTREE_S3_BUCKET": "imgtree-bench",
            "IMGTREE_S3_ENDPOINT_URL": f"http://{host}:{port}",
            "IMGTREE_S3_REGION": "us-east-1",
            "IMGTREE_S3_ACCESS_KEY_ID": "testing",
            "IMGTREE_S3_SECRET_ACCESS_KEY": "testing",
        }
    )
    run_cli(env, "migrate")
    run_cli(env, "storage", "init")
    key = account(env, "s3@bench.test")
    app = procs.imgtree_server("imgtree-s3", env, tmp, workers=1)
    proxy = None
    try:
        app.wait_ready("/api/v1/upload")
        proxy = procs.CountingProxy(app.port)
        conn = cl.Conn(f"http://127.0.0.1:{proxy.port}")
        auth = {"Authorization": f"Bearer {key}"}
        worker = app.workers()[0]
        peaks = []
        for _ in range(cfg.rounds):
            before = proxy.received
            procs.reset_peak(worker)
            base = procs.status_kb(worker, "VmRSS")
            status, doc = conn.json(
                "POST",
                "/api/v1/upload/presign",
                {"filename": "large.jpg", "contentType": "image/jpeg", "sizeBytes": len(data)},
                auth,
            )
            if status != 200:
                raise RuntimeError(f"presign: {status} {doc}")
            put = urlsplit(doc["put_url"])
            s3conn = cl.Conn(f"http://{put.netloc}")
            path = put.path + (f"?{put.query}" if put.query else "")
            status, body = s3conn.request("PUT", path, data, {"Content-Type": "image/jpeg"})
            s3conn.close()
            if status != 200:
                raise RuntimeError(f"PUT to S3: {status} {body[:300]!r}")
            with procs.RssSampler([worker]) as sampler:
                status, done = conn.json(
                    "POST",
                    "/api/v1/upload/complete",
                    {"completion_token": doc["completion_token"]},
                    auth,
                )
            if status != 200:
                raise RuntimeError(f"complete: {status} {done}")
            received = proxy.received - before
            ratio.rounds.append(received / len(data))
            peaks.append(
                (max(procs.status_kb(worker, "VmHWM"), sampler.peak[worker]) - base) / 1024
            )
            put_host = put.netloc
        conn.close()
        ratio.detail = (
            f"file {len(data) / 1e6:.1f} MB PUT to {put_host} (moto, not the app); app received "
            f"{cl.median(ratio.rounds) * len(data):.0f} bytes per presign+complete (headers and "
            f"JSON only). The complete step then reads the object from S3 to verify and thumbnail "
            f"it: worker memory +{cl.median(peaks):.0f} MB during complete."
        )
    finally:
        if proxy:
            proxy.close()
        app.stop()
        moto.stop()
    rep.ratios.append(ratio)


# --- R4: serving a direct image against the framework's floor; nginx beside it ---------------


# nginx in front of imgtree (IMGTREE_MEDIA_OFFLOAD=x-accel-redirect): /media/ goes to the app
# over kept-alive connections, the app's X-Accel-Redirect to the internal location below; the
# same block as README's "Production behind nginx".
NGINX_OFFLOAD_UPSTREAM = "upstream imgtree { server 127.0.0.1:%(app_port)d; keepalive 32; }"
NGINX_OFFLOAD_LOCATIONS = """
        location /media/ {
            proxy_pass http://imgtree;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }
        location /_imgtree_media/ {
            internal;
            alias %(root)s/;
            etag off;
            add_header ETag $upstream_http_etag;
            add_header X-Content-Type-Options nosniff;
            add_header Content-Security-Policy $upstream_http_content_security_policy;
            add_header Cross-Origin-Resource-Policy $upstream_http_cross_origin_resource_policy;
        }
"""


def nginx_executable() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


@contextlib.contextmanager
def nginx(tmp: Path, root: Path, app_port: int | None = None) -> Iterator[int | None]:
    """nginx serving `root` statically; given `app_port`, also in front of that imgtree
    (started with IMGTREE_MEDIA_OFFLOAD=x-accel-redirect) for /media/."""
    exe = nginx_executable()
    if exe is None:
        yield None
        return
    port = procs.free_port()
    conf = tmp / "nginx.conf"
    template = (Path(__file__).parent / "nginx.conf.tmpl").read_text()
    offload = {"app_port": app_port, "root": root}
    conf.write_text(
        template.format(
            user_line="user root;" if os.geteuid() == 0 else "",
            workers=2,
            tmp=tmp,
            port=port,
            root=root,
            upstream=NGINX_OFFLOAD_UPSTREAM % offload if app_port is not None else "",
            offload=NGINX_OFFLOAD_LOCATIONS % offload if app_port is not None else "",
        )
    )
    server = Server(
        "nginx", [exe, "-c", str(conf), "-p", str(tmp)], dict(os.environ), port, tmp / "nginx.log"
    )
    try:
        server.wait_ready("/")
        yield port
    finally:
        server.stop()


def _upload_direct_path(app: Server, key: str, data: bytes, name: str, mime: str) -> str:
    """Upload one image; return its direct media path after checking it serves."""
    import json

    conn = cl.Conn(app.base)
    try:
        status, body = conn.request(
            "POST", "/api/v1/upload", cl.multipart(data, name, mime), cl.upload_headers(key)
        )
        if status != 200:
            raise RuntimeError(f"upload {name}: {status} {body[:200]!r}")
        direct = urlsplit(json.loads(body)["images"][0]["direct_url"]).path
        status, _served = conn.request("GET", direct)
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"GET {direct}: {status}")
    return direct


def _tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def r4_media(
    cfg: Config, rep: Report, tmp: Path, app: Server, hello: Server, key: str, png: bytes
) -> None:
    ratio = Ratio(
        "R4",
        f"GET direct image (the 400×300 PNG, {len(png) // 1000} KB) req/s ÷ falcon hello-world "
        "req/s, same gunicorn config (2 workers × 4 threads), wrk -t1 -c8",
        "≥ 0.8",
        lambda v: v >= 0.8,
    )
    tiny = _tiny_png()
    small = Ratio(
        "R4 (tiny image)",
        f"the same, for a {len(tiny)}-byte 16×16 PNG: imgtree's per-request cost without the bytes",
        "reference",
        lambda v: True,
        reference=True,
    )
    floor = Ratio(
        "R4 (nginx)",
        "nginx serving the same 400×300 PNG from disk (sendfile) req/s ÷ nginx answering "
        "`return 200` req/s: what the bytes cost a C server",
        "reference",
        lambda v: True,
        reference=True,
    )
    direct = _upload_direct_path(app, key, png, "r4.png", "image/png")
    tiny_direct = _upload_direct_path(app, key, tiny, "tiny.png", "image/png")
    media = tmp / "media"
    conn = cl.Conn(app.base)
    _status, served = conn.request("GET", direct)
    conn.close()
    newest = next((p for p in (media / "images").glob("*.png") if p.read_bytes() == served), None)
    if newest is None:
        raise RuntimeError("the served PNG is not in the media directory")

    def load(base: str, path: str) -> Callable[[], cl.Load]:
        if cl.have_wrk():
            return lambda: cl.wrk(base + path, seconds=cfg.seconds, connections=8)
        return lambda: cl.threaded(base, "GET", path, seconds=cfg.seconds, concurrency=8)

    with nginx(tmp, media) as nginx_port:
        for _ in range(cfg.rounds):
            a, a_cpu, a_peak = measure(app, load(app.base, direct))
            b, b_cpu, b_peak = measure(hello, load(hello.base, "/hello"))
            t, t_cpu, t_peak = measure(app, load(app.base, tiny_direct))
            ratio.rounds.append(a.rps / b.rps)
            small.rounds.append(t.rps / b.rps)
            rep.rows += [
                Row(
                    "GET direct PNG (imgtree)",
                    a.rps,
                    a.p50,
                    a.p99,
                    ms_per(a_cpu, a.requests),
                    a_peak,
                    f"client CPU {a.client_cpu_ms or 0:.0f} ms",
                ),
                Row(
                    "GET /hello (falcon floor)",
                    b.rps,
                    b.p50,
                    b.p99,
                    ms_per(b_cpu, b.requests),
                    b_peak,
                    "",
                ),
                Row(
                    "GET tiny PNG (imgtree)",
                    t.rps,
                    t.p50,
                    t.p99,
                    ms_per(t_cpu, t.requests),
                    t_peak,
                    "",
                ),
            ]
            if nginx_port is not None:
                nginx_base = f"http://127.0.0.1:{nginx_port}"
                rel = newest.relative_to(media).as_posix()
                n = load(nginx_base, f"/{rel}")()
                h = load(nginx_base, "/hello")()
                floor.rounds.append(n.rps / h.rps)
                rep.rows += [
                    Row(
                        "GET same PNG (nginx, 2 workers)",
                        n.rps,
                        n.p50,
                        n.p99,
                        None,
                        None,
                        f"client CPU {n.client_cpu_ms or 0:.0f} ms",
                    ),
                    Row("GET /hello (nginx `return 200`)", h.rps, h.p50, h.p99, None, None, ""),
                ]
    ratio.detail = "Rounds: " + ", ".join(f"{v:.2f}" for v in ratio.rounds)
    if not cl.have_wrk():
        ratio.detail += " (wrk missing: Python threaded client used)"
    small.detail = "Rounds: " + ", ".join(f"{v:.2f}" for v in small.rounds)
    rep.ratios += [ratio, small]
    if floor.rounds:
        floor.detail = "Rounds: " + ", ".join(f"{v:.2f}" for v in floor.rounds)
        rep.ratios.append(floor)


# --- R4 (offload): the app checks, nginx sends the bytes ------------------------------------


def r4_offload(
    cfg: Config,
    rep: Report,
    tmp: Path,
    env: dict[str, str],
    app: Server,
    hello: Server,
    key: str,
    png: bytes,
    photo: bytes,
) -> None:
    """GET a direct file through nginx with IMGTREE_MEDIA_OFFLOAD=x-accel-redirect (nginx
    proxies /media/ to the app, the app answers X-Accel-Redirect, nginx sends the file) ÷
    the same nginx serving the same file statically, interleaved: the small PNG of R4, and a
    1280 px photo (the medium rendition of the 12-MP JPEG: what a phone actually fetches)."""
    from imgtree.adapters.imaging import make_rendition

    medium = make_rendition(photo, RENDITION_BOUND)
    files = [
        ("R4 (offload)", "png", png, f"the 400×300 PNG ({len(png) // 1000} KB)", "image/png"),
        (
            "R4 (offload, photo)",
            "jpg",
            medium,
            f"a 1280 px photo JPEG ({len(medium) // 1000} KB, the 12-MP photo's medium rendition)",
            "image/jpeg",
        ),
    ]
    ratios = {
        name: Ratio(
            name,
            f"GET {label} through nginx with IMGTREE_MEDIA_OFFLOAD=x-accel-redirect (app: 2 "
            "workers × 4 threads checks and names the file; nginx, 2 workers, sends it) req/s "
            "÷ the same nginx serving the same file statically req/s, wrk -t1 -c8",
            "≥ 0.8",
            lambda v: v >= 0.8,
        )
        for name, _ext, _data, label, _mime in files
    }
    ceiling = Ratio(
        "R4 (offload, ceiling)",
        "falcon hello-world on the same gunicorn config, no nginx, req/s ÷ nginx serving the "
        "PNG statically req/s: the most any request through a Python app could reach",
        "reference",
        lambda v: True,
        reference=True,
    )
    if nginx_executable() is None:
        for ratio in ratios.values():
            ratio.skipped = "nginx is not installed (`make bench` apt-gets it as root)"
            rep.ratios.append(ratio)
        return
    media = tmp / "media"
    paths: dict[str, tuple[str, str, bytes]] = {}  # name -> (direct, static, bytes)
    for name, ext, data, _label, mime in files:
        direct = _upload_direct_path(app, key, data, f"offload.{ext}", mime)
        conn = cl.Conn(app.base)
        _status, served = conn.request("GET", direct)
        conn.close()
        stored = next(
            (p for p in (media / "images").glob(f"*.{ext}") if p.read_bytes() == served), None
        )
        if stored is None:
            raise RuntimeError(f"the served {ext} is not in the media directory")
        paths[name] = (direct, "/" + stored.relative_to(media).as_posix(), served)
    offload_env = {**env, "IMGTREE_MEDIA_OFFLOAD": "x-accel-redirect"}
    offloaded = procs.imgtree_server("imgtree-offload", offload_env, tmp, workers=2)
    try:
        offloaded.wait_ready("/api/v1/upload")
        with nginx(tmp, media, app_port=offloaded.port) as port:
            assert port is not None
            base = f"http://127.0.0.1:{port}"
            check = cl.Conn(base)
            for direct, static, served in paths.values():
                for path in (direct, static):
                    status, body = check.request("GET", path)
                    if status != 200 or body != served:
                        raise RuntimeError(f"nginx GET {path}: {status}, {len(body)} bytes")
            check.close()

            def load(path: str) -> Callable[[], cl.Load]:
                if cl.have_wrk():
                    return lambda: cl.wrk(base + path, seconds=cfg.seconds, connections=8)
                return lambda: cl.threaded(base, "GET", path, seconds=cfg.seconds, concurrency=8)

            def load_hello() -> cl.Load:
                if cl.have_wrk():
                    return cl.wrk(hello.base + "/hello", seconds=cfg.seconds, connections=8)
                return cl.threaded(hello.base, "GET", "/hello", seconds=cfg.seconds, concurrency=8)

            for _ in range(cfg.rounds):
                for name, (direct, static, served) in paths.items():
                    a, a_cpu, a_peak = measure(offloaded, load(direct))
                    b = load(static)()
                    ratios[name].rounds.append(a.rps / b.rps)
                    what = f"{len(served) // 1000} KB"
                    rep.rows += [
                        Row(
                            f"GET direct {what} (nginx + imgtree, X-Accel-Redirect)",
                            a.rps,
                            a.p50,
                            a.p99,
                            ms_per(a_cpu, a.requests),
                            a_peak,
                            "server CPU: the app's alone",
                        ),
                        Row(f"GET same {what} (nginx static)", b.rps, b.p50, b.p99, None, None, ""),
                    ]
                h = load_hello()
                b = load(paths["R4 (offload)"][1])()
                ceiling.rounds.append(h.rps / b.rps)
                rep.rows.append(
                    Row("GET /hello (falcon floor, no nginx)", h.rps, h.p50, h.p99, None, None, "")
                )
    finally:
        offloaded.stop()
    for ratio in ratios.values():
        ratio.detail = "Rounds: " + ", ".join(f"{v:.2f}" for v in ratio.rounds)
        if not cl.have_wrk():
            ratio.detail += " (wrk missing: Python threaded client used)"
        rep.ratios.append(ratio)
    ceiling.detail = "Rounds: " + ", ".join(f"{v:.2f}" for v in ceiling.rounds)
    rep.ratios.append(ceiling)


# --- R5: upload throughput, 2 workers against 1 ------------------------------------------------


def r5_scaling(
    cfg: Config,
    rep: Report,
    tmp: Path,
    env: dict[str, str],
    app1: Server,
    app2: Server,
    key: str,
    jpeg: bytes,
) -> None:
    ratio = Ratio(
        "R5",
        "12-MP JPEG uploads/s with 2 workers ÷ with 1 worker (4 threads each, `imgtree serve`'s "
        "default), wrk -t1 -c8 with a Lua script posting one pre-built multipart body",
        "≥ 1.8",
        lambda v: v >= 1.8,
    )
    single = Ratio(
        "R5 (1 thread)",
        "the same with 1 thread per worker: one upload per worker at a time, so a worker is "
        "one core's worth of work and the ratio shows what the workers share",
        "≥ 1.8",
        lambda v: v >= 1.8,
    )
    body_file = tmp / "upload-body.bin"
    body_file.write_bytes(cl.multipart(jpeg, "bench.jpg", "image/jpeg"))
    wrk_env = {"BENCH_BODY": str(body_file), "BENCH_BOUNDARY": cl.BOUNDARY, "BENCH_KEY": key}

    def load(server: Server) -> Callable[[], cl.Load]:
        if cl.have_wrk():
            return lambda: cl.wrk(
                server.base + "/api/v1/upload",
                seconds=cfg.seconds * 1.5,
                connections=8,
                script="upload.lua",
                env=wrk_env,
            )
        return lambda: cl.threaded(
            server.base,
            "POST",
            "/api/v1/upload",
            seconds=cfg.seconds * 1.5,
            concurrency=8,
            body=body_file.read_bytes(),
            headers=cl.upload_headers(key),
        )

    one_1t = procs.imgtree_server("imgtree-1w1t", env, tmp, workers=1, threads=1)
    two_1t = procs.imgtree_server("imgtree-2w1t", env, tmp, workers=2, threads=1)
    client_share = []
    cores: dict[str, list[float]] = {}
    with procs.running(one_1t, "/api/v1/upload"), procs.running(two_1t, "/api/v1/upload"):
        for _ in range(cfg.rounds):
            for target, pair in (
                (ratio, ((app1, "1 worker × 4 threads"), (app2, "2 workers × 4 threads"))),
                (single, ((one_1t, "1 worker × 1 thread"), (two_1t, "2 workers × 1 thread"))),
            ):
                results = []
                for server, label in pair:
                    res, cpu, peak = measure(server, load(server))
                    if res.errors:
                        raise RuntimeError(f"R5 {label}: {res.errors} errors")
                    results.append(res)
                    cpu_ms = ms_per(cpu, res.requests)
                    # Cores the server kept busy: uploads/s × CPU-seconds per upload.
                    cores.setdefault(label, []).append(res.rps * cpu_ms / 1000)
                    rep.rows.append(
                        Row(
                            f"upload 12-MP JPEG, {label}, 8 connections",
                            res.rps,
                            res.p50,
                            res.p99,
                            cpu_ms,
                            peak,
                            f"client (wrk) CPU {res.client_cpu_ms or 0:.0f} ms over "
                            f"{res.seconds:.1f} s; server busy {cores[label][-1]:.2f} cores",
                        )
                    )
                    client_share.append((res.client_cpu_ms or 0) / (res.seconds * 1000))
                    _clear_jpegs(tmp / "media")
                target.rounds.append(results[1].rps / results[0].rps)
    busy = "; ".join(f"{label}: {cl.median(v):.2f}" for label, v in cores.items())
    ratio.detail = (
        "Rounds: "
        + ", ".join(f"{v:.2f}" for v in ratio.rounds)
        + f". Cores the server kept busy (median, of 2): {busy}. Client CPU: median "
        f"{cl.median(client_share) * 100:.0f}% of one core (wrk sends one body from memory)."
    )
    single.detail = "Rounds: " + ", ".join(f"{v:.2f}" for v in single.rounds)
    rep.ratios += [ratio, single]


def _clear_jpegs(media: Path) -> None:
    """Blobs of the throughput runs: removed between runs so tmpfs does not fill up."""
    _clear_media(media, "*.jp*g")


def _clear_media(media: Path, pattern: str = "*") -> None:
    """Stored blobs removed between runs. Not only so tmpfs does not fill up: on this VM
    (Firecracker) memory the guest has never touched costs a host page fault on first use,
    so a tmpfs that keeps growing makes every later write dearer (measured: a 12-MP JPEG
    upload's worker CPU 10 → 19 ms with 2.3 GB of other files in /dev/shm). Freed pages are
    reused, so clearing keeps the rounds comparable."""
    for sub in ("images", "thumbs"):
        for p in (media / sub).glob(pattern):
            p.unlink(missing_ok=True)


# --- R6: listing 100 of 100 000 images ---------------------------------------------------------


def insert_images(database_url: str, email: str, count: int) -> None:
    from sqlalchemy import create_engine, select

    from imgtree.adapters.sql.tables import images, users
    from imgtree.adapters.sql.uow import normalise_url

    engine = create_engine(normalise_url(database_url))
    try:
        with engine.begin() as conn:
            owner = conn.execute(select(users.c.id).where(users.c.email == email)).scalar_one()
            start = datetime(2024, 1, 1, tzinfo=UTC)
            batch: list[dict[str, Any]] = []
            for i in range(count):
                image_id = uuid.uuid4()
                batch.append(
                    {
                        "id": image_id,
                        "slug": f"bench{i:08d}",
                        "owner_id": owner,
                        "original_name": f"photo-{i}.jpg",
                        "content_type": "image/jpeg",
                        "size_bytes": 1_000_000,
                        "width": 4000,
                        "height": 3000,
                        "storage_key": f"images/{image_id}.jpg",
                        "thumb_key": f"thumbs/{image_id}.jpg",
                        "thumb_content_type": "image/jpeg",
                        "delete_token_hash": "x" * 64,
                        "created_at": start + timedelta(seconds=i),
                        "album_id": None,
                        "api_key_id": None,
                        "animated": False,
                        "is_public": True,
                        "title": "",
                        "deleted_at": None,
                    }
                )
                if len(batch) == 10_000:
                    conn.execute(images.insert(), batch)
                    batch = []
            if batch:
                conn.execute(images.insert(), batch)
            # Rows inserted behind the repository's back: keep the owner's counters exact,
            # as the image repository does for every upload.
            conn.execute(
                users.update()
                .where(users.c.id == owner)
                .values(used_bytes=count * 1_000_000, image_count=count)
            )
        # Fresh planner statistics after a bulk load, as autovacuum would give a live table.
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE images")
                conn.exec_driver_sql("ANALYZE users")
    finally:
        engine.dispose()


def listing_ratio(
    cfg: Config, rep: Report, label: str, app: Server, hello: Server, key: str
) -> list[Ratio]:
    ratio = Ratio(
        f"R6 ({label})",
        f"GET /api/v1/images?limit=100 p50 ÷ falcon hello-world p50, {cfg.list_rows:,} images "
        f"of one user, {label}, sequential requests on one keep-alive connection",
        "≤ 6",
        lambda v: v <= 6,
    )
    one = Ratio(
        f"R6 ({label}, limit=1)",
        "the same request for one image: authentication plus the two indexed queries, "
        "without the per-image work",
        "reference",
        lambda v: True,
        reference=True,
    )
    # The gallery's queries (issue 17 item 1) on the same 100 000 images: a search by a part
    # of the file name (1 in 9 names match "photo-9"), sorted by name, and the size order.
    queries = {
        "search": "/api/v1/images?limit=100&search=photo-9&sort=name",
        "sort=size": "/api/v1/images?limit=100&sort=size",
    }
    queried = {
        what: Ratio(
            f"R6 ({label}, {what})",
            f"GET {q} p50 ÷ falcon hello-world p50, the same {cfg.list_rows:,} images",
            "reference",
            lambda v: True,
            reference=True,
        )
        for what, q in queries.items()
    }
    queried_ms: dict[str, list[float]] = {what: [] for what in queries}
    headers = {"Authorization": f"Bearer {key}"}
    path = "/api/v1/images?limit=100"
    path_one = "/api/v1/images?limit=1"
    cl.sequential(app.base, "GET", path, 5, None, headers)
    cl.sequential(hello.base, "GET", "/hello", 20)
    n = 20 if cfg.quick else 100
    per_image = []
    for _ in range(cfg.rounds):
        a, a_cpu, a_peak = measure(
            app, lambda: cl.sequential(app.base, "GET", path, n, None, headers)
        )
        b, b_cpu, b_peak = measure(hello, lambda: cl.sequential(hello.base, "GET", "/hello", n))
        c, c_cpu, c_peak = measure(
            app, lambda: cl.sequential(app.base, "GET", path_one, n, None, headers)
        )
        if a.errors or c.errors:
            raise RuntimeError(f"listing: {a.statuses} {c.statuses}")
        ratio.rounds.append(a.p50 / b.p50)
        one.rounds.append(c.p50 / b.p50)
        for what, q in queries.items():
            d = cl.sequential(app.base, "GET", q, n, None, headers)
            if d.errors:
                raise RuntimeError(f"listing {what}: {d.statuses}")
            queried[what].rounds.append(d.p50 / b.p50)
            queried_ms[what].append(d.p50)
            rep.rows.append(Row(f"GET {q} ({label})", d.rps, d.p50, d.p99, None, None, ""))
        per_image.append((a.p50 - c.p50) / 99 * 1000)
        rep.rows += [
            Row(
                f"GET /api/v1/images?limit=100 ({label})",
                a.rps,
                a.p50,
                a.p99,
                ms_per(a_cpu, a.requests),
                a_peak,
                "",
            ),
            Row(
                "GET /hello, sequential", b.rps, b.p50, b.p99, ms_per(b_cpu, b.requests), b_peak, ""
            ),
            Row(
                f"GET /api/v1/images?limit=1 ({label})",
                c.rps,
                c.p50,
                c.p99,
                ms_per(c_cpu, c.requests),
                c_peak,
                "",
            ),
        ]
    ratio.detail = (
        "Rounds: "
        + ", ".join(f"{v:.2f}" for v in ratio.rounds)
        + f". Each image beyond the first adds {cl.median(per_image):.1f} µs to the p50 "
        "(limit=100 minus limit=1, over 99)."
    )
    one.detail = "Rounds: " + ", ".join(f"{v:.2f}" for v in one.rounds)
    for what, r in queried.items():
        r.detail = f"p50 {cl.median(queried_ms[what]):.1f} ms. Rounds: " + ", ".join(
            f"{v:.2f}" for v in r.rounds
        )
    return [ratio, one, *queried.values()]


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    from sqlalchemy import create_engine, text

    from imgtree.adapters.sql.uow import normalise_url

    server = normalise_url(
        os.environ.get("IMGTREE_BENCH_POSTGRES_URL")
        or os.environ.get("IMGTREE_TEST_POSTGRES_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    admin = create_engine(
        server.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
        pool_size=1,
        max_overflow=0,
    )
    name = f"imgtree_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        print(f"bench: Postgres unavailable ({exc}); skipping", file=sys.stderr)
        yield None
        return
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def r6_listing(
    cfg: Config,
    rep: Report,
    tmp: Path,
    env: dict[str, str],
    app: Server,
    hello: Server,
    skip_postgres: bool,
) -> None:
    key = account(env, "lister@bench.test")
    insert_images(env["IMGTREE_DATABASE_URL"], "lister@bench.test", cfg.list_rows)
    rep.ratios += listing_ratio(cfg, rep, "SQLite", app, hello, key)
    if skip_postgres:
        return
    with postgres_database() as url:
        if url is None:
            r = Ratio("R6 (Postgres)", "listing on Postgres", "≤ 6", lambda v: v <= 6)
            r.skipped = "Postgres unreachable"
            rep.ratios.append(r)
            return
        pg_env = {**env, "IMGTREE_DATABASE_URL": url}
        run_cli(pg_env, "migrate")
        pg_key = account(pg_env, "lister@bench.test")
        insert_images(url, "lister@bench.test", cfg.list_rows)
        pg_app = procs.imgtree_server("imgtree-pg", pg_env, tmp, workers=2)
        with procs.running(pg_app, "/api/v1/upload"):
            rep.ratios += listing_ratio(cfg, rep, "Postgres", pg_app, hello, pg_key)


# --- the report ----------------------------------------------------------------------------------


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not installed"
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0] if text else "?"


def machine() -> list[str]:
    import falcon
    import gunicorn
    import PIL
    import sqlalchemy
    from PIL import features

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = procs.status_kb(1, "VmRSS")  # placeholder to keep the import used
    del mem
    total = "?"
    with contextlib.suppress(OSError):
        total = f"{int(Path('/proc/meminfo').read_text().split()[1]) / 1024 / 1024:.0f} GiB"
    try:
        import pyvips  # type: ignore[import-untyped]

        vips = f"{pyvips.__version__} (libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)})"
    except Exception:
        vips = "not installed"
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {total}; {platform.platform()}",
        f"- Python {platform.python_version()}; falcon {falcon.__version__}; gunicorn "
        f"{gunicorn.__version__}; SQLAlchemy {sqlalchemy.__version__}; Pillow {PIL.__version__} "
        f"(libjpeg-turbo {features.version('libjpeg_turbo')}); pyvips {vips}",
        f"- wrk: {_version(['wrk', '-v'])}; nginx: {_version(['nginx', '-v'])}",
    ]


def fmt(v: float | None, digits: int = 1) -> str:
    if v is None or v != v:
        return "–"
    return f"{v:,.{digits}f}"


def ratio_line(r: Ratio) -> str:
    return f"| {r.name} | {r.what} | {r.target} | {r.skipped or fmt(r.median, 2)} | {r.met} |"


def detail_line(r: Ratio) -> str:
    return f"- **{r.name}**: {r.skipped or r.detail}"


def scenario_line(row: Row) -> str:
    return (
        f"| {row.scenario} | {fmt(row.rps)} | {fmt(row.p50, 2)} | {fmt(row.p99, 2)} | "
        f"{fmt(row.cpu_ms, 2)} | {fmt(row.peak_mb)} | {row.note} |"
    )


def _block_end(lines: list[str], start: int) -> int:
    """The index just past the run of non-blank lines from `start`."""
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    return end


def _merge_block(lines: list[str], heading: str, new: dict[str, list[str]]) -> None:
    """In the block of lines that starts at `heading` (a table header or a list's lead-in),
    replace every line of each key (its `| name |` or `- **name**:` prefix) with the key's
    new lines, where the first of the old ones stood; append keys not present yet."""
    if not new:
        return
    start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
    if start is None:
        raise ValueError(f"{heading!r} not found: write the whole report instead of merging")
    first = start + 1
    if not lines[first].strip():  # a list's lead-in is followed by one blank line
        first += 1
    end = _block_end(lines, first)
    block, placed = [], set()
    for line in lines[first:end]:
        key = next((k for k in new if line.startswith(k)), None)
        if key is None:
            block.append(line)
        elif key not in placed:
            block += new[key]
            placed.add(key)
    fence = block[-1:] == ["```"]  # a code block: new lines go inside it
    tail = [block.pop()] if fence else []
    for key, replacement in new.items():
        if key not in placed:
            block += replacement
    lines[first:end] = block + tail


def _merged_steps(line: str) -> set[str]:
    """The --only steps of a merged run's line in the Commands block (empty for others)."""
    words = line.split("#", 1)[0].split()
    if "# merged" not in line or "--only" not in words[:-1]:
        return set()
    return set(words[words.index("--only") + 1].split(","))


def merge_report(rep: Report, out: Path) -> None:
    """Merge this run's ratios and scenarios into an existing report (`--merge`): their rows
    are replaced (or added), every other figure is kept as the earlier run wrote it, and the
    command is added to the Commands block with the time of the merge."""
    lines = out.read_text().splitlines()
    ratios = {f"| {r.name} |": [ratio_line(r)] for r in rep.ratios}
    details = {f"- **{r.name}**:": [detail_line(r)] for r in rep.ratios}
    scenarios: dict[str, list[str]] = {}
    for row in rep.rows:
        scenarios.setdefault(f"| {row.scenario} |", []).append(scenario_line(row))
    _merge_block(lines, "| ratio | what |", ratios)
    _merge_block(lines, "Per-ratio figures", details)
    _merge_block(lines, "| scenario | req/s |", scenarios)
    command = rep.commands[-1]
    stamp = f"{command}   # merged {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    # An earlier merge whose steps this one ran again no longer stands for any figure.
    lines[:] = [
        line
        for line in lines
        if not (_merged_steps(line) and _merged_steps(line) <= _merged_steps(stamp))
    ]
    _merge_block(lines, "```sh", {command: [stamp]})
    one_run = "every figure below comes from that one run."
    lines[:] = [
        line.replace(
            one_run,
            "every figure below comes from that run but the rows of the "
            "steps merged in later (Commands, `# merged`).",
        )
        if line.startswith("Generated by")
        else line
        for line in lines
    ]
    findings = next((i for i, line in enumerate(lines) if line.startswith("## Findings")), None)
    if findings is not None:  # the findings are this harness's text, not a run's figures
        lines[findings:] = FINDINGS.strip().splitlines()
    out.write_text("\n".join(lines) + "\n")


def write_report(rep: Report, out: Path, tmp_is_shm: bool) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m bench`"
        + (" --quick`: a smoke run, numbers are not meaningful" if rep.quick else "`")
        + f") on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {time.time() - rep.started:.0f} s. "
        "Re-run it to refresh this file; every figure below comes from that one run.",
        "",
        "## Machine",
        "",
        *machine(),
        "",
        "## Method",
        "",
        "- Inputs are generated with Pillow (smooth gradients + Gaussian noise, so they compress "
        "like photographs): "
        + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in rep.inputs.items())
        + ".",
        "- `imgtree serve` runs on 127.0.0.1 with SQLite"
        + (" and the media directory on tmpfs (/dev/shm)" if tmp_is_shm else "")
        + ", the rate limit raised out of the way and IMGTREE_MAX_UPLOAD_BYTES = 64 MiB. "
        "The hello-world floor (`bench/hello.py`) is the same `imgtree serve` gunicorn "
        "configuration with create_app swapped for a one-route falcon app.",
        "- Server CPU-ms per request = Δ(utime + stime) of the gunicorn master and its workers "
        "(/proc/<pid>/stat) over the run ÷ requests. Peak worker memory = max over workers of "
        "VmHWM (reset with /proc/<pid>/clear_refs before each run) and 20 ms VmRSS samples.",
        "- Every ratio is measured within this run, its two sides interleaved A, B, A, B …; "
        "the headline is the median of the per-round ratios.",
        "- Load: wrk (C, one thread) for throughput; a keep-alive `http.client` loop for "
        "sequential latency; uploads under wrk post one pre-built multipart body from memory "
        "(`bench/wrk/upload.lua`), so the client stays light (its CPU is reported).",
        "",
        "## Commands",
        "",
        "```sh",
        *rep.commands,
        "```",
        "",
        "## Ratios",
        "",
        "| ratio | what | target | median | result |",
        "|---|---|---|---|---|",
    ]
    lines += [ratio_line(r) for r in rep.ratios]
    lines += ["", "Per-ratio figures (every round):", ""]
    lines += [detail_line(r) for r in rep.ratios]
    lines += [
        "",
        "## Scenarios",
        "",
        "| scenario | req/s | p50 ms | p99 ms | server CPU-ms/req | peak worker MB | note |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [scenario_line(row) for row in rep.rows]
    if rep.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in rep.notes]]
    if rep.profile:
        lines += ["", "## Where an upload's CPU goes", "", PROFILE_NOTE.strip(), "", rep.profile]
    if rep.spy:
        lines += ["", "### The same, served: py-spy under wrk", "", SPY_NOTE.strip(), "", rep.spy]
    lines += ["", FINDINGS.strip()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


SPY_NOTE = """
The real server (`imgtree serve`, 1 worker x 4 threads, SQLite + local disk on tmpfs) under
wrk, its gunicorn worker and decode children sampled by py-spy (`bench/spy_upload.py`):
each sample charged to the stage of its innermost Python frame (C code called from Python
counts for its caller), idle threads not sampled. The last row is what each kind of process
spent per upload, from /proc; the shares above divide it. A few percent of "busy" samples are
threads blocked in a socket call that py-spy could not tell idle.
"""


PROFILE_NOTE = """
Every upload path, in-process (`falcon.testing` on the production adapters: SQLite + local
disk on tmpfs) under cProfile, each function's own time charged to one stage by where it
lives (`bench/profile_upload.py`; `python -m bench.profile_upload` prints it alone). The
processor runs in-process here so its stages show; the shipped server runs the same code in a
decode child. cProfile's per-call overhead inflates stages made of many small Python calls
(the database layer most): read the columns against each other, not as absolute costs, and
use R1 for the real totals. "presign, PUT, complete" is three requests.
"""


def _spy(cfg: Config, rep: Report, inputs: Path) -> None:
    from bench import spy_upload

    rep.spy = spy_upload.run(
        seconds=2 if cfg.quick else 8, inputs=inputs, top=0 if cfg.quick else 8, quick=cfg.quick
    )


def _profile(cfg: Config, rep: Report, inputs: Path) -> None:
    from bench import profile_upload

    rep.profile = profile_upload.run(
        quick=cfg.quick, requests=2 if cfg.quick else 20, inputs_dir=inputs
    )


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny inputs, 1 round: a smoke run")
    parser.add_argument("--rounds", type=int, help="rounds per ratio (default 5)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument(
        "--only",
        help="comma-separated subset: r1 (with R7),r2,renditions,r3,r3s3,r4,r4offload,r5,r6,"
        "profile,spy",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="merge this run's ratios and scenarios into the existing --out file (keeping "
        "every other figure) instead of rewriting it; for a subset run with --only",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--inputs",
        type=Path,
        default=REPO / "var" / "bench-inputs",
        help="where generated inputs are cached",
    )
    args = parser.parse_args(argv)
    cfg = Config.make(args.quick, args.rounds)
    everything = "r1,r2,renditions,r3,r3s3,r4,r4offload,r5,r6,profile,spy"
    only = set((args.only or everything).split(","))
    unknown = only - set(everything.split(","))
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}; choose from {everything}")
    if args.merge and not args.out.exists():
        parser.error(f"--merge: {args.out} does not exist yet; run without --merge first")
    rep = Report(quick=cfg.quick)
    rep.commands = [
        "make bench            # = pip install -e '.[dev,bench]' && python -m bench",
        f"python -m bench {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip(),
    ]
    shm = Path("/dev/shm")
    use_shm = shm.is_dir() and os.access(shm, os.W_OK)
    tmp = Path(tempfile.mkdtemp(prefix="imgtree-bench-", dir=shm if use_shm else None))
    paths = make_all(args.inputs, quick=cfg.quick)
    data = {name: p.read_bytes() for name, p in paths.items()}
    rep.inputs = {k: len(v) for k, v in data.items()}
    env = base_env(tmp, f"sqlite:///{tmp / 'imgtree.sqlite3'}")
    servers: list[Server] = []
    try:
        run_cli(env, "migrate")
        key = account(env, "bench@bench.test")
        app2 = procs.imgtree_server("imgtree-2w", env, tmp, workers=2)
        app1 = procs.imgtree_server("imgtree-1w", env, tmp, workers=1)
        hello = procs.hello_server(env, tmp, workers=2)
        servers += [app2, app1, hello]
        for s in servers:
            s.wait_ready("/api/v1/upload")
        steps: list[tuple[str, Callable[[], None]]] = [
            ("r1", lambda: r1_uploads(cfg, rep, app2, key, data, tmp / "media")),
            ("r2", lambda: r2_vips(cfg, rep, data["jpeg12mp"])),
            ("renditions", lambda: renditions_vips(cfg, rep, data["jpeg12mp"])),
            ("r3", lambda: r3_memory(cfg, rep, app1, key, data, tmp / "media")),
            ("r3s3", lambda: r3_s3(cfg, rep, tmp, data["large_jpeg"])),
            ("r4", lambda: r4_media(cfg, rep, tmp, app2, hello, key, data["png"])),
            (
                "r4offload",
                lambda: r4_offload(
                    cfg, rep, tmp, env, app2, hello, key, data["png"], data["jpeg12mp"]
                ),
            ),
            ("r5", lambda: r5_scaling(cfg, rep, tmp, env, app1, app2, key, data["jpeg12mp"])),
            ("r6", lambda: r6_listing(cfg, rep, tmp, env, app2, hello, args.skip_postgres)),
            ("profile", lambda: _profile(cfg, rep, args.inputs)),
            ("spy", lambda: _spy(cfg, rep, args.inputs)),
        ]
        for name, step in steps:
            if name in only:
                t0 = time.monotonic()
                print(f"bench: {name} …", file=sys.stderr, flush=True)
                step()
                print(f"bench: {name} done in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        # The EXIF-rotated JPEG: uploaded once, the thumbnail checked upright (a sanity check;
        # a merged subset leaves the full run's row as it was).
        if not args.merge:
            check_rotated(app2, key, data["rotated"], rep)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.merge:
        merge_report(rep, args.out)
    else:
        write_report(rep, args.out, use_shm)
    for r in rep.ratios:
        print(f"{r.name}: {r.skipped or fmt(r.median, 2)} (target {r.target}) {r.met}")
    print(f"wrote {args.out}")
    return 0


def check_rotated(app: Server, key: str, data: bytes, rep: Report) -> None:
    import json

    from PIL import Image

    conn = cl.Conn(app.base)
    t0 = time.perf_counter()
    status, body = conn.request(
        "POST",
        "/api/v1/upload",
        cl.multipart(data, "rotated.jpg", "image/jpeg"),
        cl.upload_headers(key),
    )
    elapsed = (time.perf_counter() - t0) * 1000
    thumb = urlsplit(json.loads(body)["images"][0]["thumb_url"]).path
    status, thumb_bytes = conn.request("GET", thumb)
    conn.close()
    with Image.open(io.BytesIO(data)) as src, Image.open(io.BytesIO(thumb_bytes)) as th:
        upright = (th.width < th.height) == (src.width > src.height)
    rep.rows.append(
        Row(
            "upload EXIF-rotated JPEG (orientation 6)",
            1000 / elapsed,
            elapsed,
            elapsed,
            None,
            None,
            f"thumbnail {th.width}×{th.height}: {'upright' if upright else 'NOT upright'}",
        )
    )
    if not upright:
        rep.notes.append("The EXIF-rotated JPEG's thumbnail was not turned upright.")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    sys.exit(main())

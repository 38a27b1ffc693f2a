"""Where a served upload's CPU goes, sampled by py-spy under wrk (issue 13, item 1).

    python -m bench.spy_upload [--seconds S] [--rate HZ] [--out FILE]

`imgtree serve` (1 worker x 4 threads, SQLite + local disk on tmpfs) takes 12-MP JPEG
multipart uploads from wrk (`bench/wrk/upload.lua`, 4 connections) while py-spy samples the
gunicorn worker and every decode child (not in-process: the real server, its real decode
sandbox). Each sample is charged to the stage of its innermost Python frame (the stages of
`bench/profile_upload.py`, plus gunicorn's own HTTP handling); idle threads are not sampled.
Beside it, the CPU each process kind spent per upload (/proc), which is what the stage shares
divide up.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import client as cl
from bench import procs
from bench.harness import account, base_env, run_cli
from bench.inputs import make_all
from bench.profile_upload import stage_of

REPO = Path(__file__).resolve().parent.parent
GUNICORN = "HTTP server (gunicorn, sockets)"


def _stage(frame: str) -> str:
    """A py-spy frame, `function (path/file.py:line)`, to its stage."""
    name, _, where = frame.rpartition(" (")
    path = "/" + where.rsplit(":", 1)[0].lstrip("/")  # py-spy shortens site-packages paths
    if "gunicorn/" in path or path in ("/socket.py", "/selectors.py"):
        return GUNICORN
    if "concurrent/futures" in path or "threading.py" in path:
        return "threads (gthread pool)"
    return stage_of(path, name)


def _charge(raw: Path, counts: collections.Counter[str], leaves: collections.Counter[str]) -> int:
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        leaf = stack.split(";")[-1]
        counts[_stage(leaf)] += int(n)
        leaves[leaf] += int(n)
        total += int(n)
    return total


def run(
    seconds: float = 8.0,
    rate: int = 250,
    inputs: Path | None = None,
    top: int = 0,
    quick: bool = False,
) -> str:
    spy = shutil.which("py-spy") or str(procs.BIN / "py-spy")
    if not Path(spy).exists() or not cl.have_wrk():
        return "_py-spy or wrk is missing: `make bench` installs both (bench extras, apt wrk)._"
    shm = Path("/dev/shm")
    tmp = Path(tempfile.mkdtemp(prefix="imgtree-spy-", dir=shm if shm.is_dir() else None))
    try:
        data = make_all(inputs or REPO / "var" / "bench-inputs", quick=quick)["jpeg12mp"]
        env = base_env(tmp, f"sqlite:///{tmp / 'imgtree.sqlite3'}")
        run_cli(env, "migrate")
        key = account(env, "spy@bench.test")
        server = procs.imgtree_server("imgtree-spy", env, tmp, workers=1, threads=4)
        try:
            server.wait_ready("/api/v1/upload")
            body = tmp / "body.bin"
            jpeg = data.read_bytes()
            size = len(jpeg)
            body.write_bytes(cl.multipart(jpeg, "bench.jpg", "image/jpeg"))
            wrk_env = {"BENCH_BODY": str(body), "BENCH_BOUNDARY": cl.BOUNDARY, "BENCH_KEY": key}
            url = server.base + "/api/v1/upload"
            cl.wrk(url, seconds=1, connections=4, script="upload.lua", env=wrk_env)  # warm-up
            worker = server.workers()[0]
            pool = [p for p in server.pids() if procs._is_decode_pool(p)]
            children = [p for p in pool if any(p in procs.children(q) for q in pool)]
            roles = {"worker": [worker], "decode children": children}
            spies = []
            for role, pids in roles.items():
                for pid in pids:
                    out = tmp / f"{role.replace(' ', '-')}-{pid}.txt"
                    argv = [spy, "record", "-p", str(pid), "-r", str(rate), "-f", "raw"]
                    argv += ["-o", str(out), "--nonblocking", "-d", str(round(seconds + 1))]
                    spies.append(
                        (
                            role,
                            out,
                            subprocess.Popen(
                                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                            ),
                        )
                    )
            time.sleep(0.5)
            cpu0 = {role: procs.cpu_ms(pids) for role, pids in roles.items()}
            load = cl.wrk(url, seconds=seconds, connections=4, script="upload.lua", env=wrk_env)
            cpu = {role: procs.cpu_ms(pids) - cpu0[role] for role, pids in roles.items()}
            for _, _, proc in spies:
                proc.wait(timeout=60)
        finally:
            server.stop()
        counts: dict[str, collections.Counter[str]] = {r: collections.Counter() for r in roles}
        leaves: dict[str, collections.Counter[str]] = {r: collections.Counter() for r in roles}
        totals = dict.fromkeys(roles, 0)
        for role, out, _ in spies:
            if out.exists():
                totals[role] += _charge(out, counts[role], leaves[role])
        n = max(1, load.requests)
        stages = sorted(
            {s for c in counts.values() for s in c}, key=lambda s: -sum(counts[r][s] for r in roles)
        )
        lines = [
            f"py-spy under wrk: {load.requests} uploads of the {size / 1e6:.1f} MB JPEG by multipart in "
            f"{load.seconds:.1f} s ({load.rps:.1f}/s), `imgtree serve` 1 worker x 4 threads, "
            f"{rate} Hz: `python -m bench.spy_upload`",
            "",
            "| stage | " + " | ".join(f"{r} (% of its samples)" for r in roles) + " |",
            "|---|" + "---|" * len(roles),
        ]
        for stage in stages:
            shares = [100 * counts[r][stage] / totals[r] if totals[r] else 0.0 for r in roles]
            if max(shares) >= 0.5:
                lines.append(f"| {stage} | " + " | ".join(f"{v:.1f}" for v in shares) + " |")
        lines.append(
            "| **CPU-ms per upload (/proc)** | "
            + " | ".join(f"**{cpu[r] / n:.1f}**" for r in roles)
            + " |"
        )
        for role in roles if top else ():
            lines += ["", f"Busiest innermost frames, {role}:", ""]
            lines += [
                f"- {100 * v / max(1, totals[role]):.1f} % {leaf}"
                for leaf, v in leaves[role].most_common(top)
            ]
        return "\n".join(lines)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spy_upload", description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=250)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--top", type=int, default=0, help="also list the N busiest frames")
    args = parser.parse_args(argv)
    table = run(args.seconds, args.rate, top=args.top)
    if args.out:
        args.out.write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

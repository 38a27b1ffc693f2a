"""The benchmark harness still runs: a --quick pass over a few scenarios writes a report.

The real benchmark is `make bench`; this only guards the harness against rot.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.smoke
def test_quick_bench_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--skip-postgres",
            "--only",
            "r1,r4,r6,profile",
            "--out",
            str(out),
            "--inputs",
            str(tmp_path / "inputs"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = out.read_text()
    for heading in ("## Machine", "## Commands", "## Ratios", "## Scenarios"):
        assert heading in report
    for ratio in ("| R1 |", "| R4 |", "| R6 (SQLite) |"):
        assert ratio in report
    # R7 for every upload path, each with a number (a path that failed would raise instead).
    for path in ("multipart", "JSON base64", "presign → PUT → complete"):
        row = next(line for line in report.splitlines() if line.startswith(f"| R7 ({path}) |"))
        float(row.split("|")[4])
    assert "upright" in report  # the EXIF-rotated upload's thumbnail was checked
    # The per-stage breakdown: every path for every file, each with a positive total.
    section = report.split("## Where an upload's CPU goes", 1)[1].split("\n## ", 1)[0]
    header = next(line for line in section.splitlines() if line.startswith("| stage |"))
    for path in ("multipart", "JSON base64", "presign, PUT, complete"):
        assert header.count(path) == 3, header
    total = next(line for line in section.splitlines() if "**total" in line)
    values = [float(v.strip(" *")) for v in total.split("|")[2:-1]]
    assert len(values) == 9 and all(v > 0 for v in values), total
    decode = next(line for line in section.splitlines() if line.startswith("| decode"))
    assert all(float(v) > 0 for v in decode.split("|")[2:-1]), decode

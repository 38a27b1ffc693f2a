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
            "r1,r4,r4offload,renditions,r6,profile",
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
    for ratio in ("| R1 |", "| R4 |", "| R6 (SQLite) |", "| Renditions |"):
        assert ratio in report
    # Through nginx when it is installed (`make bench` installs it), else skipped with why.
    assert "| R4 (offload) |" in report
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


def test_merge_replaces_only_the_rows_of_the_steps_run(tmp_path: Path) -> None:
    """`--merge`: a subset's ratios, details and scenarios replace their own rows (every round
    of a scenario, where the first stood) or are added; every other line stays as it was."""
    from bench import harness

    full = harness.Report(quick=False, commands=["make bench", "python -m bench"])
    full.ratios = [
        harness.Ratio("R1", "uploads", "≤ 1", lambda v: v <= 1, [0.9], "d1"),
        harness.Ratio("R4 (offload)", "old", "≥ 0.8", lambda v: v >= 0.8, [0.1], "old detail"),
        harness.Ratio("R5", "scaling", "≥ 1.8", lambda v: v >= 1.8, [1.9], "d5"),
    ]
    full.rows = [
        harness.Row("GET offloaded", 1.0, 1, 1, None, None, "old"),
        harness.Row("upload", 5.0, 1, 1, None, None, ""),
        harness.Row("GET offloaded", 2.0, 1, 1, None, None, "old"),
    ]
    out = tmp_path / "benchmarks.md"
    harness.write_report(full, out, tmp_is_shm=False)
    before = out.read_text()

    subset = harness.Report(quick=False, commands=["make bench", "python -m bench --only x"])
    subset.ratios = [
        harness.Ratio("R4 (offload)", "new", "≥ 0.8", lambda v: v >= 0.8, [0.5, 0.7], "new"),
        harness.Ratio("Renditions", "resize", "≤ 1.0", lambda v: v <= 1, [0.8], "r"),
    ]
    subset.rows = [harness.Row("GET offloaded", 9.0, 1, 1, None, None, "new")]
    harness.merge_report(subset, out)
    after = out.read_text().splitlines()

    table = after[after.index("## Ratios") : after.index("Per-ratio figures (every round):")]
    ratios = [line.split(" | ")[0] for line in table if line.startswith("| R")]
    assert ratios == ["| R1", "| R4 (offload)", "| R5", "| Renditions"]
    assert "| R4 (offload) | new | ≥ 0.8 | 0.60 | **missed** |" in after
    assert "- **R4 (offload)**: new" in after and "- **Renditions**: r" in after
    assert not any("old detail" in line or "| old |" in line for line in after)
    scenarios = [line for line in after if line.startswith(("| GET offloaded", "| upload"))]
    assert [s.split(" | ")[0:2] for s in scenarios] == [
        ["| GET offloaded", "9.0"],
        ["| upload", "5.0"],
    ]
    commands = after[after.index("```sh") + 1 : after.index("```", after.index("```sh") + 1)]
    assert commands[:2] == ["make bench", "python -m bench"]
    assert commands[2].startswith("python -m bench --only x   # merged ")
    # A later merge of the same steps (and more) stands in for the earlier one.
    subset.commands[-1] = "python -m bench --only y,x --merge"
    harness.merge_report(subset, out)
    merged = [
        line
        for line in out.read_text().splitlines()
        if line.endswith(" UTC") and "# merged" in line
    ]
    assert len(merged) == 1 and merged[0].startswith("python -m bench --only y,x --merge")
    assert any("but the rows of the steps merged in later" in line for line in after)
    # Everything else is the full run's, line for line.
    kept = [line for line in before.splitlines() if "R4 (offload)" not in line]
    kept = [line for line in kept if not line.startswith("Generated by")]
    kept = [line for line in kept if not line.startswith("| GET offloaded")]
    assert all(line in after for line in kept)

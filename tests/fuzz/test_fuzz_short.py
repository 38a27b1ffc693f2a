"""A few seconds of every fuzz target, in `make test` (the long runs are `make fuzz`).

Each target runs in a subprocess twice: once over its committed seed corpus alone
(`-runs=0`: every seed, regression inputs included, must pass; the six run at once), then
for a fixed number of mutations from those seeds with a fixed seed (about 3 s each), new
inputs going to a temporary directory: a count, not a time, so the same commit explores the
same inputs on any machine and a red run can be replayed. A failure names the crashing input
libFuzzer wrote and how to replay it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus"
TARGETS = ("jpeg", "png", "gif", "webp", "exif", "processor")
# executions per target: ~3 s at the rates `make fuzz` measured on this 2-core machine
RUNS = {"jpeg": 9000, "png": 12000, "gif": 60000, "webp": 40000, "exif": 120000, "processor": 20000}
# the same as `make fuzz`
LIBFUZZER = ("-max_len=65536", "-rss_limit_mb=1024", "-timeout=10")

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="atheris ships Linux wheels only (see pyproject.toml)"
)


def _command(target: str, crashes: Path, *args: str) -> list[str]:
    crashes.mkdir(parents=True, exist_ok=True)
    return [
        sys.executable,
        "-m",
        f"tests.fuzz.{target}",
        *args,
        *LIBFUZZER,
        f"-artifact_prefix={crashes}/",
    ]


def _failure(target: str, command: list[str], crashes: Path, code: int, output: str) -> str:
    found = sorted(str(p) for p in crashes.iterdir())
    lines = [line for line in output.splitlines() if "Instrumenting" not in line]
    return (
        f"fuzz target {target!r} failed (exit code {code}).\n"
        f"Crashing input(s): {', '.join(found) or '(none written)'}\n"
        f"Replay: .venv/bin/python -m tests.fuzz.{target} <input>; then add the input to "
        f"tests/fuzz/corpus/{target}/ once the walker is fixed.\n"
        f"Command: {' '.join(command)}\n--- output (last 60 lines) ---\n" + "\n".join(lines[-60:])
    )


def test_seed_corpora_pass(tmp_path: Path) -> None:
    """Every committed seed (regression inputs included) of every target, all at once."""
    running = []
    for target in TARGETS:
        seeds = CORPUS / target
        assert any(seeds.iterdir()), f"no seeds in {seeds}: run python -m tests.fuzz.make_seeds"
        crashes = tmp_path / target
        command = _command(target, crashes, "-runs=0", str(seeds))
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        running.append((target, command, crashes, proc))
    failures = []
    for target, command, crashes, proc in running:
        output, _ = proc.communicate(timeout=120)
        if proc.returncode != 0:
            failures.append(_failure(target, command, crashes, proc.returncode, output))
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.mark.parametrize("target", TARGETS)
def test_short_fuzz_finds_nothing(target: str, tmp_path: Path) -> None:
    work = tmp_path / "corpus"
    work.mkdir()
    crashes = tmp_path / "crashes"
    seeds = str(CORPUS / target)
    command = _command(target, crashes, f"-runs={RUNS[target]}", "-seed=1", str(work), seeds)
    proc = subprocess.run(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(_failure(target, command, crashes, proc.returncode, proc.stdout), pytrace=False)

"""A few seconds of every fuzz target, in `make test` (the long runs are `make fuzz`).

Each target runs in a subprocess twice: once over its committed seed corpus alone
(`-runs=0`: every seed, regression inputs included, must pass), then for SECONDS of
mutation from those seeds, new inputs going to a temporary directory. A failure names the
crashing input libFuzzer wrote and how to replay it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus"
TARGETS = ("jpeg", "png", "gif", "webp", "exif", "processor")
SECONDS = 3
# the same as `make fuzz`
LIBFUZZER = ("-max_len=65536", "-rss_limit_mb=1024", "-timeout=10")

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="atheris ships Linux wheels only (see pyproject.toml)"
)


def _fuzz(target: str, crashes: Path, *args: str) -> None:
    crashes.mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        f"tests.fuzz.{target}",
        *args,
        *LIBFUZZER,
        f"-artifact_prefix={crashes}/",
    ]
    proc = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60 + SECONDS, check=False
    )
    if proc.returncode == 0:
        return
    found = sorted(str(p) for p in crashes.iterdir())
    output = "\n".join(
        line for line in (proc.stdout + proc.stderr).splitlines() if "Instrumenting" not in line
    )
    pytest.fail(
        f"fuzz target {target!r} failed (exit code {proc.returncode}).\n"
        f"Crashing input(s): {', '.join(found) or '(none written)'}\n"
        f"Replay: .venv/bin/python -m tests.fuzz.{target} <input>; then add the input to "
        f"tests/fuzz/corpus/{target}/ once the walker is fixed.\n"
        f"Command: {' '.join(command)}\n--- output (last 60 lines) ---\n"
        + "\n".join(output.splitlines()[-60:]),
        pytrace=False,
    )


@pytest.mark.parametrize("target", TARGETS)
def test_seed_corpus_passes(target: str, tmp_path: Path) -> None:
    seeds = CORPUS / target
    assert any(seeds.iterdir()), f"no seeds in {seeds}: run python -m tests.fuzz.make_seeds"
    _fuzz(target, tmp_path / "crashes", "-runs=0", str(seeds))


@pytest.mark.parametrize("target", TARGETS)
def test_short_fuzz_finds_nothing(target: str, tmp_path: Path) -> None:
    work = tmp_path / "corpus"
    work.mkdir()
    _fuzz(
        target,
        tmp_path / "crashes",
        f"-max_total_time={SECONDS}",
        "-seed=1",
        str(work),
        str(CORPUS / target),
    )

"""entrypoints/heap.py: the workers' malloc thresholds."""

from __future__ import annotations

import subprocess
import sys

import pytest

from imgtree.adapters.imaging.pool import WARM_HEAP

PROBE = """
import json
from imgtree.entrypoints.heap import warm_heap
print(json.dumps(warm_heap()))
"""


def _probe(env: dict[str, str]) -> str:
    run = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc is Linux's")
def test_warm_heap_is_set_on_glibc() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    assert _probe(env) == "true"


def test_the_operators_own_thresholds_win() -> None:
    import os

    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "131072"}
    assert _probe(env) == "false"
    assert set(WARM_HEAP) == {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}

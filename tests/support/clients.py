"""The pinned client generators of tests/clients, installed once into var/tools and reused.

- Python: openapi-python-client (`OPC_VERSION`) in its own virtualenv
  (var/tools/opc-<version>), so its dependencies never meet the project's dev pins; the
  generated client runs on that interpreter too (it has httpx, attrs and python-dateutil).
- TypeScript: `npm ci` of tests/clients/ts/package.json + package-lock.json (@hey-api/openapi-ts,
  typescript, @types/node at exact versions) into var/tools/ts-<lockfile digest>.

A changed pin or lockfile installs into a new directory; a half-made one is never used (each is
built beside its final name and renamed into place).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "var" / "tools"
CLIENTS = ROOT / "tests" / "clients"
TS_DIR = CLIENTS / "ts"
OPC_VERSION = "0.29.1"


def _run(args: list[str | Path], cwd: Path | None = None, timeout: float = 600) -> str:
    """Run a tool; what it printed (stdout and stderr together)."""
    out = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, f"{args}:\n{out.stdout[-6000:]}"
    return out.stdout


def _build(final: Path, make: Callable[[Path], None]) -> Path:
    """`make(tmp)` fills a fresh directory that then becomes `final` (unless already there)."""
    if final.is_dir():
        return final
    building = final.with_name(final.name + f".building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        make(building)
        building.rename(final)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


def opc_python() -> Path:
    """The interpreter of the openapi-python-client virtualenv (made on first use)."""

    def make(venv: Path) -> None:
        _run([sys.executable, "-m", "venv", venv])
        _run(
            [
                venv / "bin" / "python",
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"openapi-python-client=={OPC_VERSION}",
            ]
        )

    # A virtualenv's scripts name its own path: it is made at its final path, then checked.
    venv = TOOLS / f"opc-{OPC_VERSION}"
    marker = venv / ".complete"
    if not marker.exists():
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        make(venv)
        marker.touch()
    return venv / "bin" / "python"


def node_tools() -> Path:
    """The node_modules directory holding the pinned TypeScript tools (made on first use).

    Without `node`/`npm` the TypeScript test skips outside CI; `.ci/run` installs Debian's
    nodejs and npm, so in CI it always runs."""
    if not (shutil.which("node") and shutil.which("npm")):
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are required in CI (.ci/run installs them)")
        pytest.skip("node/npm not installed: the generated TypeScript client is not tested")
    lock = (TS_DIR / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock + (TS_DIR / "package.json").read_bytes()).hexdigest()[:12]

    def make(where: Path) -> None:
        for name in ("package.json", "package-lock.json"):
            shutil.copy(TS_DIR / name, where / name)
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=where)

    return _build(TOOLS / f"ts-{digest}", make) / "node_modules"


def generate_python(document: Path, out: Path) -> str:
    """openapi-python-client on the document: the package `imgtree_client` under `out` (put
    `out` on sys.path). Returns what the generator printed (its warnings)."""
    python = opc_python()
    return _run(
        [
            python,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            document,
            "--output-path",
            out / "imgtree_client",
            "--meta",
            "none",
            "--config",
            CLIENTS / "opc-config.yaml",
        ]
    )

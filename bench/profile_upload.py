"""Where an upload's CPU goes, stage by stage (issue 13, item 1).

    python -m bench.profile_upload [--requests N] [--quick] [--out FILE]

The whole request runs in-process through `falcon.testing` on the production adapters
(SQLite + local disk on tmpfs) under cProfile, for three files (the 12-MP JPEG, the 400x300
PNG, a 16x16 PNG) on every upload path: multipart, JSON base64, presign → PUT → complete.
The image processor is the in-process `PillowImageProcessor`, so the decode shows up in the
profile; the shipped server runs the same code in a decode child (adapters/imaging/pool.py),
whose hand-over cost is the "R1 (fixed cost)" figure of `make bench`.

Each function's own time (cProfile's tottime) is charged to one stage by where the function
lives; the stages sum to the whole request. Wall time of a single-threaded loop on an idle
machine, i.e. CPU time; re-run for noise.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import pstats
import sys
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import falcon.testing
from PIL import Image as PILImage

from bench import client as cl
from bench.inputs import make_all
from imgtree.adapters.imaging.pillow import PillowImageProcessor
from imgtree.adapters.sql.migrate import upgrade
from imgtree.entrypoints.containers import build_container
from imgtree.entrypoints.http.app import create_app
from imgtree.entrypoints.settings import Settings

REPO = Path(__file__).resolve().parent.parent

# (stage, test on the function's file path and name), first match wins. C functions have
# the path "~" and a name such as "<method 'execute' of 'sqlite3.Cursor' objects>".
HARNESS = "test client (not in a server)"
STAGES: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    (
        HARNESS,
        lambda path, name: any(
            part in path for part in ("wsgiref", "falcon/testing", "/bench/", "inspect.py")
        ),
    ),
    ("fsync", lambda path, name: "fsync" in name),
    (
        "database",
        lambda path, name: (
            any(part in path for part in ("sqlalchemy", "sqlite3", "imgtree/adapters/sql"))
            or "sqlite3." in name
        ),
    ),
    (
        "multipart parse",
        lambda path, name: any(
            part in path
            for part in ("falcon/media/multipart", "falcon/util/reader", "falcon/stream")
        ),
    ),
    (
        "base64 / JSON",
        lambda path, name: (
            any(part in path for part in ("base64", "json"))
            or "binascii" in name
            or "_json" in name
        ),
    ),
    (
        "sniff + rewrite",
        lambda path, name: any(
            f"imgtree/adapters/imaging/{module}" in path
            for module in ("stream", "jpeg", "png", "gif", "webp", "exif")
        ),
    ),
    (
        "decode + thumbnail + encode",
        lambda path, name: (
            "/PIL/" in path
            or "imgtree/adapters/imaging" in path
            or any(part in name for part in ("Imaging", "PIL.", "zlib"))
        ),
    ),
    ("storage write", lambda path, name: "imgtree/adapters/storage" in path or "shutil" in path),
    ("spool (temp files)", lambda path, name: "tempfile" in path),
    (
        "file I/O (read/write/seek)",
        lambda path, name: (
            path == "~"
            and any(
                verb in name
                for verb in (
                    "read",
                    "write",
                    "seek",
                    "tell",
                    "open",
                    "close",
                    "rename",
                    "replace",
                    "stat",
                )
            )
        ),
    ),
    ("HTTP framework", lambda path, name: "falcon" in path),
    ("imgtree (domain, HTTP layer)", lambda path, name: "imgtree" in path),
)
OTHER = "other"


def stage_of(path: str, name: str) -> str:
    for stage, test in STAGES:
        if test(path, name):
            return stage
    return OTHER


class Rig:
    """The HTTP app on SQLite + local disk, an account and its API key."""

    def __init__(self, root: Path) -> None:
        self.settings = Settings(
            base_url="http://img.test",
            media_dir=root / "media",
            database_url=f"sqlite:///{root / 'imgtree.sqlite3'}",
            rate_limit_per_minute=10**9,
            max_upload_bytes=64 * 1024 * 1024,
        )
        upgrade(self.settings.database_url)
        processor = PillowImageProcessor.from_policy(
            _policy(self.settings), thumbnail_size=self.settings.thumbnail_size
        )
        self.container = build_container(self.settings, image_processor=processor)
        cases = self.container.use_cases
        user = cases.create_user()(f"{uuid.uuid4().hex[:8]}@example.com")
        self.headers = {"Authorization": f"Bearer {cases.create_api_key()(user.id, 'p').secret}"}
        self.client = falcon.testing.TestClient(create_app(self.container))

    def close(self) -> None:
        self.container.shutdown_resources()

    def ok(self, result: falcon.testing.Result) -> dict[str, Any]:
        if result.status_code >= 300:
            raise RuntimeError(f"{result.status}: {result.text[:200]}")
        return result.json  # type: ignore[no-any-return]

    # the three upload paths
    def multipart(self, data: bytes, filename: str, ctype: str) -> None:
        body = cl.multipart(data, filename, ctype)
        self.ok(
            self.client.simulate_post(
                "/api/v1/upload",
                body=body,
                headers={**self.headers, "Content-Type": cl.upload_headers("x")["Content-Type"]},
            )
        )

    def json_base64(self, data: bytes, filename: str, ctype: str) -> None:
        doc = {"file_base64": base64.b64encode(data).decode(), "filename": filename}
        self.ok(self.client.simulate_post("/api/v1/upload", json=doc, headers=self.headers))

    def presign(self, data: bytes, filename: str, ctype: str) -> None:
        declared = {"filename": filename, "contentType": ctype, "sizeBytes": len(data)}
        done = self.ok(
            self.client.simulate_post("/api/v1/upload/presign", json=declared, headers=self.headers)
        )
        put = done["put_url"].removeprefix("http://img.test")
        path, _, query = put.partition("?")
        self.ok(
            self.client.simulate_put(
                path, query_string=query, body=data, headers={"Content-Type": ctype}
            )
        )
        self.ok(
            self.client.simulate_post(
                "/api/v1/upload/complete",
                json={"completion_token": done["completion_token"]},
                headers=self.headers,
            )
        )


def _policy(settings: Settings) -> Any:
    from imgtree.entrypoints.containers.policies import Policies

    return Policies(settings=settings).processing_policy()


def tiny_png() -> bytes:
    import io

    out = io.BytesIO()
    PILImage.new("RGB", (16, 16), "teal").save(out, "PNG")
    return out.getvalue()


def profile(step: Callable[[], None], requests: int) -> dict[str, float]:
    """ms per request by stage."""
    for _ in range(2):
        step()  # warm caches, statements, imports
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(requests):
        step()
    prof.disable()
    stats = pstats.Stats(prof)
    by_stage: dict[str, float] = defaultdict(float)
    for (path, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_stage[stage_of(path, name)] += tottime
    return {stage: 1000 * seconds / requests for stage, seconds in by_stage.items()}


def run(*, quick: bool, requests: int, inputs_dir: Path | None = None) -> str:
    """Profile every (file, path) cell; the markdown table."""
    inputs = make_all(inputs_dir or REPO / "var" / "bench-inputs", quick=quick)
    files = {
        "12-MP JPEG": (inputs["jpeg12mp"].read_bytes(), "a.jpg", "image/jpeg"),
        "400x300 PNG": (inputs["png"].read_bytes(), "a.png", "image/png"),
        "16x16 PNG": (tiny_png(), "t.png", "image/png"),
    }
    shm = Path("/dev/shm")  # noqa: S108 (tmpfs, as the bench servers use; a private temp dir in it)
    table: dict[tuple[str, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        rig = Rig(Path(tmp))
        try:
            for file_name, (data, filename, ctype) in files.items():
                for path_name, method in (
                    ("multipart", rig.multipart),
                    ("JSON base64", rig.json_base64),
                    ("presign, PUT, complete", rig.presign),
                ):
                    table[(file_name, path_name)] = profile(
                        lambda m=method, d=data, f=filename, c=ctype: m(d, f, c), requests
                    )
        finally:
            rig.close()
    return render(table, requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=10, help="profiled requests per cell")
    parser.add_argument("--quick", action="store_true", help="small inputs (a smoke run)")
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    args = parser.parse_args(argv)
    text = run(quick=args.quick, requests=args.requests)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


def render(table: dict[tuple[str, str], dict[str, float]], requests: int) -> str:
    stages = [s for s, _ in STAGES] + [OTHER]
    cells = list(table)
    lines = [
        f"CPU-ms per upload by stage (cProfile tottime, {requests} requests per column, "
        "in-process `falcon.testing`, SQLite + local disk on tmpfs, in-process processor): "
        "`python -m bench.profile_upload`",
        "",
        "| stage | " + " | ".join(f"{f}<br>{p}" for f, p in cells) + " |",
        "|---|" + "---|" * len(cells),
    ]
    for stage in stages:
        lines.append(
            f"| {stage} | " + " | ".join(f"{table[c].get(stage, 0.0):.2f}" for c in cells) + " |"
        )

    def served(cell: tuple[str, str]) -> float:
        return sum(ms for stage, ms in table[cell].items() if stage != HARNESS)

    lines.append(
        "| **total, without the test client** | "
        + " | ".join(f"**{served(c):.2f}**" for c in cells)
        + " |"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

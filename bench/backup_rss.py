"""Peak memory of `imgtree export` and `imgtree import` as an export grows (issue 18 item 6).

    python -m bench.backup_rss [--images 2000] [--kib 256] [--postgres URL]

Seeds a SQLite + local-disk deployment with N image rows, each with its own published blob
(`--kib` KiB of random bytes) and a 4 KiB thumbnail, straight through SQL and the storage
port (no decoding: the export copies bytes, it never looks at them); then runs the real
commands as subprocesses under `/usr/bin/time` and prints their wall time and peak RSS,
for N/10 and N images, so the growth is visible. With `--postgres`, the import goes into
a new database on that Postgres server (created and dropped per run) instead of a second
SQLite file.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from imgtree.adapters.sql import create_engine_for
from imgtree.adapters.sql import tables as t
from imgtree.adapters.sql.migrate import upgrade
from imgtree.adapters.sql.uow import normalise_url
from imgtree.adapters.storage.local import LocalBlobStorage

BIN = Path(sys.executable).parent


def seed(root: Path, images: int, kib: int) -> dict[str, str]:
    url = f"sqlite:///{root / 'source.sqlite3'}"
    upgrade(url)
    storage = LocalBlobStorage(root / "source-media")
    engine = create_engine_for(url)
    now = datetime.now(UTC)
    user_id = uuid.uuid4()
    rows: list[dict[str, Any]] = []
    stems: list[dict[str, Any]] = []
    for n in range(images):
        data = secrets.token_bytes(kib * 1024)
        stem = hashlib.sha256(data).hexdigest()
        storage.put(f"images/{stem}.png", io.BytesIO(data), "image/png")
        storage.put(f"thumbs/{stem}.webp", io.BytesIO(secrets.token_bytes(4096)), "image/webp")
        rows.append(
            {
                "id": uuid.uuid4(),
                "slug": secrets.token_hex(6),
                "owner_id": user_id,
                "original_name": f"{n}.png",
                "content_type": "image/png",
                "size_bytes": len(data),
                "width": 640,
                "height": 480,
                "storage_key": f"images/{stem}.png",
                "thumb_key": f"thumbs/{stem}.webp",
                "thumb_content_type": "image/webp",
                "delete_token_hash": "sha256$" + secrets.token_hex(16),
                "created_at": now,
                "animated": False,
                "is_public": True,
                "listed": True,
            }
        )
        stems.append({"stem": stem, "refs": 1})
    with engine.begin() as connection:
        connection.execute(
            insert(t.users),
            [
                {
                    "id": user_id,
                    "email": "bench@example.com",
                    "role": "user",
                    "active": True,
                    "created_at": now,
                    "used_bytes": sum(r["size_bytes"] for r in rows),
                    "image_count": images,
                }
            ],
        )
        connection.execute(insert(t.images), rows)
        connection.execute(insert(t.blobs), stems)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGTREE_")}
    return {**env, "IMGTREE_DATABASE_URL": url, "IMGTREE_MEDIA_DIR": str(root / "source-media")}


@contextlib.contextmanager
def _database(server: str | None, root: Path) -> Iterator[str]:
    """A new SQLite file under `root`, or a new database on the Postgres `server`."""
    if server is None:
        yield f"sqlite:///{root / 'target.sqlite3'}"
        return
    base = normalise_url(server)
    name = f"imgtree_bench_{secrets.token_hex(4)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measured(env: dict[str, str], *args: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one `imgtree` command."""
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", str(BIN / "imgtree"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, kib = out.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) // 1024


def run(images: int, kib: int, postgres: str | None) -> list[str]:
    lines = [
        "| images | blob bytes | export s | export peak RSS | import s | import peak RSS |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for count in (max(1, images // 10), images):
        with tempfile.TemporaryDirectory(prefix="imgtree-backup-bench-") as tmp:
            root = Path(tmp)
            env = seed(root, count, kib)
            export_s, export_mib = measured(env, "export", str(root / "export"))
            with _database(postgres, root) as url:
                target = {**env, "IMGTREE_DATABASE_URL": url}
                target["IMGTREE_MEDIA_DIR"] = str(root / "target-media")
                upgrade(url)
                import_s, import_mib = measured(target, "import", str(root / "export"))
            total = count * (kib + 4) * 1024
            lines.append(
                f"| {count} | {total / 2**20:.0f} MiB | {export_s:.1f} | {export_mib} MiB"
                f" | {import_s:.1f} | {import_mib} MiB |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--kib", type=int, default=256, help="size of each published blob")
    parser.add_argument(
        "--postgres", help="a Postgres server URL: import into a new database there"
    )
    args = parser.parse_args()
    print("\n".join(run(args.images, args.kib, args.postgres)))


if __name__ == "__main__":
    main()

"""Backups and moves (issue 18 item 6): `imgtree export DIR` / `imgtree import DIR`.

The done-when: an export from SQLite + local disk imports into Postgres + S3 with every image
byte-identical; here it goes on to a second export from Postgres + S3 and an import back into
SQLite + local disk, comparing every row, every blob, the media routes, the API key, the
password and the album after each move. Then the refusals: a tampered, truncated or partial
export, a non-empty target, a non-empty export directory; and the purge race (a blob gone
between the snapshot and the copy).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Integer, func, select

from imgtree.adapters.backup import (
    BackupError,
    export_snapshot,
    import_snapshot,
    verify_export,
)
from imgtree.adapters.backup.export import snapshot
from imgtree.adapters.backup.format import EXPORTED_TABLES, SKIPPED_TABLES, file_digest
from imgtree.adapters.sql import tables as t
from imgtree.adapters.sql.migrate import upgrade
from imgtree.entrypoints import cli
from tests.support import imagegen
from tests.support.app import App
from tests.support.backup import (
    assert_consistent_export,
    assert_same_deployment,
    image_id,
    populate,
    table_rows,
    v1_upload,
)


def _export(app: App, directory: Path) -> Any:
    return export_snapshot(app.container.adapters.engine(), app.storage, directory)


def _import(app: App, directory: Path) -> Any:
    return import_snapshot(app.container.adapters.engine(), app.storage, directory)


def test_sqlite_local_to_postgres_s3_and_back_keeps_every_byte_key_and_password(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    source = make_app("sqlite", keep_originals=True)
    world = populate(source)
    rows = table_rows(source)
    first = _export(source, tmp_path / "from-sqlite")
    manifest = verify_export(first.directory)
    assert manifest["source"] == {"database": "sqlite", "journal_mode": "wal"}
    assert manifest["schema_revision"] and manifest["missing_blobs"] == []
    assert manifest["tables"]["images"] == 8 and first.blobs == len(
        [name for name in manifest["files"] if name.startswith("blobs/")]
    )

    cloud = make_app("postgres_s3", keep_originals=True)
    report = _import(cloud, first.directory)
    assert report.rows == manifest["tables"] and report.blobs == first.blobs
    assert_same_deployment(source, cloud, world, rows)

    rows = table_rows(cloud)  # the keys were used on it since: their last_used_at moved
    second = _export(cloud, tmp_path / "from-postgres")
    assert verify_export(second.directory)["source"] == {"database": "postgresql"}
    back = make_app(
        "sqlite",
        keep_originals=True,
        database_url=f"sqlite:///{tmp_path / 'back.sqlite3'}",
        media_dir=tmp_path / "back-media",
    )
    _import(back, second.directory)
    assert_same_deployment(source, back, world, rows)
    # The two exports hold the same blobs, and the same rows but for the keys' last use.
    assert verify_export(second.directory)["tables"] == manifest["tables"]
    for name in manifest["files"]:
        if name != "tables/api_keys.jsonl":
            assert (first.directory / name).read_bytes() == (second.directory / name).read_bytes()


@pytest.fixture
def exported(make_app: Callable[..., App], tmp_path: Path) -> tuple[App, Path]:
    """A small SQLite + local deployment (a user, a key, two images) and its export."""
    source = make_app("sqlite")
    user = source.user("bob@example.com", password="correct horse battery")
    key = source.key_for(user)
    v1_upload(source, key, "a.png", "image/png", imagegen.png(8, 8))
    v1_upload(source, key, "b.png", "image/png", imagegen.png(9, 9))
    return source, _export(source, tmp_path / "export").directory


def _target(make_app: Callable[..., App], tmp_path: Path) -> App:
    return make_app(
        "sqlite",
        database_url=f"sqlite:///{tmp_path / 'target.sqlite3'}",
        media_dir=tmp_path / "target-media",
    )


def _rows(app: App) -> int:
    return sum(len(rows) for rows in table_rows(app).values())


def _tamper_blob(directory: Path) -> None:
    blob = next(p for p in sorted((directory / "blobs" / "images").iterdir()))
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))


def _tamper_rows(directory: Path) -> None:
    path = directory / "tables" / "users.jsonl"
    path.write_text(path.read_text().replace('"role": "user"', '"role": "admin"'))


def _truncate_rows(directory: Path) -> None:
    path = directory / "tables" / "images.jsonl"
    path.write_text(path.read_text().splitlines(keepends=True)[0])


def _add_file(directory: Path) -> None:
    (directory / "blobs" / "images" / "extra.png").write_bytes(b"\x89PNG")


def _drop_blob(directory: Path) -> None:
    next(p for p in sorted((directory / "blobs" / "thumbs").iterdir())).unlink()


def _forge_manifest(directory: Path) -> None:
    """Tamper with the rows AND the manifest's checksum of them: still refused (the counts)."""
    _truncate_rows(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    sha256, size = file_digest(directory / "tables" / "images.jsonl")
    manifest["files"]["tables/images.jsonl"] = {"sha256": sha256, "size": size}
    (directory / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_tamper_blob, "does not match its checksum"),
        (_tamper_rows, "does not match its checksum"),
        (_truncate_rows, "does not match its checksum"),
        (_add_file, "does not list"),
        (_drop_blob, "listed in the manifest but missing"),
        (_forge_manifest, "rows in the file, the manifest says"),
        (lambda d: (d / "manifest.json").unlink(), "no manifest.json"),
    ],
    ids=["blob", "rows", "truncated", "extra-file", "missing-blob", "forged", "no-manifest"],
)
def test_a_tampered_export_is_refused_and_nothing_is_written(
    exported: tuple[App, Path],
    make_app: Callable[..., App],
    tmp_path: Path,
    tamper: Callable[[Path], None],
    message: str,
) -> None:
    _, directory = exported
    tamper(directory)
    target = _target(make_app, tmp_path)
    with pytest.raises(BackupError, match=message):
        _import(target, directory)
    assert _rows(target) == 0
    if message != "rows in the file, the manifest says":  # refused before any blob is put
        assert target.stored_keys() == []


def test_import_refuses_a_target_that_is_not_empty(
    exported: tuple[App, Path], make_app: Callable[..., App], tmp_path: Path
) -> None:
    _, directory = exported
    target = _target(make_app, tmp_path)
    target.user("someone@example.com")
    with pytest.raises(BackupError, match=r"not empty \(users has 1 rows\)"):
        _import(target, directory)
    assert target.stored_keys() == [] and _rows(target) == 1


def test_import_twice_refuses_the_second_time(
    exported: tuple[App, Path], make_app: Callable[..., App], tmp_path: Path
) -> None:
    source, directory = exported
    target = _target(make_app, tmp_path)
    _import(target, directory)
    with pytest.raises(BackupError, match="not empty"):
        _import(target, directory)
    assert table_rows(target) == table_rows(source)


def test_export_refuses_a_directory_that_is_not_empty(
    exported: tuple[App, Path], tmp_path: Path
) -> None:
    source, directory = exported
    with pytest.raises(BackupError, match="is not empty"):
        _export(source, directory)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(BackupError, match="is not empty"):
        _export(source, tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (_export(source, empty).directory / "manifest.json").is_file()


def test_a_blob_gone_for_a_live_image_fails_the_export_and_leaves_nothing(
    exported: tuple[App, Path], tmp_path: Path
) -> None:
    source, _ = exported
    with source.container.adapters.engine().connect() as connection:
        key = connection.execute(select(t.images.c.storage_key).limit(1)).scalar_one()
    source.storage.delete(key)
    with pytest.raises(BackupError, match=f"blob {key} of live image .* is missing"):
        _export(source, tmp_path / "broken")
    assert not (tmp_path / "broken").exists()
    assert [p.name for p in tmp_path.iterdir() if ".partial-" in p.name] == []


def test_a_blob_gone_for_a_deleted_image_is_recorded_not_fatal(
    exported: tuple[App, Path], make_app: Callable[..., App], tmp_path: Path
) -> None:
    """Purge (or a public bucket's delete) took a deleted image's bytes: the row is exported
    as it stands in the source, and the manifest says which bytes were already gone."""
    source, _ = exported
    with source.container.adapters.engine().begin() as connection:
        row = connection.execute(select(t.images).limit(1)).mappings().one()
        connection.execute(
            t.images.update().where(t.images.c.id == row["id"]).values(deleted_at=func.now())
        )
    source.storage.delete(row["storage_key"])
    report = _export(source, tmp_path / "with-gap")
    assert report.missing_blobs == [
        {"key": row["storage_key"], "image_id": str(row["id"]), "reason": "image deleted"}
    ]
    target = _target(make_app, tmp_path)
    _import(target, report.directory)
    assert table_rows(target) == table_rows(source)


def test_every_table_is_exported_or_skipped_with_a_reason() -> None:
    exported = {table.name for table in EXPORTED_TABLES}
    assert exported | set(SKIPPED_TABLES) == set(t.metadata.tables)
    assert not exported & set(SKIPPED_TABLES)
    # No integer surrogate keys: nothing (no Postgres sequence) to reset after an import.
    for table in t.metadata.tables.values():
        for column in table.primary_key.columns:
            assert not (isinstance(column.type, Integer) and column.autoincrement is True)


def test_an_unmigrated_or_older_target_is_refused(
    exported: tuple[App, Path], make_app: Callable[..., App], tmp_path: Path
) -> None:
    _, directory = exported
    target = _target(make_app, tmp_path)
    with target.container.adapters.engine().begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0020'")
    with pytest.raises(BackupError, match="target database at 0020"):
        _import(target, directory)
    assert _rows(target) == 0


def test_a_postgres_export_beside_concurrent_uploads_is_one_moment(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    """Uploads and deletes keep committing on Postgres + S3 while the export reads: its
    SERIALIZABLE READ ONLY DEFERRABLE snapshot must still hold counters that agree with
    its rows (the SQLite twin runs against real gunicorn: tests/smoke/test_backup_live.py)."""
    cloud = make_app("postgres_s3")
    user = cloud.user("carol@example.com")
    key = cloud.key_for(user)
    stop = threading.Event()
    done: list[dict[str, Any]] = []

    def upload_until_stopped() -> None:
        n = 0
        while not stop.is_set() and n < 200:
            n += 1
            done.append(v1_upload(cloud, key, f"{n}.png", "image/png", imagegen.png(8 + n, 8)))
            if n % 3 == 0:
                r = cloud.client.simulate_delete(
                    f"/api/v1/images/{image_id(done[-1])}",
                    headers={"Authorization": f"Bearer {key}"},
                )
                assert r.status_code == 200, r.text

    client = threading.Thread(target=upload_until_stopped)
    client.start()
    try:
        while len(done) < 3 and client.is_alive():
            stop.wait(0.02)
        report = _export(cloud, tmp_path / "live")
        during = len(done)
        while len(done) < during + 2 and client.is_alive():
            stop.wait(0.02)
    finally:
        stop.set()
        client.join(timeout=60)
    assert 0 < assert_consistent_export(report.directory) < len(done)


def test_the_commands_answer_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IMGTREE_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.setenv("IMGTREE_MEDIA_DIR", str(tmp_path / "media"))
    for argv in (["export", str(tmp_path / "x")], ["import", str(tmp_path / "x")]):
        assert cli.main(argv) == 1  # never migrated
        assert 'run "imgtree migrate" first' in capsys.readouterr().err
    upgrade(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert cli.main(["import", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("imgtree: import refused:") and "no manifest.json" in err
    assert "Traceback" not in err
    assert cli.main(["export", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.startswith("exported 0 rows (users=0,")
    partial = tmp_path / ".out.partial-abc"  # what a crashed export leaves: refused
    partial.mkdir()
    assert cli.main(["import", str(partial)]) == 1
    assert "an unfinished export has no manifest" in capsys.readouterr().err
    assert cli.main(["import", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.startswith("imported 0 rows")


@pytest.mark.parametrize("backend", ["sqlite", "postgres_s3"])
def test_the_snapshot_does_not_see_writes_committed_after_it_began(
    make_app: Callable[..., App], backend: str
) -> None:
    app = make_app(backend)
    app.user("first@example.com")
    engine = app.container.adapters.engine()
    users = select(func.count()).select_from(t.users)
    with snapshot(engine) as connection:
        assert connection.execute(users).scalar_one() == 1
        app.user("second@example.com")  # commits in another connection meanwhile
        assert connection.execute(users).scalar_one() == 1
        if backend == "postgres_s3":
            settings = [
                connection.exec_driver_sql(f"SHOW {name}").scalar()
                for name in ("transaction_isolation", "transaction_read_only")
            ]
            assert settings == ["serializable", "on"]
        else:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with engine.connect() as connection:
        assert connection.execute(users).scalar_one() == 2


def test_an_import_that_failed_at_the_rows_can_run_again(
    exported: tuple[App, Path], make_app: Callable[..., App], tmp_path: Path
) -> None:
    """Blobs first, rows last: a failure in the row transaction leaves blobs and no rows,
    and the next import (of a sound export) goes through on the same target."""
    source, directory = exported
    broken = tmp_path / "broken"
    shutil.copytree(directory, broken)
    _forge_manifest(broken)
    target = _target(make_app, tmp_path)
    with pytest.raises(BackupError, match="nothing was imported"):
        _import(target, broken)
    assert target.stored_keys() and _rows(target) == 0
    _import(target, directory)
    assert table_rows(target) == table_rows(source)

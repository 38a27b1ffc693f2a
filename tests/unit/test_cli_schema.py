"""The CLI before `imgtree migrate`: a sentence and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imgtree.adapters.sql.migrate import upgrade
from imgtree.entrypoints import cli

NEEDS_SCHEMA = [
    ["users", "list"],
    ["users", "create", "a@example.com", "--password", "long enough"],
    ["keys", "list", "--email", "a@example.com"],
    ["keys", "create", "--email", "a@example.com", "--name", "k"],
    ["stats"],
    ["purge"],
]


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'imgtree.sqlite3'}"
    monkeypatch.setenv("IMGTREE_DATABASE_URL", url)
    monkeypatch.setenv("IMGTREE_MEDIA_DIR", str(tmp_path / "media"))
    return url


@pytest.mark.parametrize("argv", NEEDS_SCHEMA, ids=lambda a: " ".join(a[:2]))
def test_commands_on_an_empty_database_say_to_migrate(
    empty_db: str, argv: list[str], capsys: Any
) -> None:
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert 'run "imgtree migrate" first' in err and "no imgtree schema" in err
    assert "Traceback" not in err and "sqlalche" not in err


def test_an_older_schema_names_both_revisions(empty_db: str, capsys: Any) -> None:
    upgrade(empty_db, "0001")
    assert cli.main(["users", "list"]) == 1
    err = capsys.readouterr().err
    assert "revision 0001" in err and 'run "imgtree migrate" first' in err


def test_migrate_and_storage_init_need_no_schema(empty_db: str, capsys: Any) -> None:
    assert cli.main(["storage", "init"]) == 0
    assert cli.main(["migrate"]) == 0
    assert cli.main(["users", "list"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    monkeypatch.setenv(
        "IMGTREE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    )
    monkeypatch.setenv("IMGTREE_MEDIA_DIR", str(tmp_path / "media"))
    assert cli.main(["users", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("imgtree: cannot reach the database") and "Traceback" not in err
    assert "nobody" not in err  # no connection string, no credentials

"""The CLI: `imgtree keys create --scope S --expires-in DAYS` and `keys list` (issue 14, item
4), and `imgtree serve`'s warning about plain http beyond loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from imgtree.domain.use_cases.keys import split_key
from imgtree.entrypoints import cli


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> str:
    monkeypatch.setenv("IMGTREE_DATABASE_URL", f"sqlite:///{tmp_path / 'imgtree.sqlite3'}")
    monkeypatch.setenv("IMGTREE_MEDIA_DIR", str(tmp_path / "media"))
    assert cli.main(["migrate"]) == 0
    assert cli.main(["users", "create", "ops@example.com", "--password", "a long passphrase"]) == 0
    capsys.readouterr()
    return "ops@example.com"


def test_keys_create_with_scopes_and_expiry(db: str, capsys: Any) -> None:
    argv = ["keys", "create", "--email", db, "--name", "ci", "--scope", "upload"]
    assert cli.main([*argv, "--scope", "images:read", "--expires-in", "30"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert split_key(out[-1]) is not None  # the secret, last line, checksum valid
    assert "scopes=upload,images:read" in out[0]
    expires = datetime.fromisoformat(out[0].split("expires=")[1].split("]")[0])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)
    assert cli.main(["keys", "list", "--email", db]) == 0
    listed = capsys.readouterr().out
    assert "scopes=upload,images:read" in listed and "expires=20" in listed


def test_keys_create_defaults_to_every_user_scope(db: str, capsys: Any) -> None:
    assert cli.main(["keys", "create", "--email", db, "--name", "all"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "scopes=upload,images:read,images:delete,albums" in first and "expires=never" in first


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scope", "root"], "invalid choice"),
        (["--expires-in", "0"], "DAYS must be from 1"),
        (["--expires-in", "soon"], "whole number"),
    ],
)
def test_bad_key_options_are_refused(db: str, capsys: Any, extra: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["keys", "create", "--email", db, "--name", "k", *extra])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_an_admin_scope_for_a_user_is_refused(db: str, capsys: Any) -> None:
    assert cli.main(["keys", "create", "--email", db, "--name", "k", "--scope", "admin"]) == 1
    err = capsys.readouterr().err
    assert "Only an admin's key can have the admin scope" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("bind", "base", "warns"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000", False),
        ("[::1]:8000", "http://localhost:8000", False),
        ("localhost:8000", "http://localhost:8000", False),
        ("unix:/run/imgtree.sock", "http://img.example.com", False),
        ("0.0.0.0:8000", "https://img.example.com", False),
        ("0.0.0.0:8000", "http://img.example.com", True),
        ("10.0.1.10:8000", "http://10.0.1.10:8000", True),
        ("[::]:8000", "http://img.example.com", True),
    ],
)
def test_serve_warns_about_plain_http_beyond_loopback(bind: str, base: str, warns: bool) -> None:
    warning = cli.plain_http_warning(bind, base)
    assert (warning is not None) is warns
    if warning:
        assert "https" in warning and bind in warning

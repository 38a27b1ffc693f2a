"""`imgtree upload`'s own pieces: which files it picks and in what order, what it prints,
and the exit status of a usage error, all without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgtree.client import FileOutcome, UploadedImage, UploadFailure, UploadSource
from imgtree.entrypoints.cli import main
from imgtree.entrypoints.client_cli import (
    EXIT_USAGE,
    UsageError,
    collect_files,
    json_line,
    link_for,
)
from tests.support import imagegen


def test_folders_give_their_images_in_name_order_hidden_ones_skipped(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = {
        "b.jpg": imagegen.jpeg(8, 8),
        "a.PNG": imagegen.png(8, 8),
        "no-extension": imagegen.gif(8, 8),
        "z/nested.webp": imagegen.webp(8, 8),
        "m/inner.png": imagegen.png(8, 8),
        ".hidden.png": imagegen.png(8, 8),
        ".git/x.png": imagegen.png(8, 8),
        "readme.md": b"# not an image",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    extra = tmp_path / "explicit.txt"
    extra.write_text("named on the command line: sent, the server decides")

    found = collect_files([str(root), str(extra), str(root / "b.jpg")])

    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "photos/a.PNG",
        "photos/b.jpg",
        "photos/no-extension",
        "photos/m/inner.png",
        "photos/z/nested.webp",
        "explicit.txt",  # b.jpg again is not sent twice
    ]
    with pytest.raises(UsageError, match="no such file"):
        collect_files([str(tmp_path / "missing")])


IMAGE = UploadedImage(
    id="abc",
    url="https://img.example/i/abc",
    direct_url="https://img.example/media/abc.png",
    thumb_url="https://img.example/media/thumb/abc.jpg",
    delete_url="https://img.example/api/images/u?token=t",
    codes={
        "markdown": "![cat.png](https://img.example/media/abc.png)",
        "bbcode": "[img]https://img.example/media/abc.png[/img]",
    },
    raw={},
)


def test_each_format_prints_one_line() -> None:
    assert link_for(IMAGE, "links") == "https://img.example/i/abc"
    assert link_for(IMAGE, "direct") == "https://img.example/media/abc.png"
    assert link_for(IMAGE, "markdown") == "![cat.png](https://img.example/media/abc.png)"
    assert link_for(IMAGE, "bbcode") == "[img]https://img.example/media/abc.png[/img]"
    # A server without that code: built from the direct link.
    assert link_for(IMAGE, "html") == '<img src="https://img.example/media/abc.png" alt="" />'


def test_json_lines_name_the_file_and_say_ok() -> None:
    source = UploadSource.from_bytes("cat.png", b"x")
    ok = json.loads(json_line(Path("p/cat.png"), FileOutcome(0, source, IMAGE)))
    assert ok == {
        "path": "p/cat.png",
        "ok": True,
        "id": "abc",
        "url": IMAGE.url,
        "direct_url": IMAGE.direct_url,
        "thumb_url": IMAGE.thumb_url,
        "delete_url": IMAGE.delete_url,
    }
    failed = FileOutcome(0, source, UploadFailure("Unsupported file type", 415, "cat.png"))
    assert json.loads(json_line(Path("cat.png"), failed)) == {
        "path": "cat.png",
        "ok": False,
        "error": "Unsupported file type",
        "status": 415,
    }
    assert json.loads(json_line(Path("x.png"), None, "not uploaded: server unreachable")) == {
        "path": "x.png",
        "ok": False,
        "error": "not uploaded: server unreachable",
        "status": None,
    }


def test_usage_errors_exit_2_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("IMGTREE_SERVER", raising=False)
    monkeypatch.delenv("IMGTREE_KEY", raising=False)
    picture = tmp_path / "a.png"
    picture.write_bytes(imagegen.png(8, 8))

    assert main(["upload", str(picture)]) == EXIT_USAGE
    assert "no server" in capsys.readouterr().err
    assert main(["upload", str(picture), "--server", "img.example.com", "--key", "k"]) == EXIT_USAGE
    assert "http(s) URL" in capsys.readouterr().err
    assert (
        main(
            [
                "upload",
                str(picture),
                "--album",
                "trip",
                "--server",
                "http://127.0.0.1:9",
                "--key",
                "k",
            ]
        )
        == EXIT_USAGE
    )
    assert "UUID" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (
        main(["upload", str(empty), "--server", "http://127.0.0.1:9", "--key", "k"]) == EXIT_USAGE
    )
    assert "no image files" in capsys.readouterr().err
    (tmp_path / "config" / "imgtree").mkdir(parents=True)
    (tmp_path / "config" / "imgtree" / "config.toml").write_text("key = 3")
    assert main(["upload", str(picture)]) == EXIT_USAGE
    assert "must be strings" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # argparse's own usage errors
        main(["upload", str(picture), "--markdown", "--json"])
    assert exited.value.code == EXIT_USAGE

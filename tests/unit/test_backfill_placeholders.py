"""`imgtree backfill-placeholders`: images uploaded before placeholders get them from their
stored thumbnails, in batches; a missing or broken thumbnail is counted and skipped, a fully
transparent one stays null, and running it again changes nothing."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import attrs
import pytest
from PIL import Image

from imgtree.adapters.imaging import blurhash
from imgtree.entrypoints import cli
from tests.support.app import App
from tests.support.browser import Browser, sign_up


def _png(rgba: tuple[int, int, int, int], w: int = 60, h: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (w, h), rgba).save(out, "PNG")
    return out.getvalue()


def _upload(who: Browser, data: bytes) -> str:
    r = who.upload(("a.png", "image/png", data))
    assert r.status_code == 200, r.text
    return str(r.json["images"][0]["id"])


def _forget_all(app: App, slugs: list[str]) -> dict[str, tuple[str | None, str | None]]:
    before = {}
    with app.container.adapters.uow_factory()() as uow:
        for slug in slugs:
            image = uow.images.get_by_slug(slug)
            assert image is not None
            before[slug] = (image.blurhash, image.dominant_color)
            uow.images.update(attrs.evolve(image, blurhash=None, dominant_color=None))
        uow.commit()
    return before


def _placeholders(app: App, slugs: list[str]) -> dict[str, tuple[str | None, str | None]]:
    with app.container.adapters.uow_factory()() as uow:
        found = {s: uow.images.get_by_slug(s) for s in slugs}
    return {s: (i.blurhash, i.dominant_color) for s, i in found.items() if i is not None}


def test_backfill_restores_what_the_upload_made(app: App) -> None:
    me = sign_up(app)
    slugs = [_upload(me, _png((255, 0, 0, 255))), _upload(me, _png((0, 0, 200, 255), 30, 90))]
    slugs.append(_upload(me, _png((0, 255, 0, 255), 10, 10)))
    before = _forget_all(app, slugs)
    assert all(colour is not None for _, colour in before.values())
    backfill = app.container.use_cases.backfill_placeholders()
    report = backfill(batch=2)  # more images than a batch
    assert (report.filled, report.empty, report.failed) == (3, 0, 0)
    # From the stored thumbnail (a JPEG, lossy), so within a few levels of the upload's.
    after = _placeholders(app, slugs)
    for slug, (hashed, colour) in before.items():
        new_hash, new_colour = after[slug]
        assert new_hash is not None and new_colour is not None and hashed and colour
        assert blurhash.components(new_hash) == blurhash.components(hashed)
        assert all(
            abs(int(new_colour[i : i + 2], 16) - int(colour[i : i + 2], 16)) <= 4 for i in (1, 3, 5)
        )
    again = backfill(batch=2)
    assert (again.filled, again.empty, again.failed) == (0, 0, 0)


def test_missing_broken_and_invisible_thumbnails(app: App) -> None:
    me = sign_up(app)
    # three different pictures: identical ones would share one stored thumbnail
    gone, broken, fine = (_upload(me, _png((v, v, 9, 255))) for v in (7, 8, 9))
    clear = _upload(me, _png((255, 0, 0, 0)))  # nothing visible: no placeholder at upload
    assert _placeholders(app, [clear])[clear] == (None, None)
    _forget_all(app, [gone, broken, fine])
    with app.container.adapters.uow_factory()() as uow:
        found = {s: uow.images.get_by_slug(s) for s in (gone, broken)}
    thumbs = {s: image.thumb_key for s, image in found.items() if image is not None}
    app.storage.delete(thumbs[gone])
    app.storage.put(thumbs[broken], io.BytesIO(b"<html>not an image</html>"), "image/jpeg")
    report = app.container.use_cases.backfill_placeholders()()
    assert (report.filled, report.empty, report.failed) == (1, 1, 2)
    got = _placeholders(app, [gone, broken, clear, fine])
    assert got[gone] == got[broken] == got[clear] == (None, None)
    assert got[fine][0] is not None and got[fine][1] == "#090909"


def test_deleted_images_are_left_alone(app: App) -> None:
    me = sign_up(app)
    slug = _upload(me, _png((1, 2, 3, 255)))
    _forget_all(app, [slug])
    listed = me.request("GET", "/api/images").json["images"][0]
    assert me.request("DELETE", f"/api/images/{listed['id']}").status_code in (200, 204)
    report = app.container.use_cases.backfill_placeholders()()
    assert (report.filled, report.failed) == (0, 0)
    with app.container.adapters.uow_factory()() as uow:
        image = uow.images.get(uuid.UUID(listed["id"]))
    assert image is not None and image.blurhash is None


def test_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("IMGTREE_DATABASE_URL", f"sqlite:///{tmp_path / 'imgtree.sqlite3'}")
    monkeypatch.setenv("IMGTREE_MEDIA_DIR", str(tmp_path / "media"))
    assert cli.main(["migrate"]) == 0
    capsys.readouterr()
    assert cli.main(["backfill-placeholders", "--batch", "50"]) == 0
    assert "0 images filled" in capsys.readouterr().out
    assert cli.main(["backfill-placeholders", "--batch", "0"]) == 1
    err = capsys.readouterr().err
    assert "--batch must be a positive" in err and "Traceback" not in err

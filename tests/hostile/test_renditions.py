"""Renditions are made from stored originals on a visitor's request: a GET must not be a way to
make the server decode more than an upload may. The stored original is trusted no more than an
upload (it may predate lower limits, or be swapped in the bucket): the same pixel limits and, on
SQLite + local disk (the production adapters), the same sandboxed processing budget apply, and
each request costs bounded CPU and RSS (`tests/hostile/cost.py`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from imgtree.domain.use_cases.renditions import RENDITIONS_PREFIX
from tests.hostile import BACKENDS, LEAKS, build_app
from tests.hostile.corpus import MARKER as MARKER_BYTES
from tests.hostile.cost import measure
from tests.support import imagegen
from tests.support.app import App
from tests.support.multipart import encode


def _upload(app: App, data: bytes) -> dict[str, str]:
    body, ctype = encode([("file", "a.png", "image/png", data)], {})
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    image: dict[str, str] = r.json["images"][0]
    return image


def _renditions(app: App) -> list[str]:
    return [k for k in app.stored_keys() if k.startswith(RENDITIONS_PREFIX)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bomb_swapped_in_for_the_original_is_refused_cheaply(
    tmp_path: Path, backend: str
) -> None:
    app = build_app(tmp_path, backend, rendition_sizes=(("small", 40),))
    try:
        image = _upload(app, imagegen.png(200, 150))
        (original,) = [k for k in app.stored_keys() if k.startswith("images/")]
        bomb = imagegen.png_declaring(60_000, 60_000)  # 3.6 gigapixels declared
        app.storage.put(original, io.BytesIO(bomb), "image/png")
        with measure() as cost:
            r = app.client.simulate_get(f"/media/small/{image['id']}.png")
        assert r.status_code == 422, r.text
        assert r.json["success"] is False and not LEAKS.search(r.text)
        assert cost.over_limits() is None, cost.describe()
        assert _renditions(app) == []
        # The server still answers.
        assert app.client.simulate_get(f"/i/{image['id']}").status_code == 200
    finally:
        app.container.shutdown_resources()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_large_original_costs_bounded_cpu_and_memory(tmp_path: Path, backend: str) -> None:
    app = build_app(tmp_path, backend, rendition_sizes=(("small", 320), ("medium", 1280)))
    try:
        # 4000x3000 = 12 megapixels, a few KB compressed: cheap to send, costly to decode.
        big = PILImage.new("RGB", (4000, 3000), (30, 90, 160))
        out = io.BytesIO()
        big.save(out, "PNG")
        image = _upload(app, out.getvalue())
        for size, width in (("small", 320), ("medium", 1280)):
            with measure() as cost:
                r = app.client.simulate_get(f"/media/{size}/{image['id']}.png")
            assert r.status_code == 200
            assert PILImage.open(io.BytesIO(r.content)).size == (width, width * 3 // 4)
            assert cost.over_limits() is None, cost.describe()
            with measure() as again:  # stored: served without decoding anything
                assert (
                    app.client.simulate_get(f"/media/{size}/{image['id']}.png").status_code == 200
                )
            assert again.cpu_s < 0.5, again.describe()
        assert len(_renditions(app)) == 2
    finally:
        app.container.shutdown_resources()


SIGNING_KEY = "hostile-suite-signing-key-32-chars!"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bomb_original_is_refused_cheaply_in_every_format_and_signed(
    tmp_path: Path, backend: str
) -> None:
    from imgtree.domain.use_cases.renditions import sign_media_path

    app = build_app(
        tmp_path,
        backend,
        rendition_sizes=(("small", 40),),
        media_signing_key=SIGNING_KEY,
        negotiate_formats=True,
    )
    try:
        image = _upload(app, imagegen.png(200, 150))
        slug = image["id"]
        (original,) = [k for k in app.stored_keys() if k.startswith("images/")]
        bomb = imagegen.png_declaring(60_000, 60_000)
        app.storage.put(original, io.BytesIO(bomb), "image/png")
        box = f"100x100/{slug}.avif"
        for url in (
            f"/media/small/{slug}.webp",
            f"/media/small/{slug}.avif",
            f"/media/full/{slug}.webp",
            f"/media/signed/{sign_media_path(SIGNING_KEY.encode(), box)}/{box}",
        ):
            with measure() as cost:
                r = app.client.simulate_get(url)
            assert r.status_code == 422, (url, r.text)
            assert r.json["success"] is False and not LEAKS.search(r.text)
            assert cost.over_limits() is None, (url, cost.describe())
        # Negotiation never fails a hotlink: the (undecodable) variant gives way to the
        # original's bytes, decided once and not retried on every request.
        for _ in range(2):
            with measure() as cost:
                r = app.client.simulate_get(f"/media/{slug}.png", headers={"Accept": "image/avif"})
            assert r.status_code == 200 and r.headers["content-type"] == "image/png"
            assert r.content == bomb
            assert cost.over_limits() is None, cost.describe()
        assert _renditions(app) == []
    finally:
        app.container.shutdown_resources()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "box",
    ["0x0", "99999x1", "-1x10", "10x-1", "axb", "1e3x10", "10x10x10", "%2e%2e", "4097x1"],
)
def test_bogus_signed_sizes_cost_nothing(tmp_path: Path, backend: str, box: str) -> None:
    from imgtree.domain.use_cases.renditions import sign_media_path

    app = build_app(
        tmp_path, backend, rendition_sizes=(("small", 40),), media_signing_key=SIGNING_KEY
    )
    try:
        slug = _upload(app, imagegen.png(200, 150))["id"]
        path = f"{box}/{slug}.png"
        for signature in (sign_media_path(SIGNING_KEY.encode(), path), "A" * 43, "x"):
            with measure() as cost:
                r = app.client.simulate_get(f"/media/signed/{signature}/{path}")
            assert r.status_code in (403, 404), (box, r.status_code)
            assert r.json["success"] is False and not LEAKS.search(r.text)
            assert cost.cpu_s < 0.5, cost.describe()
        assert _renditions(app) == []
    finally:
        app.container.shutdown_resources()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_long_animation_costs_bounded_cpu_and_memory(tmp_path: Path, backend: str) -> None:
    # 200 frames of 400x300 (24 Mpx in all, under the frame and pixel limits): each format
    # decodes and encodes every frame, within the upload's budget or refused (422).
    app = build_app(tmp_path, backend, rendition_sizes=(("small", 320),))
    try:
        image = _upload(app, imagegen.gif(400, 300, frames=200))
        for ext in ("gif", "webp", "avif"):
            with measure() as cost:
                r = app.client.simulate_get(f"/media/small/{image['id']}.{ext}")
            assert r.status_code in (200, 422), (ext, r.text)
            if backend != "memory":  # the memory backend decodes in-process, unbudgeted
                assert cost.over_limits() is None, (ext, cost.describe())
    finally:
        app.container.shutdown_resources()


def _accepted_corpus() -> list[object]:
    from tests.hostile.corpus import CASES

    return [pytest.param(case, id=case.id) for case in CASES if case.status == 200]


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One SQLite + local disk app (the sandboxed processor) for the corpus's renditions."""
    app = build_app(
        tmp_path_factory.mktemp("corpus-renditions"),
        "sqlite",
        rendition_sizes=(("small", 32),),
        negotiate_formats=True,
    )
    yield app
    app.container.shutdown_resources()


@pytest.mark.parametrize("case", _accepted_corpus())
def test_every_accepted_hostile_file_renders_within_budget(corpus_app: App, case: Any) -> None:
    """Every hostile file the upload accepts (ICC and text bombs, 16-bit, CMYK, EXIF loops, a
    99-frame 2 MP animation, phone photos) in every rendition format and by negotiation:
    made within the budget (or refused: 422), nothing leaked, bounded cost."""
    app = corpus_app
    body, ctype = encode([("file", case.filename, case.content_type, case.make())], {})
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    image = r.json["images"][0]
    direct = image["direct_url"].split("/media/", 1)[1]
    slug = image["id"]
    urls = [u.split("/media/", 1)[1] for u in image["renditions"].values()]
    for sizes in image["rendition_formats"].values():
        urls += [u.split("/media/", 1)[1] for u in sizes.values()]
    assert urls, "every image has at least its full-size conversions"
    for url in urls:
        with measure() as cost:
            got = app.client.simulate_get(f"/media/{url}")
        assert got.status_code in (200, 422), (url, got.status_code)
        if got.status_code == 422:
            assert got.json["success"] is False and not LEAKS.search(got.text)
        else:
            assert MARKER_BYTES not in got.content  # metadata never comes back
        assert cost.over_limits() is None, (url, cost.describe())
    with measure() as cost:
        got = app.client.simulate_get(f"/media/{direct}", headers={"Accept": "image/avif"})
    assert got.status_code == 200 and got.headers["vary"] == "Accept"
    assert cost.over_limits() is None, cost.describe()
    assert slug in direct

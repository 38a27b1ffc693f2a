"""Renditions are made from stored originals on a visitor's request: a GET must not be a way to
make the server decode more than an upload may. The stored original is trusted no more than an
upload (it may predate lower limits, or be swapped in the bucket): the same pixel limits and, on
SQLite + local disk (the production adapters), the same sandboxed processing budget apply, and
each request costs bounded CPU and RSS (`tests/hostile/cost.py`)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage

from imgtree.domain.use_cases.renditions import RENDITIONS_PREFIX
from tests.hostile import BACKENDS, LEAKS, build_app
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

"""The placeholder (issue 16 item 4) must not be a way to make an upload cost more: the
BlurHash encoder and the dominant colour are pure Python, so they only ever see a copy of the
thumbnail of at most 32 pixels a side, whatever the upload's size or shape; the thumbnail
itself is bounded by the processor. Asserted on what each step is handed (work, not time),
and an upload of a large picture stays under the hostile suite's cost ceilings."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imgtree.adapters.imaging import pillow, placeholder
from imgtree.adapters.imaging.pillow import PillowImageProcessor
from tests.hostile import build_app
from tests.hostile.cost import measure
from tests.support.multipart import encode

SIDE = placeholder.PLACEHOLDER_SIDE


def _png(w: int, h: int) -> bytes:
    out = io.BytesIO()
    im = Image.new("RGB", (w, h), (10, 90, 200))
    im.paste((240, 200, 0), (0, 0, w // 2, h // 3))
    im.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """What the placeholder step and its two pure-Python parts are handed."""
    calls: dict[str, list[Any]] = {"placeholder": [], "encode": [], "dominant": []}

    def spy(name: str, real: Callable[..., Any], record: Callable[..., Any]) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name].append(record(*args, **kwargs))
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        pillow, "placeholder", spy("placeholder", placeholder.placeholder, lambda im: im.size)
    )
    monkeypatch.setattr(
        placeholder.blurhash,
        "encode",
        spy("encode", placeholder.blurhash.encode, lambda px, w, h, **_: (len(px), w, h)),
    )
    monkeypatch.setattr(
        placeholder,
        "dominant_color",
        spy("dominant", placeholder.dominant_color, lambda rgba: len(rgba)),
    )
    return calls


@pytest.mark.parametrize(
    ("w", "h"),
    [(6000, 4000), (16_000, 8), (8, 16_000), (1, 1)],
    ids=["24MP", "wide", "tall", "1px"],
)
def test_the_encoder_only_sees_the_bounded_thumbnail(
    seen: dict[str, list[Any]], w: int, h: int
) -> None:
    done = PillowImageProcessor(thumbnail_size=320).process(io.BytesIO(_png(w, h)))
    done.published.close()
    done.thumbnail.close()
    ((tw, th),) = seen["placeholder"]
    assert max(tw, th) <= 320  # the thumbnail, never the upload
    ((pixels, ew, eh),) = seen["encode"]
    assert max(ew, eh) <= SIDE and pixels == ew * eh <= SIDE * SIDE
    (rgba_bytes,) = seen["dominant"]
    assert rgba_bytes <= SIDE * SIDE * 4
    assert done.blurhash is not None and done.dominant_color is not None


def test_a_large_upload_with_its_placeholder_stays_under_the_ceilings(tmp_path: Path) -> None:
    app = build_app(tmp_path, "sqlite")
    try:
        body, ctype = encode([("file", "big.png", "image/png", _png(6000, 4000))], {})
        with measure() as cost:
            r = app.client.simulate_post(
                "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
            )
        assert r.status_code == 200, r.text
        assert r.json["images"][0]["dominant_color"] == "#0a5ac8"
        assert cost.over_limits() is None, cost.describe()
    finally:
        app.container.shutdown_resources()

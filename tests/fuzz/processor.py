"""Fuzz target: the whole `PillowImageProcessor().process` (sniff, rewrite, decode, thumbnail).

Run: python -m tests.fuzz.processor [libFuzzer args] (see `make fuzz`). Small limits keep
every input fast. Only DomainError may escape; what is accepted is published non-empty, with
positive dimensions within the limits, and processing the published file accepts it again
with the same description.
"""

from __future__ import annotations

import io

import atheris

from tests.fuzz import harness

with atheris.instrument_imports(include=["imgtree"]):
    from imgtree.adapters.imaging.pillow import PillowImageProcessor
    from imgtree.domain.errors import DomainError

MAX_PIXELS = 1 << 16
MAX_FRAMES = 8
PROCESSOR = PillowImageProcessor(max_pixels=MAX_PIXELS, max_frames=MAX_FRAMES, thumbnail_size=32)


def _process(data: bytes) -> tuple[object, bytes] | None:
    try:
        result = PROCESSOR.process(io.BytesIO(data))
    except DomainError:
        return None
    with result.published as published, result.thumbnail as thumbnail:
        out = published.read()
        assert len(out) == result.published_size, "published_size is not the published size"
        assert thumbnail.read(), "empty thumbnail"
    return result.info, out


def TestOneInput(data: bytes) -> None:
    first = _process(data)
    if first is None:
        return
    info, published = first
    assert min(info.width, info.height) >= 1, f"no pixels: {info}"
    assert info.width * info.height <= MAX_PIXELS, f"pixel limit not enforced: {info}"
    assert 1 <= info.frames <= MAX_FRAMES, f"frame limit not enforced: {info}"
    again = _process(published)
    assert again is not None, "the published file is refused when processed again"
    assert again == (info, published), "processing the published file changes it"


if __name__ == "__main__":
    harness.main(TestOneInput, harness.png_mutator)

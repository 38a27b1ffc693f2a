"""Fuzz target: the GIF block walker (`gif.rewrite`).

Run: python -m tests.fuzz.gif [libFuzzer args] (see `make fuzz`). Only ContainerError may
escape the walker; an accepted file must rewrite idempotently, keep its frame count, and
decode to the pixels of the original (first frames) when Pillow decodes both.
"""

from __future__ import annotations

import atheris

from tests.fuzz import harness

with atheris.instrument_imports(include=["imgtree"]):
    from imgtree.adapters.imaging import gif
    from imgtree.adapters.imaging.container import ContainerError, LimitExceeded


def TestOneInput(data: bytes) -> None:
    try:
        rewritten = gif.rewrite(data)
    except ContainerError:
        return
    assert rewritten.frames is not None and rewritten.frames >= 1, "GIF frame count missing"
    harness.idempotent(gif.rewrite, rewritten)
    assert gif.rewrite(rewritten.data).frames == rewritten.frames, "frame count changed"
    try:
        gif.rewrite(data, max_frames=rewritten.frames - 1 or None)
    except LimitExceeded:
        pass
    else:
        assert rewritten.frames == 1, "max_frames was not enforced"
    harness.same_pixels(data, rewritten.data, "GIF")


if __name__ == "__main__":
    harness.main(TestOneInput)

"""Fuzz target: the PNG chunk walker (`png.rewrite`, and `png.plan` through a tiny window).

Run: python -m tests.fuzz.png [libFuzzer args] (see `make fuzz`). Only ContainerError may
escape the walker; an accepted file must rewrite idempotently, read the same through any
window, and decode to the pixels of the original when Pillow decodes both.
"""

from __future__ import annotations

import atheris

from tests.fuzz import harness

with atheris.instrument_imports(include=["imgtree"]):
    from imgtree.adapters.imaging import png, stream
    from imgtree.adapters.imaging.container import ContainerError


def TestOneInput(data: bytes) -> None:
    try:
        rewritten = png.rewrite(data)
    except ContainerError:
        return
    harness.idempotent(png.rewrite, rewritten)
    harness.windowed(png.plan, stream, data, rewritten)
    harness.same_pixels(data, rewritten.data, "PNG")


if __name__ == "__main__":
    harness.main(TestOneInput, harness.png_mutator)

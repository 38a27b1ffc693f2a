"""Fuzz target: the JPEG marker walker (`jpeg.rewrite`, and `jpeg.plan` through a tiny window).

Run: python -m tests.fuzz.jpeg [libFuzzer args] (see `make fuzz`). Only ContainerError may
escape the walker; an accepted file must rewrite idempotently, read the same through any
window, and decode to the pixels of the original when Pillow decodes both.
"""

from __future__ import annotations

import atheris

from tests.fuzz import harness

with atheris.instrument_imports(include=["imgtree"]):
    from imgtree.adapters.imaging import jpeg, stream
    from imgtree.adapters.imaging.container import ContainerError


def TestOneInput(data: bytes) -> None:
    try:
        rewritten = jpeg.rewrite(data)
    except ContainerError:
        return
    harness.idempotent(jpeg.rewrite, rewritten)
    harness.windowed(jpeg.plan, stream, data, rewritten)
    harness.same_pixels(data, rewritten.data, "JPEG")


if __name__ == "__main__":
    harness.main(TestOneInput)

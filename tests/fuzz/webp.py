"""Fuzz target: the WebP RIFF chunk walker (`webp.rewrite`).

Run: python -m tests.fuzz.webp [libFuzzer args] (see `make fuzz`). Only ContainerError may
escape the walker; an accepted file must rewrite idempotently and decode to the pixels of
the original (first frames) when Pillow decodes both.
"""

from __future__ import annotations

import atheris

from tests.fuzz import harness

with atheris.instrument_imports(include=["imgtree"]):
    from imgtree.adapters.imaging import webp
    from imgtree.adapters.imaging.container import ContainerError


def TestOneInput(data: bytes) -> None:
    try:
        rewritten = webp.rewrite(data)
    except ContainerError:
        return
    assert webp.is_webp(rewritten.data), "the rewrite is not a WebP file"
    harness.idempotent(webp.rewrite, rewritten)
    harness.same_pixels(data, rewritten.data, "WEBP")


if __name__ == "__main__":
    harness.main(TestOneInput)

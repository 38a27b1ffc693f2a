"""Files that cost real work within the image limits, and a way to watch what a pool costs.

Used by the processing-budget tests: each file is valid, small on the wire and expensive to
decode, so a budget below its cost must refuse it. Process figures come from bench.procs.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import signal

from PIL import Image


@functools.cache
def solid_png(width: int = 7000, height: int = 7000) -> bytes:
    """49 MP of one colour: ~150 KB on the wire, ~200 MB of pixels once decoded."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 40)).save(out, "PNG")
    return out.getvalue()


@functools.cache
def long_gif(side: int = 1000, frames: int = 600) -> bytes:
    """`frames` full-screen frames of `side` x `side`: seconds of LZW decoding for ~1 MB.

    One frame is encoded by Pillow; its descriptor and image data are then repeated."""
    out = io.BytesIO()
    Image.new("P", (side, side), 5).save(out, "GIF")
    data = out.getvalue()
    table = 3 << ((data[10] & 0x07) + 1) if data[10] & 0x80 else 0
    start = data.index(b",", 13 + table)  # the first image descriptor
    return data[:start] + data[start:-1] * frames + b";"


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)

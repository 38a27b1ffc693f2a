"""Files that cost real work within the image limits, and a way to watch what a pool costs.

Used by the processing-budget tests: each file is valid, small on the wire and expensive to
decode, so a budget below its cost must refuse it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import signal
from pathlib import Path

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


def pool_children(supervisor: int) -> list[int]:
    """The decode children of a supervisor pid, from /proc."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                raw = Path(f"/proc/{entry}/stat").read_text()
                if int(raw[raw.rindex(")") + 2 :].split()[1]) == supervisor:
                    kids.append(int(entry))
    return kids


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def rss_kb(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0

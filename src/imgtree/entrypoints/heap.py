"""A warm heap for gunicorn's workers (glibc malloc thresholds, set after the fork).

By default glibc serves every allocation above 128 KiB (adjusting upwards as such blocks are
freed) with a fresh mmap, zeroed page by page, and returns it to the kernel on free. An
upload moves its bytes through many short-lived buffers of 32 KiB-1 MiB (the body's chunks,
the multipart parser's pieces, the spool), so a worker paid a page fault per 4 KiB of every
upload, again and again. With the thresholds that the decode children already use
(`pool.WARM_HEAP`), freed buffers are reused instead: measured on this machine (2 workers x
4 threads, 12-MP JPEG by multipart, `imgtree serve`), worker CPU 13.3 -> 8.0 ms per upload.
What the heap keeps is bounded by the trim threshold (64 MiB per worker at most, typically a
few MiB). An operator's own MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ win.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from imgtree.adapters.imaging.pool import WARM_HEAP

# glibc <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def warm_heap() -> bool:
    """Set this process's malloc thresholds; False when not glibc or the operator chose."""
    if any(name in os.environ for name in WARM_HEAP):
        return False  # glibc has read the operator's values at start-up
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl, macOS): nothing to tune
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mmap_ok = mallopt(M_MMAP_THRESHOLD, int(WARM_HEAP["MALLOC_MMAP_THRESHOLD_"]))
    trim_ok = mallopt(M_TRIM_THRESHOLD, int(WARM_HEAP["MALLOC_TRIM_THRESHOLD_"]))
    return bool(mmap_ok and trim_ok)

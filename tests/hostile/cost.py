"""What a request cost the server: CPU of this process and every descendant, and RSS rise.

The app runs inside the test process (falcon's TestClient), and image decoding may run in
child processes (a pool), so a request's cost is measured as:

- CPU: utime + stime + cutime + cstime from /proc/<pid>/stat, summed over this process and
  every descendant alive at the time, after minus before. A child that exits during the
  request moves its time into its parent's cutime/cstime once reaped, so it is still
  counted; a child started during the request counts whole.
- RSS rise of the worker (this process): VmHWM after the request minus VmRSS before, with
  the high-water mark reset first (`echo 5 > /proc/self/clear_refs`, Linux >= 4.0). Where
  that reset is not allowed, a thread samples VmRSS every 2 ms instead.
- Peak RSS of the descendants: the highest VmHWM among them after the request (each reset
  before it, where allowed).

Linux only (/proc). Use:

    with measure() as cost:
        ...one request...
    assert cost.cpu_s < 2, cost.describe()
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

import attrs
from bench import procs

CPU_LIMIT_S = 2.0
RSS_LIMIT_MIB = 256.0


@attrs.define
class Cost:
    cpu_s: float = 0.0
    wall_s: float = 0.0
    rss_rise_mib: float = 0.0  # of the worker: peak during the request minus before
    child_peak_mib: float = 0.0  # highest peak RSS of any descendant process (0: none)
    children: int = 0  # descendants seen after the request

    @property
    def cpu_ms(self) -> int:
        return round(self.cpu_s * 1000)

    def describe(self) -> str:
        text = f"{self.cpu_ms} ms CPU, worker RSS +{self.rss_rise_mib:.1f} MiB"
        if self.children:
            text += f", {self.children} child process(es) peaking at {self.child_peak_mib:.1f} MiB"
        return text

    def over_limits(self) -> str | None:
        """Why this cost breaks the ceilings (2 s CPU, 256 MiB RSS), or None."""
        problems = []
        if self.cpu_s >= CPU_LIMIT_S:
            problems.append(f"used {self.cpu_ms} ms CPU (limit {CPU_LIMIT_S * 1000:.0f} ms)")
        if self.rss_rise_mib >= RSS_LIMIT_MIB:
            problems.append(
                f"raised the worker's RSS by {self.rss_rise_mib:.1f} MiB"
                f" (limit {RSS_LIMIT_MIB:.0f} MiB)"
            )
        if self.child_peak_mib >= RSS_LIMIT_MIB:
            problems.append(f"a child process peaked at {self.child_peak_mib:.1f} MiB")
        return "; ".join(problems) or None


class _Sampler(threading.Thread):
    """Fallback for the worker's peak: VmRSS read every 2 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, procs.status_kb(os.getpid(), "VmRSS"))
            self.done.wait(0.002)


@contextlib.contextmanager
def measure() -> Iterator[Cost]:
    """Measure the block; the yielded Cost is filled in when the block exits."""
    cost = Cost()
    me = os.getpid()
    before_pids = procs.descendants(me)
    for pid in before_pids[1:]:
        procs.reset_peak(pid)
    rss_before = procs.status_kb(me, "VmRSS")
    sampler = None if procs.reset_peak(me) else _Sampler()
    if sampler is not None:
        sampler.start()
    cpu_before = procs.cpu_ms(before_pids) / 1000
    wall = time.perf_counter()
    try:
        yield cost
    finally:
        cost.wall_s = time.perf_counter() - wall
        after_pids = procs.descendants(me)
        # Children alive before but gone now were reaped into cutime: count each pid once.
        cost.cpu_s = max(0.0, procs.cpu_ms(after_pids) / 1000 - cpu_before)
        if sampler is not None:
            sampler.done.set()
            sampler.join()
            peak = sampler.peak
        else:
            peak = procs.status_kb(me, "VmHWM")
        cost.rss_rise_mib = max(0, peak - rss_before) / 1024
        peaks = [procs.status_kb(pid, "VmHWM") for pid in after_pids[1:]]
        cost.children = len(after_pids) - 1
        cost.child_peak_mib = max(peaks, default=0) / 1024

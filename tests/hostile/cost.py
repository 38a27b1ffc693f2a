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
import re
import threading
import time
from collections.abc import Iterator

import attrs

CPU_LIMIT_S = 2.0
RSS_LIMIT_MIB = 256.0
_TICK = os.sysconf("SC_CLK_TCK")
_KIB = re.compile(rb"(VmRSS|VmHWM):\s+(\d+) kB")


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


def _stat(pid: int) -> list[bytes] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:  # gone
        return None
    return raw[raw.rindex(b")") + 2 :].split()


def descendants(root: int | None = None) -> list[int]:
    """Every live descendant of `root` (default: this process)."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat(int(name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime + cutime + cstime of `pids` (fields 14-17), in seconds."""
    ticks = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            ticks += sum(int(v) for v in fields[11:15])
    return ticks / _TICK


def _status_kib(pid: int | str) -> dict[bytes, int]:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            return {m[1]: int(m[2]) for m in _KIB.finditer(f.read())}
    except OSError:
        return {}


def _reset_peak(pid: int | str) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


class _Sampler(threading.Thread):
    """Fallback for the worker's peak: VmRSS read every 2 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _status_kib("self").get(b"VmRSS", 0))
            self.done.wait(0.002)


@contextlib.contextmanager
def measure() -> Iterator[Cost]:
    """Measure the block; the yielded Cost is filled in when the block exits."""
    cost = Cost()
    me = os.getpid()
    before_pids = [me, *descendants(me)]
    for pid in before_pids[1:]:
        _reset_peak(pid)
    rss_before = _status_kib("self").get(b"VmRSS", 0)
    sampler = None if _reset_peak("self") else _Sampler()
    if sampler is not None:
        sampler.start()
    cpu_before = cpu_seconds(before_pids)
    wall = time.perf_counter()
    try:
        yield cost
    finally:
        cost.wall_s = time.perf_counter() - wall
        after_pids = [me, *descendants(me)]
        # Children alive before but gone now were reaped into cutime: count each pid once.
        cost.cpu_s = max(0.0, cpu_seconds(after_pids) - cpu_before)
        if sampler is not None:
            sampler.done.set()
            sampler.join()
            peak = sampler.peak
        else:
            peak = _status_kib("self").get(b"VmHWM", 0)
        cost.rss_rise_mib = max(0, peak - rss_before) / 1024
        peaks = [_status_kib(pid).get(b"VmHWM", 0) for pid in after_pids[1:]]
        cost.children = len(after_pids) - 1
        cost.child_peak_mib = max(peaks, default=0) / 1024

"""The cost meter itself: it sees CPU and memory spent here and in child processes."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.hostile.cost import Cost, measure

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"
ALLOCATE = "x = bytearray({mib} << 20)\nx[::4096] = b'1' * len(x[::4096])\n"


def test_counts_cpu_and_memory_of_this_process() -> None:
    with measure() as cost:
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:
            pass
        block = bytearray(96 << 20)
        block[::4096] = b"1" * len(block[::4096])  # touch every page
        del block
    assert 0.25 <= cost.cpu_s < 1.0, cost.describe()
    assert 80 <= cost.rss_rise_mib < 200, cost.describe()


def test_counts_a_child_that_exits_during_the_request() -> None:
    with measure() as cost:
        subprocess.run([sys.executable, "-c", BURN.format(s=0.3)], check=True)
    assert cost.cpu_s >= 0.25, cost.describe()
    assert cost.rss_rise_mib < 64, cost.describe()  # the child's memory is not the worker's


def test_counts_a_long_lived_child_and_its_peak() -> None:
    script = BURN.format(s=0.3) + ALLOCATE.format(mib=128) + "input()\n"
    with subprocess.Popen([sys.executable, "-c", "input()\n" + script], stdin=subprocess.PIPE) as p:
        assert p.stdin is not None
        time.sleep(0.2)  # started (and its start-up CPU spent) before the measurement
        with measure() as cost:
            p.stdin.write(b"go\n")
            p.stdin.flush()
            deadline = time.monotonic() + 10
            while _child_rss_mib(p.pid) < 128 and time.monotonic() < deadline:
                time.sleep(0.01)
        p.stdin.write(b"end\n")
        p.stdin.close()
    assert cost.children >= 1
    assert 0.25 <= cost.cpu_s < 1.5, cost.describe()
    assert cost.child_peak_mib >= 128, cost.describe()
    assert cost.over_limits() is None


def test_describes_what_breaks_the_ceilings() -> None:
    cost = Cost(cpu_s=2.5, rss_rise_mib=300.0)
    text = cost.over_limits()
    assert text is not None and "2500 ms CPU" in text and "300.0 MiB" in text


def _child_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

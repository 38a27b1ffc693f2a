"""The two attacks behind the processing budget, over real HTTP on `imgtree serve`.

A GIF whose later frame is far larger than its logical screen, and a 7000x7000 progressive
JPEG followed by thousands of refinement scans: each is refused, as an account and as a
guest, in under 2 s of the server's CPU (every process of it, decode children included), with
the workers' peak RSS rising by less than 256 MiB; and while several of them are in flight an
ordinary small upload still lands within a few seconds.
"""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from bench.procs import children, cpu_ms, descendants, reset_peak, status_kb, workers_of
from bench.soak import master_for_port
from PIL import Image

from tests.hostile.corpus import gif_with
from tests.support import imagegen
from tests.support.servers import cli, local_env, serve

pytestmark = pytest.mark.smoke
MiB = 1 << 20


def big_frame_gif() -> bytes:
    """A 16x16 logical screen whose second frame is 8000x8000 (64 MP the header hides)."""
    return gif_with((16, 16), [(0, 0, 16, 16), (0, 0, 8000, 8000)])


def scan_flood_jpeg(copies: int = 3000) -> bytes:
    """A flat 7000x7000 progressive JPEG with its last refinement scan repeated."""
    out = io.BytesIO()
    Image.new("RGB", (7000, 7000), (90, 120, 200)).save(out, "JPEG", progressive=True)
    data = out.getvalue()
    last = data.rindex(b"\xff\xda")
    end = data.rindex(b"\xff\xd9")
    return data[:end] + data[last:end] * copies + data[end:]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str]]:
    root = tmp_path_factory.mktemp("budget")
    env = local_env(
        root,
        IMGTREE_RATE_LIMIT_PER_MINUTE="1000",
        IMGTREE_GUEST_RATE_LIMIT_PER_MINUTE="1000",
    )
    cli(env, "users", "create", "budget@example.com", "--password", "correct horse battery")
    key = cli(env, "keys", "create", "--email", "budget@example.com", "--name", "t").split()[-1]
    with serve(env, root / "server.log", workers=2) as base:
        master = master_for_port(int(base.rsplit(":", 1)[1]))
        assert master is not None
        yield base, master, key


def _post(base: str, path: str, name: str, data: bytes, key: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    field = "file" if path.startswith("/api/v1") else "files"
    return requests.post(
        base + path, headers=headers, files=[(field, (name, data, "image/x"))], timeout=60
    )


ATTACKS = {"gif-frame-beyond-screen": big_frame_gif, "jpeg-3000-scans": scan_flood_jpeg}
PRINCIPALS = {"account": "/api/v1/upload", "guest": "/api/upload/guest"}


@pytest.mark.parametrize("who", list(PRINCIPALS))
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_is_refused_cheaply(live: tuple[str, int, str], attack: str, who: str) -> None:
    base, master, key = live
    data = ATTACKS[attack]()
    workers = workers_of(master)
    for pid in workers:
        reset_peak(pid)  # VmHWM := VmRSS
    before_rss = {pid: status_kb(pid, "VmRSS") for pid in workers}
    cpu0, started = cpu_ms(descendants(master)), time.monotonic()
    r = _post(base, PRINCIPALS[who], f"{attack}.bin", data, key if who == "account" else None)
    wall = time.monotonic() - started
    cpu = (cpu_ms(descendants(master)) - cpu0) / 1000
    rise = max(status_kb(pid, "VmHWM") - before_rss[pid] for pid in workers) / 1024
    assert r.status_code == 422, r.text
    assert r.json()["success"] is False
    print(f"{attack} as {who}: {r.status_code} in {wall:.2f}s, cpu {cpu:.2f}s, rss +{rise:.1f} MiB")
    assert cpu < 2.0, f"the server spent {cpu:.2f} s of CPU"
    assert wall < 2.0, f"answered after {wall:.2f} s"
    assert rise < 256, f"a worker's RSS rose by {rise:.0f} MiB"


def test_small_upload_lands_while_attacks_run(live: tuple[str, int, str]) -> None:
    base, _master, key = live
    attacks = [
        (path, name, make(), key if who == "account" else None)
        for who, path in PRINCIPALS.items()
        for name, make in ATTACKS.items()
    ] * 2
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda a=a: statuses.append(_post(base, *a).status_code))
        for a in attacks
    ]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    r = _post(base, "/api/v1/upload", "small.png", imagegen.png(64, 48), key)
    took = time.monotonic() - started
    for thread in threads:
        thread.join(60)
    assert r.status_code == 200, r.text
    assert took < 5.0, f"the small upload took {took:.2f} s"
    assert statuses == [422] * len(attacks)


def test_the_pool_comes_back_if_its_supervisor_dies(live: tuple[str, int, str]) -> None:
    base, master, key = live
    (supervisor,) = set(children(master)) - set(workers_of(master))
    os.kill(supervisor, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while True:
        r = _post(base, "/api/v1/upload", "after.png", imagegen.png(32, 32), key)
        if r.status_code == 200:
            break
        assert r.status_code == 503, r.text  # a bounded, retryable answer meanwhile
        assert time.monotonic() < deadline, "the decode pool did not come back"
        time.sleep(0.5)
    assert supervisor not in children(master)

"""The processing budget over HTTP: a file over it is a 422 that stores and charges nothing;
a saturated pool is a 503 with Retry-After; the discovery document publishes the budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tests.support import imagegen
from tests.support.app import App
from tests.support.budget import long_gif, solid_png
from tests.support.multipart import encode

MiB = 1 << 20


def _upload(app: App, path: str, data: bytes, headers: dict[str, str]) -> tuple[int, dict, dict]:
    body, ctype = encode(
        [("file" if path.startswith("/api/v1") else "files", "x.png", "image/png", data)]
    )
    r = app.client.simulate_post(path, body=body, headers={**headers, "Content-Type": ctype})
    return r.status_code, r.json, dict(r.headers)


# The budget is the sandbox's, so these run on the production adapters (SQLite + local disk):
# the memory adapters decode in the calling process (entrypoints/containers/adapters.py).


@pytest.mark.parametrize("backend", ["sqlite", "postgres_s3"])
def test_a_file_over_budget_is_422_and_leaves_nothing(
    make_app: Callable[..., App], backend: str
) -> None:
    app = make_app(backend, process_memory_bytes=64 * MiB, default_quota_bytes=1 << 30)
    user = app.user()
    auth = app.auth(user)
    for path, headers in (("/api/v1/upload", auth), ("/api/upload/guest", {})):
        before = app.stored_keys()
        status, doc, _ = _upload(app, path, solid_png(), headers)
        assert status == 422, doc
        assert doc["success"] is False and doc["error"] == "Image too complex to process"
        assert app.stored_keys() == before
    with app.container.adapters.uow_factory()() as uow:
        assert uow.users.get(user.id).used_bytes == 0  # type: ignore[union-attr]
    # The worker that refused it goes on serving.
    status, doc, _ = _upload(app, "/api/v1/upload", imagegen.png(32, 32), auth)
    assert status == 200, doc


def test_a_saturated_pool_is_503_with_retry_after(make_app: Callable[..., App]) -> None:
    app = make_app(
        "sqlite",
        process_workers=1,
        process_queue_seconds=1,
        # Room for the slow file on a busy machine: this test is about the queue, not the
        # per-file budget (which test_a_file_over_budget_is_422_and_leaves_nothing covers).
        process_cpu_seconds=120,
        process_wall_seconds=120,
        max_image_pixels=1_000_000_000,
        max_frames=10_000,
    )
    auth = app.auth()
    assert _upload(app, "/api/v1/upload", imagegen.png(16, 16), auth)[0] == 200
    slow: list[int] = []
    thread = threading.Thread(
        target=lambda: slow.append(_upload(app, "/api/v1/upload", long_gif(frames=1800), auth)[0])
    )
    thread.start()
    try:
        time.sleep(0.5)
        status, doc, headers = _upload(app, "/api/v1/upload", imagegen.png(16, 16), auth)
    finally:
        thread.join(120)
    assert status == 503, doc
    assert headers.get("retry-after", "").isdigit()
    assert "retry" in doc["error"].lower()
    assert slow == [200]


def test_discovery_publishes_the_budget(make_app: Callable[..., App]) -> None:
    app = make_app("sqlite", process_workers=3, process_cpu_seconds=7, max_image_side=9000)
    doc = app.client.simulate_get("/api/v1/upload").json
    assert doc["processing"] == {
        "max_image_pixels": 50_000_000,
        "max_image_side": 9000,
        "max_frames": 1000,
        "cpu_seconds": 7,
        "wall_seconds": 30,
        "memory_bytes": 512 * MiB,
        "concurrent": 3,
        "queue_seconds": 10,
    }
    # The processor enforces what the document publishes: both come from one policy.
    processor = app.container.adapters.image_processor()
    assert processor.budget.cpu_seconds == doc["processing"]["cpu_seconds"]
    assert processor.budget.memory_bytes == doc["processing"]["memory_bytes"]
    assert processor.limits["max_side"] == doc["processing"]["max_image_side"]
    assert processor.limits["max_pixels"] == doc["processing"]["max_image_pixels"]


def test_the_memory_adapters_check_the_published_limits_in_process(
    make_app: Callable[..., App],
) -> None:
    from imgtree.adapters.imaging.pillow import PillowImageProcessor

    app = make_app("memory", max_image_side=9000, max_image_pixels=1_000_000, max_frames=7)
    published = app.client.simulate_get("/api/v1/upload").json["processing"]
    processor = app.container.adapters.image_processor()
    # No sandbox (tests and trusted input), but the same image limits from the same policy.
    assert isinstance(processor, PillowImageProcessor)
    assert processor.max_side == published["max_image_side"] == 9000
    assert processor.max_pixels == published["max_image_pixels"] == 1_000_000
    assert processor.max_frames == published["max_frames"] == 7

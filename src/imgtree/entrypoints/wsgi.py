"""The WSGI application for gunicorn: `gunicorn imgtree.entrypoints.wsgi:app`.

Imported in each worker (without --preload), so every worker has its own container; its
resources (the engine's pool, the S3 client) are released, and its counted views written,
when the worker's interpreter exits. `imgtree serve` does not use this module: it does both
in gunicorn's worker_exit hook (entrypoints/cli.py).
"""

from __future__ import annotations

import atexit

from imgtree.entrypoints.containers import build_container, flush_views
from imgtree.entrypoints.http.app import create_app
from imgtree.entrypoints.logs import configure_logging

container = build_container()
configure_logging(container.settings().log_format, container.settings().log_level)
app = create_app(container)


def release() -> None:
    """At interpreter exit: write the counted views, then release the pool and client."""
    flush_views(container)
    container.shutdown_resources()


atexit.register(release)

"""The WSGI application for gunicorn: `gunicorn imgtree.entrypoints.wsgi:app`.

Imported in each worker (without --preload), so every worker has its own container; its
resources (the engine's pool, the S3 client) are released when the worker's interpreter
exits. `imgtree serve` does not use this module: it releases them in gunicorn's
worker_exit hook (entrypoints/cli.py).
"""

from __future__ import annotations

import atexit

from imgtree.entrypoints.containers import build_container
from imgtree.entrypoints.http.app import create_app

container = build_container()
app = create_app(container)
atexit.register(container.shutdown_resources)

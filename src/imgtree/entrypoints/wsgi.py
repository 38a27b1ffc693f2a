"""The WSGI application for gunicorn: `gunicorn imgtree.entrypoints.wsgi:app`."""

from __future__ import annotations

from imgtree.entrypoints.container import build_container
from imgtree.entrypoints.http.app import create_app

app = create_app(build_container())

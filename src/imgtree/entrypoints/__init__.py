"""Entrypoints: the composition root, settings, HTTP (Falcon), CLI and WSGI."""

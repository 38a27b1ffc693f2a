"""Test support shared across the suites; no tests live here.

- imagegen, multipart, budget: test images, hand-built multipart bodies, expensive files.
- pg, s3: a throw-away Postgres database and a moto S3 server per session (their fixtures
  are pytest plugins).

Fixtures kept here are registered through `pytest_plugins` in tests/conftest.py; import
everything else from here, never from a conftest or a test module.
"""

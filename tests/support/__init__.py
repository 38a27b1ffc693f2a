"""Test support shared across the suites; no tests live here.

- app: `App` (the container, a falcon test client and its storage) and `BASE_URL`; the
  `make_app` / `app` fixtures that build it stay in tests/conftest.py.
- browser: a signed-in session client for the HTTP tests (`Browser`, `sign_up`, `PASSWORD`)
  and the screenshot location of the headless-Chromium tests (`SCREENSHOTS`, `Shot`).
- world: in-memory use-case worlds for the unit tests (`World` with its fakes and the
  `png()` / `jpeg()` / `text()` inputs; `PresignWorld` with `BucketStorage`).
- factories: domain objects built directly (`make_user`, `make_key`, `make_album`,
  `make_image`), `add_users` and the time `T0` they default to.
- sql_fixtures: the SQL contract fixtures `backend`, `sql` and `pg` (each a `Backend`) on
  a per-test SQLite copy or the session's Postgres database.
- imagegen, multipart, budget: test images, hand-built multipart bodies, expensive files.
- servers: real `imgtree serve` (gunicorn) processes for the smoke, browser and fault tests.
- pg, s3: a throw-away Postgres database and a moto S3 server per session (their fixtures
  are pytest plugins).

Fixtures kept here are registered through `pytest_plugins` in tests/conftest.py; import
everything else from here, never from a conftest or a test module.
"""

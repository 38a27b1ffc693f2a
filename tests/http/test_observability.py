"""Issue 18, items 1-3 through falcon.testing: /metrics (who may read it, counters that move
with uploads and refusals), /healthz and /readyz (each check failing with its reason), and the
request log (one JSON line per request, with its id, never a secret)."""

from __future__ import annotations

import io
import ipaddress
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import falcon.testing
import pytest
from sqlalchemy import text

from imgtree.entrypoints.containers import ProductionAdapters, build_container
from imgtree.entrypoints.http.app import create_app
from imgtree.entrypoints.http.health import Readiness
from imgtree.entrypoints.logs import JsonFormatter, RequestIdFilter, TextFormatter
from imgtree.entrypoints.settings import Settings, SettingsError
from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.metrics import label_values, value
from tests.support.multipart import encode

TOKEN = "metrics-token-0123456789abcdef"
REMOTE = "198.51.100.7"


def upload(app: App, headers: dict[str, str], *files: tuple[str, str, bytes], **kw: str):
    body, ctype = encode([("file", n, t, d) for n, t, d in files], {})
    return app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": ctype}, **kw
    )


def scrape(app: App) -> str:
    r = app.client.simulate_get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return r.text


# --- who may read /metrics --------------------------------------------------------------------


def test_metrics_answer_loopback_and_the_token_only(make_app: Callable[..., App]) -> None:
    app = make_app(metrics_token=TOKEN)
    get = app.client.simulate_get
    assert get("/metrics").status_code == 200  # loopback (falcon.testing's peer)
    assert get("/metrics", remote_addr="::1").status_code == 200
    refused = get("/metrics", remote_addr=REMOTE)
    assert refused.status_code == 403
    assert "IMGTREE_METRICS_TOKEN" in refused.json["error"]
    wrong = {"Authorization": f"Bearer {TOKEN[:-1]}x"}
    assert get("/metrics", remote_addr=REMOTE, headers=wrong).status_code == 403
    assert (
        get("/metrics", remote_addr=REMOTE, headers={"Authorization": "Bearer "}).status_code == 403
    )
    right = get("/metrics", remote_addr=REMOTE, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200 and "imgtree_http_requests_total" in right.text


def test_without_a_token_only_loopback_reads_metrics(make_app: Callable[..., App]) -> None:
    app = make_app()
    get = app.client.simulate_get
    assert get("/metrics", remote_addr=REMOTE).status_code == 403
    # Any token is wrong when none is configured.
    assert (
        get("/metrics", remote_addr=REMOTE, headers={"Authorization": "Bearer anything-at-all"})
    ).status_code == 403


def test_a_forwarded_request_is_not_loopback_unless_its_proxy_is_trusted(
    make_app: Callable[..., App],
) -> None:
    """nginx on the same host forwards every visitor from 127.0.0.1: without
    IMGTREE_TRUSTED_PROXIES those requests must not count as local."""
    forwarded = {"X-Forwarded-For": REMOTE}
    untrusted = make_app()
    assert untrusted.client.simulate_get("/metrics", headers=forwarded).status_code == 403
    trusted = make_app(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    # The proxy is trusted: the client is the forwarded one, not loopback.
    assert trusted.client.simulate_get("/metrics", headers=forwarded).status_code == 403
    # A client on the proxy's host itself (Prometheus there) is loopback after the proxy.
    local = {"X-Forwarded-For": "127.0.0.1"}
    assert trusted.client.simulate_get("/metrics", headers=local).status_code == 200


# --- counters that move -------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_never_by_raw_path(app: App) -> None:
    for slug in ("abcd1234", "efgh5678", "zzzz0000"):
        assert app.client.simulate_get(f"/i/{slug}").status_code == 404
    app.client.simulate_get("/no/such/route")
    text_ = scrape(app)
    routes = label_values(text_, "imgtree_http_requests_total", "route")
    assert "/i/{slug}" in routes and "unmatched" in routes
    assert not [r for r in routes if "abcd1234" in r or "/no/such" in r]
    assert value(text_, "imgtree_http_requests_total", route="/i/{slug}", status="404") == 3
    assert value(text_, "imgtree_http_request_duration_seconds_count", route="/i/{slug}") == 3


def test_upload_counters_move_with_accepted_files_and_each_refusal(
    make_app: Callable[..., App],
) -> None:
    app = make_app(max_upload_bytes=50_000, rate_limit_per_minute=3)
    key = app.auth()
    png = imagegen.png(40, 30)
    # accepted, and a refused file in the same request (not an image: unsupported_type)
    r = upload(app, key, ("a.png", "image/png", png), ("notes.txt", "text/plain", b"hello" * 20))
    assert r.status_code == 200
    # too large (refused while it streams in)
    big = imagegen.photo(1200, 900)
    assert len(big) > 50_000
    assert upload(app, key, ("big.jpg", "image/jpeg", big)).status_code == 413
    # over quota
    small = app.user(quota_bytes=10)
    assert upload(app, app.auth(small), ("q.png", "image/png", png)).status_code == 413
    # rate limited: the 4th upload request of this client in the minute (3 allowed)
    assert upload(app, key, ("c.png", "image/png", png)).status_code == 429

    text_ = scrape(app)
    files = "imgtree_upload_files_total"
    assert value(text_, files, type="image/png", outcome="accepted") == 1
    assert value(text_, "imgtree_upload_bytes_total", type="image/png", outcome="accepted") > 0
    assert value(text_, files, type="other", outcome="unsupported_type") == 1
    assert value(text_, "imgtree_upload_bytes_total", outcome="unsupported_type") == 100
    assert value(text_, files, outcome="too_large") == 1
    assert value(text_, files, type="image/png", outcome="quota") == 1
    assert value(text_, files, type="unknown", outcome="rate_limited") == 1
    assert value(text_, "imgtree_rate_limited_total", policy="uploads", route="/api/v1/upload") == 1
    assert value(text_, "imgtree_http_requests_total", route="/api/v1/upload", status="429") == 1


def test_presign_refusals_count_as_refused_uploads(app: App) -> None:
    key = app.auth()
    r = app.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "x.bmp", "contentType": "image/bmp", "sizeBytes": 100},
        headers=key,
    )
    assert r.status_code == 415
    text_ = scrape(app)
    assert value(text_, "imgtree_upload_files_total", outcome="unsupported_type") == 1
    assert value(text_, "imgtree_upload_files_total", outcome="accepted") == 0


def test_decodes_and_the_database_pool_are_measured(make_app: Callable[..., App]) -> None:
    """On SQLite + local disk the decodes run in the sandboxed pool and the app holds a
    database pool: both show in /metrics."""
    app = make_app(backend="sqlite", process_workers=2)
    r = upload(app, app.auth(), ("a.png", "image/png", imagegen.png(32, 32)))
    assert r.status_code == 200, r.text
    text_ = scrape(app)
    assert value(text_, "imgtree_processing_seconds_count", op="process", outcome="ok") == 1
    assert value(text_, "imgtree_processing_wait_seconds_count") == 1
    assert value(text_, "imgtree_processing_in_flight") == 0
    assert value(text_, "imgtree_processing_pool_size") == 2
    assert value(text_, "imgtree_db_pool_capacity") == 15  # 5 + 10 overflow
    assert value(text_, "imgtree_db_pool_connections_in_use") == 0  # all returned


# --- health ------------------------------------------------------------------------------------


def test_healthz_answers_while_the_process_runs(app: App) -> None:
    r = app.client.simulate_get("/healthz")
    assert (r.status_code, r.json) == (200, {"status": "ok"})
    assert r.headers["Cache-Control"] == "no-store"


def test_readyz_passes_every_check_on_a_healthy_instance(make_app: Callable[..., App]) -> None:
    app = make_app(backend="sqlite")
    r = app.client.simulate_get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "processing": "ok"},
    }
    # The storage probe leaves nothing behind.
    assert not [k for k in app.stored_keys() if k.startswith("health/")]


def test_readyz_passes_on_postgres_and_s3(make_app: Callable[..., App]) -> None:
    app = make_app(backend="postgres_s3")
    r = app.client.simulate_get("/readyz")
    assert r.status_code == 200, r.text
    assert set(r.json["checks"].values()) == {"ok"}
    assert not [k for k in app.stored_keys() if k.startswith("health/")]


def test_readyz_names_a_database_that_is_not_migrated(make_app: Callable[..., App]) -> None:
    app = make_app(backend="sqlite")
    with app.container.adapters.engine().begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    r = app.client.simulate_get("/readyz")
    assert r.status_code == 503
    assert r.json["status"] == "unavailable"
    assert r.json["checks"]["database"] == "the database has no imgtree schema"
    assert r.json["checks"]["storage"] == "ok"
    assert "Retry-After" in r.headers


def test_readyz_names_a_database_it_cannot_reach(tmp_path: Path) -> None:
    settings = Settings(
        base_url=BASE_URL,
        # Nothing listens on port 9 of loopback (discard): connections are refused at once.
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/nothing",
        media_dir=tmp_path / "media",
    )
    container = build_container(settings, adapters=ProductionAdapters)
    try:
        client = falcon.testing.TestClient(create_app(container))
        r = client.simulate_get("/readyz")
        assert r.status_code == 503
        assert r.json["checks"]["database"] == "cannot reach the database (OperationalError)"
        assert "nobody" not in r.text and "9/nothing" not in r.text  # no URL, no internals
    finally:
        container.shutdown_resources()


def test_readyz_names_storage_it_cannot_write(make_app: Callable[..., App], tmp_path: Path) -> None:
    app = make_app(backend="sqlite")
    (tmp_path / "media" / "health").write_bytes(b"a file where the probe's folder goes")
    r = app.client.simulate_get("/readyz")
    assert r.status_code == 503
    assert r.json["checks"]["storage"].startswith("storage is not writable (")
    assert r.json["checks"]["database"] == "ok"


def test_readyz_names_a_decode_pool_that_does_not_answer(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    app = make_app(backend="sqlite", process_socket=str(tmp_path / "no-pool.sock"))
    r = app.client.simulate_get("/readyz")
    assert r.status_code == 503
    assert r.json["checks"]["processing"] == "the decode pool does not accept jobs"


def test_a_hung_check_is_cut_short_and_not_started_twice() -> None:
    release = threading.Event()
    calls: list[int] = []

    def hung() -> str | None:
        calls.append(1)
        release.wait(30)
        return None

    readiness = Readiness({"database": hung, "storage": lambda: None}, timeout=0.2)
    try:
        assert readiness.run() == {"database": "timed out after 0.2s", "storage": "ok"}
        assert readiness.run()["database"] == "timed out after 0.2s (still checking)"
        assert len(calls) == 1
    finally:
        release.set()


def test_a_check_that_raises_is_a_failed_check_not_a_500() -> None:
    def broken() -> str | None:
        raise RuntimeError("boom")

    assert Readiness({"storage": broken}).run() == {"storage": "check failed (RuntimeError)"}


# --- the request log ----------------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, object]]]]:
    """What the root logger writes in the JSON format, as parsed objects."""
    import json

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_one_json_line_per_request_with_its_fields_and_no_secret(
    app: App, log_lines: Callable[[], list[dict[str, object]]]
) -> None:
    user = app.user()
    created = app.container.use_cases.create_api_key()(user.id, "laptop")
    secret_key = created.secret
    r = upload(
        app,
        {"Authorization": f"Bearer {secret_key}", "X-Request-ID": "edge-42.a", "User-Agent": "t/1"},
        ("a.png", "image/png", imagegen.png(20, 20)),
    )
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "edge-42.a"
    path, token = r.json["images"][0]["delete_url"].removeprefix(BASE_URL).split("?token=")
    gone = app.client.simulate_delete(path, params={"token": token})
    assert gone.status_code == 200
    generated = gone.headers["X-Request-ID"]
    assert len(generated) == 32

    lines = [line for line in log_lines() if line["logger"] == "imgtree.access"]
    assert len(lines) == 2
    uploaded, deleted = lines
    assert uploaded["request_id"] == "edge-42.a"
    assert {
        k: uploaded[k]
        for k in ("level", "msg", "method", "route", "path", "status", "client", "user_agent")
    } == {
        "level": "info",
        "msg": "request",
        "method": "POST",
        "route": "/api/v1/upload",
        "path": "/api/v1/upload",
        "status": 200,
        "client": "127.0.0.1",
        "user_agent": "t/1",
    }
    assert uploaded["user_id"] == str(user.id)
    assert uploaded["key_id"] == str(created.key.id)
    assert isinstance(uploaded["duration_ms"], float) and uploaded["bytes_in"] > 0
    assert isinstance(uploaded["bytes_out"], int) and uploaded["bytes_out"] > 0
    assert isinstance(uploaded["ts"], str) and uploaded["ts"].endswith("+00:00")
    assert deleted["request_id"] == generated
    assert (deleted["route"], deleted["path"]) == ("/api/images/{image_id}", path)
    everything = "\n".join(str(line) for line in log_lines())
    assert secret_key not in everything and token not in everything
    assert "token=" not in everything and "Bearer" not in everything


def test_a_request_id_that_is_not_sane_is_replaced(app: App) -> None:
    for bad in ("has space", "x" * 200, "<script>", "ünïcode"):
        r = app.client.simulate_get("/healthz", headers={"X-Request-ID": bad})
        assert r.headers["X-Request-ID"] != bad and len(r.headers["X-Request-ID"]) == 32


def test_credential_segments_of_a_path_are_logged_as_their_field(
    make_app: Callable[..., App], log_lines: Callable[[], list[dict[str, object]]]
) -> None:
    app = make_app(media_signing_key="k" * 40)
    signature = "A" * 43
    app.client.simulate_get(f"/media/signed/{signature}/100x100/abcd1234.png")
    (line,) = [x for x in log_lines() if x["logger"] == "imgtree.access"]
    assert line["path"] == "/media/signed/{signature}/100x100/abcd1234.png"
    assert signature not in str(log_lines())


def test_an_unexpected_error_is_logged_with_the_request_id(
    app: App, log_lines: Callable[[], list[dict[str, object]]]
) -> None:
    class Broken:
        def on_get(self, req: object, resp: object) -> None:
            raise RuntimeError("internal detail")

    app.client.app.add_route("/broken-for-test", Broken())
    r = app.client.simulate_get("/broken-for-test", headers={"X-Request-ID": "trace-1"})
    assert r.status_code == 500 and "internal detail" not in r.text
    error = next(x for x in log_lines() if x["logger"] == "imgtree.http")
    assert error["level"] == "error" and error["request_id"] == "trace-1"
    assert "RuntimeError: internal detail" in str(error["exc"])
    assert value(scrape(app), "imgtree_unhandled_errors_total") == 1


def test_the_text_format_is_one_readable_line() -> None:
    record = logging.LogRecord("imgtree.access", logging.INFO, __file__, 1, "request", None, None)
    record.request_id = "abc"
    record.fields = {"method": "GET", "status": 200, "user_id": None}
    line = TextFormatter().format(record)
    assert "\n" not in line
    assert line.endswith("info imgtree.access [abc] request method=GET status=200")


def test_log_and_metrics_settings_are_validated() -> None:
    assert Settings.from_env({}).log_format == "json"
    assert Settings.from_env({"IMGTREE_LOG_FORMAT": "TEXT"}).log_format == "text"
    assert Settings.from_env({"IMGTREE_LOG_LEVEL": "warning"}).log_level == "warning"
    assert Settings.from_env({"IMGTREE_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    for name, bad in (
        ("IMGTREE_LOG_FORMAT", "xml"),
        ("IMGTREE_LOG_LEVEL", "loud"),
        ("IMGTREE_METRICS_TOKEN", "short"),
        ("IMGTREE_METRICS_TOKEN", "has a space in it, sixteen+"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: bad})
    assert TOKEN not in repr(Settings.from_env({"IMGTREE_METRICS_TOKEN": TOKEN}))


def test_the_domain_and_adapters_never_import_prometheus() -> None:
    """The metrics stay behind entrypoints/metrics.py (import-linter enforces it too)."""
    import imgtree

    root = Path(imgtree.__file__).parent
    offenders = [
        p
        for layer in ("domain", "adapters")
        for p in (root / layer).rglob("*.py")
        if "prometheus" in p.read_text()
    ]
    assert offenders == []


def test_serve_clears_only_stale_value_files_of_an_operators_metrics_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imgtree.entrypoints import cli

    (tmp_path / "counter_123.db").write_bytes(b"stale")
    (tmp_path / "README").write_text("the operator's own file")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert cli._metrics_dir() == (str(tmp_path), False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README"]


def test_a_processing_error_is_logged_with_the_request_id(
    make_app: Callable[..., App],
    tmp_path: Path,
    log_lines: Callable[[], list[dict[str, object]]],
) -> None:
    app = make_app(backend="sqlite", process_socket=str(tmp_path / "gone.sock"))
    r = upload(
        app,
        {**app.auth(), "X-Request-ID": "upload-9"},
        ("a.png", "image/png", imagegen.png(8, 8)),
    )
    assert r.status_code == 503
    pool_lines = [x for x in log_lines() if x["logger"] == "imgtree.imaging"]
    assert pool_lines and all(x["request_id"] == "upload-9" for x in pool_lines)
    text_ = scrape(app)
    assert value(text_, "imgtree_upload_files_total", type="image/png", outcome="busy") == 1
    assert value(text_, "imgtree_processing_busy_total") == 1

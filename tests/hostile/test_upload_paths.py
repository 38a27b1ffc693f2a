"""The hostile-input corpus against every upload route, on memory, SQLite + local disk and
Postgres + S3 (moto).

For a refused input: the expected status and a JSON error without internals, nothing stored,
no image row, no quota used, and the server still answering. For an accepted one (CMYK,
16-bit, oversized metadata, polyglots, a declared type that lies): published with the real
type and sanitised bytes, with exactly one image and one thumbnail stored. For both: the
request cost less than 2 s of CPU (this process and its children) and raised the worker's
RSS by less than 256 MiB, as measured (`tests/hostile/cost.py`).

`make test` runs every case through all nine routes on SQLite + local disk, and each case
through two routes (picked by a stable hash of case and backend) on memory and on Postgres
+ S3. `make hostile` (IMGTREE_HOSTILE_FULL=1) runs every case x route x backend.
IMGTREE_HOSTILE_COSTS=<file> writes the measured costs (JSON, and a Markdown table per
hostile class next to it) at the end of the run.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from imgtree.domain.model import MAX_ORIGINAL_NAME
from tests.hostile import (
    ALL_BACKENDS,
    BACKENDS,
    KEY_PATTERN,
    MULTIPART_PATHS,
    PATHS,
    ROUTES,
    Harness,
    Result,
    assert_clean_error,
    build_app,
    make_harness,
    multipart,
    published,
)
from tests.hostile.corpus import CASES, HOSTILE_NAMES, IMAGES, Case
from tests.hostile.cost import Cost, measure
from tests.support.app import BASE_URL, App
from tests.support.multipart import encode

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@pytest.fixture(scope="session")
def corpus_bytes() -> dict[str, bytes]:
    """Every corpus file, generated once for the whole run."""
    return {case.id: case.make() for case in CASES}


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return make_harness(tmp_path_factory.mktemp(f"hostile-{request.param}"), request.param)


def check_refused(harness: Harness, before: Any, result: Result, expected: int) -> None:
    assert_clean_error(result.status, result.json, result.text, expected)
    after = harness.snapshot()
    assert after.keys == before.keys, "a refused upload left blobs behind"
    assert after.image_rows == before.image_rows, "a refused upload added an image row"
    assert after.used_bytes == before.used_bytes, "a refused upload consumed quota"
    assert harness.answering()


def check_published(
    harness: Harness, path: str, before: Any, result: Result, real_type: str, absent: bytes | None
) -> dict[str, Any]:
    assert result.status == 200, result.text[:500]
    image = published(result.json)
    media = harness.client.simulate_get(image["direct_url"].removeprefix(BASE_URL))
    assert media.status_code == 200
    assert media.headers["content-type"] == real_type
    assert media.headers["x-content-type-options"] == "nosniff"
    if absent is not None:
        assert absent not in media.content, "metadata or an appended payload was published"
    after = harness.snapshot()
    with harness.app.container.adapters.uow_factory()(read_only=True) as uow:
        row = uow.images.get_by_slug(image["id"])
    assert row is not None
    keys = {row.storage_key, row.thumb_key}
    assert all(KEY_PATTERN.match(k) for k in keys) and keys <= set(after.keys), keys
    # Nothing else stored; nothing new at all when an earlier test stored the same published
    # bytes (shared blobs: content-addressed keys).
    assert set(after.keys) - set(before.keys) <= keys
    assert not [k for k in after.keys if k.startswith("uploads/")], "a raw upload lingers"
    assert after.image_rows == before.image_rows + 1
    # Guests have no quota; accounts are charged the published (sanitised) bytes.
    charged = 0 if path.startswith("guest") else len(media.content)
    assert after.used_bytes - before.used_bytes == charged
    return image


def expected_status(case: Case, path: str) -> int:
    return case.by_path.get(path, case.status)


# --- the corpus x routes x backends, with the measured cost of each ------------------------

FULL = os.environ.get("IMGTREE_HOSTILE_FULL", "") not in ("", "0")
SAMPLED_ROUTES = 2  # per case on memory and Postgres + S3 in `make test`


def routes_for(case_id: str, backend: str) -> tuple[str, ...]:
    """All routes on SQLite (and everywhere under `make hostile`); elsewhere two routes half
    the list apart, chosen by a stable hash of case and backend."""
    if FULL or backend == "sqlite":
        return ROUTES
    digest = hashlib.sha256(f"{case_id}/{backend}".encode()).digest()
    first = int.from_bytes(digest[:4], "big") % len(ROUTES)
    step = len(ROUTES) // SAMPLED_ROUTES
    return tuple(ROUTES[(first + i * step) % len(ROUTES)] for i in range(SAMPLED_ROUTES))


CORPUS_RUNS = [
    pytest.param(backend, case, route, id=f"{backend}-{case.id}-{route}")
    for backend in ALL_BACKENDS
    for case in CASES
    for route in routes_for(case.id, backend)
]


def test_the_sample_covers_every_case_and_route() -> None:
    for backend in ALL_BACKENDS:
        runs = [(p.values[1], p.values[2]) for p in CORPUS_RUNS if p.values[0] == backend]
        assert {case.id for case, _ in runs} == {case.id for case in CASES}, backend
        assert {route for _, route in runs} == set(ROUTES), backend


class Harnesses:
    """One harness per backend for the corpus, built on first use (Postgres + S3 needs the
    session's database and moto server, and skips without them)."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.built: dict[str, Harness] = {}

    def get(self, backend: str, request: pytest.FixtureRequest) -> Harness:
        if backend not in self.built:
            extra: dict[str, Any] = {}
            if backend == "postgres_s3":
                extra["database_url"] = request.getfixturevalue("postgres_url")
                extra["s3_endpoint"] = request.getfixturevalue("moto_server")
            directory = self.factory.mktemp(f"hostile-corpus-{backend}")
            self.built[backend] = make_harness(directory, backend, **extra)
        return self.built[backend]

    def close(self) -> None:
        for harness in self.built.values():
            harness.app.container.shutdown_resources()


@pytest.fixture(scope="module")
def harnesses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harnesses]:
    built = Harnesses(tmp_path_factory)
    yield built
    built.close()


@attrs.define
class Ledger:
    """The measured cost of every corpus run, for the table in docs/security.md."""

    rows: list[dict[str, Any]] = attrs.Factory(list)

    def add(self, case: Case, size: int, backend: str, route: str, status: int, cost: Cost) -> None:
        self.rows.append(
            {
                "case": case.id,
                "group": case.group,
                "backend": backend,
                "route": route,
                "expected": expected_status(case, route),
                "status": status,
                "bytes": size,
                "cpu_ms": cost.cpu_ms,
                "wall_ms": round(cost.wall_s * 1000),
                "rss_mib": round(cost.rss_rise_mib, 1),
                "child_peak_mib": round(cost.child_peak_mib, 1),
                "children": cost.children,
            }
        )

    def write(self, target: Path) -> None:
        target.write_text(json.dumps(self.rows, indent=1))
        target.with_suffix(".md").write_text(cost_table(self.rows))


def cost_table(rows: list[dict[str, Any]]) -> str:
    """Per hostile class, then per case: runs, the expected statuses and the highest CPU and
    RSS of any run (over routes and backends; the class table names the case, route and
    backend that set the CPU figure). Order is the corpus order."""
    lines: list[str | None] = [
        "| Class | Cases | Expected | Runs | Max CPU ms (case, route, backend)"
        " | Max worker RSS rise MiB | Max decode-process peak RSS MiB | Wrong status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for group in dict.fromkeys(case.group for case in CASES):
        lines.append(_row(group, [r for r in rows if r["group"] == group], per_class=True))
    lines += [
        "",
        "| Case | Bytes | Expected | Runs | Max CPU ms (route, backend)"
        " | Max worker RSS rise MiB | Max decode-process peak RSS MiB | Wrong status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in CASES:
        lines.append(_row(case.id, [r for r in rows if r["case"] == case.id], per_class=False))
    return "\n".join(line for line in lines if line is not None) + "\n"


def _row(name: str, mine: list[dict[str, Any]], *, per_class: bool) -> str | None:
    if not mine:
        return None
    cpu = max(mine, key=lambda r: r["cpu_ms"])
    where = f"{cpu['route']}, {cpu['backend']}"
    if per_class:
        where = f"`{cpu['case']}`, {where}"
    count = len({r["case"] for r in mine}) if per_class else mine[0]["bytes"]
    expected = "/".join(str(s) for s in sorted({r["expected"] for r in mine}))
    return (
        f"| {name} | {count} | {expected} | {len(mine)} | {cpu['cpu_ms']} ({where})"
        f" | {max(r['rss_mib'] for r in mine):.1f} | {max(r['child_peak_mib'] for r in mine):.1f}"
        f" | {sum(r['status'] != r['expected'] for r in mine)} |"
    )


@pytest.fixture(scope="session")
def ledger() -> Iterator[Ledger]:
    book = Ledger()
    yield book
    target = os.environ.get("IMGTREE_HOSTILE_COSTS")
    if target and book.rows:
        book.write(Path(target))


@pytest.mark.parametrize(("backend", "case", "route"), CORPUS_RUNS)
def test_corpus_file(
    harnesses: Harnesses,
    corpus_bytes: dict[str, bytes],
    ledger: Ledger,
    request: pytest.FixtureRequest,
    backend: str,
    case: Case,
    route: str,
) -> None:
    harness = harnesses.get(backend, request)
    data = corpus_bytes[case.id]
    before = harness.snapshot()
    result = harness.upload(route, data, case.filename, case.content_type)
    assert result.cost is not None
    ledger.add(case, len(data), backend, route, result.status, result.cost)
    expected = expected_status(case, route)
    if expected != 200:
        check_refused(harness, before, result, expected)
        if result.json.get("images"):
            assert result.json["images"][0]["status"] == expected
    else:
        assert case.real_type is not None
        image = check_published(harness, route, before, result, case.real_type, case.absent)
        ext = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
        assert image["direct_url"].endswith("." + ext[case.real_type])
    over = result.cost.over_limits()
    assert over is None, f"{case.id} via {route} on {backend}: {over} ({result.cost.describe()})"


# --- file names ---------------------------------------------------------------------------


def _name_expected(name_id: str, path: str) -> int:
    return 200


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name_id", list(HOSTILE_NAMES))
def test_hostile_filename(harness: Harness, name_id: str, path: str) -> None:
    name = HOSTILE_NAMES[name_id]
    before = harness.snapshot()
    result = harness.upload(path, IMAGES["png"](), name, "image/png")
    expected = _name_expected(name_id, path)
    if expected != 200:
        check_refused(harness, before, result, expected)
        return
    image = check_published(harness, path, before, result, "image/png", None)
    # The stored display name is cleaned: no path, no control or bidi characters, bounded.
    with harness.app.container.adapters.uow_factory()() as uow:
        row = uow.images.get_by_slug(image["id"])
    assert row is not None
    # The storage keys come from the published bytes' hash only (KEY_PATTERN, checked above).
    for key in (row.storage_key, row.thumb_key):
        assert ".." not in key and "\\" not in key and "etc" not in key and "<" not in key
    stored = row.original_name
    assert stored and len(stored) <= MAX_ORIGINAL_NAME
    assert "/" not in stored and "\\" not in stored and not stored.startswith(".")
    assert all(ch.isprintable() for ch in stored) and not BIDI & set(stored)
    # Shown escaped: in the embed codes (imgtree's answers have them) and on the public page.
    codes = image.get("codes", {"html": ""})
    assert "<svg" not in codes["html"] and "<img src=x" not in codes["html"]
    page = harness.client.simulate_get(f"/i/{image['id']}")
    assert page.status_code == 200
    assert "<svg onload" not in page.text and "<img src=x" not in page.text
    if name_id == "html":
        assert "&lt;svg onload=alert(1)&gt;" in page.text


# --- multipart structure ------------------------------------------------------------------


def _parts(count: int, name: str, filename: str | None, data: bytes) -> tuple[bytes, str]:
    """`count` copies of one part, then a valid image: whatever the parser refuses, it must
    not have stored that last file either."""
    good, ctype = multipart("files", "ok.png", "image/png", IMAGES["png"]())
    boundary = ctype.split("boundary=", 1)[1]
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: image/png\r\n\r\n"
    return (head.encode() + data + b"\r\n") * count + good, ctype


def _multipart_bodies() -> dict[str, tuple[bytes, str]]:
    png = IMAGES["png"]()
    good, ctype = multipart("files", "ok.png", "image/png", png)
    boundary = ctype.split("boundary=", 1)[1]
    header_only = good[: good.index(b"Content-Type: image/png") + len(b"Content-Type: image/png")]
    return {
        "no-boundary": (good, "multipart/form-data"),
        "empty-boundary": (good, "multipart/form-data; boundary="),
        "wrong-boundary": (good, "multipart/form-data; boundary=----not-the-one"),
        "10000-field-parts": _parts(10_000, "note", None, b"x"),
        "10000-file-parts": _parts(10_000, "files", "a.png", png),
        "header-only-part": (header_only, ctype),
        "no-closing-boundary": (good[: good.rindex(f"--{boundary}--".encode())], ctype),
        "64kib-part-headers": (
            good.replace(b"Content-Type: image/png", b"X-Pad: " + b"p" * 65536, 1),
            ctype,
        ),
        "garbage-body": (b"\x00\xff" * 5000, ctype),
        "empty-body": (b"", ctype),
    }


# A body of unknown length (no Content-Length: falcon.testing sends none for an empty body,
# as a chunked request would have none) is 411, not the parser's 500.
EXPECTED_MULTIPART_STATUS = {"empty-body": 411}


MULTIPART_BODIES = _multipart_bodies()


@pytest.mark.parametrize("path", MULTIPART_PATHS)
@pytest.mark.parametrize("body_id", list(MULTIPART_BODIES))
def test_malformed_multipart(harness: Harness, body_id: str, path: str) -> None:
    body, ctype = MULTIPART_BODIES[body_id]
    before = harness.snapshot()
    r = harness.post(path, body, ctype)
    expected = EXPECTED_MULTIPART_STATUS.get(body_id, 400)
    check_refused(harness, before, Result(r.status_code, r.json, r.text, "upload"), expected)


@pytest.mark.parametrize("path", MULTIPART_PATHS)
def test_chunked_multipart_without_content_length_is_411(harness: Harness, path: str) -> None:
    body, ctype = multipart("files", "ok.png", "image/png", IMAGES["png"]())
    before = harness.snapshot()
    # As a chunked request arrives: no CONTENT_LENGTH, the server terminates the input.
    r = harness.post(
        path, b"", ctype, extras={"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True}
    )
    check_refused(harness, before, Result(r.status_code, r.json, r.text, "upload"), 411)


# --- JSON bodies --------------------------------------------------------------------------

JSON_ROUTES = {
    "v1-json": "/api/v1/upload",
    "v1-presign": "/api/v1/upload/presign",
    "v1-complete": "/api/v1/upload/complete",
    "v1-complete-batch": "/api/v1/upload/complete/batch",
    "session-presign": "/api/upload/presign",
    "guest-presign": "/api/upload/guest/presign",
}
# Control bodies (presign, complete) are bounded at 64 KiB; upload bodies at the file limit,
# of which everything but the base64 string (the envelope) is bounded at 64 KiB too.
DEEP = b"[" * 100_000 + b"]" * 100_000
JSON_BODIES: dict[str, tuple[bytes, int, int]] = {
    # id: (body, status on the upload route, status on the control routes)
    "array": (b"[]", 400, 400),
    "string": (b'"file_base64"', 400, 400),
    "number": (b"1e999999", 400, 400),
    "null": (b"null", 400, 400),
    "invalid-json": (b"{'file_base64': 'x'}", 400, 400),
    "invalid-utf8": (b'{"filename": "\xff\xfe"}', 400, 400),
    "nested-100000": (DEEP, 413, 413),
    "nested-30000-in-object": (b'{"a":' + b"[" * 30_000 + b"]" * 30_000 + b"}", 400, 400),
    "empty": (b"", 400, 400),
}


def _post_json_route(harness: Harness, route: str, body: bytes) -> Any:
    headers = {"Content-Type": "application/json"}
    if route.startswith("/api/v1/"):
        return harness.client.simulate_post(route, body=body, headers={**harness.auth, **headers})
    if route.startswith("/api/upload/guest"):
        return harness.client.simulate_post(route, body=body, headers=headers)
    return harness.browser.request("POST", route, body=body, headers=headers)


@pytest.mark.parametrize("route_id", list(JSON_ROUTES))
@pytest.mark.parametrize("body_id", list(JSON_BODIES))
def test_hostile_json(harness: Harness, body_id: str, route_id: str) -> None:
    body, upload_status, control_status = JSON_BODIES[body_id]
    expected = upload_status if route_id == "v1-json" else control_status
    before = harness.snapshot()
    r = _post_json_route(harness, JSON_ROUTES[route_id], body)
    check_refused(harness, before, Result(r.status_code, r.json, r.text, "upload"), expected)


@pytest.mark.parametrize(
    ("doc_id", "doc", "status"),
    [
        ("base64-number", {"file_base64": 12345}, 400),
        ("base64-list", {"file_base64": ["iVBORw0KGgo="]}, 400),
        ("base64-object", {"base64": {"data": "x"}}, 400),
        ("base64-garbage", {"file_base64": "@@@ not base64 !!!"}, 400),
        ("base64-empty", {"file_base64": ""}, 400),
        ("data-url-svg", {"file_base64": "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="}, 415),
        ("album-not-uuid", {"file_base64": "iVBORw0KGgo=", "albumId": "../../x"}, 400),
        ("filename-object", {"file_base64": "AA==", "filename": {"$ne": 1}}, 415),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_hostile_base64_documents(harness: Harness, doc_id: str, doc: Any, status: int) -> None:
    before = harness.snapshot()
    r = harness.client.simulate_post("/api/v1/upload", json=doc, headers=harness.auth)
    check_refused(harness, before, Result(r.status_code, r.json, r.text, "upload"), status)


# --- bodies too large to read -------------------------------------------------------------


class EndlessBody(io.RawIOBase):
    """A request body that would be `size` bytes long, produced on demand and counted."""

    def __init__(self, size: int, fill: bytes = b"A") -> None:
        self.size, self.fill, self.consumed = size, fill, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.consumed)
        buffer[:n] = self.fill * n
        self.consumed += n
        return n


FIFTY_MB = 50 * 1000 * 1000


@pytest.fixture(params=BACKENDS)
def small_limit_app(request: pytest.FixtureRequest, tmp_path: Path) -> App:
    """An app whose file limit is 1 MiB (so 50 MB is far past every derived bound)."""
    return build_app(tmp_path, request.param, max_upload_bytes=1 << 20)


@pytest.mark.parametrize(
    ("route_id", "content_type"),
    [
        ("v1-json-base64", "application/json"),
        ("v1-multipart", "multipart/form-data; boundary=x"),
        ("v1-presign", "application/json"),
    ],
)
def test_50_mb_body_is_413_before_it_is_read(
    small_limit_app: App, route_id: str, content_type: str
) -> None:
    app = small_limit_app
    route = "/api/v1/upload/presign" if route_id == "v1-presign" else "/api/v1/upload"
    body = EndlessBody(FIFTY_MB)
    before = app.stored_keys()
    r = app.client.simulate_post(
        route,
        headers={**app.auth(), "Content-Type": content_type},
        extras={"wsgi.input": body, "CONTENT_LENGTH": str(FIFTY_MB)},
    )
    assert_clean_error(r.status_code, r.json, r.text, 413)
    assert body.consumed == 0, f"{body.consumed} bytes were read before refusing"
    assert app.stored_keys() == before
    assert app.client.simulate_get("/api/v1/upload").status_code == 200


def test_50_mb_base64_without_a_length_stops_at_the_limit(small_limit_app: App) -> None:
    """A body that lies about nothing but is too big is cut off as it streams in."""
    app = small_limit_app
    doc = json.dumps({"file_base64": base64.b64encode(b"\0" * (3 << 20)).decode()}).encode()
    r = app.client.simulate_post(
        "/api/v1/upload", body=doc, headers={**app.auth(), "Content-Type": "application/json"}
    )
    assert_clean_error(r.status_code, r.json, r.text, 413)
    assert app.stored_keys() == []


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/json",
    ],
)
def test_chevereto_50_mb_body_is_413_before_it_is_read(
    small_limit_app: App, content_type: str
) -> None:
    app = small_limit_app
    key = app.key_for(app.user())
    body = EndlessBody(FIFTY_MB)
    r = app.client.simulate_post(
        "/api/1/upload",
        headers={"X-API-Key": key, "Content-Type": content_type},
        extras={"wsgi.input": body, "CONTENT_LENGTH": str(FIFTY_MB)},
    )
    assert_clean_error(r.status_code, r.json, r.text, 413)
    assert body.consumed == 0, f"{body.consumed} bytes were read before refusing"
    assert app.stored_keys() == []


class SourceBody(EndlessBody):
    """`key=<key>&source=` then base64 characters, `size` bytes in all, produced on demand."""

    def __init__(self, head: bytes, size: int) -> None:
        super().__init__(size)
        self.head = head

    def readinto(self, buffer: Any) -> int:
        if self.consumed < len(self.head):
            n = min(len(buffer), len(self.head) - self.consumed)
            buffer[:n] = self.head[self.consumed : self.consumed + n]
            self.consumed += n
            return n
        return super().readinto(buffer)


@pytest.mark.parametrize("key_in", ["header", "body"])
def test_chevereto_endless_base64_stops_at_the_limit(small_limit_app: App, key_in: str) -> None:
    """A urlencoded base64 `source` of unknown length (chunked): decoded as it streams, cut
    off at the body bound (4/3 of the 1 MiB file limit and 1 MiB of fields), never held."""
    app = small_limit_app
    key = app.key_for(app.user())
    head = b"source=" if key_in == "header" else f"key={key}&source=".encode()
    body = SourceBody(head, FIFTY_MB)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if key_in == "header":
        headers["X-API-Key"] = key
    with measure() as cost:
        r = app.client.simulate_post(
            "/api/1/upload",
            headers=headers,
            extras={"wsgi.input": body, "wsgi.input_terminated": True},
        )
    assert_clean_error(r.status_code, r.json, r.text, 413)
    assert body.consumed < 4 << 20, body.consumed
    assert cost.rss_rise_mib < 16, cost.describe()
    assert app.stored_keys() == []


def test_put_with_a_50_mb_length_is_413_before_it_is_read(small_limit_app: App) -> None:
    app = small_limit_app
    headers = app.auth()
    data = IMAGES["png"]()
    doc = app.client.simulate_post(
        "/api/v1/upload/presign",
        json={"filename": "a.png", "contentType": "image/png", "sizeBytes": len(data)},
        headers=headers,
    ).json
    url = doc["put_url"].removeprefix(BASE_URL)
    path, _, query = url.partition("?")
    body = EndlessBody(FIFTY_MB)
    r = app.client.simulate_put(
        path,
        query_string=query,
        headers={"Content-Type": "image/png"},
        extras={"wsgi.input": body, "CONTENT_LENGTH": str(FIFTY_MB)},
    )
    assert_clean_error(r.status_code, r.json, r.text, 413)
    assert body.consumed == 0
    assert app.stored_keys() == []
    # The URL was not used up by the refusal: the real bytes still go through.
    put = app.client.simulate_put(
        path, query_string=query, body=data, headers={"Content-Type": "image/png"}
    )
    assert put.status_code == 200


def test_multipart_batch_mixing_hostile_and_good_files(harness: Harness) -> None:
    """Per-file errors in order; only the good file is stored and charged."""
    files = [
        ("file", "bomb.png", "image/png", CASES_BY_ID["bomb-png-60000x60000"].make()),
        ("file", "ok.png", "image/png", IMAGES["png"]()),
        ("file", "elf.png", "image/png", CASES_BY_ID["elf-as-webp"].make()),
    ]
    body, ctype = encode(files)
    before = harness.snapshot()
    r = harness.post("v1-multipart", body, ctype)
    assert r.status_code == 200
    bomb, ok, elf = r.json["images"]
    assert bomb["status"] == 422 and elf["status"] == 415 and "url" in ok
    after = harness.snapshot()
    with harness.app.container.adapters.uow_factory()(read_only=True) as uow:
        row = uow.images.get_by_slug(ok["id"])
    assert row is not None
    # Only the good file's keys (already there if an earlier test stored the same bytes).
    keys = {row.storage_key, row.thumb_key}
    assert keys <= set(after.keys) and set(after.keys) - set(before.keys) <= keys
    assert after.image_rows == before.image_rows + 1


CASES_BY_ID = {case.id: case for case in CASES}


def test_50_mb_json_base64_is_decoded_as_it_arrives(tmp_path: Path) -> None:
    """A 50 MB image as JSON base64 (a ~67 MB body): the worker holds neither the body, nor
    its string, nor the decoded file (json_upload streams it to disk). Zeros are no image,
    so it ends as a clean 415 once decoded, and nothing is stored."""
    app = build_app(tmp_path, "sqlite", max_upload_bytes=64 << 20)
    try:
        headers = {**app.auth(), "Content-Type": "application/json"}
        body = b'{"filename": "big.png", "file_base64": "'
        body += base64.b64encode(b"\0" * FIFTY_MB) + b'"}'
        with measure() as cost:
            r = app.client.simulate_post("/api/v1/upload", body=body, headers=headers)
        assert_clean_error(r.status_code, r.json, r.text, 415)
        assert app.stored_keys() == []
        # Before: body + string + decoded file, ~3x the file (~150 MiB). Now: a few chunks.
        assert cost.rss_rise_mib < 16, cost.describe()
        assert cost.over_limits() is None, cost.describe()
    finally:
        app.container.shutdown_resources()


ESCAPE_HEAVY = {
    # file_base64 strings that make the streaming decoder work hardest per byte (JSON escapes
    # on every character, whitespace everywhere), and a large value outside the envelope bound.
    "escaped-newlines": (b'{"file_base64": "' + b"QUFB\\n" * 2_000_000 + b'"}', 415),
    "unicode-escapes": (b'{"file_base64": "' + b"\\u0041" * 2_000_000 + b'"}', 415),
    "escaped-slashes": (b'{"file_base64": "' + b"\\/\\/\\/\\/" * 1_000_000 + b'"}', 415),
    "whitespace-only": (b'{"file_base64": "' + b" " * 12_000_000 + b'"}', 400),
    "big-other-field": (b'{"filename": "' + b"x" * 12_000_000 + b'", "file_base64": "AAAA"}', 413),
}


@pytest.mark.parametrize("case", list(ESCAPE_HEAVY))
def test_escape_heavy_json_bodies_cost_little(tmp_path: Path, case: str) -> None:
    """The JSON base64 decoder's worst inputs (~12 MB each): a clean refusal, bounded CPU and
    no memory growth with the body."""
    body, expected = ESCAPE_HEAVY[case]
    app = build_app(tmp_path, "sqlite", max_upload_bytes=64 << 20)
    try:
        headers = {**app.auth(), "Content-Type": "application/json"}
        with measure() as cost:
            r = app.client.simulate_post("/api/v1/upload", body=body, headers=headers)
        assert_clean_error(r.status_code, r.json, r.text, expected)
        assert app.stored_keys() == []
        assert cost.rss_rise_mib < 24, cost.describe()
        assert cost.over_limits() is None, cost.describe()
    finally:
        app.container.shutdown_resources()

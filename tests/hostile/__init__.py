"""The hostile-input suite: every upload path, every backend, one harness.

`Harness` is one app (memory, SQLite + local disk, or Postgres + S3 on moto) with one account
that has a quota, an API key for it and a signed-in browser session, and knows how to send a
file through each of the nine upload routes. A test takes a `snapshot()` before and after a
request to prove that a refusal stored nothing, added no image row and consumed no quota;
`upload` also measures what the request cost (`tests/hostile/cost.py`).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import falcon.testing
import requests
import sqlalchemy as sa

from imgtree.adapters.memory import MemoryBlobStorage, MemoryStore
from imgtree.entrypoints.settings import Settings
from tests.hostile.cost import Cost, measure
from tests.support.app import BASE_URL, App, backend_app
from tests.support.browser import Browser, sign_up

# The request-level tests run on these two; the file corpus also on "postgres_s3".
BACKENDS = ("memory", "sqlite")
ALL_BACKENDS = ("memory", "sqlite", "postgres_s3")
# Every way a file gets in: v1 with a key (multipart, JSON base64, presign + PUT + complete,
# the same in a batch of presigns), the signed-in web app (multipart, presign) and guests
# (multipart, presign). On S3 the presigned PUT goes to the bucket (moto), elsewhere to the
# app's own PUT route.
ROUTES = (
    "v1-multipart",
    "v1-json",
    "v1-presign",
    "v1-presign-batch",
    "session",
    "session-presign",
    "guest",
    "guest-presign",
    "chevereto",  # POST /api/1/upload: `source`, the key in X-API-Key, Chevereto's answers
)
PATHS = ROUTES
PRESIGN_ROUTES = ("v1-presign", "v1-presign-batch", "session-presign", "guest-presign")
MULTIPART_PATHS = ("v1-multipart", "session", "guest", "chevereto")
QUOTA = 1 << 30
# Content-addressed: the SHA-256 (hex) of the published bytes.
KEY_PATTERN = re.compile(r"^(images|thumbs)/[0-9a-f]{64}\.[a-z]{3,4}$")
# What must never show in an error body: tracebacks, source paths, exception class names.
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|/work/|/tmp/|Error\(|(?<![0-9])0x[0-9a-f]{6,}"
)


def build_app(
    directory: Path,
    backend: str,
    *,
    database_url: str | None = None,
    s3_endpoint: str | None = None,
    **overrides: object,
) -> App:
    """The app as tests/conftest.py's `make_app` builds it, for a module- or session-scoped
    fixture (make_app is per test). "postgres_s3" needs the session's `postgres_url` and
    `moto_server` (tests/support/pg.py, tests/support/s3.py)."""
    values: dict[str, object] = {
        "base_url": BASE_URL,
        "media_dir": directory / "media",
        "database_url": f"sqlite:///{directory / 'imgtree.sqlite3'}",
        "rate_limit_per_minute": 100_000,
        "guest_rate_limit_per_minute": 100_000,
        "default_quota_bytes": QUOTA,
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    return backend_app(backend, settings, database_url=database_url, s3_endpoint=s3_endpoint)


def memory_store(app: App) -> MemoryStore:
    store: MemoryStore = app.container.adapters.store()
    return store


def image_rows(app: App) -> int:
    """Every image row, deleted ones included."""
    if isinstance(app.storage, MemoryBlobStorage):
        return len(memory_store(app).tables.images)
    with app.container.adapters.engine().connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM images")).scalar_one())


def used_bytes(app: App, user_id: uuid.UUID) -> int:
    with app.container.adapters.uow_factory()() as uow:
        user = uow.users.get(user_id)
    assert user is not None
    return user.used_bytes


@attrs.frozen
class Snapshot:
    keys: list[str]
    image_rows: int
    used_bytes: int


@attrs.frozen
class Result:
    status: int
    json: Any
    text: str
    step: str  # which request answered: "upload", "presign", "put" or "complete"
    cost: Cost | None = None  # measured over every request of the route (`Harness.upload`)


def multipart_filename(name: str) -> str:
    """A file name as browsers put it in Content-Disposition (WHATWG: LF, CR, " escaped)."""
    return name.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")


def multipart(field: str, filename: str, content_type: str, data: bytes) -> tuple[bytes, str]:
    boundary = f"----hostile{uuid.uuid4().hex}"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; '
        f'filename="{multipart_filename(filename)}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@attrs.define
class Harness:
    app: App
    backend: str
    browser: Browser
    user_id: uuid.UUID
    key: str

    @property
    def client(self) -> falcon.testing.TestClient:
        return self.app.client

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def snapshot(self) -> Snapshot:
        return Snapshot(
            self.app.stored_keys(), image_rows(self.app), used_bytes(self.app, self.user_id)
        )

    def answering(self) -> bool:
        return self.client.simulate_get("/api/v1/upload").status_code == 200

    def post(
        self, path: str, body: bytes, content_type: str, **kwargs: Any
    ) -> falcon.testing.Result:
        """POST a raw body to the upload route of `path`, authenticated as that path is."""
        headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
        if path in ("v1-multipart", "v1-json"):
            return self.client.simulate_post(
                "/api/v1/upload", body=body, headers={**self.auth, **headers}, **kwargs
            )
        if path == "session":
            return self.browser.request("POST", "/api/upload", body=body, headers=headers, **kwargs)
        if path == "guest":
            return self.client.simulate_post(
                "/api/upload/guest", body=body, headers=headers, **kwargs
            )
        if path == "chevereto":
            return self.client.simulate_post(
                "/api/1/upload", body=body, headers={"X-API-Key": self.key, **headers}, **kwargs
            )
        raise ValueError(path)

    def upload(self, path: str, data: bytes, filename: str, content_type: str) -> Result:
        """Send one file through route `path` as a well-behaved client of that route would,
        measuring the CPU and memory of every request it takes (bodies are built first)."""
        if path in PRESIGN_ROUTES:
            with measure() as cost:
                result = self._presigned(path, data, filename, content_type)
            return attrs.evolve(result, cost=cost)
        if path == "v1-json":
            doc = {
                "filename": filename,
                "contentType": content_type,
                "file_base64": base64.b64encode(data).decode(),
            }
            body, ctype = json.dumps(doc).encode(), "application/json"
            del doc
        else:
            field = {"v1-multipart": "file", "chevereto": "source"}.get(path, "files")
            body, ctype = multipart(field, filename, content_type, data)
        with measure() as cost:
            r = self.post(path, body, ctype)
        return Result(r.status_code, r.json, r.text, "upload", cost)

    def _control(self, path: str, route: str, doc: Any) -> falcon.testing.Result:
        """A JSON control request (presign, complete) authenticated as route `path` is."""
        if path.startswith("v1-"):
            return self.client.simulate_post(f"/api/v1/upload{route}", json=doc, headers=self.auth)
        if path == "session-presign":
            return self.browser.request("POST", f"/api/upload{route}", json=doc)
        return self.client.simulate_post(f"/api/upload/guest{route}", json=doc)

    def _put(self, url: str, data: bytes, content_type: str) -> Result:
        if url.startswith(BASE_URL):  # local and memory storage: the app's own PUT route
            parts = urlsplit(url)
            put = self.client.simulate_put(
                parts.path,
                query_string=parts.query,
                body=data,
                headers={"Content-Type": content_type},
            )
            return Result(put.status_code, put.json, put.text, "put")
        assert self.backend == "postgres_s3", url
        answer = requests.put(url, data=data, headers={"Content-Type": content_type}, timeout=30)
        return Result(answer.status_code, None, answer.text, "put")

    def _presigned(self, path: str, data: bytes, filename: str, content_type: str) -> Result:
        doc = {"filename": filename, "contentType": content_type, "sizeBytes": max(1, len(data))}
        batch = path == "v1-presign-batch"
        r = self._control(
            path, "/presign/batch" if batch else "/presign", {"files": [doc]} if batch else doc
        )
        if r.status_code != 200:
            return Result(r.status_code, r.json, r.text, "presign")
        signed = r.json
        if batch:
            assert r.json["success"] is True and len(r.json["uploads"]) == 1, r.text[:500]
            (signed,) = r.json["uploads"]
            if "error" in signed:  # refused in a batch: the item carries the status
                assert isinstance(signed["status"], int) and "put_url" not in signed, r.text
                return Result(
                    signed["status"],
                    {"success": False, "error": signed["error"]},
                    r.text,
                    "presign",
                )
        put = self._put(signed["put_url"], data, content_type)
        if put.status != 200:
            return put
        token = signed["completion_token"]
        if batch:
            done = self._control(path, "/complete/batch", {"completion_tokens": [token]})
        else:
            done = self._control(path, "/complete", {"completion_token": token})
        return Result(done.status_code, done.json, done.text, "complete")


def make_harness(directory: Path, backend: str, **overrides: Any) -> Harness:
    app = build_app(directory, backend, **overrides)
    browser = sign_up(app)
    user_id = uuid.UUID(browser.user_id)
    with app.container.adapters.uow_factory()() as uow:
        user = uow.users.get(user_id)
    assert user is not None and user.quota_bytes == QUOTA
    return Harness(app, backend, browser, user_id, app.key_for(user))


def published(doc: Any) -> dict[str, Any]:
    """The one published image of an upload's answer, as {id, direct_url}: imgtree's shape
    (`images`) or Chevereto's (`image`, from POST /api/1/upload)."""
    if "status_code" in doc:
        assert doc["status_code"] == 200 and doc["status_txt"] == "OK", doc
        return {"id": doc["image"]["id_encoded"], "direct_url": doc["image"]["url"]}
    assert doc["success"] is True, doc
    (image,) = doc["images"]
    return dict(image)


def assert_clean_error(status: int, doc: Any, text: str, expected: int) -> None:
    """The refusal is the documented JSON error, with the expected status and no internals:
    imgtree's `{"success": false, "error"}` or, from POST /api/1/upload, Chevereto's
    `{"status_code", "error": {"message", "code", "context"}, "status_txt"}`."""
    assert status == expected, text[:500]
    assert isinstance(doc, dict), text[:500]
    if "status_code" in doc:
        assert doc["status_code"] == status and isinstance(doc.get("status_txt"), str), doc
        message = doc["error"]["message"]
        assert isinstance(message, str) and message, doc
        assert not LEAKS.search(text), text[:500]
        return
    assert doc.get("success") is False and isinstance(doc.get("error"), str) and doc["error"]
    for item in doc.get("images") or []:
        assert isinstance(item.get("error"), str) and isinstance(item.get("status"), int)
        assert "url" not in item
    assert not LEAKS.search(text), text[:500]

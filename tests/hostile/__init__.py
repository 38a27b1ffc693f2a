"""The hostile-input suite: every upload path, every backend, one harness.

`Harness` is one app (memory, or SQLite + local disk) with one account that has a quota, an
API key for it and a signed-in browser session, and knows how to send a file through each of
the five upload paths. A test takes a `snapshot()` before and after a request to prove that a
refusal stored nothing, added no image row and consumed no quota.
"""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import falcon.testing
import sqlalchemy as sa
from dependency_injector import providers

from imgtree.adapters.memory import (
    MemoryBlobStorage,
    MemoryRateLimiter,
    MemoryStore,
    memory_uow_factory,
)
from imgtree.adapters.sql.migrate import upgrade
from imgtree.adapters.system import SystemClock
from imgtree.entrypoints.container import Container
from imgtree.entrypoints.http.app import create_app
from imgtree.entrypoints.settings import Settings
from tests.conftest import BASE_URL, App
from tests.http.test_session_api import Browser, sign_up

BACKENDS = ("memory", "sqlite")
# Every way a file gets in: v1 with a key (multipart, JSON base64, presign + app PUT +
# complete), the signed-in web app, and guests.
PATHS = ("v1-multipart", "v1-json", "presign", "session", "guest")
MULTIPART_PATHS = ("v1-multipart", "session", "guest")
QUOTA = 1 << 30
KEY_PATTERN = re.compile(r"^(images|thumbs)/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.[a-z]{3,4}$")
# What must never show in an error body: tracebacks, source paths, exception class names.
LEAKS = re.compile(r"Traceback|File \"|\.py\b|site-packages|/work/|/tmp/|Error\(|0x[0-9a-f]{6,}")


def build_app(directory: Path, backend: str, **overrides: object) -> App:
    """The app as tests/conftest.py's `make_app` builds it, for a module- or session-scoped
    fixture (make_app is per test)."""
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
    container = Container(settings=settings)
    storage: Any
    if backend == "sqlite":
        upgrade(settings.database_url)
        storage = container.storage()
    else:
        storage = MemoryBlobStorage(SystemClock())
        container.uow_factory.override(providers.Object(memory_uow_factory(MemoryStore())))
        container.storage.override(providers.Object(storage))
        container.rate_limiter.override(providers.Object(MemoryRateLimiter(container.clock())))
    return App(container, falcon.testing.TestClient(create_app(container)), storage)


def memory_store(app: App) -> MemoryStore:
    return app.container.uow_factory()()._store  # type: ignore[no-any-return, attr-defined]


def image_rows(app: App) -> int:
    """Every image row, deleted ones included."""
    if isinstance(app.storage, MemoryBlobStorage):
        return len(memory_store(app).tables.images)
    with app.container.engine().connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM images")).scalar_one())


def used_bytes(app: App, user_id: uuid.UUID) -> int:
    with app.container.uow_factory()() as uow:
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
        raise ValueError(path)

    def upload(self, path: str, data: bytes, filename: str, content_type: str) -> Result:
        """Send one file through `path` the way a well-behaved client of that path would."""
        if path == "presign":
            return self._presigned(data, filename, content_type)
        if path == "v1-json":
            doc = {
                "filename": filename,
                "contentType": content_type,
                "file_base64": base64.b64encode(data).decode(),
            }
            r = self.client.simulate_post("/api/v1/upload", json=doc, headers=self.auth)
            return Result(r.status_code, r.json, r.text, "upload")
        field = "file" if path == "v1-multipart" else "files"
        body, ctype = multipart(field, filename, content_type, data)
        r = self.post(path, body, ctype)
        return Result(r.status_code, r.json, r.text, "upload")

    def _presigned(self, data: bytes, filename: str, content_type: str) -> Result:
        doc = {"filename": filename, "contentType": content_type, "sizeBytes": max(1, len(data))}
        r = self.client.simulate_post("/api/v1/upload/presign", json=doc, headers=self.auth)
        if r.status_code != 200:
            return Result(r.status_code, r.json, r.text, "presign")
        put_url = urlsplit(r.json["put_url"])
        assert r.json["put_url"].startswith(BASE_URL)  # local storage: the app's own PUT route
        put = self.client.simulate_put(
            put_url.path,
            query_string=put_url.query,
            body=data,
            headers={"Content-Type": content_type},
        )
        if put.status_code != 200:
            return Result(put.status_code, put.json, put.text, "put")
        done = self.client.simulate_post(
            "/api/v1/upload/complete",
            json={"completion_token": r.json["completion_token"]},
            headers=self.auth,
        )
        return Result(done.status_code, done.json, done.text, "complete")


def make_harness(directory: Path, backend: str, **overrides: object) -> Harness:
    app = build_app(directory, backend, **overrides)
    browser = sign_up(app)
    user_id = uuid.UUID(browser.user_id)
    with app.container.uow_factory()() as uow:
        user = uow.users.get(user_id)
    assert user is not None and user.quota_bytes == QUOTA
    return Harness(app, backend, browser, user_id, app.key_for(user))


def assert_clean_error(status: int, doc: Any, text: str, expected: int) -> None:
    """The refusal is the documented JSON error, with the expected status and no internals."""
    assert status == expected, text[:500]
    assert isinstance(doc, dict), text[:500]
    assert doc.get("success") is False and isinstance(doc.get("error"), str) and doc["error"]
    for item in doc.get("images") or []:
        assert isinstance(item.get("error"), str) and isinstance(item.get("status"), int)
        assert "url" not in item
    assert not LEAKS.search(text), text[:500]

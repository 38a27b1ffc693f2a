"""The app under test: a container, a falcon test client on it, and the storage it writes to.

A backend is the adapters container the app runs on (entrypoints/containers): tests choose
one, they do not override providers one by one. `backend_app` builds the app on memory
adapters, SQLite + local disk, or Postgres + S3; the `make_app` / `app` fixtures in
tests/conftest.py and the hostile harness (tests/hostile) call it.
"""

from __future__ import annotations

import uuid

import attrs
import falcon.testing

from imgtree.adapters.memory import MemoryBlobStorage
from imgtree.adapters.sql.migrate import upgrade
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.storage.s3 import S3BlobStorage
from imgtree.domain.model import User
from imgtree.entrypoints.containers import (
    Application,
    MemoryAdapters,
    ProductionAdapters,
    SystemAdapters,
    build_container,
)
from imgtree.entrypoints.http.app import create_app
from imgtree.entrypoints.settings import Settings
from tests.support import s3
from tests.support.pg import truncate_all

BASE_URL = "http://img.test"

# "sqlite" and "postgres_s3" are the same container with different settings.
ADAPTERS: dict[str, type[SystemAdapters]] = {
    "memory": MemoryAdapters,
    "sqlite": ProductionAdapters,  # SQLite + local disk
    "postgres_s3": ProductionAdapters,  # Postgres + S3 (a moto server)
}


@attrs.define
class App:
    container: Application
    client: falcon.testing.TestClient
    storage: MemoryBlobStorage | LocalBlobStorage | S3BlobStorage

    def stored_keys(self) -> list[str]:
        return sorted(self.storage.iter_keys())

    def user(self, email: str | None = None, **kwargs: object) -> User:
        return self.container.use_cases.create_user()(
            email or f"{uuid.uuid4().hex[:8]}@example.com", **kwargs
        )

    def key_for(self, user: User, name: str = "test") -> str:
        return self.container.use_cases.create_api_key()(user.id, name).secret

    def auth(self, user: User | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key_for(user or self.user())}"}


def backend_app(
    backend: str,
    settings: Settings,
    *,
    database_url: str | None = None,
    s3_endpoint: str | None = None,
) -> App:
    """The app on one backend's adapters container, its schema migrated and its storage
    ready. "postgres_s3" needs a database (tests/support/pg.py) and a moto server
    (tests/support/s3.py): the settings then name that database and a new bucket, as a
    deployment's would. Whoever builds it calls `app.container.shutdown_resources()`."""
    if backend == "postgres_s3":
        assert database_url and s3_endpoint, "postgres_s3 needs a database and a moto server"
        settings = attrs.evolve(
            settings,
            database_url=database_url,
            storage="s3",
            s3_bucket=s3.new_bucket_name(),
            s3_endpoint_url=s3_endpoint,
            s3_region=s3.REGION,
            s3_access_key_id=s3.ACCESS_KEY,
            s3_secret_access_key=s3.SECRET_KEY,
            s3_path_style=True,
        )
    container = build_container(settings, adapters=ADAPTERS[backend])
    if backend != "memory":
        upgrade(settings.database_url)
    if backend == "postgres_s3":
        truncate_all(container.adapters.engine())
        container.adapters.storage().ensure_bucket()
    return App(
        container, falcon.testing.TestClient(create_app(container)), container.adapters.storage()
    )

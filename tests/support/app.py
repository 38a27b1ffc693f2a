"""The app under test: a container, a falcon test client on it, and the storage it writes to.

Built by the `make_app` / `app` fixtures in tests/conftest.py on memory adapters, SQLite +
local disk, or Postgres + S3.
"""

from __future__ import annotations

import uuid

import attrs
import falcon.testing

from imgtree.adapters.memory import MemoryBlobStorage
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.storage.s3 import S3BlobStorage
from imgtree.domain.model import User
from imgtree.entrypoints.container import Container

BASE_URL = "http://img.test"


@attrs.define
class App:
    container: Container
    client: falcon.testing.TestClient
    storage: MemoryBlobStorage | LocalBlobStorage | S3BlobStorage

    def stored_keys(self) -> list[str]:
        return sorted(self.storage.iter_keys())

    def user(self, email: str | None = None, **kwargs: object) -> User:
        return self.container.create_user()(
            email or f"{uuid.uuid4().hex[:8]}@example.com", **kwargs
        )

    def key_for(self, user: User, name: str = "test") -> str:
        return self.container.create_api_key()(user.id, name).secret

    def auth(self, user: User | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key_for(user or self.user())}"}

"""Shared fixtures: an app wired to in-memory adapters, users and API keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import attrs
import falcon.testing
import pytest
from dependency_injector import providers

from imgtree.adapters.memory import MemoryBlobStorage, MemoryStore, memory_uow_factory
from imgtree.adapters.system import SystemClock
from imgtree.domain.model import User
from imgtree.entrypoints.container import Container
from imgtree.entrypoints.http.app import create_app
from imgtree.entrypoints.settings import Settings

BASE_URL = "http://img.test"


@attrs.define
class App:
    container: Container
    client: falcon.testing.TestClient
    store: MemoryStore
    storage: MemoryBlobStorage

    def user(self, email: str | None = None, **kwargs: object) -> User:
        return self.container.create_user()(email or f"{uuid.uuid4().hex[:8]}@example.com", **kwargs)

    def key_for(self, user: User, name: str = "test") -> str:
        return self.container.create_api_key()(user.id, name).secret

    def auth(self, user: User | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key_for(user or self.user())}"}


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., App]:
    def build(**settings_overrides: object) -> App:
        values: dict[str, object] = {
            "base_url": BASE_URL,
            "media_dir": tmp_path / "media",
            "database_url": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "rate_limit_per_minute": 10_000,
        }
        values.update(settings_overrides)
        container = Container(settings=Settings(**values))  # type: ignore[arg-type]
        store = MemoryStore()
        storage = MemoryBlobStorage(SystemClock())
        container.uow_factory.override(providers.Object(memory_uow_factory(store)))
        container.storage.override(providers.Object(storage))
        return App(container, falcon.testing.TestClient(create_app(container)), store, storage)

    return build


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    return make_app()

"""The composition root: a container per side of the hexagon, a backend chosen by choosing the
adapters container, policies built once, and Resources (the SQL engine, the S3 client) shut
down by everyone who builds an application: the CLI, the server's workers, the WSGI module,
`ImgTree.close()` and the tests' `make_app`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

import imgtree
from imgtree.adapters.imaging.pillow import PillowImageProcessor
from imgtree.adapters.imaging.pool import PooledImageProcessor
from imgtree.adapters.memory import MemoryBlobStorage, MemoryRateLimiter, MemoryStore
from imgtree.adapters.sql import SqlRateLimiter
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.adapters.storage.s3 import S3BlobStorage
from imgtree.entrypoints import cli
from imgtree.entrypoints.containers import (
    MemoryAdapters,
    ProductionAdapters,
    UseCases,
    build_container,
)
from imgtree.entrypoints.settings import Settings


@pytest.fixture
def disposed() -> Iterator[list[Engine]]:
    """Every SQLAlchemy engine disposed while the test runs."""
    seen: list[Engine] = []

    def record(engine: Engine) -> None:
        seen.append(engine)

    event.listen(Engine, "engine_disposed", record)
    yield seen
    event.remove(Engine, "engine_disposed", record)


def disposed_here(disposed: list[Engine], tmp_path: Path) -> list[Engine]:
    """The disposed engines of this test's database (the collector may dispose another
    test's forgotten engine while this one runs)."""
    return [e for e in disposed if str(tmp_path) in str(e.url)]


def sqlite_settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'imgtree.sqlite3'}",
        media_dir=tmp_path / "media",
        **values,
    )


def s3_settings(tmp_path: Path) -> Settings:
    return sqlite_settings(
        tmp_path,
        storage="s3",
        s3_bucket="imgtree-test",
        s3_region="us-east-1",
        s3_endpoint_url="http://127.0.0.1:9",  # never contacted: the client is only made
        s3_access_key_id="testing",
        s3_secret_access_key="testing",  # a dummy
    )


# --- a backend is a container ----------------------------------------------------------------


def test_the_memory_adapters_hold_every_port_in_memory(tmp_path: Path) -> None:
    container = build_container(sqlite_settings(tmp_path), adapters=MemoryAdapters)
    adapters = container.adapters
    assert isinstance(adapters.store(), MemoryStore)
    assert isinstance(adapters.storage(), MemoryBlobStorage)
    assert isinstance(adapters.rate_limiter(), MemoryRateLimiter)
    assert isinstance(adapters.image_processor(), PillowImageProcessor)
    with adapters.uow_factory()() as uow:
        assert uow.users.get_by_email("nobody@example.com") is None
    assert not (tmp_path / "imgtree.sqlite3").exists()  # the database_url is not used
    assert not (tmp_path / "media").exists()


def test_the_production_adapters_follow_the_settings(tmp_path: Path) -> None:
    local = build_container(sqlite_settings(tmp_path))
    assert isinstance(local.adapters.storage(), LocalBlobStorage)
    assert isinstance(local.adapters.rate_limiter(), SqlRateLimiter)
    assert isinstance(local.adapters.image_processor(), PooledImageProcessor)
    assert isinstance(local.adapters.engine(), Engine)
    s3 = build_container(s3_settings(tmp_path))
    assert isinstance(s3.adapters.storage(), S3BlobStorage)
    local.shutdown_resources()
    s3.shutdown_resources()


def test_both_adapters_containers_provide_what_the_use_cases_need() -> None:
    production = set(ProductionAdapters.providers)
    memory = set(MemoryAdapters.providers)
    shared = {"clock", "random", "secret_hasher", "password_hasher", "one_time_passwords"}
    ports = {"uow_factory", "storage", "image_processor", "rate_limiter"}
    assert shared | ports <= production & memory
    assert production - memory == {"engine"}
    assert memory - production == {"store"}


def test_the_use_cases_are_the_same_on_either_side(tmp_path: Path) -> None:
    names = [
        n for n, p in UseCases.providers.items() if n not in ("settings", "policies", "adapters")
    ]
    # shared by use cases
    services = {"publisher", "guest_publisher", "session_starter", "second_factor", "view_counter"}
    assert services <= set(names) and len(names) == 38 + len(services)
    for adapters in (MemoryAdapters, ProductionAdapters):
        container = build_container(sqlite_settings(tmp_path), adapters=adapters)
        built = {name: getattr(container.use_cases, name)() for name in names}
        assert all(use_case is not None for use_case in built.values())
        container.shutdown_resources()


def test_policies_are_built_once_and_shared(tmp_path: Path) -> None:
    container = build_container(sqlite_settings(tmp_path, max_upload_bytes=12345))
    policies, cases = container.policies, container.use_cases
    assert cases.upload_images().policy is policies.upload_policy()
    assert cases.upload_images().policy.max_file_bytes == 12345
    # One Publisher per upload policy, shared by direct, presigned and completed uploads.
    assert cases.upload_images().publisher is cases.publisher()
    assert cases.guest_upload_images().publisher is cases.guest_publisher()
    assert cases.presign_uploads().publisher is cases.upload_images().publisher
    assert cases.complete_uploads().publisher is cases.upload_images().publisher
    assert cases.guest_complete_uploads().publisher is cases.guest_upload_images().publisher
    assert cases.sign_in().sessions is cases.sign_up().sessions is cases.session_starter()
    assert cases.guest_upload_images().policy is policies.guest_upload_policy()
    assert cases.describe_capabilities().upload is policies.upload_policy()
    assert cases.describe_capabilities().processing is policies.processing_policy()
    assert cases.enforce_rate_limit().policy is policies.rate_policy()
    # One adapters container: every use case shares its storage and unit-of-work factory.
    assert cases.upload_images().publisher.storage is container.adapters.storage()
    assert cases.purge().uow is cases.list_images().uow is container.adapters.uow_factory()
    container.shutdown_resources()


def test_adapters_can_be_replaced_by_name(tmp_path: Path) -> None:
    from imgtree.adapters.memory import FixedClock

    clock = FixedClock()
    container = build_container(sqlite_settings(tmp_path), adapters=MemoryAdapters, clock=clock)
    assert container.use_cases.create_api_key().clock is clock
    assert container.adapters.storage()._clock is clock  # type: ignore[attr-defined]


# --- resources are shut down ------------------------------------------------------------------


def test_shutdown_disposes_the_engine(tmp_path: Path, disposed: list[Engine]) -> None:
    container = build_container(sqlite_settings(tmp_path))
    engine = container.adapters.engine()
    assert container.adapters.engine() is engine  # one engine for the container's life
    container.shutdown_resources()
    # Only this engine counts: another test's engine may be disposed by the collector meanwhile.
    assert [e for e in disposed if e is engine] == [engine]
    container.shutdown_resources()  # idempotent
    assert [e for e in disposed if e is engine] == [engine]


def test_shutdown_closes_the_s3_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[S3BlobStorage] = []
    real_close = S3BlobStorage.close

    def close(storage: S3BlobStorage) -> None:
        closed.append(storage)
        real_close(storage)

    monkeypatch.setattr(S3BlobStorage, "close", close)
    container = build_container(s3_settings(tmp_path))
    storage = container.adapters.storage()
    container.shutdown_resources()
    assert closed == [storage]


def test_a_passed_in_s3_client_is_left_open() -> None:
    class Client:
        closed = False

        class meta:  # boto3 clients carry meta.region_name
            region_name = "us-east-1"

        def close(self) -> None:
            self.closed = True

    client = Client()
    S3BlobStorage(bucket="b", client=client).close()  # type: ignore[arg-type]
    assert not client.closed


def test_a_memory_container_has_nothing_to_shut_down(tmp_path: Path) -> None:
    container = build_container(sqlite_settings(tmp_path), adapters=MemoryAdapters)
    user = container.use_cases.create_user()("a@example.com")
    container.shutdown_resources()
    with container.adapters.uow_factory()() as uow:
        assert uow.users.get(user.id) is not None  # the store is not a resource


def test_each_cli_command_shuts_its_container_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disposed: list[Engine], capsys: Any
) -> None:
    monkeypatch.setenv("IMGTREE_DATABASE_URL", f"sqlite:///{tmp_path / 'imgtree.sqlite3'}")
    monkeypatch.setenv("IMGTREE_MEDIA_DIR", str(tmp_path / "media"))
    assert cli.main(["migrate"]) == 0
    before = len(disposed_here(disposed, tmp_path))
    # Two engines per command, both disposed: the schema check's and the container's.
    assert cli.main(["users", "create", "a@example.com", "--password", "long enough"]) == 0
    assert len(disposed_here(disposed, tmp_path)) == before + 2
    # A command that fails (no such user) shuts down too.
    assert cli.main(["keys", "create", "--email", "nobody@example.com", "--name", "k"]) == 1
    assert len(disposed_here(disposed, tmp_path)) == before + 4
    assert cli.main(["users", "list"]) == 0
    assert len(disposed_here(disposed, tmp_path)) == before + 6
    assert "a@example.com" in capsys.readouterr().out


def test_each_server_worker_shuts_its_container_down(
    tmp_path: Path, disposed: list[Engine]
) -> None:
    args = argparse.Namespace(bind="127.0.0.1:0", workers=1, threads=1, access_log=False)
    server = cli.gunicorn_app(args, sqlite_settings(tmp_path))
    assert server.cfg.worker_exit.__name__ == "worker_exit"
    server.load()  # what each worker does after the fork
    assert disposed_here(disposed, tmp_path) == []
    server.cfg.worker_exit(None, None)  # gunicorn calls it in the worker as it exits
    assert len(disposed_here(disposed, tmp_path)) == 1


def test_the_wsgi_module_shuts_down_at_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disposed: list[Engine]
) -> None:
    monkeypatch.setenv("IMGTREE_DATABASE_URL", f"sqlite:///{tmp_path / 'imgtree.sqlite3'}")
    monkeypatch.setenv("IMGTREE_MEDIA_DIR", str(tmp_path / "media"))
    at_exit: list[Any] = []
    monkeypatch.setattr("atexit.register", at_exit.append)
    monkeypatch.delitem(sys.modules, "imgtree.entrypoints.wsgi", raising=False)
    wsgi = importlib.import_module("imgtree.entrypoints.wsgi")
    assert callable(wsgi.app)
    assert at_exit == [wsgi.release]
    at_exit[0]()
    assert len(disposed_here(disposed, tmp_path)) == 1


def test_imgtree_close_shuts_down(tmp_path: Path, disposed: list[Engine]) -> None:
    with imgtree.build(sqlite_settings(tmp_path), migrate=True) as img:
        img.create_user("a@example.com")
        before = len(disposed_here(disposed, tmp_path))
    assert len(disposed_here(disposed, tmp_path)) == before + 1
    img.close()  # idempotent
    assert len(disposed_here(disposed, tmp_path)) == before + 1
    with imgtree.build_in_memory() as memory:
        memory.create_user("a@example.com")
    assert len(disposed_here(disposed, tmp_path)) == before + 1  # nothing to release in memory

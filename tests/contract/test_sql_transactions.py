"""SQLite transaction modes: writers take the lock up front; read-only units of work never wait."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from imgtree.adapters.sql import create_engine_for, sql_uow_factory
from imgtree.adapters.sql.migrate import upgrade


def test_read_only_units_of_work_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade(url)
    engine = create_engine_for(url)
    uow = sql_uow_factory(engine)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with uow() as w:
            w.users.get_by_email("nobody@example.com")  # BEGIN IMMEDIATE: the write lock
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with uow(read_only=True) as r:
            assert r.users.counts() == (0, 0)
        assert time.monotonic() - started < 1.0  # a writer's lock did not hold the reader up
    finally:
        release.set()
        thread.join()
        engine.dispose()

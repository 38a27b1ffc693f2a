"""Headless Chromium (Debian's, driven by Python playwright) against a real `imgtree serve`.

Without playwright or Chromium the browser tests skip with a printed reason, except in CI
(`CI=true`), where a missing browser is a failure rather than a silent gap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import SCREENSHOTS, Shot
from tests.support.servers import local_env, serve

CHROMIUM = os.environ.get("IMGTREE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    print(f"\nskipping browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        _unavailable(
            f"no Chromium at {CHROMIUM} (apt-get install chromium, or set IMGTREE_CHROMIUM)"
        )
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`imgtree serve` on SQLite + local disk in a temporary directory; yields its base URL."""
    root = tmp_path_factory.mktemp("browser")
    env = local_env(
        root,
        IMGTREE_RATE_LIMIT_PER_MINUTE="1000",
        IMGTREE_GUEST_RATE_LIMIT_PER_MINUTE="1000",
    )
    with serve(env, root / "server.log") as base:
        yield base


@pytest.fixture
def screenshot() -> Shot:
    """screenshot(page, "name"): a full-page PNG under test-artifacts/screenshots/, numbered."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page: Any, name: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = SCREENSHOTS / f"{next(counter):02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

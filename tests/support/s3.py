"""S3 fixtures: one in-process moto S3 server per test session, a fresh bucket per storage.

moto serves the S3 API from memory on 127.0.0.1, so nothing reaches the network or a real
account. Unavailable moto: the tests skip locally, but fail under CI=true (CI must never skip).

The `moto_server` fixture is registered for the whole suite through `pytest_plugins` in
tests/conftest.py; request it by name. Import the helpers (`make_s3_storage`, `s3_client`)
from here.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

from imgtree.adapters.storage.s3 import S3BlobStorage

REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"  # a dummy: moto accepts any credentials
START_TIMEOUT = 10.0


def unavailable(reason: str) -> NoReturn:
    """Skip locally; fail in CI, where a missing moto is a broken build, not a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"moto S3 server is required in CI: {reason}", pytrace=False)
    print(f"skipping S3 tests: {reason}")
    pytest.skip(f"moto S3 server unavailable: {reason}")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Endpoint URL (http://127.0.0.1:<port>) of a moto S3 server private to this session."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable(f"cannot import moto ({exc}); install the dev extras")

    # werkzeug logs every request to stderr; keep failures' output readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Port 0: the kernel picks a free port at bind time, so parallel sessions never collide.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    # start() waits forever if the bind fails inside moto's thread, so wait on it with a bound.
    starter = threading.Thread(target=server.start, daemon=True)
    starter.start()
    starter.join(START_TIMEOUT)
    if starter.is_alive():
        unavailable(f"server did not start within {START_TIMEOUT:.0f}s")
    try:
        host, port = server.get_host_and_port()
    except Exception as exc:
        unavailable(f"server did not start: {exc}")
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
    finally:
        server.stop()


def s3_client(endpoint: str, **config: Any) -> Any:
    """A client for the moto server with dummy credentials (never the machine's own)."""
    import boto3.session
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", **config),
    )


def new_bucket_name() -> str:
    return f"imgtree-test-{secrets.token_hex(6)}"


def make_s3_storage(
    endpoint: str,
    bucket: str | None = None,
    public_base_url: str | None = None,
    *,
    region: str = REGION,
    **kwargs: Any,
) -> S3BlobStorage:
    """An S3BlobStorage on a new (or the named) bucket of the moto server, created if missing."""
    storage = S3BlobStorage(
        bucket=bucket or new_bucket_name(),
        region=region,
        endpoint_url=endpoint,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        public_base_url=public_base_url,
        path_style=True,
        **kwargs,
    )
    storage.ensure_bucket()
    return storage

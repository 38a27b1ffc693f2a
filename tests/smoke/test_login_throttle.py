"""Sign-in throttling over real HTTP: an attacker's wrong passwords from one address never
stop the owner's right password from another (issue [accounts], ASVS 6.1.1).

Two client addresses without a proxy: Linux answers all of 127.0.0.0/8 on loopback, so the
attacker binds 127.0.0.2 and the owner 127.0.0.3 as their source addresses."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.servers import cli, local_env, serve

PASSWORD = "correct horse battery"


def _login(base: str, source: str, password: str) -> tuple[int, dict[str, str], dict[str, str]]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=30, source_address=(source, 0)
    )
    try:
        body = json.dumps({"email": "owner@example.com", "password": password})
        conn.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.smoke
def test_an_attacker_cannot_lock_the_owner_out(tmp_path: Path) -> None:
    env = local_env(tmp_path)
    cli(env, "users", "create", "owner@example.com", f"--password={PASSWORD}")
    with serve(env, tmp_path / "serve.log") as base:
        attacker = [_login(base, "127.0.0.2", f"guess {i}")[0] for i in range(8)]
        assert attacker[:5] == [401] * 5 and set(attacker[5:]) == {429}, attacker
        status, headers, doc = _login(base, "127.0.0.2", PASSWORD)
        assert status == 429 and int(headers["retry-after"]) >= 1
        assert "try again in" in doc["error"]
        status, _, doc = _login(base, "127.0.0.3", PASSWORD)
        assert status == 200 and doc.get("user", {}).get("email") == "owner@example.com", doc

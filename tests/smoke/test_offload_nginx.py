"""Real nginx in front of real `imgtree serve` with IMGTREE_MEDIA_OFFLOAD=x-accel-redirect,
configured as README's "Production behind nginx" says: the bytes arrive whole, nginx answers
Range and HEAD from the file, the app's headers and 304 survive, and the internal location
cannot be asked for directly. Skipped (with the reason) where nginx is not installed; CI
installs it (.ci/run), so there it never skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import imagegen
from tests.support.servers import cli, free_port, local_env, serve

pytestmark = pytest.mark.smoke

NGINX_CONF = """
{user_line}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $http_host;
        }}
{internal}
    }}
}}
"""

# The same block as README's "Production behind nginx" (its alias pointed at the test's root).
INTERNAL = """
        location /_imgtree_media/ {{
            internal;
            alias {media}/;
            etag off;
            add_header ETag $upstream_http_etag;
            add_header X-Content-Type-Options nosniff;
            add_header Content-Security-Policy $upstream_http_content_security_policy;
            add_header Cross-Origin-Resource-Policy $upstream_http_cross_origin_resource_policy;
        }}
"""


def _nginx() -> str:
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not exe:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI (.ci/run installs it)")
        pytest.skip("nginx is not installed (apt-get install nginx): offload smoke test skipped")
    return exe


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    exe = _nginx()
    root = tmp_path_factory.mktemp("offload")
    env = local_env(root, IMGTREE_MEDIA_OFFLOAD="x-accel-redirect")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env["IMGTREE_BASE_URL"] = base
    with serve(env, root / "server.log") as app_base:
        conf = root / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                user_line="user root;" if os.geteuid() == 0 else "",
                tmp=root,
                port=port,
                app_port=urlsplit(app_base).port,
                internal=INTERNAL.format(media=(root / "media").resolve()),
            )
        )
        with (root / "nginx.log").open("w") as log:
            proc = subprocess.Popen(
                [exe, "-c", str(conf), "-p", str(root)], stdout=log, stderr=subprocess.STDOUT
            )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    requests.get(f"{base}/api/v1/upload", timeout=2)
                    break
                except requests.ConnectionError:
                    assert proc.poll() is None, (root / "nginx.log").read_text()
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            yield base, env
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _upload(base: str, env: dict[str, str], data: bytes) -> dict[str, str]:
    cli(env, "users", "create", "off@example.com", "--password", "correct horse battery")
    key = (
        cli(env, "keys", "create", "--email", "off@example.com", "--name", "t")
        .strip()
        .splitlines()[-1]
    )
    r = requests.post(
        f"{base}/api/v1/upload",
        headers={"Authorization": f"Bearer {key}"},
        files=[("file", ("a.png", data, "image/png"))],
        timeout=30,
    )
    assert r.status_code == 200, r.text
    image: dict[str, str] = r.json()["images"][0]
    return image


def test_nginx_sends_the_file_the_app_named(proxied: tuple[str, dict[str, str]]) -> None:
    base, env = proxied
    data = imagegen.png(400, 300)
    image = _upload(base, env, data)
    url = image["direct_url"]
    assert url.startswith(base)

    whole = requests.get(url, timeout=10)
    assert whole.status_code == 200
    assert whole.content == data
    assert int(whole.headers["content-length"]) == len(data)
    assert "x-accel-redirect" not in whole.headers  # nginx consumes it
    assert whole.headers["content-type"] == "image/png"
    assert whole.headers["cache-control"].startswith("public, max-age=")
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert whole.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert whole.headers["content-disposition"].startswith("inline; filename=")
    assert whole.headers["accept-ranges"] == "bytes"  # nginx's alone
    etag = whole.headers["etag"]
    assert etag.startswith('"') and "-" not in etag  # the app's, not nginx's "mtime-size"

    part = requests.get(url, headers={"Range": "bytes=10-29"}, timeout=10)
    assert part.status_code == 206
    assert part.content == data[10:30]
    assert part.headers["content-range"] == f"bytes 10-29/{len(data)}"
    tail = requests.get(url, headers={"Range": "bytes=-5"}, timeout=10)
    assert tail.status_code == 206 and tail.content == data[-5:]

    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(data)

    # 304 is the app's own answer, with the app's strong ETag.
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""

    thumb = requests.get(image["thumb_url"], timeout=10)
    assert thumb.status_code == 200 and len(thumb.content) > 0


def test_misses_and_the_internal_location(proxied: tuple[str, dict[str, str]]) -> None:
    base, _env = proxied
    missing = requests.get(f"{base}/media/nosuchslug0000.png", timeout=10)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    # Only the app may send a request there (`internal;`): a client gets nginx's 404.
    for path in ("/_imgtree_media/", "/_imgtree_media/images/"):
        assert requests.get(f"{base}{path}", timeout=10).status_code == 404

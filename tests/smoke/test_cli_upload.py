"""`imgtree upload` and `imgtree login` as a user runs them: subprocesses against a real
`imgtree serve` (gunicorn), once on SQLite + local disk and once on Postgres + S3 (moto),
where the large file's PUT goes to the bucket, never through the app."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
import requests
from sqlalchemy import create_engine

from imgtree.adapters.memory.clock import FixedClock
from imgtree.adapters.sql.migrate import upgrade
from imgtree.entrypoints.containers import build_container
from imgtree.entrypoints.http.app import create_app
from imgtree.entrypoints.settings import Settings
from tests.support import imagegen
from tests.support.client_cli import (
    PRESIGN_ABOVE,
    album_of,
    album_of_image,
    client_env,
    photo_folder,
    run,
    run_with_terminal,
    user_key,
    wsgi_thread,
)
from tests.support.pg import truncate_all
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, make_s3_storage
from tests.support.servers import base_env, free_port, serve

pytestmark = pytest.mark.smoke


@attrs.frozen
class Instance:
    backend: str
    base: str
    key: str
    log: Path
    home: Path
    server_env: dict[str, str]

    def env(self, **values: str) -> dict[str, str]:
        """A user's shell: the server and key in the environment, a config folder of its own."""
        values = {"IMGTREE_SERVER": self.base, "IMGTREE_KEY": self.key, **values}
        return client_env(self.home, **values)

    def images(self) -> list[dict[str, object]]:
        r = requests.get(
            f"{self.base}/api/v1/images",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        return list(r.json()["images"])

    def delete_all(self) -> None:
        for image in self.images():
            requests.delete(
                f"{self.base}/api/v1/images/{image['id']}",
                headers={"Authorization": f"Bearer {self.key}"},
                timeout=10,
            ).raise_for_status()


@pytest.fixture(scope="module", params=["sqlite", "postgres_s3"])
def instance(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Instance]:
    root = tmp_path_factory.mktemp(f"cli-{request.param}")
    with _server_env(request, root) as env:
        key = user_key(env, "cli@example.com")
        with serve(env, root / "server.log", workers=1, access_log=True) as base:
            yield Instance(request.param, base, key, root / "server.log", root / "home", env)


@contextlib.contextmanager
def _server_env(request: pytest.FixtureRequest, root: Path) -> Iterator[dict[str, str]]:
    """The environment of an instance on the requested backend, its schema migrated."""
    if request.param == "sqlite":
        env = base_env(
            IMGTREE_DATABASE_URL=f"sqlite:///{root / 'imgtree.sqlite3'}",
            IMGTREE_MEDIA_DIR=str(root / "media"),
        )
        upgrade(env["IMGTREE_DATABASE_URL"])
        yield env
        return
    # The session's Postgres database (migrated once, emptied here) and a bucket of its own.
    database_url = request.getfixturevalue("postgres_url")
    moto = request.getfixturevalue("moto_server")
    env = base_env(
        IMGTREE_DATABASE_URL=database_url,
        IMGTREE_STORAGE="s3",
        IMGTREE_S3_BUCKET=make_s3_storage(moto).bucket,
        IMGTREE_S3_ENDPOINT_URL=moto,
        IMGTREE_S3_REGION=REGION,
        IMGTREE_S3_ACCESS_KEY_ID=ACCESS_KEY,
        IMGTREE_S3_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        truncate_all(engine)
        yield env
    finally:
        engine.dispose()


def _access_log(instance: Instance) -> list[tuple[str, str]]:
    """The (method, path) of each request the server logged (one JSON line per request)."""
    requests_seen = []
    for line in instance.log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # gunicorn's start-up lines in text, if any
        if isinstance(entry, dict) and "method" in entry and "path" in entry:
            requests_seen.append((entry["method"], entry["path"]))
    return requests_seen


def test_upload_a_folder_prints_links_in_order(instance: Instance, tmp_path: Path) -> None:
    instance.delete_all()
    sent = photo_folder(tmp_path / "photos")
    log_before = len(_access_log(instance))

    out = run(
        instance.env(),
        "upload",
        str(tmp_path / "photos"),
        "--presign-above",
        str(PRESIGN_ABOVE),
    )

    assert out.returncode == 0, out.stderr
    links = out.stdout.splitlines()
    assert len(links) == len(sent)
    assert all(link.startswith(f"{instance.base}/i/") for link in links)
    # In input order: each page link is the image of the file at that position.
    listed = {f"{instance.base}/i/{i['slug']}": i for i in instance.images()}
    assert [listed[link]["original_name"] for link in links] == [Path(name).name for name in sent]
    for link, data in zip(links, sent.values(), strict=True):
        got = requests.get(str(listed[link]["direct_url"]), timeout=10)
        assert got.status_code == 200
        assert got.content == data  # byte-identical: published as uploaded

    # Two multipart batches around the large file, which went presign -> PUT -> complete:
    # on S3 the PUT went to the bucket, so the app never saw it.
    new = _access_log(instance)[log_before:]
    assert new.count(("POST", "/api/v1/upload")) == 2
    assert new.count(("POST", "/api/v1/upload/presign")) == 1
    assert new.count(("POST", "/api/v1/upload/complete")) == 1
    puts = [path for method, path in new if method == "PUT"]
    assert len(puts) == (1 if instance.backend == "sqlite" else 0)


@pytest.mark.parametrize("instance", ["sqlite"], indirect=True)
def test_progress_on_a_terminal_links_on_the_pipe(instance: Instance, tmp_path: Path) -> None:
    sent = photo_folder(tmp_path / "photos")
    status, stdout, stderr = run_with_terminal(
        instance.env(), "upload", str(tmp_path / "photos"), "--presign-above", str(PRESIGN_ABOVE)
    )
    assert status == 0, stderr
    links = stdout.splitlines()
    assert len(links) == len(sent) and all(x.startswith(f"{instance.base}/i/") for x in links)
    # tqdm's bars: the overall one counting files, and one per file while it is sent.
    assert f"{len(sent)}/{len(sent)} files" in stderr
    assert "big.jpg" in stderr
    assert "%|" in stderr
    assert instance.base + "/i/" not in stderr


def test_json_lines_and_embed_formats(instance: Instance, tmp_path: Path) -> None:
    png, jpg = tmp_path / "one.png", tmp_path / "two.jpg"
    png.write_bytes(imagegen.png(30, 20))
    jpg.write_bytes(imagegen.jpeg(600, 600))
    assert jpg.stat().st_size > 2000

    out = run(instance.env(), "upload", str(png), str(jpg), "--json", "--presign-above", "2000")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(png), str(jpg)]
    for line, path in zip(lines, (png, jpg), strict=True):
        assert line["ok"] is True
        assert set(line) == {"path", "ok", "id", "url", "direct_url", "thumb_url", "delete_url"}
        assert line["url"] == f"{instance.base}/i/{line['id']}"
        assert requests.get(line["direct_url"], timeout=10).content == path.read_bytes()
    # The delete URL works without the key.
    gone = requests.delete(lines[0]["delete_url"], timeout=10)
    assert gone.status_code == 200, gone.text


def test_exit_status_says_what_failed(instance: Instance, tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(imagegen.png(20, 20))
    refused = tmp_path / "refused.txt"  # named on the command line: sent, and refused
    refused.write_text("plain text")
    before = len(instance.images())

    partial = run(instance.env(), "upload", str(good), str(refused))
    assert partial.returncode == 1
    assert len(partial.stdout.splitlines()) == 1
    assert "refused.txt" in partial.stderr and "HTTP 415" in partial.stderr
    assert len(instance.images()) == before + 1

    partial_json = run(instance.env(), "upload", str(refused), str(good), "--json")
    assert partial_json.returncode == 1
    first, second = (json.loads(line) for line in partial_json.stdout.splitlines())
    assert first["ok"] is False and first["status"] == 415 and first["error"]
    assert second["ok"] is True

    bad_key = run(instance.env(IMGTREE_KEY="imgt_not_a_real_key"), "upload", str(good))
    assert bad_key.returncode == 3
    assert bad_key.stdout == ""
    assert "Invalid API key" in bad_key.stderr and "imgt_not_a_real_key" not in bad_key.stderr
    assert len(instance.images()) == before + 2

    assert len(instance.images()) == before + 2


@pytest.mark.parametrize("instance", ["sqlite"], indirect=True)
def test_usage_errors_and_an_unreachable_server(instance: Instance, tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(imagegen.png(20, 20))
    before = len(instance.images())
    down = run(
        instance.env(IMGTREE_SERVER=f"http://127.0.0.1:{free_port()}"),
        "upload",
        str(good),
        "--retries",
        "0",
    )
    assert down.returncode == 4
    assert "unreachable" in down.stderr

    missing = run(instance.env(), "upload", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    nothing = run(client_env(tmp_path / "empty-home"), "upload", str(good))
    assert nothing.returncode == 2
    assert "imgtree login" in nothing.stderr
    assert len(instance.images()) == before


# The config file and the flags are the client's business: one backend is enough for them.
@pytest.mark.parametrize("instance", ["sqlite"], indirect=True)
def test_login_writes_a_private_config_that_upload_uses(instance: Instance, tmp_path: Path) -> None:
    home = tmp_path / "home"
    plain = client_env(home)  # no IMGTREE_SERVER / IMGTREE_KEY

    refused = run(plain, "login", "--server", instance.base, "--key", "-", stdin="imgt_wrong\n")
    assert refused.returncode == 3
    config = home / "config" / "imgtree" / "config.toml"
    assert not config.exists()

    done = run(plain, "login", "--server", instance.base, "--key", "-", stdin=instance.key + "\n")
    assert done.returncode == 0, done.stderr
    assert instance.key not in done.stdout + done.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700

    picture = tmp_path / "p.png"
    picture.write_bytes(imagegen.png(16, 16))
    out = run(plain, "upload", str(picture))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{instance.base}/i/")

    # Precedence: the environment beats the file, a flag beats the environment.
    env_wins = run({**plain, "IMGTREE_KEY": "imgt_wrong"}, "upload", str(picture))
    assert env_wins.returncode == 3
    flag_wins = run(
        {**plain, "IMGTREE_KEY": "imgt_wrong"}, "upload", str(picture), "--key", instance.key
    )
    assert flag_wins.returncode == 0, flag_wins.stderr


@pytest.mark.parametrize("instance", ["sqlite"], indirect=True)
def test_private_uploads_and_embed_formats(instance: Instance, tmp_path: Path) -> None:
    picture = tmp_path / "secret.png"
    picture.write_bytes(imagegen.png(18, 18))
    out = run(instance.env(), "upload", str(picture), "--private", "--json")
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout)
    listed = {i["slug"]: i for i in instance.images()}
    assert listed[line["id"]]["visibility"] == "private"
    assert requests.get(line["url"], timeout=10).status_code == 404  # not signed in: hidden
    assert os.path.basename(str(listed[line["id"]]["original_name"])) == "secret.png"

    album = album_of(instance.server_env, "cli@example.com", "Trip")
    into = run(instance.env(), "upload", str(picture), "--album", album, "--json")
    assert into.returncode == 0, into.stderr
    assert album_of_image(instance.server_env, json.loads(into.stdout)["id"]) == album
    elsewhere = run(instance.env(), "upload", str(picture), "--album", str(uuid.uuid4()))
    assert elsewhere.returncode == 1 and "HTTP 404" in elsewhere.stderr

    # The embed formats, one line each: the server's own codes.
    png = tmp_path / "one.png"
    png.write_bytes(imagegen.png(30, 20))
    markdown = run(instance.env(), "upload", str(png), "--markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("![one.png](" + instance.base + "/media/")
    assert markdown.stdout.endswith(".png)\n")
    bbcode = run(instance.env(), "upload", str(png), "--format", "bbcode")
    assert bbcode.returncode == 0, bbcode.stderr
    assert bbcode.stdout.startswith(f"[img]{instance.base}/media/")
    assert bbcode.stdout.endswith(".png[/img]\n")


@pytest.mark.parametrize("instance", ["sqlite"], indirect=True)
def test_a_429_is_waited_out_as_long_as_retry_after_says(
    instance: Instance, tmp_path: Path
) -> None:
    """The real app on the SQLite instance's database and media, served over a socket from
    this process so that its clock is ours: one upload request per minute, and the minute's
    window ends 3 s from "now". When the app answers 429 (Retry-After: 3) its clock moves on
    those 3 s; the client must wait them out in real time before it sends again."""
    clock = FixedClock(datetime(2026, 1, 1, 0, 0, 57, tzinfo=UTC))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.from_env(
        {
            **instance.server_env,
            "IMGTREE_BASE_URL": base,
            "IMGTREE_RATE_LIMIT_PER_MINUTE": "1",
        }
    )
    container = build_container(settings, clock=clock)
    key = instance.key
    app = create_app(container)
    posts: list[tuple[float, int, str | None]] = []

    def recording(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if environ["REQUEST_METHOD"] == "POST":
                retry_after = {k.lower(): v for k, v in headers}.get("retry-after")
                posts.append((time.monotonic(), int(status[:3]), retry_after))
                if status.startswith("429") and retry_after is not None:
                    clock.advance(int(retry_after))
            return start_response(status, headers, exc_info)

        return app(environ, start)

    picture = tmp_path / "p.png"
    picture.write_bytes(imagegen.png(16, 16))
    env = client_env(tmp_path / "home", IMGTREE_SERVER=base, IMGTREE_KEY=key)
    try:
        with wsgi_thread(recording, port):
            first = requests.post(
                f"{base}/api/v1/upload",
                headers={"Authorization": f"Bearer {key}"},
                files=[("file", ("first.png", picture.read_bytes(), "image/png"))],
                timeout=30,
            )
            assert first.status_code == 200, first.text  # the minute's one request

            out = run(env, "upload", str(picture))

            assert out.returncode == 0, out.stderr
            assert out.stdout.startswith(f"{base}/i/")
            assert [status for _, status, _ in posts] == [200, 429, 200]
            assert posts[1][2] == "3"
            assert posts[2][0] - posts[1][0] >= 3.0  # not a moment before Retry-After
            assert "rate limited (429): waiting 3 s" in out.stderr

            # With no retries left, a 429 is that file's failure (exit 1), said as such.
            no_retry = run(env, "upload", str(picture), "--retries", "0")
            assert no_retry.returncode == 1
            assert "Too many requests (HTTP 429)" in no_retry.stderr
    finally:
        container.shutdown_resources()


@pytest.mark.parametrize("instance", ["sqlite"], indirect=True)
def test_the_readme_client_example_runs(
    instance: Instance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    start = readme.index("```python\nfrom imgtree.client import")
    example = readme[start + len("```python\n") : readme.index("```\n", start)]
    example = example.replace("https://img.example.com", instance.base).replace(
        'key="imgt_…"', f"key={instance.key!r}"
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.png").write_bytes(imagegen.png(20, 20))
    (tmp_path / "b.jpg").write_bytes(imagegen.jpeg(20, 20))
    (tmp_path / "pano.jpg").write_bytes(imagegen.jpeg(900, 300))
    namespace: dict[str, Any] = {}

    exec(compile(example, "README.md", "exec"), namespace)

    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3 and all(x.startswith(f"{instance.base}/i/") for x in printed)
    page = namespace["page"]
    assert {i.url for i in page.images} >= set(printed)
    from imgtree.client import Client

    with Client(instance.base, instance.key) as client:
        client.delete(page.images[0].id)
        assert page.images[0].id not in {i.id for i in client.list_images(limit=100).images}


def test_the_sdk_batch_presign_and_base64_routes(instance: Instance) -> None:
    from imgtree.client import Client, Presigned, UploadedImage, UploadFailure, UploadSource

    files = [
        UploadSource.from_bytes("p1.png", imagegen.png(33, 21)),
        UploadSource.from_bytes("p2.jpg", imagegen.jpeg(40, 30)),
        UploadSource.from_bytes("p3.txt", b"not an image at all", "text/plain"),
    ]
    with Client(instance.base, instance.key) as client:
        presigned = client.presign_batch(files)
        assert isinstance(presigned[2], UploadFailure) and presigned[2].status == 415
        tokens = []
        for grant, source in zip(presigned[:2], files[:2], strict=True):
            assert isinstance(grant, Presigned)
            # On S3 the bytes go to the bucket; on local storage, to the app's PUT route.
            assert grant.put_url.startswith(instance.base) == (instance.backend == "sqlite")
            client.put(grant, source)
            tokens.append(grant.completion_token)
        done = client.complete_batch([*tokens, tokens[0]])  # a token completes once
        assert [type(d) for d in done] == [UploadedImage, UploadedImage, UploadFailure]
        for image, source in zip(done[:2], files[:2], strict=True):
            assert isinstance(image, UploadedImage)
            assert requests.get(image.direct_url, timeout=10).content == source.data

        inline = client.upload_base64(files[0], visibility="private")
        assert isinstance(inline, UploadedImage)
        assert requests.get(inline.direct_url, timeout=10).status_code == 404  # private
        assert inline.delete_url is not None
        client.delete_by_url(inline.delete_url)
        assert inline.id not in {i.slug for i in client.list_images(limit=100).images}

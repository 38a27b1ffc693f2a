"""imgtree.client's pieces: batch planning, the streamed multipart body, Retry-After, the
retry loop and its errors (against a scripted loopback server), and the config file."""

from __future__ import annotations

import email.parser
import email.policy
import stat
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgtree.client import (
    AuthError,
    Client,
    ConfigError,
    RateLimited,
    RetryNotice,
    RetryPolicy,
    ServerUnreachable,
    UploadedImage,
    UploadFailure,
    UploadSource,
    load_config,
    plan,
    resolve,
    save_config,
)
from imgtree.client.config import config_path
from imgtree.client.retry import parse_retry_after
from imgtree.client.streams import MultipartBody
from imgtree.client.types import sniff_type
from tests.support import imagegen
from tests.support.scripted_http import scripted
from tests.support.servers import free_port


def _sources(sizes: list[int]) -> list[UploadSource]:
    return [
        UploadSource.from_bytes(f"f{i}.png", b"x" * n, "image/png") for i, n in enumerate(sizes)
    ]


# --- planning ----------------------------------------------------------------------------------


def test_plan_batches_by_count_and_bytes_and_sends_large_files_alone() -> None:
    jobs = plan(_sources([10] * 25), batch_limit=20, batch_bytes=10_000, presign_above=1000)
    assert [j.indexes for j in jobs] == [tuple(range(20)), tuple(range(20, 25))]
    jobs = plan(_sources([100, 100, 100]), batch_limit=20, batch_bytes=250, presign_above=1000)
    assert [j.indexes for j in jobs] == [(0, 1), (2,)]
    jobs = plan(
        _sources([100, 2000, 100, 100]), batch_limit=20, batch_bytes=10_000, presign_above=1000
    )
    assert [(j.indexes, j.presign) for j in jobs] == [((0,), False), ((1,), True), ((2, 3), False)]
    # A file above the batch bytes but not above the presign threshold still goes, alone.
    jobs = plan(_sources([500, 50]), batch_limit=20, batch_bytes=100, presign_above=1000)
    assert [j.indexes for j in jobs] == [(0,), (1,)]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 3000), max_size=60),
    st.integers(1, 25),
    st.integers(1, 5000),
    st.integers(0, 4000),
)
def test_plan_keeps_every_file_once_in_order_within_limits(
    sizes: list[int], batch_limit: int, batch_bytes: int, presign_above: int
) -> None:
    jobs = plan(
        _sources(sizes),
        batch_limit=batch_limit,
        batch_bytes=batch_bytes,
        presign_above=presign_above,
    )
    assert [i for j in jobs for i in j.indexes] == list(range(len(sizes)))
    for job in jobs:
        if job.presign:
            assert len(job.indexes) == 1 and sizes[job.indexes[0]] > presign_above
        else:
            assert 1 <= len(job.indexes) <= batch_limit
            assert all(sizes[i] <= presign_above for i in job.indexes)
            assert len(job.indexes) == 1 or sum(sizes[i] for i in job.indexes) <= batch_bytes


# --- the multipart body ------------------------------------------------------------------------


def test_multipart_body_streams_every_file_with_its_length_and_progress(tmp_path: Path) -> None:
    png = tmp_path / 'we"ird\nname.png'
    png.write_bytes(imagegen.png(20, 10))
    sources = [UploadSource.from_path(png), UploadSource.from_bytes("b.jpg", imagegen.jpeg(9, 9))]
    progress: dict[int, int] = {}
    body = MultipartBody(
        [("albumId", "abc"), ("visibility", "private")],
        sources,
        progress=lambda i, sent: progress.__setitem__(i, sent),
    )
    chunks = []
    while chunk := body.read(7):  # odd sizes cross every part boundary
        chunks.append(chunk)
    data = b"".join(chunks)
    assert len(data) == len(body)
    assert progress == {0: sources[0].size, 1: sources[1].size}

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + data
    )
    parts = list(message.iter_parts())
    assert [p.get_param("name", header="content-disposition") for p in parts] == [
        "albumId",
        "visibility",
        "file",
        "file",
    ]
    assert parts[0].get_content().strip() == "abc"
    assert parts[2].get_filename() == "we%22ird%0Aname.png"  # as browsers escape them
    assert parts[2].get_content_type() == "image/png"
    assert parts[2].get_payload(decode=True) == png.read_bytes()
    assert parts[3].get_payload(decode=True) == sources[1].data


def test_sources_know_their_type_by_content_first(tmp_path: Path) -> None:
    odd = tmp_path / "really-a-gif.png"
    odd.write_bytes(imagegen.gif(8, 8))
    assert UploadSource.from_path(odd).content_type == "image/gif"
    plain = tmp_path / "notes.txt"
    plain.write_text("hi")
    assert UploadSource.from_path(plain).content_type == "text/plain"
    assert sniff_type(imagegen.webp(8, 8)[:32]) == "image/webp"
    assert sniff_type(b"RIFF\0\0\0\0WAVEfmt ") is None


# --- Retry-After -------------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_dates() -> None:
    assert parse_retry_after("7") == 7.0
    now = time.time()
    when = format_datetime(datetime.fromtimestamp(now, UTC) + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(when, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    policy = RetryPolicy(max_wait=60, default_wait=4)
    assert policy.wait_for(429, None) == 4
    assert policy.wait_for(429, 60) == 60
    assert policy.wait_for(429, 61) is None  # longer than we would wait: reported instead


# --- the retry loop, against a scripted server --------------------------------------------------

IMAGE = {
    "id": "abc123",
    "url": "http://s/i/abc123",
    "direct_url": "http://s/media/abc123.png",
    "thumb_url": "http://s/media/thumb/abc123.jpg",
    "delete_url": "http://s/api/images/u?token=t",
    "codes": {"markdown": "![a.png](http://s/media/abc123.png)"},
}


def _client(base: str, sleeps: list[float], notices: list[RetryNotice], **policy: object) -> Client:
    return Client(
        base,
        "imgt_secret",
        retry=RetryPolicy(sleep=sleeps.append, **policy),  # type: ignore[arg-type]
        on_retry=notices.append,
    )


def test_429_and_503_are_retried_after_retry_after() -> None:
    sleeps: list[float] = []
    notices: list[RetryNotice] = []
    answers = [
        (429, {"Retry-After": "2"}, {"success": False, "error": "Too many requests"}),
        (503, {}, {"success": False, "error": "Busy"}),
        (
            200,
            {},
            {
                "success": True,
                "images": [IMAGE, {"error": "Unsupported", "status": 415, "filename": "b"}],
            },
        ),
    ]
    with scripted(*answers) as (base, script):
        results = _client(base, sleeps, notices, default_wait=3).upload(
            _sources([5, 6]), album_id="alb", visibility="private"
        )
    assert sleeps == [2.0, 3.0]
    assert [(n.reason, n.attempt) for n in notices] == [("429", 2), ("503", 3)]
    assert isinstance(results[0], UploadedImage) and results[0].id == "abc123"
    assert results[1] == UploadFailure("Unsupported", 415, "b")
    # Each attempt sent the whole body again, with its length and the key.
    assert len(script.seen) == 3
    for seen in script.seen:
        assert seen.headers["authorization"] == "Bearer imgt_secret"
        assert int(seen.headers["content-length"]) == len(seen.body)
        assert seen.body.count(b'name="file"') == 2
        assert b'name="albumId"' in seen.body and b"private" in seen.body


def test_a_retry_after_beyond_the_cap_is_reported_not_waited() -> None:
    sleeps: list[float] = []
    with (
        scripted(
            (429, {"Retry-After": "900"}, {"success": False, "error": "Too many requests"})
        ) as (base, script),
        pytest.raises(RateLimited) as caught,
    ):
        _client(base, sleeps, [], max_wait=120).upload(_sources([5]))
    assert sleeps == [] and len(script.seen) == 1
    assert caught.value.status == 429 and caught.value.retry_after == 900
    assert str(caught.value) == "Too many requests (HTTP 429)"


def test_auth_errors_carry_the_servers_message_and_are_not_retried() -> None:
    sleeps: list[float] = []
    with (
        scripted((401, {}, {"success": False, "error": "Invalid API key"})) as (base, script),
        pytest.raises(AuthError) as caught,
    ):
        _client(base, sleeps, []).list_images()
    assert (caught.value.status, caught.value.message) == (401, "Invalid API key")
    assert sleeps == [] and len(script.seen) == 1


def test_verify_asks_a_listing_why_a_key_is_bad() -> None:
    discovery = {"success": True, "max_file_size_bytes": 100, "batch_limit": 3, "allowed_types": []}
    with (
        scripted(
            (200, {}, discovery), (403, {}, {"success": False, "error": "Account inactive"})
        ) as (base, script),
        pytest.raises(AuthError, match="Account inactive"),
    ):
        _client(base, [], []).verify()
    assert [s.path for s in script.seen] == ["/api/v1/upload", "/api/v1/images?limit=1"]
    with scripted((200, {}, {**discovery, "scopes": ["upload"]})) as (base, script):
        caps = _client(base, [], []).verify()
    assert caps.scopes == ("upload",) and caps.batch_limit == 3 and len(script.seen) == 1


def test_not_an_imgtree_server() -> None:
    with (
        scripted((200, {}, b"<html>hello</html>")) as (base, _),
        pytest.raises(ServerUnreachable, match="imgtree server"),
    ):
        _client(base, [], []).capabilities()


def test_a_refused_connection_backs_off_then_gives_up() -> None:
    sleeps: list[float] = []
    notices: list[RetryNotice] = []
    client = _client(f"http://127.0.0.1:{free_port()}", sleeps, notices, connection_attempts=3)
    with pytest.raises(ServerUnreachable, match="connection refused"):
        client.upload(_sources([3]))  # a POST too: it never reached the server
    assert sleeps == [1.0, 2.0]
    assert [n.reason for n in notices] == ["connection", "connection"]


def test_the_put_goes_without_the_key_to_another_host() -> None:
    with scripted((200, {}, {})) as (bucket, script), scripted((200, {}, {})) as (base, _):
        client = _client(base, [], [])
        from imgtree.client import Presigned

        source = UploadSource.from_bytes("a.png", imagegen.png(9, 9))
        client.put(Presigned(f"{bucket}/up?sig=1", "tok", {"Content-Type": "image/png"}), source)
    [put] = script.seen
    assert put.method == "PUT" and put.body == source.data
    assert "authorization" not in put.headers
    assert put.headers["content-type"] == "image/png"


# --- the config file ---------------------------------------------------------------------------


def test_config_precedence_flag_env_file(tmp_path: Path) -> None:
    path = tmp_path / "imgtree" / "config.toml"
    save_config(path, "https://file.example", 'imgt_"quoted"\\ünï')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_config(path).key == 'imgt_"quoted"\\ünï'

    env = {"IMGTREE_SERVER": "https://env.example", "IMGTREE_KEY": "imgt_env"}
    got = resolve(None, None, env={}, path=path)
    assert (got.server, got.key) == ("https://file.example", 'imgt_"quoted"\\ünï')
    got = resolve(None, None, env={"IMGTREE_KEY": "imgt_env"}, path=path)
    assert (got.server, got.key, got.server_from, got.key_from) == (
        "https://file.example",
        "imgt_env",
        "config",
        "env",
    )
    got = resolve("https://flag.example", "imgt_flag", env=env, path=path)
    assert (got.server, got.key, got.key_from) == ("https://flag.example", "imgt_flag", "flag")

    path.write_text("server = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve(None, None, env={}, path=path)
    # Everything given: the (broken) file is not even read.
    assert resolve(None, None, env=env, path=path).key == "imgt_env"


def test_config_path_follows_xdg() -> None:
    assert config_path({"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/u"}) == Path(
        "/x/cfg/imgtree/config.toml"
    )
    assert config_path({"XDG_CONFIG_HOME": "relative", "HOME": "/home/u"}) == Path(
        "/home/u/.config/imgtree/config.toml"
    )
    assert config_path({"HOME": "/home/u"}) == Path("/home/u/.config/imgtree/config.toml")


def test_a_busy_complete_starts_the_large_upload_over() -> None:
    """A 503 on complete has used the token up: the client presigns and PUTs again after
    Retry-After, instead of re-sending a dead token."""
    sleeps: list[float] = []
    with scripted((500, {}, {})) as (base, script):
        busy = {
            "success": False,
            "error": "Server busy",
            "images": [{"error": "Server busy", "status": 503}],
        }
        script.answers[:] = [
            (200, {}, {"put_url": f"{base}/put/1?sig=a", "completion_token": "t1"}),
            (200, {}, {}),
            (503, {"Retry-After": "2"}, busy),
            (200, {}, {"put_url": f"{base}/put/2?sig=b", "completion_token": "t2"}),
            (200, {}, {}),
            (200, {}, {"success": True, "images": [IMAGE]}),
        ]
        source = UploadSource.from_bytes("big.png", imagegen.png(30, 30))
        result = _client(base, sleeps, []).upload_large(source)
    assert isinstance(result, UploadedImage)
    assert sleeps == [2.0]
    assert [(s.method, s.path.split("?")[0]) for s in script.seen] == [
        ("POST", "/api/v1/upload/presign"),
        ("PUT", "/put/1"),
        ("POST", "/api/v1/upload/complete"),
        ("POST", "/api/v1/upload/presign"),
        ("PUT", "/put/2"),
        ("POST", "/api/v1/upload/complete"),
    ]
    assert b'"t2"' in script.seen[-1].body

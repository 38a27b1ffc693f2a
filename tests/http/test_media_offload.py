"""IMGTREE_MEDIA_OFFLOAD: the app checks a media request and answers with an empty body naming
the file (X-Accel-Redirect for nginx, X-Sendfile for Apache/lighttpd); the proxy sends it.
Everything but the bytes stays the app's: visibility, 304, headers; Range is the proxy's."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import falcon
import falcon.testing
import pytest

from imgtree.adapters.memory import FixedClock, MemoryBlobStorage
from imgtree.adapters.storage.local import LocalBlobStorage
from imgtree.entrypoints.http.offload import MediaOffload
from imgtree.entrypoints.settings import Settings, SettingsError
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import sign_up

PNG = imagegen.png(300, 200)
HEADERS = {"x-accel-redirect": "X-Accel-Redirect", "x-sendfile": "X-Sendfile"}


def _offloaded(make_app: Callable[..., App], mode: str, **settings: object) -> App:
    return make_app(backend="sqlite", media_offload=mode, **settings)


def _upload(app: App, visibility: str = "public") -> tuple[object, dict[str, str]]:
    owner = sign_up(app)
    r = owner.upload(("a.png", "image/png", PNG), visibility=visibility)
    assert r.status_code == 200, r.text
    return owner, r.json["images"][0]


def _path(url: str) -> str:
    return urlsplit(url).path


def _stored(app: App, suffix: str) -> list[str]:
    return [k for k in app.stored_keys() if k.endswith(suffix)]


@pytest.mark.parametrize("mode", ["x-accel-redirect", "x-sendfile"])
def test_public_media_names_the_file_and_sends_no_bytes(
    make_app: Callable[..., App], mode: str
) -> None:
    app = _offloaded(make_app, mode)
    _, image = _upload(app)
    for url in (image["direct_url"], image["thumb_url"]):
        r = app.client.simulate_get(_path(url))
        assert r.status_code == 200
        assert r.content == b""
        assert r.headers.get("content-length") in (None, "0")  # never the file's length
        assert "content-range" not in r.headers
        assert "accept-ranges" not in r.headers  # the proxy's to say
        named = r.headers[HEADERS[mode]]
        other = next(h for h in HEADERS.values() if h != HEADERS[mode])
        assert other.lower() not in r.headers
        key = next(k for k in app.stored_keys() if named.endswith(k))
        if mode == "x-accel-redirect":
            assert named == f"/_imgtree_media/{key}"
        else:
            assert Path(named).is_absolute()
            assert Path(named).read_bytes() == app.storage.open(key).read()
        # Every header the app decides is still the app's.
        assert r.headers["content-type"] in ("image/png", "image/jpeg", "image/webp")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"].startswith("public, max-age=")
        assert r.headers["content-security-policy"] == "default-src 'none'; sandbox"
        assert r.headers["content-disposition"].startswith("inline; filename=")
        assert r.headers["etag"].startswith('"')


def test_range_is_left_to_the_proxy(make_app: Callable[..., App]) -> None:
    app = _offloaded(make_app, "x-accel-redirect")
    _, image = _upload(app)
    r = app.client.simulate_get(_path(image["direct_url"]), headers={"Range": "bytes=0-9"})
    assert r.status_code == 200  # not 206: nginx slices the file it sends
    assert "content-range" not in r.headers and r.content == b""
    assert "X-Accel-Redirect" in r.headers
    head = app.client.simulate_head(_path(image["direct_url"]))
    assert head.status_code == 200 and "X-Accel-Redirect" in head.headers


def test_not_modified_is_still_answered_by_the_app(make_app: Callable[..., App]) -> None:
    app = _offloaded(make_app, "x-accel-redirect")
    _, image = _upload(app)
    first = app.client.simulate_get(_path(image["direct_url"]))
    again = app.client.simulate_get(
        _path(image["direct_url"]), headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert "x-accel-redirect" not in again.headers


@pytest.mark.parametrize("mode", ["x-accel-redirect", "x-sendfile"])
def test_private_media_is_checked_on_every_request(make_app: Callable[..., App], mode: str) -> None:
    app = _offloaded(make_app, mode)
    owner, image = _upload(app, visibility="private")
    path = _path(image["direct_url"])
    for _ in range(2):  # the second time too: private lookups are never cached
        anonymous = app.client.simulate_get(path)
        assert anonymous.status_code == 404
        assert HEADERS[mode].lower() not in anonymous.headers
        stranger = sign_up(app).request("GET", path)
        assert stranger.status_code == 404
        assert HEADERS[mode].lower() not in stranger.headers
        mine = owner.request("GET", path)  # type: ignore[attr-defined]
        assert mine.status_code == 200
        assert HEADERS[mode] in mine.headers
        assert mine.headers["cache-control"].startswith("private")


def test_misses_and_purged_files_name_nothing(make_app: Callable[..., App]) -> None:
    app = _offloaded(make_app, "x-accel-redirect")
    _, image = _upload(app)
    slug = image["id"]
    for path in (
        "/media/nosuchslug0000.png",
        f"/media/{slug}.jpg",  # not its type
        f"/media/..%2F{slug}.png",
        f"/media/%2E%2E/{slug}.png",
        "/media/thumb/..%2F..%2Fetc%2Fpasswd",
    ):
        r = app.client.simulate_get(path)
        assert r.status_code == 404, path
        assert "x-accel-redirect" not in r.headers, path
    # The file vanished (purged) after its lookup was cached: a 404, not a dangling name.
    direct = _path(image["direct_url"])
    assert app.client.simulate_get(direct).status_code == 200
    for key in _stored(app, ".png"):
        app.storage.delete(key)
    gone = app.client.simulate_get(direct)
    assert gone.status_code == 404 and "x-accel-redirect" not in gone.headers


def test_offload_keeps_no_bytes_in_memory(make_app: Callable[..., App]) -> None:
    app = _offloaded(make_app, "x-accel-redirect")
    _, image = _upload(app)
    for _ in range(3):
        assert app.client.simulate_get(_path(image["direct_url"])).status_code == 200
    resource, *_ = app.client.app._router.find(_path(image["direct_url"]))  # type: ignore[attr-defined]
    assert resource.cache is not None and resource.cache.cost == 0


def test_off_by_default_the_app_sends_the_bytes(make_app: Callable[..., App]) -> None:
    app = make_app(backend="sqlite")
    _, image = _upload(app)
    r = app.client.simulate_get(_path(image["direct_url"]), headers={"Range": "bytes=0-9"})
    assert r.status_code == 206 and len(r.content) == 10
    assert "x-accel-redirect" not in r.headers and "x-sendfile" not in r.headers


# --- the key never leaves the media root ---------------------------------------------------


@pytest.mark.parametrize("mode", ["x-accel-redirect", "x-sendfile"])
@pytest.mark.parametrize(
    "key", ["../outside.png", "images/../../outside.png", "/etc/passwd", "images//a.png", ""]
)
def test_a_key_leading_out_of_root_names_nothing(tmp_path: Path, mode: str, key: str) -> None:
    (tmp_path / "outside.png").write_bytes(PNG)
    storage = LocalBlobStorage(tmp_path / "media")
    offload = MediaOffload.of(mode, storage, "/_imgtree_media/")
    assert offload is not None
    resp = falcon.Response()
    with pytest.raises(ValueError):
        offload.send(resp, key)
    assert resp.get_header("X-Accel-Redirect") is None and resp.get_header("X-Sendfile") is None


@pytest.mark.parametrize("mode", ["x-accel-redirect", "x-sendfile"])
def test_a_symlink_out_of_root_names_nothing(tmp_path: Path, mode: str) -> None:
    (tmp_path / "secret.png").write_bytes(PNG)
    storage = LocalBlobStorage(tmp_path / "media")
    (tmp_path / "media" / "images").mkdir()
    os.symlink(tmp_path / "secret.png", tmp_path / "media" / "images" / "link.png")
    offload = MediaOffload.of(mode, storage, "/_imgtree_media/")
    assert offload is not None
    resp = falcon.Response()
    with pytest.raises(ValueError):
        offload.send(resp, "images/link.png")
    assert resp.get_header("X-Accel-Redirect") is None and resp.get_header("X-Sendfile") is None


# --- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "mode"),
    [("", ""), ("  ", ""), ("x-accel-redirect", "x-accel-redirect"), ("X-Sendfile", "x-sendfile")],
)
def test_offload_setting_values(raw: str, mode: str) -> None:
    assert Settings.from_env({"IMGTREE_MEDIA_OFFLOAD": raw}).media_offload == mode
    assert Settings.from_env({}).media_offload == ""
    assert Settings.from_env({}).media_offload_prefix == "/_imgtree_media/"


@pytest.mark.parametrize("raw", ["on", "nginx", "x-accel", "xsendfile", "true", "off"])
def test_unknown_offload_refuses_to_start(raw: str) -> None:
    with pytest.raises(SettingsError, match="IMGTREE_MEDIA_OFFLOAD must be unset"):
        Settings.from_env({"IMGTREE_MEDIA_OFFLOAD": raw})


def test_offload_with_s3_refuses_to_start() -> None:
    env = {"IMGTREE_STORAGE": "s3", "IMGTREE_S3_BUCKET": "b", "IMGTREE_MEDIA_OFFLOAD": "x-sendfile"}
    with pytest.raises(SettingsError, match="local storage only"):
        Settings.from_env(env)


@pytest.mark.parametrize("raw", ["_media/", "/_media", "/a/../b/", "/a b/", "/", "/x//"])
def test_bad_offload_prefix_refuses_to_start(raw: str) -> None:
    with pytest.raises(SettingsError, match="IMGTREE_MEDIA_OFFLOAD_PREFIX"):
        Settings.from_env({"IMGTREE_MEDIA_OFFLOAD_PREFIX": raw})


def test_prefix_names_the_internal_location(make_app: Callable[..., App]) -> None:
    app = _offloaded(make_app, "x-accel-redirect", media_offload_prefix="/protected/media/")
    _, image = _upload(app)
    named = app.client.simulate_get(_path(image["direct_url"])).headers["x-accel-redirect"]
    assert named.startswith("/protected/media/images/")


def test_offload_needs_files_on_this_host() -> None:
    with pytest.raises(ValueError, match="local files"):
        MediaOffload.of("x-accel-redirect", MemoryBlobStorage(FixedClock()), "/_imgtree_media/")
    assert MediaOffload.of("", MemoryBlobStorage(FixedClock()), "/_imgtree_media/") is None


@pytest.mark.parametrize("mode", ["", "x-accel-redirect"])
def test_a_purged_file_is_a_plain_json_404(make_app: Callable[..., App], mode: str) -> None:
    # No memory cache: without offload the app opens the file, and finds it gone.
    app = make_app(backend="sqlite", media_offload=mode, media_memory_cache_bytes=0)
    _, image = _upload(app)
    direct = _path(image["direct_url"])
    assert app.client.simulate_get(direct).status_code == 200
    for key in _stored(app, ".png"):
        app.storage.delete(key)
    gone = app.client.simulate_get(direct)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/json"
    assert "immutable" not in gone.headers.get("cache-control", "")
    assert "etag" not in gone.headers and "x-accel-redirect" not in gone.headers


@pytest.mark.parametrize("o_path", [True, False], ids=["O_PATH", "resolve"])
def test_path_for_with_and_without_o_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, o_path: bool
) -> None:
    """The storage's two ways to find a file for the proxy agree: the file, None for a
    missing one or a directory, ValueError for links (file or directory) leading out."""
    if not o_path:
        monkeypatch.delattr(os, "O_PATH", raising=False)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.png").write_bytes(PNG)
    storage = LocalBlobStorage(tmp_path / "media")
    storage.put("images/a.png", io.BytesIO(PNG), "image/png")
    found = storage.path_for("images/a.png")
    assert found is not None and found.read_bytes() == PNG and found.is_absolute()
    assert storage.path_for("images/missing.png") is None
    assert storage.path_for("images") is None
    os.symlink(tmp_path / "outside", tmp_path / "media" / "linked")
    os.symlink(tmp_path / "outside" / "x.png", tmp_path / "media" / "images" / "x.png")
    for key in ("linked/x.png", "images/x.png", "linked/missing.png"):
        with pytest.raises(ValueError):
            storage.path_for(key)


def test_renditions_are_offloaded_once_made(make_app: Callable[..., App]) -> None:
    app = _offloaded(make_app, "x-accel-redirect", rendition_sizes=(("small", 40),))
    _, image = _upload(app)
    r = app.client.simulate_get(f"/media/small/{image['id']}.png")
    assert r.status_code == 200 and r.content == b""
    (made,) = [k for k in app.stored_keys() if k.startswith("renditions/")]
    assert r.headers["x-accel-redirect"] == f"/_imgtree_media/{made}"
    assert r.headers["content-type"] == "image/png"
    assert "immutable" in r.headers["cache-control"]

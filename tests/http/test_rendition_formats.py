"""Renditions in formats, signed sizes and Accept negotiation over HTTP (issue 16 items 1-2),
on memory, SQLite + local disk (the sandboxed processor) and Postgres + S3."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image as PILImage

from imgtree.domain.use_cases.renditions import sign_media_path
from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.browser import sign_up
from tests.support.multipart import encode

SIZES = (("small", 40), ("medium", 80), ("large", 400))
KEY = "a-signing-key-of-at-least-32-chars!"
CHROME_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
FIREFOX_OLD_ACCEPT = "image/webp,*/*"
CURL_ACCEPT = "*/*"


def upload(app: App, data: bytes | None = None, name: str = "a.jpg") -> dict[str, str]:
    body, ctype = encode(
        [("file", name, "application/octet-stream", data or imagegen.jpeg(200, 150))], {}
    )
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    image: dict[str, str] = r.json["images"][0]
    return image


def renditions(app: App) -> list[str]:
    return [k for k in app.stored_keys() if k.startswith("renditions/")]


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres_s3"])
def test_presets_by_formats_on_every_storage(make_app: Callable[..., App], backend: str) -> None:
    app = make_app(backend=backend, rendition_sizes=SIZES)
    image = upload(app)
    slug = image["id"]
    etags = set()
    for size, px in (("small", 40), ("medium", 80), ("full", 200)):
        for ext, pillow in (("jpg", "JPEG"), ("webp", "WEBP"), ("avif", "AVIF")):
            url = f"/media/{size}/{slug}.{ext}"
            r = app.client.simulate_get(url)
            if size == "full" and ext == "jpg":  # the original is /media/{slug}.jpg
                assert r.status_code == 404
                continue
            assert r.status_code == 200, (url, r.text)
            assert r.headers["content-type"] == f"image/{'jpeg' if ext == 'jpg' else ext}"
            assert "immutable" in r.headers["cache-control"]
            assert r.headers["content-disposition"] == f'inline; filename="{slug}.{ext}"'
            with PILImage.open(io.BytesIO(r.content)) as im:
                assert im.format == pillow and max(im.size) == px
            etags.add(r.headers["etag"])
            again = app.client.simulate_get(url, headers={"If-None-Match": r.headers["etag"]})
            assert again.status_code == 304
    assert len(etags) == 8  # one per stored picture
    assert len(renditions(app)) == 8
    keys = renditions(app)
    assert any(k.endswith(".40.webp") for k in keys) and any(k.endswith(".200.avif") for k in keys)
    app.client.simulate_delete(image["delete_url"].removeprefix(BASE_URL))
    app.container.use_cases.purge()(retention_seconds=0, orphan_grace_seconds=0)
    assert renditions(app) == []


def test_image_objects_list_formats_beside_the_unchanged_renditions(
    make_app: Callable[..., App],
) -> None:
    app = make_app(rendition_sizes=SIZES)
    image = upload(app)
    slug = image["id"]
    assert image["renditions"] == {
        name: f"{BASE_URL}/media/{name}/{slug}.jpg" for name in ("small", "medium")
    }
    formats = image["rendition_formats"]
    assert list(formats) == ["avif", "webp"]
    assert formats["webp"] == {
        name: f"{BASE_URL}/media/{name}/{slug}.webp" for name in ("small", "medium", "full")
    }
    only = make_app(rendition_sizes=SIZES, rendition_formats=("original", "webp"))
    assert list(upload(only)["rendition_formats"]) == ["webp"]
    assert only.client.simulate_get(f"/media/small/{upload(only)['id']}.avif").status_code == 404


def test_the_thumb_segment_stays_the_stored_thumbnail(make_app: Callable[..., App]) -> None:
    app = make_app(rendition_sizes=SIZES)
    slug = upload(app)["id"]
    assert app.client.simulate_get(f"/media/thumb/{slug}.jpg").status_code == 200
    assert app.client.simulate_get(f"/media/thumb/{slug}.webp").status_code == 404
    assert renditions(app) == []


# --- negotiation -----------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def negotiating(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param, rendition_sizes=SIZES, negotiate_formats=True)


def get(app: App, url: str, accept: str | None, **headers: str):  # type: ignore[no-untyped-def]
    if accept is not None:
        headers["Accept"] = accept
    return app.client.simulate_get(url, headers=headers)


def test_negotiation_serves_avif_then_webp_else_the_original(negotiating: App) -> None:
    app = negotiating
    image = upload(app, imagegen.jpeg(300, 200, quality=95))
    url = f"/media/{image['id']}.jpg"
    original = get(app, url, CURL_ACCEPT)
    assert original.headers["content-type"] == "image/jpeg"
    assert original.headers["vary"] == "Accept"
    for accept, ctype in (
        (CHROME_ACCEPT, "image/avif"),
        (FIREFOX_OLD_ACCEPT, "image/webp"),
        ("image/avif;q=0, image/webp", "image/webp"),
        ("image/webp;q=0.9, image/avif;q=0.5", "image/webp"),
        ("image/webp;q=0", "image/jpeg"),
        (None, "image/jpeg"),
        ("image/*", "image/jpeg"),
    ):
        r = get(app, url, accept)
        assert r.status_code == 200
        assert r.headers["content-type"] == ctype, accept
        assert r.headers["vary"] == "Accept"
        if ctype == "image/jpeg":
            assert r.content == original.content and r.headers["etag"] == original.headers["etag"]
        else:
            assert len(r.content) < len(original.content)
            assert r.headers["etag"] != original.headers["etag"]
            assert r.headers["cache-control"].startswith("public")
    avif = get(app, url, CHROME_ACCEPT)
    etag = avif.headers["etag"]
    not_modified = get(app, url, CHROME_ACCEPT, **{"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.headers["vary"] == "Accept"
    # The AVIF's ETag does not validate the JPEG a client without AVIF would get.
    assert get(app, url, CURL_ACCEPT, **{"If-None-Match": etag}).status_code == 200
    part = get(app, url, CHROME_ACCEPT, Range="bytes=0-9")
    assert part.status_code == 206 and part.content == avif.content[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(avif.content)}"
    assert part.headers["vary"] == "Accept"
    head = app.client.simulate_head(url, headers={"Accept": CHROME_ACCEPT})
    assert head.headers["content-type"] == "image/avif"
    assert head.headers["content-length"] == str(len(avif.content))
    missing = get(app, f"/media/{'z' * 12}.jpg", CHROME_ACCEPT)
    assert missing.status_code == 404 and missing.headers["vary"] == "Accept"


def test_negotiation_cache_keeps_variants_apart(negotiating: App) -> None:
    # Anonymous GETs of public images go through the in-memory media cache: interleaved
    # clients must each keep getting their own variant.
    app = negotiating
    url = f"/media/{upload(app, imagegen.jpeg(300, 200, quality=95))['id']}.jpg"
    for _ in range(2):
        assert get(app, url, CURL_ACCEPT).headers["content-type"] == "image/jpeg"
        assert get(app, url, CHROME_ACCEPT).headers["content-type"] == "image/avif"
        assert get(app, url, "image/webp").headers["content-type"] == "image/webp"


def test_a_larger_variant_is_not_served(negotiating: App) -> None:
    # A tiny, flat PNG: an AVIF container costs more than its few bytes (a WebP may not).
    app = negotiating
    image = upload(app, imagegen.png(2, 2), "a.png")
    url = f"/media/{image['id']}.png"
    original = get(app, url, CURL_ACCEPT)
    for _ in range(2):
        r = get(app, url, "image/avif")
        assert r.headers["content-type"] == "image/png" and r.content == original.content
        assert r.headers["vary"] == "Accept"
        r = get(app, url, CHROME_ACCEPT)  # AVIF gives way to the next choice, never larger
        assert len(r.content) <= len(original.content)
        assert r.headers["content-type"] in ("image/webp", "image/png")


def test_animations_negotiate_only_animated_formats(negotiating: App) -> None:
    app = negotiating
    image = upload(app, imagegen.gif(120, 90, frames=4), "a.gif")
    r = get(app, f"/media/{image['id']}.gif", CHROME_ACCEPT)
    assert r.status_code == 200
    with PILImage.open(io.BytesIO(r.content)) as im:
        assert getattr(im, "n_frames", 1) == 4


def test_private_images_negotiate_privately(make_app: Callable[..., App]) -> None:
    app = make_app(rendition_sizes=SIZES, negotiate_formats=True)
    owner = sign_up(app)
    r = owner.upload(("a.jpg", "image/jpeg", imagegen.jpeg(300, 200, quality=95)))
    slug = r.json["images"][0]["id"]
    listed = owner.request("GET", "/api/images").json["images"][0]
    owner.request("PATCH", f"/api/images/{listed['id']}", json={"isPublic": False})
    assert get(app, f"/media/{slug}.jpg", CHROME_ACCEPT).status_code == 404
    mine = owner.request("GET", f"/media/{slug}.jpg", headers={"Accept": CHROME_ACCEPT})
    assert mine.status_code == 200 and mine.headers["content-type"] == "image/avif"
    assert mine.headers["cache-control"].startswith("private")
    assert mine.headers["vary"] == "Accept"


def test_negotiation_off_by_default(make_app: Callable[..., App]) -> None:
    app = make_app(rendition_sizes=SIZES)
    image = upload(app)
    r = get(app, f"/media/{image['id']}.jpg", CHROME_ACCEPT)
    assert r.headers["content-type"] == "image/jpeg" and "vary" not in r.headers
    assert renditions(app) == []


# --- signed sizes ----------------------------------------------------------------------------


def signed(path: str, key: str = KEY) -> str:
    return f"/media/signed/{sign_media_path(key.encode(), path)}/{path}"


@pytest.fixture(params=["memory", "sqlite"])
def signing(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param, rendition_sizes=SIZES, media_signing_key=KEY)


def test_signed_sizes_fit_within_the_box(signing: App) -> None:
    app = signing
    slug = upload(app)["id"]  # 200 x 150
    for box, ext, size in (
        ("100x100", "jpg", (100, 75)),
        ("300x30", "webp", (40, 30)),
        ("4096x4096", "avif", (200, 150)),  # never upscaled
    ):
        r = app.client.simulate_get(signed(f"{box}/{slug}.{ext}"))
        assert r.status_code == 200, (box, r.text)
        assert "immutable" in r.headers["cache-control"]
        with PILImage.open(io.BytesIO(r.content)) as im:
            assert im.size == size
    same = app.client.simulate_get(signed(f"4096x4096/{slug}.jpg"))
    direct = app.client.simulate_get(f"/media/{slug}.jpg")
    assert same.content == direct.content and same.headers["etag"] == direct.headers["etag"]
    # 40 px wide is the small preset's file: one file for both.
    assert app.client.simulate_get(f"/media/small/{slug}.webp").status_code == 200
    assert len([k for k in renditions(app) if k.endswith(".40.webp")]) == 1


def test_signed_urls_are_refused_when_tampered(signing: App) -> None:
    app = signing
    slug = upload(app)["id"]
    other = upload(app)["id"]
    good = signed(f"100x100/{slug}.jpg")
    signature = good.split("/")[3]
    for url in (
        f"/media/signed/{signature}/101x100/{slug}.jpg",  # another size
        f"/media/signed/{signature}/100x100/{other}.jpg",  # another image
        f"/media/signed/{signature}/100x100/{slug}.webp",  # another format
        f"/media/signed/{signature[:-1]}{'B' if signature[-1] == 'A' else 'A'}/100x100/{slug}.jpg",
        f"/media/signed/{signature}=/100x100/{slug}.jpg",
        f"/media/signed/x/100x100/{slug}.jpg",
        signed(f"100x100/{slug}.jpg", key="another-key-of-at-least-32-chars!!"),
    ):
        r = app.client.simulate_get(url)
        assert r.status_code == 403, url
        assert r.json == {"success": False, "error": "This signed media URL is not valid"}
    assert renditions(app) == []
    # Free query parameters never make sizes.
    r = app.client.simulate_get(f"/media/{slug}.jpg", params={"size": "123", "w": "77"})
    assert r.status_code == 200 and renditions(app) == []


@pytest.mark.parametrize("box", ["0x0", "99999x1", "-1x10", "10x-1", "axb", "10x", "4097x10"])
def test_bogus_signed_sizes_are_not_found_even_when_signed(signing: App, box: str) -> None:
    app = signing
    slug = upload(app)["id"]
    r = app.client.simulate_get(signed(f"{box}/{slug}.jpg"))
    assert r.status_code == 404 and r.json["success"] is False
    assert renditions(app) == []


def test_signed_sizes_are_off_without_a_key(make_app: Callable[..., App]) -> None:
    app = make_app(rendition_sizes=SIZES)
    slug = upload(app)["id"]
    assert app.client.simulate_get(signed(f"100x100/{slug}.jpg")).status_code == 404
    assert renditions(app) == []


def test_sign_url_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from imgtree.entrypoints.cli import main

    monkeypatch.setenv("IMGTREE_MEDIA_SIGNING_KEY", KEY)
    assert main(["sign-url", "100x100/abcd1234.webp"]) == 0
    assert capsys.readouterr().out.strip() == signed("100x100/abcd1234.webp")
    assert main(["sign-url", "/media/100x100/abcd1234.webp"]) == 0
    assert capsys.readouterr().out.strip() == signed("100x100/abcd1234.webp")
    assert main(["sign-url", "0x100/abcd1234.webp"]) == 2
    assert "W x H" in capsys.readouterr().err
    monkeypatch.delenv("IMGTREE_MEDIA_SIGNING_KEY")
    assert main(["sign-url", "100x100/abcd1234.webp"]) == 2
    assert "IMGTREE_MEDIA_SIGNING_KEY" in capsys.readouterr().err

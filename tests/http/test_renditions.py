"""GET/HEAD /media/{size}/{slug}.{ext}: a sized rendition, made on its first request and then
served exactly like the original (ETag, 304, Range, caching, access rules); the image page
names it in srcset and as src."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from PIL import Image as PILImage

from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.browser import sign_up
from tests.support.multipart import encode

SIZES = (("small", 40), ("medium", 80), ("large", 400))


@pytest.fixture(params=["memory", "sqlite"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param, rendition_sizes=SIZES)


def upload(app: App, data: bytes | None = None, name: str = "a.png") -> dict[str, str]:
    body, ctype = encode(
        [("file", name, "application/octet-stream", data or imagegen.png(200, 150))], {}
    )
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**app.auth(), "Content-Type": ctype}
    )
    assert r.status_code == 200, r.text
    image: dict[str, str] = r.json["images"][0]
    return image


def path(url: str) -> str:
    return url.removeprefix(BASE_URL)


def test_rendition_is_made_once_then_served_like_the_original(app: App) -> None:
    image = upload(app)
    url = f"/media/medium/{image['id']}.png"
    first = app.client.simulate_get(url)
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/png"
    assert PILImage.open(io.BytesIO(first.content)).size == (80, 60)
    original = app.client.simulate_get(path(image["direct_url"]))
    for header in ("cache-control", "x-content-type-options", "content-security-policy"):
        assert first.headers[header] == original.headers[header]
    assert "immutable" in first.headers["cache-control"]
    etag = first.headers["etag"]
    assert etag not in (original.headers["etag"], "")
    assert [k for k in app.stored_keys() if k.startswith("renditions/")] == [
        k for k in app.stored_keys() if k.endswith(".80.png")
    ]
    again = app.client.simulate_get(url)
    assert again.content == first.content and again.headers["etag"] == etag
    head = app.client.simulate_head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(first.content))
    assert app.client.simulate_get(url, headers={"If-None-Match": etag}).status_code == 304
    part = app.client.simulate_get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == first.content[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(first.content)}"


def test_thumbnail_route_is_unchanged(app: App) -> None:
    image = upload(app)
    thumb = app.client.simulate_get(path(image["thumb_url"]))
    assert thumb.status_code == 200 and thumb.headers["etag"].endswith('t"')


@pytest.mark.parametrize(
    "url",
    [
        "/media/large/{slug}.png",  # 400 px is not smaller than the image: never upscaled
        "/media/huge/{slug}.png",  # no such preset
        "/media/medium/{slug}.jpg",  # not the image's type
        "/media/medium/{slug}",
        "/media/medium/..%2F{slug}.png",
        "/media/medium/nosuchslug0000.png",
        "/media/MEDIUM/{slug}.png",
    ],
)
def test_what_is_not_offered_is_404_and_makes_nothing(app: App, url: str) -> None:
    image = upload(app)
    r = app.client.simulate_get(url.format(slug=image["id"]))
    assert r.status_code == 404
    assert not [k for k in app.stored_keys() if k.startswith("renditions/")]


def test_animations_keep_their_animation(app: App) -> None:
    image = upload(app, imagegen.gif(200, 150, frames=3), "a.gif")
    for ext in ("gif", "webp", "avif"):
        r = app.client.simulate_get(f"/media/small/{image['id']}.{ext}")
        assert r.status_code == 200, (ext, r.text)
        with PILImage.open(io.BytesIO(r.content)) as im:
            assert (im.size, getattr(im, "n_frames", 1)) == ((40, 30), 3)


def test_private_image_renditions_are_the_owners_alone(app: App) -> None:
    owner = sign_up(app)
    r = owner.upload(("a.png", "image/png", imagegen.png(200, 150)))
    slug = r.json["images"][0]["id"]
    listed = owner.request("GET", "/api/images").json["images"][0]
    made_private = owner.request("PATCH", f"/api/images/{listed['id']}", json={"isPublic": False})
    assert made_private.status_code == 200, made_private.text
    url = f"/media/small/{slug}.png"
    assert app.client.simulate_get(url).status_code == 404
    assert not [k for k in app.stored_keys() if k.startswith("renditions/")]
    mine = owner.request("GET", url)
    assert mine.status_code == 200
    assert mine.headers["cache-control"].startswith("private")


def test_image_page_uses_the_medium_rendition_with_srcset(app: App) -> None:
    image = upload(app)
    html = app.client.simulate_get(f"/i/{image['id']}").text
    img = re.search(r"<img [^>]*>", html)
    assert img is not None
    tag = img.group(0)
    slug = image["id"]
    assert f'src="{BASE_URL}/media/medium/{slug}.png"' in tag
    assert (
        f'srcset="{BASE_URL}/media/small/{slug}.png 40w, '
        f'{BASE_URL}/media/medium/{slug}.png 80w, {BASE_URL}/media/{slug}.png 200w"'
    ) in tag
    assert 'sizes="min(200px, calc(100vw - 2rem), 62rem)"' in tag


def test_image_page_offers_avif_and_webp_sources(app: App) -> None:
    image = upload(app)
    html = app.client.simulate_get(f"/i/{image['id']}").text
    slug = image["id"]
    sources = re.findall(r'<source type="([^"]+)" srcset="([^"]+)" sizes="([^"]+)">', html)
    assert [mime for mime, _set, _sizes in sources] == ["image/avif", "image/webp"]
    avif = sources[0][1]
    assert avif == (
        f"{BASE_URL}/media/small/{slug}.avif 40w, {BASE_URL}/media/medium/{slug}.avif 80w, "
        f"{BASE_URL}/media/full/{slug}.avif 200w"
    )
    assert sources[0][2] == "min(200px, calc(100vw - 2rem), 62rem)"
    assert html.index("<source") < html.index("<img")  # the <img> is the fallback


def test_small_images_keep_the_original(app: App) -> None:
    image = upload(app, imagegen.png(30, 20))
    html = app.client.simulate_get(f"/i/{image['id']}").text
    assert f'<img src="{BASE_URL}/media/{image["id"]}.png" alt=' in html
    assert "<source" not in html  # one file: a conversion of a tiny one may be larger


def test_deleting_removes_renditions_at_purge(app: App) -> None:
    image = upload(app)
    assert app.client.simulate_get(f"/media/small/{image['id']}.png").status_code == 200
    r = app.client.simulate_delete(path(image["delete_url"]))
    assert r.status_code in (200, 204), r.text
    assert app.client.simulate_get(f"/media/small/{image['id']}.png").status_code == 404
    app.container.use_cases.purge()(retention_seconds=0, orphan_grace_seconds=0)
    assert not [k for k in app.stored_keys() if k.startswith("renditions/")]


def test_s3_renditions(make_app: Callable[..., App]) -> None:
    app = make_app(backend="postgres_s3", rendition_sizes=SIZES)
    image = upload(app)
    url = f"/media/small/{image['id']}.png"
    first = app.client.simulate_get(url)
    assert first.status_code == 200
    assert PILImage.open(io.BytesIO(first.content)).size == (40, 30)
    assert any(k.startswith("renditions/") and k.endswith(".40.png") for k in app.stored_keys())
    assert app.client.simulate_get(url).content == first.content
    part = app.client.simulate_get(url, headers={"Range": "bytes=2-5"})
    assert part.status_code == 206 and part.content == first.content[2:6]
    app.client.simulate_delete(path(image["delete_url"]))
    app.container.use_cases.purge()(retention_seconds=0, orphan_grace_seconds=0)
    assert not [k for k in app.stored_keys() if k.startswith("renditions/")]


def test_image_objects_list_their_renditions(app: App) -> None:
    image = upload(app)
    slug = image["id"]
    expected = {name: f"{BASE_URL}/media/{name}/{slug}.png" for name in ("small", "medium")}
    assert image["renditions"] == expected
    assert list(image["renditions"]) == ["small", "medium"]  # smallest first
    owner = app.user()
    key = {"Authorization": f"Bearer {app.key_for(owner)}"}
    body, ctype = encode([("file", "b.png", "image/png", imagegen.png(200, 150))], {})
    app.client.simulate_post("/api/v1/upload", body=body, headers={**key, "Content-Type": ctype})
    listed = app.client.simulate_get("/api/v1/images", headers=key).json["images"]
    assert list(listed[0]["renditions"]) == ["small", "medium"]
    small = upload(app, imagegen.png(30, 20))
    assert small["renditions"] == {}

"""Placeholders and colour (issue 16 item 4) over HTTP: every image object carries `blurhash`
and `dominant_color`; the server-rendered pages hand them to static/blurhash.js as data
attributes (never a style attribute: the CSP refuses those), and the image page's theme-color
is the picture's colour."""

from __future__ import annotations

import base64
import io
import re
import uuid
from collections.abc import Callable
from types import SimpleNamespace

import attrs
from PIL import Image

from imgtree.domain.model import is_blurhash
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import Browser, sign_up


def _solid_png(rgb: tuple[int, int, int], w: int = 60, h: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), rgb).save(out, "PNG")
    return out.getvalue()


def _meta(html: str, name: str) -> str | None:
    match = re.search(rf'<meta name="{re.escape(name)}" content="([^"]*)">', html)
    return match.group(1) if match else None


def _upload_red(who: Browser, visibility: str = "public") -> dict[str, str]:
    r = who.upload(("red.png", "image/png", _solid_png((255, 0, 0))), visibility=visibility)
    assert r.status_code == 200, r.text
    return r.json["images"][0]


def _forget_placeholder(app: App, image_id: str) -> None:
    """The image as uploaded before placeholders existed."""
    with app.container.adapters.uow_factory()() as uow:
        image = uow.images.get(uuid.UUID(image_id))
        assert image is not None
        uow.images.update(attrs.evolve(image, blurhash=None, dominant_color=None))
        uow.commit()


def test_upload_listing_and_owner_edit_carry_the_placeholder(app: App) -> None:
    me = sign_up(app)
    uploaded = _upload_red(me)
    assert uploaded["dominant_color"] == "#ff0000"
    assert is_blurhash(uploaded["blurhash"])
    listed = me.request("GET", "/api/images").json["images"][0]
    assert (listed["blurhash"], listed["dominant_color"]) == (
        uploaded["blurhash"],
        uploaded["dominant_color"],
    )
    edited = me.request("PATCH", f"/api/images/{listed['id']}", json={"title": "Red"})
    assert edited.status_code == 200, edited.text
    assert edited.json["image"]["dominant_color"] == "#ff0000"
    assert edited.json["image"]["blurhash"] == uploaded["blurhash"]


def test_api_key_upload_and_listing_carry_the_placeholder(app: App) -> None:
    headers = app.auth(app.user())
    encoded = base64.b64encode(_solid_png((0, 255, 0))).decode()
    up = app.client.simulate_post(
        "/api/v1/upload",
        json={"filename": "g.png", "contentType": "image/png", "file_base64": encoded},
        headers=headers,
    )
    assert up.status_code == 200, up.text
    assert up.json["images"][0]["dominant_color"] == "#00ff00"
    listing = app.client.simulate_get("/api/v1/images", headers=headers)
    assert listing.status_code == 200, listing.text
    (image,) = listing.json["images"]
    assert image["dominant_color"] == "#00ff00" and is_blurhash(image["blurhash"])


def test_images_from_before_have_null_placeholders(app: App) -> None:
    me = sign_up(app)
    uploaded = _upload_red(me)
    listed = me.request("GET", "/api/images").json["images"][0]
    _forget_placeholder(app, listed["id"])
    again = me.request("GET", "/api/images").json["images"][0]
    assert again["blurhash"] is None and again["dominant_color"] is None
    html = app.client.simulate_get(f"/i/{uploaded['id']}").text
    assert _meta(html, "theme-color") == "#1f6feb"  # the site's colour instead
    assert "data-color=" not in html and "data-blurhash=" not in html


def test_image_page_theme_colour_and_placeholder_attributes(
    make_app: Callable[..., App],
) -> None:
    app = make_app(theme_color="#aa3300")
    me = sign_up(app)
    uploaded = _upload_red(me)
    html = app.client.simulate_get(f"/i/{uploaded['id']}").text
    assert _meta(html, "theme-color") == "#ff0000"
    img = re.search(r'<figure class="view">.*?<img ([^>]*)>', html, re.S)
    assert img is not None
    assert 'data-color="#ff0000"' in img.group(1)
    assert f'data-blurhash="{uploaded["blurhash"]}"' in img.group(1)
    assert "style=" not in html  # the CSP (style-src 'self') would refuse it
    assert '<script src="/static/blurhash.js?v=' in html
    assert _meta(app.client.simulate_get("/").text, "theme-color") == "#aa3300"


def test_profile_and_album_tiles_carry_the_placeholder(app: App) -> None:
    me = sign_up(app)
    album = me.request("POST", "/api/albums", json={"title": "Reds", "isPublic": True})
    assert album.status_code in (200, 201), album.text
    album_id = album.json["album"]["id"]
    r = me.upload(
        ("red.png", "image/png", _solid_png((255, 0, 0))), visibility="public", albumId=album_id
    )
    assert r.status_code == 200, r.text
    for path in (f"/u/{me.user_id}", f"/albums/{album_id}"):
        html = app.client.simulate_get(path).text
        tiles = re.findall(r'<li class="tile"[^>]*>\s*<a [^>]*><img ([^>]*)>', html)
        assert tiles, path
        assert all('data-color="#ff0000"' in t and "data-blurhash=" in t for t in tiles), path


def test_every_format_uploads_with_a_placeholder(app: App) -> None:
    me = sign_up(app)
    for name, mime, data in [
        ("a.jpg", "image/jpeg", imagegen.jpeg(50, 40)),
        ("b.png", "image/png", imagegen.png(50, 40, alpha=True)),
        ("c.gif", "image/gif", imagegen.gif(50, 40, frames=2)),
        ("d.webp", "image/webp", imagegen.webp(50, 40)),
    ]:
        r = me.upload((name, mime, data))
        assert r.status_code == 200, r.text
        image = r.json["images"][0]
        assert re.fullmatch(r"#[0-9a-f]{6}", image["dominant_color"]), name
        assert is_blurhash(image["blurhash"]), name


def test_templates_put_only_well_formed_values_in_attributes() -> None:
    """The domain refuses anything but "#rrggbb" and base-83 text; the templates check
    again, so even a value that slipped past (an embedder's own Image-like object) never
    becomes markup or CSS: no attribute, and the site's colour in theme-color."""
    from imgtree.entrypoints.http.web.render import Site, _env
    from imgtree.entrypoints.http.web.strings import strings_for

    hostile = SimpleNamespace(
        dominant_color='#ff0000" onload="alert(1)',
        blurhash='LKO2?U%2Tw=w]~RBVZRi};RPxuwH"><script>alert(1)</script>',
        title="",
        original_name="x.png",
        description="",
        width=1,
        height=1,
        is_public=True,
        content_type=SimpleNamespace(value="image/png"),
    )
    macro = _env.from_string('{% import "_macros.html" as m %}<img{{ m.placeholder(image) }}>')
    assert macro.render(image=hostile) == "<img>"
    strings = strings_for("image.html")  # render() hands every page its messages
    page = _env.get_template("image.html").render(
        image=hostile, site=Site(), codes=[], t=strings, ui_strings=strings.for_scripts()
    )
    assert _meta(page, "theme-color") == "#1f6feb"
    assert "onload" not in page and "<script>alert" not in page
    good = SimpleNamespace(dominant_color="#00aa11", blurhash="L" + "0" * 27)
    assert (
        macro.render(image=good) == f'<img data-color="#00aa11" data-blurhash="{"L" + "0" * 27}">'
    )

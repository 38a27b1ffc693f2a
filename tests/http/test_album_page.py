"""/albums/{id} rendered on the server: title, description, count, tiles, preview tags and a
server-side pager; unknown and private-to-others albums are a 404 page. Plus the album JSON's
share `codes`."""

from __future__ import annotations

import html
import re

from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.browser import Browser, sign_up


def _album(browser: Browser, **fields: object) -> str:
    doc = {"title": "Trips", "description": "", "isPublic": True, **fields}
    r = browser.request("POST", "/api/albums", json=doc)
    assert r.status_code == 201
    return str(r.json["album"]["id"])


def _upload(browser: Browser, album_id: str, name: str, public: bool = True, w: int = 12) -> str:
    r = browser.upload(
        (name, "image/png", imagegen.png(w, 10)),
        albumId=album_id,
        isPublic="true" if public else "false",
    )
    assert r.status_code == 200, r.text
    return str(r.json["images"][0]["id"])


def _meta(body: str, prop: str) -> str | None:
    m = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', body)
    return html.unescape(m.group(1)) if m else None


def test_visitor_sees_the_album_rendered_with_preview_tags(app: App) -> None:
    owner = sign_up(app)
    album_id = _album(owner, title="Trips <2026>", description="Sea & sun")
    slug = _upload(owner, album_id, "beach.png", w=40)
    hidden = _upload(owner, album_id, "secret.png", public=False)
    r = app.client.simulate_get(f"/albums/{album_id}")
    assert r.status_code == 200
    body = r.text
    assert "<h1 data-title>Trips &lt;2026&gt;</h1>" in body
    assert "Sea &amp; sun" in body and "1 image" in body
    assert f'href="{BASE_URL}/i/{slug}"' in body and hidden not in body
    assert 'width="40" height="10"' in body and 'alt="beach.png"' in body
    page = f"{BASE_URL}/albums/{album_id}"
    assert _meta(body, "og:title") == "Trips <2026>"
    assert _meta(body, "og:description") == "Sea & sun"
    assert _meta(body, "og:url") == page
    assert _meta(body, "og:type") == "website" and _meta(body, "og:site_name")
    assert (_meta(body, "og:image") or "").endswith(".png")
    assert _meta(body, "og:image:width") == "40" and _meta(body, "og:image:height") == "10"
    assert _meta(body, "og:image:type") == "image/png"
    assert _meta(body, "twitter:card") == "summary_large_image"
    assert f'<link rel="canonical" href="{page}">' in body
    assert "Manage albums" not in body  # owner links are the owner's


def test_description_falls_back_to_the_image_count_and_owner_sees_private_images(
    app: App,
) -> None:
    owner = sign_up(app)
    album_id = _album(owner)
    _upload(owner, album_id, "a.png")
    _upload(owner, album_id, "b.png", public=False)
    visitor = app.client.simulate_get(f"/albums/{album_id}").text
    assert _meta(visitor, "og:description") == "1 image"
    mine = owner.request("GET", f"/albums/{album_id}").text
    assert _meta(mine, "og:description") == "2 images" and "Manage albums" in mine


def test_empty_album_has_no_image_tag_and_says_so(app: App) -> None:
    owner = sign_up(app)
    album_id = _album(owner)
    body = app.client.simulate_get(f"/albums/{album_id}").text
    assert "This album is empty." in body
    assert _meta(body, "og:image") is None and _meta(body, "og:description") == "0 images"


def test_pager_and_out_of_range_page(app: App) -> None:
    owner = sign_up(app)
    album_id = _album(owner)
    for n in range(3):
        _upload(owner, album_id, f"{n}.png", w=10 + n)
    body = app.client.simulate_get(f"/albums/{album_id}", params={"page": "1"}).text
    assert body.count('class="tile"') == 3 and "Page 1 of" not in body
    far = app.client.simulate_get(f"/albums/{album_id}", params={"page": "9"})
    assert far.status_code == 200
    assert "There is no page 9" in far.text and 'class="tile"' not in far.text
    # The preview tags still name the album's cover on any page.
    assert _meta(far.text, "og:image")


def test_unknown_private_and_malformed_albums_are_404(app: App) -> None:
    owner = sign_up(app)
    album_id = _album(owner, isPublic=False)
    assert app.client.simulate_get(f"/albums/{album_id}").status_code == 404
    assert sign_up(app).request("GET", f"/albums/{album_id}").status_code == 404
    assert owner.request("GET", f"/albums/{album_id}").status_code == 200
    gone = app.client.simulate_get("/albums/00000000-0000-4000-8000-000000000000")
    assert gone.status_code == 404 and "does not exist" in gone.text
    assert app.client.simulate_get("/albums/not-a-uuid").status_code == 404


def test_album_json_carries_share_codes(app: App) -> None:
    owner = sign_up(app)
    album_id = _album(owner, title='Say "hi" [now] <b>')
    album = owner.request("GET", f"/api/albums/{album_id}").json["album"]
    page = f"{BASE_URL}/albums/{album_id}"
    assert list(album["codes"]) == ["page", "markdown", "html", "bbcode"]
    assert album["codes"]["page"] == page
    assert album["codes"]["markdown"] == f'[Say "hi" (now) <b>]({page})'
    assert album["codes"]["html"] == f'<a href="{page}">Say &quot;hi&quot; [now] &lt;b&gt;</a>'
    assert album["codes"]["bbcode"] == f'[url={page}]Say "hi" (now) <b>[/url]'
    listed = owner.request("GET", "/api/albums").json["albums"]
    assert listed[0]["codes"] == album["codes"]


def test_album_listing_carries_the_cover_thumbnail(app: App) -> None:
    owner = sign_up(app)
    empty = _album(owner, title="Empty")
    full = _album(owner, title="Full")
    _upload(owner, full, "old.png")
    newest = _upload(owner, full, "new.png")
    listed = {a["id"]: a for a in owner.request("GET", "/api/albums").json["albums"]}
    assert listed[empty]["cover_thumb_url"] is None
    images = owner.request("GET", f"/api/albums/{full}").json["images"]
    first = next(i for i in images if i["slug"] == newest)
    assert listed[full]["cover_thumb_url"] == first["thumb_url"] == images[0]["thumb_url"]


def _ids(browser: Browser, album_id: str) -> list[str]:
    r = browser.request("GET", f"/api/albums/{album_id}")
    return [i["id"] for i in r.json["images"]]


def test_owner_picks_the_cover_and_clears_it(app: App) -> None:
    owner = sign_up(app)
    album_id = _album(owner)
    _upload(owner, album_id, "first.png")
    _upload(owner, album_id, "second.png")
    newest, oldest = _ids(owner, album_id)
    page = app.client.simulate_get(f"/albums/{album_id}").text
    cover = _meta(page, "og:image")
    assert cover is not None and "/media/" in cover

    r = owner.request("PATCH", f"/api/albums/{album_id}", json={"coverImageId": oldest})
    assert r.status_code == 200, r.text
    assert r.json["album"]["cover_image_id"] == oldest
    slugs = {i["id"]: i["slug"] for i in owner.request("GET", "/api/images").json["images"]}
    page = app.client.simulate_get(f"/albums/{album_id}").text
    assert slugs[oldest] in (_meta(page, "og:image") or "")
    assert f"/i/{slugs[oldest]}" in page.split("data-cover")[1].split("</figure>")[0]

    # Not one of the album's images: 400, nothing changes; null: back to the first image.
    stranger = owner.upload(("x.png", "image/png", imagegen.png(8, 8))).json["images"][0]
    other_id = next(
        i["id"]
        for i in owner.request("GET", "/api/images").json["images"]
        if i["slug"] == stranger["id"]
    )
    r = owner.request("PATCH", f"/api/albums/{album_id}", json={"coverImageId": other_id})
    assert r.status_code == 400
    r = owner.request("PATCH", f"/api/albums/{album_id}", json={"cover_image_id": None})
    assert r.status_code == 200 and r.json["album"]["cover_image_id"] is None
    assert slugs[newest] in (
        _meta(app.client.simulate_get(f"/albums/{album_id}").text, "og:image") or ""
    )


def test_owner_arranges_the_album(app: App) -> None:
    owner = sign_up(app)
    album_id = _album(owner)
    for name in ("a.png", "b.png", "c.png"):
        _upload(owner, album_id, name)
    c, b, a = _ids(owner, album_id)  # newest first until arranged
    r = owner.request("PUT", f"/api/albums/{album_id}/order", json={"image_ids": [a, c, b]})
    assert r.status_code == 200, r.text
    assert r.json == {"success": True, "image_ids": [a, c, b]}
    assert _ids(owner, album_id) == [a, c, b]
    page = app.client.simulate_get(f"/albums/{album_id}").text
    slugs = {i["id"]: i["slug"] for i in owner.request("GET", "/api/images").json["images"]}
    positions = [page.index(f"/i/{slugs[x]}") for x in (a, c, b)]
    assert positions == sorted(positions)
    # A new image goes after the arranged ones.
    _upload(owner, album_id, "d.png")
    assert _ids(owner, album_id)[:3] == [a, c, b]

    for bad, status in (
        ({"image_ids": [a, c]}, 409),  # not every image: a stale page
        ({"image_ids": [a, c, b, b]}, 400),  # twice
        ({"image_ids": [a, c, "nope"]}, 400),
        ({"image_ids": "a,b"}, 400),
        ({"image_ids": [a, c, b], "imageIds": [a, c, b]}, 400),
    ):
        r = owner.request("PUT", f"/api/albums/{album_id}/order", json=bad)
        assert r.status_code == status, (bad, r.text)
        assert r.json["success"] is False
    assert _ids(owner, album_id)[:3] == [a, c, b]
    other = sign_up(app)
    r = other.request("PUT", f"/api/albums/{album_id}/order", json={"image_ids": [a, c, b]})
    assert r.status_code == 404
    # Moving an image to another album forgets its place in this one.
    second = _album(owner, title="Other")
    owner.request("PATCH", f"/api/images/{c}", json={"albumId": second})
    owner.request("PATCH", f"/api/images/{c}", json={"albumId": album_id})
    assert _ids(owner, album_id)[:2] == [a, b]

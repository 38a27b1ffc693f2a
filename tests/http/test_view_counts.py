"""View counts through HTTP (issue 17 item 4): what counts as a view, what does not, and where
the counts show (image objects, the image page, the gallery's data)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.multipart import encode


@pytest.fixture(params=["memory", "sqlite", "postgres_s3"])
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param, rendition_sizes=(("small", 8),))


def test_pages_and_media_are_counted_thumbnails_and_misses_are_not(app: App) -> None:
    headers = app.auth()
    body, multipart = encode([("file", "a.png", "image/png", imagegen.png(40, 30))], {})
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": multipart}
    )
    assert r.status_code == 200, r.text
    item = r.json["images"][0]
    slug = item["id"]
    page, direct = f"/i/{slug}", f"/media/{slug}.png"
    for _ in range(3):
        assert app.client.simulate_get(page).status_code == 200
    assert app.client.simulate_get(direct).status_code == 200
    etag = app.client.simulate_get(direct).headers["etag"]
    assert app.client.simulate_get(direct, headers={"If-None-Match": etag}).status_code == 304
    assert app.client.simulate_get(f"/media/small/{slug}.png").status_code == 200
    # not counted: the thumbnail, HEAD, a miss, a wrong extension, a part of the file
    assert app.client.simulate_get(str(item["thumb_url"]).removeprefix(BASE_URL)).status_code == 200
    assert app.client.simulate_head(direct).status_code == 200
    assert app.client.simulate_get("/i/zzzzzzzzzzzz").status_code == 404
    assert app.client.simulate_get(f"/media/{slug}.gif").status_code == 404
    assert app.client.simulate_get(direct, headers={"Range": "bytes=0-9"}).status_code == 206
    counter = app.container.use_cases.view_counter()
    assert counter.waiting == 7  # nothing written yet: no write per view
    counter.flush()
    listed = app.client.simulate_get("/api/v1/images", headers=headers).json["images"][0]
    assert (listed["page_views"], listed["media_hits"]) == (3, 4)
    # The image page says it (the view that shows it is counted with the next flush).
    shown = app.client.simulate_get(page)
    assert "<span data-views>3 views</span>" in shown.text

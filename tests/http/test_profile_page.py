"""The public profile /u/{user_id}: only the images its owner made `public` (unlisted and
private never), public albums only, no email, 404 for unknown or deactivated accounts."""

from __future__ import annotations

import uuid

from tests.support import imagegen
from tests.support.accounts import promote
from tests.support.app import App
from tests.support.browser import sign_up


def test_profile_lists_public_images_only(app: App) -> None:
    me = sign_up(app, "show@example.com")
    slugs = {}
    for visibility in ("public", "unlisted", "private"):
        r = me.upload(
            (f"{visibility}.png", "image/png", imagegen.png(30, 20)), visibility=visibility
        )
        slugs[visibility] = r.json["images"][0]["id"]
    me.request("POST", "/api/albums", json={"title": "Open <album>", "isPublic": True})
    me.request("POST", "/api/albums", json={"title": "Closed album", "isPublic": False})
    page = app.client.simulate_get(f"/u/{me.user_id}")
    assert page.status_code == 200
    html = page.text
    assert f"/i/{slugs['public']}" in html
    assert f"/i/{slugs['unlisted']}" not in html and f"/i/{slugs['private']}" not in html
    assert "1 public image" in html
    assert "Open &lt;album&gt;" in html and "Closed album" not in html
    assert "show@example.com" not in html  # a visitor never learns the email
    assert "This is your public profile" not in html
    assert "This is your public profile" in me.request("GET", f"/u/{me.user_id}").text


def test_unknown_and_deactivated_profiles_are_404(app: App) -> None:
    assert app.client.simulate_get(f"/u/{uuid.uuid4()}").status_code == 404
    assert app.client.simulate_get("/u/not-a-uuid").status_code == 404
    me = sign_up(app)
    me.upload(("p.png", "image/png", imagegen.png(30, 20)), visibility="public")
    assert app.client.simulate_get(f"/u/{me.user_id}").status_code == 200
    promote(app, me.user_id, active=False)
    assert app.client.simulate_get(f"/u/{me.user_id}").status_code == 404


def test_out_of_range_page_says_so(app: App) -> None:
    me = sign_up(app)
    me.upload(("p.png", "image/png", imagegen.png(30, 20)), visibility="public")
    r = app.client.simulate_get(f"/u/{me.user_id}", query_string="page=9")
    assert r.status_code == 200 and "There is no page 9" in r.text

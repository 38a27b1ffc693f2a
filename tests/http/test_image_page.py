"""The image page /i/{slug}: one page for the owner (with their controls) and another for
everyone else; its name, preview tags and colour come from the image's title and the
operator's site settings; the share panel lists every code, page link first."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from imgtree.entrypoints.settings import Settings, SettingsError
from tests.support import imagegen
from tests.support.app import App
from tests.support.browser import sign_up


def _meta(html: str, prop: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)">', html)
    return match.group(1) if match else None


def _upload(app: App) -> tuple[object, dict[str, str]]:
    owner = sign_up(app)
    r = owner.upload(("IMG_20261130_101112.png", "image/png", imagegen.png(40, 30)))
    assert r.status_code == 200, r.text
    return owner, r.json["images"][0]


def test_untitled_image_is_called_image_not_its_generated_file_name(app: App) -> None:
    _, image = _upload(app)
    html = app.client.simulate_get(f"/i/{image['id']}").text
    assert "<title>Image · imgtree</title>" in html
    assert _meta(html, "og:title") == "Image"
    assert _meta(html, "twitter:title") == "Image"
    assert _meta(html, "og:site_name") == "imgtree"
    assert _meta(html, "og:description") is None  # no description anywhere: no empty tag
    assert "IMG_20261130_101112.png" in html  # the caption still names the file


def test_title_names_the_page_caption_and_embeds(app: App) -> None:
    owner, image = _upload(app)
    listed = owner.request("GET", "/api/images").json["images"][0]
    r = owner.request("PATCH", f"/api/images/{listed['id']}", json={"title": "Fox & <hound>"})
    assert r.status_code == 200, r.text
    html = app.client.simulate_get(f"/i/{image['id']}").text
    assert "<title>Fox &amp; &lt;hound&gt; · imgtree</title>" in html
    assert _meta(html, "og:title") == "Fox &amp; &lt;hound&gt;"
    assert "<strong>Fox &amp; &lt;hound&gt;</strong>" in html
    assert "<hound>" not in html


def test_owner_sees_controls_visitors_do_not(app: App) -> None:
    owner, image = _upload(app)
    visitor = app.client.simulate_get(f"/i/{image['id']}")
    assert "data-owner-tools" not in visitor.text
    assert "image_owner.js" not in visitor.text
    assert "Cookie" in visitor.headers["vary"]
    other = sign_up(app).request("GET", f"/i/{image['id']}")
    assert "data-owner-tools" not in other.text
    mine = owner.request("GET", f"/i/{image['id']}")
    assert mine.status_code == 200
    assert "data-owner-tools" in mine.text and "/static/image_owner.js" in mine.text
    assert "Download original" in mine.text
    assert "no-store" in mine.headers["cache-control"]
    # Each visibility is explained where it is chosen.
    assert "Anyone with the link can see it; it is not listed anywhere." in mine.text


def test_share_panel_lists_every_code_page_link_first(app: App) -> None:
    _, image = _upload(app)
    html = app.client.simulate_get(f"/i/{image['id']}").text
    keys = re.findall(r'data-copy-from="code-([a-z_]+)"', html)
    assert keys == list(image["codes"])
    assert keys[0] == "page"
    for key, value in image["codes"].items():
        escaped = value.replace("&", "&amp;").replace('"', "&#34;").replace("<", "&lt;")
        escaped = escaped.replace(">", "&gt;").replace("'", "&#39;")
        assert f'id="code-{key}" type="text" readonly value="{escaped}"' in html, key


def test_operator_site_name_description_and_colour(make_app: Callable[..., App]) -> None:
    app = make_app(
        site_name="Pics & Co", site_description="Team screenshots", theme_color="#aa3300"
    )
    _, image = _upload(app)
    html = app.client.simulate_get(f"/i/{image['id']}").text
    assert _meta(html, "og:site_name") == "Pics &amp; Co"
    assert _meta(html, "og:description") == "Team screenshots"
    # The image page takes the picture's own colour (tests/http/test_placeholders.py).
    assert _meta(html, "theme-color") == image["dominant_color"]
    assert "<title>Image · Pics &amp; Co</title>" in html
    home = app.client.simulate_get("/").text
    assert _meta(home, "theme-color") == "#aa3300"
    assert '<a href="/" class="brand">Pics &amp; Co</a>' in home


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IMGTREE_THEME_COLOR", "red"),
        ("IMGTREE_THEME_COLOR", "#12345"),
        ("IMGTREE_SITE_NAME", "x" * 61),
        ("IMGTREE_SITE_NAME", "two\nlines"),
        ("IMGTREE_SITE_DESCRIPTION", "y" * 301),
    ],
)
def test_bad_site_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_site_settings_from_env() -> None:
    s = Settings.from_env(
        {
            "IMGTREE_SITE_NAME": "Pics",
            "IMGTREE_SITE_DESCRIPTION": "Ours",
            "IMGTREE_THEME_COLOR": "#AA3300",
        }
    )
    assert (s.site_name, s.site_description, s.theme_color) == ("Pics", "Ours", "#aa3300")

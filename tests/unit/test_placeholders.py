"""Placeholders (issue 16 item 4): the BlurHash encoder's properties, the dominant colour on
known pictures, and what the processor makes from an upload's thumbnail."""

from __future__ import annotations

import io

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from imgtree.adapters.imaging import blurhash
from imgtree.adapters.imaging.pillow import PillowImageProcessor
from imgtree.adapters.imaging.placeholder import dominant_color, placeholder
from imgtree.domain.model import is_blurhash, is_hex_color
from tests.support import factories, imagegen

channel = st.integers(0, 255)
colour = st.tuples(channel, channel, channel)


@st.composite
def pictures(draw: st.DrawFn) -> tuple[list[blurhash.RGB], int, int]:
    width, height = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    pixels = draw(st.lists(colour, min_size=width * height, max_size=width * height))
    return pixels, width, height


def _mean(pixels: list[blurhash.RGB]) -> tuple[float, float, float]:
    """The mean colour in linear light (what BlurHash's DC component is), back in sRGB."""
    n = len(pixels)
    linear = [sum(blurhash.srgb_to_linear(p[c]) for p in pixels) / n for c in range(3)]
    return tuple(float(blurhash.linear_to_srgb(v)) for v in linear)  # type: ignore[return-value]


# --- the encoder ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(pictures(), st.integers(1, 9), st.integers(1, 9))
def test_length_follows_the_component_count(
    picture: tuple[list[blurhash.RGB], int, int], x: int, y: int
) -> None:
    pixels, width, height = picture
    hashed = blurhash.encode(pixels, width, height, x_components=x, y_components=y)
    assert len(hashed) == 1 + 1 + 4 + 2 * (x * y - 1)
    assert blurhash.components(hashed) == (x, y)
    assert is_blurhash(hashed)  # the domain accepts every hash the encoder makes


@settings(max_examples=60, deadline=None)
@given(pictures())
def test_is_deterministic(picture: tuple[list[blurhash.RGB], int, int]) -> None:
    pixels, width, height = picture
    assert blurhash.encode(pixels, width, height) == blurhash.encode(list(pixels), width, height)


@settings(max_examples=60, deadline=None)
@given(pictures())
def test_decoding_keeps_the_average_colour(picture: tuple[list[blurhash.RGB], int, int]) -> None:
    """The DC component is the average colour (24-bit exact); the decoded picture's own
    average drifts from it only by the quantised AC terms."""
    pixels, width, height = picture
    hashed = blurhash.encode(pixels, width, height)
    dc = blurhash._unbase83(hashed[2:6])
    expected = _mean(pixels)
    assert abs((dc >> 16) - expected[0]) <= 1
    assert abs(((dc >> 8) & 255) - expected[1]) <= 1
    assert abs((dc & 255) - expected[2]) <= 1
    decoded = blurhash.decode(hashed, 32, 24)
    got = _mean(decoded)
    for c in range(3):
        assert abs(got[c] - expected[c]) <= 40, (got, expected)


@pytest.mark.parametrize("rgb", [(255, 0, 0), (0, 0, 0), (255, 255, 255), (18, 200, 99)])
def test_a_flat_picture_decodes_close_to_its_colour(rgb: blurhash.RGB) -> None:
    """At the size the processor encodes (32 px). Not exact: the published basis samples
    cos(pi * i * x / width) at x = 0..width-1, whose sum is not 0, so even a flat picture
    has small AC terms (every BlurHash implementation shares this; clients expect it)."""
    hashed = blurhash.encode([rgb] * 32 * 32, 32, 32)
    for pixel in blurhash.decode(hashed, 32, 24):
        assert all(abs(a - b) <= 24 for a, b in zip(pixel, rgb, strict=True)), pixel


def test_a_known_hash() -> None:
    """Pinned, so a change to the packing is seen (the published layout: size flag, maximum,
    DC, ACs): 4x3 components are flag 3 + 2 * 9 = 21, "L"."""
    hashed = blurhash.encode([(255, 0, 0)] * 16, 4, 4)
    assert hashed[0] == "L"
    assert hashed[2:6] == blurhash._base83(0xFF0000, 4)


@pytest.mark.parametrize(
    "bad",
    ["", "LKO2?U", "L" + "0" * 26, "L" + "0" * 28, "<script>", "LKO2?U%2Tw=w]~RBVZRi};RPxuwH'"],
)
def test_malformed_hashes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        blurhash.components(bad)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        blurhash.encode([(0, 0, 0)], 1, 1, x_components=10)
    with pytest.raises(ValueError):
        blurhash.encode([(0, 0, 0)], 2, 1)


# --- the dominant colour ----------------------------------------------------------------------


def _rgba(im: Image.Image) -> bytes:
    return im.convert("RGBA").tobytes()


def test_solid_red_is_ff0000() -> None:
    assert dominant_color(_rgba(Image.new("RGB", (20, 10), (255, 0, 0)))) == "#ff0000"


def test_the_most_common_colour_wins_not_the_mean() -> None:
    im = Image.new("RGB", (10, 10), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 10, 4))  # 40 % red, 60 % blue: never purple
    assert dominant_color(_rgba(im)) == "#0000ff"


def test_fully_transparent_pixels_are_ignored() -> None:
    im = Image.new("RGBA", (10, 10), (255, 255, 255, 0))  # 90 % invisible white
    im.paste((0, 128, 0, 255), (0, 0, 10, 1))
    assert dominant_color(_rgba(im)) == "#008000"


def test_a_fully_transparent_picture_has_no_placeholder() -> None:
    im = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    assert dominant_color(_rgba(im)) is None
    assert placeholder(im) == (None, None)


def test_colours_are_lower_case_hex() -> None:
    got = dominant_color(_rgba(Image.new("RGB", (3, 3), (171, 205, 239))))
    assert got == "#abcdef" and is_hex_color(got)


def test_transparent_parts_blur_into_the_dominant_colour() -> None:
    im = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    im.paste((200, 30, 30, 255), (0, 0, 40, 30))
    hashed, colour = placeholder(im)
    assert colour == "#c81e1e"
    assert hashed is not None
    for pixel in blurhash.decode(hashed, 8, 8):  # no black backdrop invented
        assert abs(pixel[0] - 200) <= 24 and pixel[1] < 60, pixel


# --- the processor ----------------------------------------------------------------------------


def _process(data: bytes) -> tuple[str | None, str | None]:
    done = PillowImageProcessor().process(io.BytesIO(data))
    done.published.close()
    done.thumbnail.close()
    return done.blurhash, done.dominant_color


def _solid_png(w: int, h: int, rgb: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), rgb).save(out, "PNG")
    return out.getvalue()


def test_processor_makes_the_placeholder_of_the_upload() -> None:
    hashed, colour = _process(_solid_png(800, 600, (255, 0, 0)))
    assert colour == "#ff0000"
    assert hashed is not None and blurhash.components(hashed) == (4, 3)


@pytest.mark.parametrize(
    "data",
    [
        imagegen.jpeg(64, 48),
        imagegen.png(64, 48, alpha=True),
        imagegen.gif(64, 48, frames=3),
        imagegen.webp(64, 48),
        imagegen.png16(),
        imagegen.cmyk_jpeg(),
    ],
    ids=["jpeg", "png-alpha", "gif-animated", "webp", "png16", "cmyk"],
)
def test_every_format_gets_a_well_formed_placeholder(data: bytes) -> None:
    hashed, colour = _process(data)
    assert is_blurhash(hashed) and is_hex_color(colour)


def test_placeholder_follows_the_orientation() -> None:
    """The thumbnail is turned upright first, so the hash is of the picture as shown: a
    quarter turn swaps the component grid's axes (different hash), the colour stays."""
    upright = _process(imagegen.jpeg(64, 48))
    turned = _process(imagegen.jpeg(64, 48, exif_orientation=6))
    assert upright[1] == turned[1]
    assert upright[0] != turned[0]


def test_image_refuses_values_that_are_not_placeholders() -> None:
    image = factories.make_image()
    for field, value in [
        ("dominant_color", "#FF0000"),
        ("dominant_color", "red"),
        ("dominant_color", '#ff0000" onload="x'),
        ("blurhash", "<img src=x>"),
        ("blurhash", "short"),
    ]:
        with pytest.raises(ValueError):
            attrs.evolve(image, **{field: value})
    assert attrs.evolve(image, dominant_color="#ff0000", blurhash="L" * 28).blurhash == "L" * 28

"""BlurHash (https://blurha.sh), written from the published algorithm: a few cosine
components of the picture in linear light, quantised and packed into base 83.

Layout of a hash with X x Y components: 1 character for the component counts
((X - 1) + (Y - 1) * 9), 1 for the quantised maximum AC amplitude, 4 for the DC (average)
colour as sRGB 24-bit, then 2 per AC component (each channel quantised to 19 levels):
1 + 1 + 4 + 2 * (X * Y - 1) characters.

Pure Python: it only ever sees the tiny copy of the thumbnail `placeholder` hands it (a few
hundred pixels), so the cost is bounded whatever was uploaded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_DIGITS = {c: i for i, c in enumerate(BASE83)}
MAX_COMPONENTS = 9

RGB = tuple[int, int, int]
_Linear = tuple[float, float, float]


def hash_length(x_components: int, y_components: int) -> int:
    return 4 + 2 * x_components * y_components


def _base83(value: int, length: int) -> str:
    return "".join(BASE83[(value // 83 ** (length - 1 - i)) % 83] for i in range(length))


def _unbase83(text: str) -> int:
    value = 0
    for char in text:
        value = value * 83 + _DIGITS[char]
    return value


def srgb_to_linear(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def linear_to_srgb(value: float) -> int:
    v = min(1.0, max(0.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)


def encode(
    pixels: Sequence[RGB], width: int, height: int, *, x_components: int = 4, y_components: int = 3
) -> str:
    """The hash of `width` x `height` sRGB pixels (row by row)."""
    if not (1 <= x_components <= MAX_COMPONENTS and 1 <= y_components <= MAX_COMPONENTS):
        raise ValueError("components must be between 1 and 9")
    if width < 1 or height < 1 or len(pixels) != width * height:
        raise ValueError("pixels must hold width x height colours")
    linear = [tuple(srgb_to_linear(c) for c in pixel) for pixel in pixels]
    # Separable basis: cos(pi * i * x / width) * cos(pi * j * y / height), tabled once.
    cos_x = [[math.cos(math.pi * i * x / width) for x in range(width)] for i in range(x_components)]
    cos_y = [
        [math.cos(math.pi * j * y / height) for y in range(height)] for j in range(y_components)
    ]
    factors: list[_Linear] = []
    for j in range(y_components):
        for i in range(x_components):
            r = g = b = 0.0
            row_x = cos_x[i]
            for y in range(height):
                weight_y = cos_y[j][y]
                offset = y * width
                for x in range(width):
                    basis = row_x[x] * weight_y
                    pr, pg, pb = linear[offset + x]
                    r += basis * pr
                    g += basis * pg
                    b += basis * pb
            scale = (1 if i == 0 and j == 0 else 2) / (width * height)
            factors.append((r * scale, g * scale, b * scale))
    dc, ac = factors[0], factors[1:]
    out = [_base83((x_components - 1) + (y_components - 1) * 9, 1)]
    if ac:
        actual_max = max(abs(c) for factor in ac for c in factor)
        quantised_max = max(0, min(82, math.floor(actual_max * 166 - 0.5)))
        maximum = (quantised_max + 1) / 166
        out.append(_base83(quantised_max, 1))
    else:
        maximum = 1.0
        out.append(_base83(0, 1))
    out.append(
        _base83(
            (linear_to_srgb(dc[0]) << 16) + (linear_to_srgb(dc[1]) << 8) + linear_to_srgb(dc[2]), 4
        )
    )
    for factor in ac:
        r, g, b = (
            max(0, min(18, math.floor(_sign_pow(c / maximum, 0.5) * 9 + 9.5))) for c in factor
        )
        out.append(_base83(r * 19 * 19 + g * 19 + b, 2))
    return "".join(out)


def components(blurhash: str) -> tuple[int, int]:
    """(x, y) component counts a well-formed hash declares; ValueError for anything else."""
    if len(blurhash) < 6 or any(c not in _DIGITS for c in blurhash):
        raise ValueError("not a BlurHash")
    flag = _DIGITS[blurhash[0]]
    x, y = flag % 9 + 1, flag // 9 + 1
    if len(blurhash) != hash_length(x, y):
        raise ValueError("BlurHash length does not match its component count")
    return x, y


def decode(blurhash: str, width: int, height: int) -> list[RGB]:
    """`width` x `height` sRGB pixels (row by row) drawn from the hash: for tests and for
    checking the encoder (the web app decodes in static/blurhash.js)."""
    x_components, y_components = components(blurhash)
    maximum = (_unbase83(blurhash[1]) + 1) / 166
    dc = _unbase83(blurhash[2:6])
    colours: list[_Linear] = [
        (srgb_to_linear(dc >> 16), srgb_to_linear((dc >> 8) & 255), srgb_to_linear(dc & 255))
    ]
    for k in range(1, x_components * y_components):
        value = _unbase83(blurhash[4 + 2 * k : 6 + 2 * k])
        quantised = (value // (19 * 19), (value // 19) % 19, value % 19)
        r, g, b = (_sign_pow((q - 9) / 9, 2) * maximum for q in quantised)
        colours.append((r, g, b))
    pixels: list[RGB] = []
    for y in range(height):
        for x in range(width):
            r = g = b = 0.0
            for j in range(y_components):
                weight_y = math.cos(math.pi * y * j / height)
                for i in range(x_components):
                    basis = math.cos(math.pi * x * i / width) * weight_y
                    cr, cg, cb = colours[i + j * x_components]
                    r += cr * basis
                    g += cg * basis
                    b += cb * basis
            pixels.append((linear_to_srgb(r), linear_to_srgb(g), linear_to_srgb(b)))
    return pixels

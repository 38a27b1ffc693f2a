"""An image's placeholder, made from its thumbnail: a BlurHash and the dominant colour.

Both come from a copy of the thumbnail shrunk to at most `PLACEHOLDER_SIDE` pixels a side
(box-filtered: every thumbnail pixel counts), so their cost is a few thousand operations
whatever was uploaded; the thumbnail itself is already bounded by the processor.

Dominant colour: the pixels are sorted into 8 x 8 x 8 buckets (the top 3 bits of each
channel); the colour is the mean of the most populated bucket (ties: the darker bucket
first, so the answer is deterministic). Fully transparent pixels are ignored; a picture with
none other has no dominant colour (None). A coarse quantisation rather than the mean of the
picture: the mean of a red and blue flag is a purple that appears nowhere in it.

BlurHash: 4 x 3 components. Transparent and translucent pixels are composited onto the
dominant colour first, so the placeholder shows the visible content without inventing a
backdrop (a web page's background differs between light and dark themes).
"""

from __future__ import annotations

from PIL import Image

from imgtree.adapters.imaging import blurhash

PLACEHOLDER_SIDE = 32
X_COMPONENTS = 4
Y_COMPONENTS = 3
_BUCKET_SHIFT = 5  # 8 levels a channel


def dominant_color(rgba: bytes) -> str | None:
    """The lower-case "#rrggbb" dominant colour of RGBA pixel bytes (see the module)."""
    buckets: dict[int, list[int]] = {}
    for offset in range(0, len(rgba) - 3, 4):
        r, g, b, a = rgba[offset : offset + 4]
        if a == 0:
            continue
        key = (r >> _BUCKET_SHIFT) << 6 | (g >> _BUCKET_SHIFT) << 3 | b >> _BUCKET_SHIFT
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = [1, r, g, b]
        else:
            bucket[0] += 1
            bucket[1] += r
            bucket[2] += g
            bucket[3] += b
    if not buckets:
        return None
    key = max(sorted(buckets), key=lambda k: buckets[k][0])
    count, r, g, b = buckets[key]
    return "#{:02x}{:02x}{:02x}".format(*(round(c / count) for c in (r, g, b)))


def _composited(rgba: bytes, backdrop: tuple[int, int, int]) -> list[blurhash.RGB]:
    pixels: list[blurhash.RGB] = []
    for offset in range(0, len(rgba) - 3, 4):
        r, g, b, a = rgba[offset : offset + 4]
        if a == 255:
            pixels.append((r, g, b))
        else:
            pixels.append(
                (
                    (r * a + backdrop[0] * (255 - a) + 127) // 255,
                    (g * a + backdrop[1] * (255 - a) + 127) // 255,
                    (b * a + backdrop[2] * (255 - a) + 127) // 255,
                )
            )
    return pixels


def placeholder(thumbnail: Image.Image) -> tuple[str | None, str | None]:
    """(blurhash, dominant colour) of a decoded thumbnail; (None, None) when no pixel of it
    is visible."""
    width, height = thumbnail.size
    scale = PLACEHOLDER_SIDE / max(width, height)
    small = thumbnail
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = thumbnail.resize(size, Image.Resampling.BOX)
    small = small.convert("RGBA")
    data = small.tobytes()
    colour = dominant_color(data)
    if colour is None:
        return None, None
    backdrop = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
    hashed = blurhash.encode(
        _composited(data, backdrop),
        small.width,
        small.height,
        x_components=X_COMPONENTS,
        y_components=Y_COMPONENTS,
    )
    return hashed, colour

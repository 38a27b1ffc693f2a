"""HEIF/HEIC and AVIF: the ISO-BMFF box tree, walked without decoding anything.

Both are ISO base media files: a `ftyp` box naming brands, then a `meta` box describing
items (the image, its tiles, thumbnails, Exif) whose properties (`iprp`/`ipco`) include
`ispe`, the declared width and height of an item. `check` walks the tree before any
decoder sees the file and refuses, cheaply:

- a first box that is not `ftyp`, or brands that are neither HEIF nor AVIF (`brand`);
- boxes that are truncated, shorter than their header, or (size 0) claim "to the end of the
  file" anywhere but at the top level;
- more than `MAX_BOXES` boxes in all, nesting deeper than `MAX_DEPTH`, more than
  `MAX_ITEMS` items (a "thousands of tiles" grid);
- any `ispe` over the side or pixel limits, or all `ispe` together declaring more than
  `max_total_pixels` (libheif decodes every tile of a grid);
- no `meta` box or no `ispe` at all (nothing to bound the decode by).

The file is not rewritten: it is decoded and re-encoded as JPEG by `pillow`, which is
what removes every piece of metadata.
"""

from __future__ import annotations

import struct

from imgtree.adapters.imaging.container import ContainerError, LimitExceeded, check_size
from imgtree.domain.model import ImageFormat

MAX_BOXES = 10_000
MAX_DEPTH = 8
MAX_ITEMS = 1_024  # an iPhone photo is a grid of about 50 tiles plus a few extra items

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"mif2", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
# boxes whose payload is only child boxes, after `skip` bytes (version/flags, counts)
_CONTAINERS = {b"meta": 4, b"iprp": 0, b"ipco": 0, b"dinf": 0, b"iinf": None, b"moov": 0}


def brand(data: bytes) -> ImageFormat | None:
    """HEIC, HEIF or AVIF from the `ftyp` box at the start of `data`: its major brand, or for a
    generic major brand (mif1, msf1) an `avif`/`avis` compatible brand in the first 64 bytes."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    major = data[8:12]
    if major in _AVIF_BRANDS:
        return ImageFormat.AVIF
    if major in _HEIC_BRANDS:
        return ImageFormat.HEIC
    if major in _HEIF_BRANDS:
        size = int.from_bytes(data[:4], "big")
        compatible = data[16 : min(size, len(data))]
        brands = {compatible[i : i + 4] for i in range(0, len(compatible) - 3, 4)}
        return ImageFormat.AVIF if brands & _AVIF_BRANDS else ImageFormat.HEIF
    return None


class _Walk:
    def __init__(self, data: bytes, limits: dict[str, int | None]) -> None:
        self.data = data
        self.limits = limits
        self.boxes = 0
        self.items = 0
        self.sizes: list[tuple[int, int]] = []
        self.meta = False

    def boxes_in(self, start: int, end: int, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise LimitExceeded(f"Image boxes are nested deeper than {MAX_DEPTH}")
        pos = start
        while pos < end:
            self.boxes += 1
            if self.boxes > MAX_BOXES:
                raise LimitExceeded(f"Image has too many boxes: more than {MAX_BOXES}")
            if pos + 8 > end:
                raise ContainerError("HEIF box is truncated")
            size, kind = struct.unpack_from(">I4s", self.data, pos)
            header = 8
            if size == 1:
                if pos + 16 > end:
                    raise ContainerError("HEIF box is truncated")
                (size,) = struct.unpack_from(">Q", self.data, pos + 8)
                header = 16
            elif size == 0:
                if depth != 0:
                    raise ContainerError("HEIF box structure is broken")
                size = end - pos
            if size < header:
                raise ContainerError("HEIF box structure is broken")
            if pos + size > end:
                raise ContainerError("HEIF is truncated")
            self.box(kind, pos + header, pos + size, depth)
            pos += size

    def box(self, kind: bytes, start: int, end: int, depth: int) -> None:
        if kind == b"meta":
            self.meta = True
        if kind == b"iinf":
            # full box; entry count is 16 bits (version 0) or 32 bits
            if start + 4 > end:
                raise ContainerError("HEIF item list is truncated")
            version = self.data[start]
            width = 2 if version == 0 else 4
            if start + 4 + width > end:
                raise ContainerError("HEIF item list is truncated")
            count = int.from_bytes(self.data[start + 4 : start + 4 + width], "big")
            self.count_items(count)
            self.boxes_in(start + 4 + width, end, depth + 1)
        elif kind in _CONTAINERS:
            skip = _CONTAINERS[kind] or 0
            self.boxes_in(start + skip, end, depth + 1)
        elif kind == b"ispe":
            if start + 12 > end:
                raise ContainerError("HEIF image size property is truncated")
            width, height = struct.unpack_from(">II", self.data, start + 4)
            if width < 1 or height < 1:
                raise ContainerError("HEIF image has no pixels")
            check_size(
                width,
                height,
                max_side=self.limits["max_side"],
                max_pixels=self.limits["max_pixels"],
            )
            self.sizes.append((width, height))
            total = self.limits["max_total_pixels"]
            if total is not None and sum(w * h for w, h in self.sizes) > total:
                raise LimitExceeded(
                    f"Image is too large: its parts declare more than {total:,} pixels"
                )

    def count_items(self, count: int) -> None:
        self.items += count
        if self.items > MAX_ITEMS:
            raise LimitExceeded(f"Image has too many items: more than {MAX_ITEMS}")


def check(
    data: bytes,
    *,
    max_side: int | None = None,
    max_pixels: int | None = None,
    max_total_pixels: int | None = None,
) -> tuple[int, int]:
    """Walk the box tree as the module docstring says; the largest declared (width, height)."""
    if brand(data) is None:
        raise ContainerError("not a HEIF or AVIF file")
    limits = {"max_side": max_side, "max_pixels": max_pixels, "max_total_pixels": max_total_pixels}
    walk = _Walk(data, limits)
    walk.boxes_in(0, len(data), 0)
    if not walk.meta:
        raise ContainerError("HEIF has no image description (meta box)")
    if not walk.sizes:
        raise ContainerError("HEIF declares no image size")
    return max(walk.sizes, key=lambda s: s[0] * s[1])

"""GIF sanitising at the block level: no pixel is decoded or re-encoded here.

Kept: header, logical screen descriptor, colour tables, image descriptors with their LZW
data, graphic control extensions (delays, disposal, transparency) and the NETSCAPE2.0 /
ANIMEXTS1.0 looping extension. Dropped: comment and plain-text extensions, every other
application extension (XMP, ICC, vendor data) and anything after the trailer. A graphic
control extension that belonged to a dropped plain-text block is dropped with it, so the
timing of the remaining frames is unchanged.

Why not re-encode with Pillow: GIF re-encoding re-quantises palettes and re-optimises
frames, which is slow for long animations and can change how they look; the block walk is
exact, keeps every delay and disposal method, and costs one pass over the bytes.

Structural limits, checked while walking (so a hostile file is read no further than its
first block over a limit): the logical screen is at least 1x1 and within `max_side` and
`max_pixels`; every image descriptor is at least 1x1 and lies inside the logical screen;
the screen's pixels times the frames counted so far stay within `max_total_pixels` (each
frame is composited on a full canvas, so that is the decoding work); at most `max_frames`
frames. A frame reaching outside the screen is refused rather than clipped: Pillow grows
its canvas to fit such a frame, so a 125 KB file could otherwise ask for gigabytes while
its header declared a small screen.
"""

from __future__ import annotations

import struct

from imgtree.adapters.imaging.container import (
    ContainerError,
    Rewritten,
    animation_too_large,
    check_size,
    too_many_frames,
)

SIGNATURES = (b"GIF87a", b"GIF89a")

_IMAGE, _EXTENSION, _TRAILER = 0x2C, 0x21, 0x3B
_GRAPHIC_CONTROL, _PLAIN_TEXT, _APPLICATION, _COMMENT = 0xF9, 0x01, 0xFF, 0xFE
# application extensions start with an 11-byte identifier sub-block
_LOOPING = (b"\x0bNETSCAPE2.0", b"\x0bANIMEXTS1.0")


def _table_size(packed: int) -> int:
    return 3 << ((packed & 0x07) + 1) if packed & 0x80 else 0


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Position after the block terminator of the sub-block chain starting at `pos`."""
    n = len(data)
    while True:
        if pos >= n:
            raise ContainerError("GIF is truncated")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def rewrite(
    data: bytes,
    *,
    max_frames: int | None = None,
    max_side: int | None = None,
    max_pixels: int | None = None,
    max_total_pixels: int | None = None,
) -> Rewritten:
    """Rewrite a GIF as described in the module docstring; raise ContainerError if broken.

    Counting stops with an error past `max_frames` (or past `max_total_pixels` of canvas
    work), so a hostile file with millions of tiny frames costs no more than the walk up to
    the limit. A limit left at None is not checked; LimitExceeded when one is exceeded.
    """
    if data[:6] not in SIGNATURES:
        raise ContainerError("not a GIF file")
    if len(data) < 13:
        raise ContainerError("GIF is truncated")
    screen_w, screen_h = struct.unpack_from("<HH", data, 6)
    if screen_w < 1 or screen_h < 1:
        raise ContainerError("GIF logical screen has no pixels")
    check_size(screen_w, screen_h, max_side=max_side, max_pixels=max_pixels)
    screen = screen_w * screen_h
    view = memoryview(data)
    pos = 13 + _table_size(data[10])
    kept: list[memoryview] = [view[:pos]]
    pending_control: memoryview | None = None
    frames = 0
    n = len(data)
    while True:
        if pos >= n:
            raise ContainerError("GIF is truncated (no trailer)")
        introducer = data[pos]
        if introducer == _TRAILER:
            break
        if introducer == _IMAGE:
            if pos + 10 > n:
                raise ContainerError("GIF is truncated")
            start = pos
            frames += 1
            if max_frames is not None and frames > max_frames:
                raise too_many_frames(max_frames)
            if max_total_pixels is not None and screen * frames > max_total_pixels:
                raise animation_too_large(frames, screen_w, screen_h)
            left, top, width, height = struct.unpack_from("<HHHH", data, pos + 1)
            if width < 1 or height < 1:
                raise ContainerError("GIF frame has no pixels")
            if left + width > screen_w or top + height > screen_h:
                raise ContainerError(
                    f"GIF frame {frames} ({width}x{height} at {left},{top}) lies outside"
                    f" its {screen_w}x{screen_h} logical screen"
                )
            # descriptor (10 bytes), local colour table, LZW minimum code size, sub-blocks
            pos = _skip_sub_blocks(data, pos + 10 + _table_size(data[pos + 9]) + 1)
            if pending_control is not None:
                kept.append(pending_control)
                pending_control = None
            kept.append(view[start:pos])
        elif introducer == _EXTENSION:
            if pos + 2 > n:
                raise ContainerError("GIF is truncated")
            start = pos
            label = data[pos + 1]
            if label != _COMMENT and pos + 2 < n and data[pos + 2] == 0:
                # An extension with no data at all. Decoders disagree on what follows it
                # (Pillow reads the next block's first byte as a length and swallows the next
                # frame), so what we verify could differ from what a browser shows.
                raise ContainerError("GIF extension block is empty")
            pos = _skip_sub_blocks(data, pos + 2)
            block = view[start:pos]
            if label == _GRAPHIC_CONTROL:
                pending_control = block  # applies to the next rendering block only
            elif label == _PLAIN_TEXT:
                pending_control = None
            elif label == _APPLICATION and bytes(block[2:14]) in _LOOPING:
                kept.append(block)
        else:
            raise ContainerError("GIF block structure is broken")
    if frames == 0:
        raise ContainerError("GIF has no image data")
    kept.append(memoryview(b";"))
    return Rewritten(data=b"".join(kept), frames=frames)

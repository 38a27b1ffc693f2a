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
"""

from __future__ import annotations

from imgtree.adapters.imaging.container import ContainerError, LimitExceeded, Rewritten

SIGNATURES = (b"GIF87a", b"GIF89a")

_IMAGE, _EXTENSION, _TRAILER = 0x2C, 0x21, 0x3B
_GRAPHIC_CONTROL, _PLAIN_TEXT, _APPLICATION = 0xF9, 0x01, 0xFF
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


def rewrite(data: bytes, *, max_frames: int | None = None) -> Rewritten:
    """Rewrite a GIF as described in the module docstring; raise ContainerError if broken.

    Counting stops with an error past `max_frames`, so a hostile file with millions of
    tiny frames costs no more than the walk up to the limit.
    """
    if data[:6] not in SIGNATURES:
        raise ContainerError("not a GIF file")
    if len(data) < 13:
        raise ContainerError("GIF is truncated")
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
            # descriptor (10 bytes), local colour table, LZW minimum code size, sub-blocks
            pos = _skip_sub_blocks(data, pos + 10 + _table_size(data[pos + 9]) + 1)
            frames += 1
            if max_frames is not None and frames > max_frames:
                raise LimitExceeded(f"Image has too many frames: more than {max_frames}")
            if pending_control is not None:
                kept.append(pending_control)
                pending_control = None
            kept.append(view[start:pos])
        elif introducer == _EXTENSION:
            if pos + 2 > n:
                raise ContainerError("GIF is truncated")
            start = pos
            label = data[pos + 1]
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

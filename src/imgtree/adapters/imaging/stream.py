"""Bounded-memory access to an upload for the streaming rewriters (`jpeg`, `png`).

A rewriter walks the source through a `Reader` (a window of at most about `CHUNK` bytes)
and describes its output as a `Plan`: a list of pieces that are either literal bytes (small,
made by the rewriter) or `(offset, length)` ranges of the source copied unchanged. `write`
then copies the plan into a temporary file chunk by chunk, so neither the upload nor the
rewritten file is ever held in memory whole.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zlib
from collections.abc import Callable
from typing import BinaryIO

import attrs

from imgtree.adapters.imaging.container import Rewritten

CHUNK = 1 << 18  # the read window and copy size: memory does not grow with the file
SPOOL_MAX = 8 << 20  # outputs above this go straight to a temporary file


class Reader:
    """Random access to `size` bytes of a seekable file from its current position."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._base = source.tell()
        self.size = source.seek(0, os.SEEK_END) - self._base
        source.seek(self._base)
        self._buf = b""
        self._at = 0  # offset of _buf[0]

    def _load(self, pos: int, n: int) -> None:
        """Make the window cover [pos, pos + n), or up to the end of the file."""
        end = min(pos + n, self.size)
        if self._at <= pos and end <= self._at + len(self._buf):
            return
        self._source.seek(self._base + pos)
        self._buf = _read_exactly(self._source, max(end - pos, CHUNK))
        self._at = pos

    def take(self, pos: int, n: int) -> bytes:
        """Up to `n` bytes at `pos` (fewer at the end of the file)."""
        self._load(pos, n)
        start = pos - self._at
        return self._buf[start : start + n]

    def startswith(self, prefix: bytes, pos: int, end: int) -> bool:
        return end - pos >= len(prefix) and self.take(pos, len(prefix)) == prefix

    def skip(self, pos: int, byte: int) -> int:
        """The first position at or after `pos` that does not hold `byte` (or the size)."""
        strip = bytes((byte,))
        while pos < self.size:
            self._load(pos, 1)
            start = pos - self._at
            rest = len(self._buf) - start
            kept = len(self._buf[start:].lstrip(strip))
            pos += rest - kept
            if kept:
                break
        return pos

    def search(self, pattern: re.Pattern[bytes], pos: int) -> int | None:
        """Where the first match of a two-byte `pattern` starts at or after `pos`."""
        while pos < self.size:
            self._load(pos, 2)
            match = pattern.search(self._buf, pos - self._at)
            if match is not None:
                return self._at + match.start()
            end = self._at + len(self._buf)
            if end >= self.size:
                break
            # A match may straddle the window's end: start again at its last byte.
            pos = end - 1 if self._buf.endswith(b"\xff") else end
            self._load(pos, CHUNK)
        return None

    def crc32(self, pos: int, n: int) -> int:
        crc = 0
        end = pos + n
        while pos < end:
            piece = self.take(pos, min(end - pos, CHUNK))
            if not piece:
                break
            crc = zlib.crc32(piece, crc)
            pos += len(piece)
        return crc

    def copy(self, pos: int, n: int, out: BinaryIO) -> None:
        """Copy `n` bytes at `pos` to `out`, a chunk at a time, past the window."""
        self.release()
        self._source.seek(self._base + pos)
        while n > 0:
            piece = self._source.read(min(n, CHUNK))
            if not piece:
                raise EOFError("the source file shrank while it was being read")
            out.write(piece)
            n -= len(piece)

    def release(self) -> None:
        """Drop the window (it is read again when needed)."""
        self._buf = b""
        self._at = 0


def _read_exactly(source: BinaryIO, n: int) -> bytes:
    data = source.read(n) or b""
    if len(data) < n:
        parts = [data]
        got = len(data)
        while got < n:
            more = source.read(n - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        data = b"".join(parts)
    return bytes(data)


Piece = bytes | tuple[int, int]


@attrs.frozen
class Plan:
    """The rewritten file as pieces, plus what the rewriter learnt on the way."""

    pieces: list[Piece]
    orientation: int = 1
    frames: int | None = None

    @property
    def size(self) -> int:
        return sum(len(p) if isinstance(p, bytes) else p[1] for p in self.pieces)


def merged(pieces: list[Piece]) -> list[Piece]:
    """Adjacent source ranges joined into one (fewer seeks and writes)."""
    out: list[Piece] = []
    for piece in pieces:
        last = out[-1] if out else None
        if isinstance(piece, tuple) and isinstance(last, tuple) and last[0] + last[1] == piece[0]:
            out[-1] = (last[0], last[1] + piece[1])
        else:
            out.append(piece)
    return out


def temporary(size: int) -> BinaryIO:
    # Above the spool threshold, write straight to a file rather than to memory first.
    if size > SPOOL_MAX:
        return tempfile.TemporaryFile()
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)  # type: ignore[return-value]


def write(plan: Plan, reader: Reader, into: BinaryIO | None = None) -> BinaryIO:
    """The planned file in a temporary file (or in `into`), positioned at its start."""
    out = temporary(plan.size) if into is None else into
    try:
        for piece in merged(plan.pieces):
            if isinstance(piece, bytes):
                out.write(piece)
                continue
            reader.copy(*piece, out)
        out.seek(0)
    except BaseException:
        if into is None:
            out.close()
        raise
    return out


def materialise(plan: Plan, data: bytes) -> bytes:
    """The planned file as bytes, for a source held in memory."""
    view = memoryview(data)
    return b"".join(
        p if isinstance(p, bytes) else view[p[0] : p[0] + p[1]] for p in merged(plan.pieces)
    )


def reader_for(data: bytes) -> Reader:
    return Reader(io.BytesIO(data))


def rewrite_in_memory(planner: Callable[..., Plan], data: bytes, **limits: int | None) -> Rewritten:
    """Run a streaming rewriter (`jpeg.plan`, `png.plan`) over a file held in memory."""
    planned = planner(reader_for(data), **limits)
    return Rewritten(data=materialise(planned, data), orientation=planned.orientation)

"""Stream helpers shared by the adapters that copy streams (blob storages)."""

from __future__ import annotations

from collections.abc import Iterator

from imgtree.domain.ports import Readable


def iter_chunks(source: Readable, size: int = 1 << 16) -> Iterator[bytes]:
    """Read a stream in chunks until it is exhausted."""
    while chunk := source.read(size):
        yield chunk

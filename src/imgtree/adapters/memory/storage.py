from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from typing import BinaryIO

from imgtree.adapters.streams import iter_chunks
from imgtree.domain.ports import BlobInfo, Clock


class MemoryBlobStorage:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._blobs: dict[str, tuple[bytes, BlobInfo]] = {}

    def put(self, key: str, source: BinaryIO, content_type: str) -> BlobInfo:
        data = b"".join(iter_chunks(source))
        info = BlobInfo(
            key=key,
            size=len(data),
            content_type=content_type,
            etag=hashlib.sha256(data).hexdigest()[:32],
            modified_at=self._clock.now(),
        )
        with self._lock:
            self._blobs[key] = (data, info)
        return info

    def open(self, key: str) -> BinaryIO:
        with self._lock:
            entry = self._blobs.get(key)
        if entry is None:
            raise KeyError(key)
        return io.BytesIO(entry[0])

    def stat(self, key: str) -> BlobInfo | None:
        with self._lock:
            entry = self._blobs.get(key)
        return entry[1] if entry else None

    def delete(self, key: str) -> None:
        with self._lock:
            self._blobs.pop(key, None)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        return iter([k for k in self.keys() if k.startswith(prefix)])

    def presign_put(self, key: str, content_type: str, size: int, expires_in: int) -> str | None:
        return None  # the app accepts the PUT itself

    def public_url(self, key: str) -> str | None:
        return None

    @property
    def serves_publicly(self) -> bool:
        return False

    def keys(self) -> list[str]:
        """All stored keys (for tests: prove nothing was left behind)."""
        with self._lock:
            return sorted(self._blobs)

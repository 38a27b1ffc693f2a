"""Request bodies that stream from disk with a known length (the server needs a
Content-Length on multipart) and report how many bytes of each file have gone out."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import BinaryIO

from imgtree.client.types import UploadSource

# (index of the file in the body, bytes of it sent so far)
Progress = Callable[[int, int], None]


def _header_value(text: str) -> str:
    # What browsers do with quotes and line breaks in a multipart filename.
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """multipart/form-data of text fields and files, read lazily: a file is opened when its
    part is reached and closed after it."""

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        files: Sequence[UploadSource],
        *,
        file_field: str = "file",
        progress: Progress | None = None,
    ) -> None:
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._progress = progress
        self._segments: list[bytes | tuple[int, UploadSource]] = []
        for name, value in fields:
            self._segments.append(
                (
                    f"--{self.boundary}\r\n"
                    f'Content-Disposition: form-data; name="{_header_value(name)}"\r\n\r\n'
                    f"{value}\r\n"
                ).encode()
            )
        for index, source in enumerate(files):
            self._segments.append(
                (
                    f"--{self.boundary}\r\n"
                    f'Content-Disposition: form-data; name="{file_field}";'
                    f' filename="{_header_value(source.filename)}"\r\n'
                    f"Content-Type: {source.content_type}\r\n\r\n"
                ).encode()
            )
            self._segments.append((index, source))
            self._segments.append(b"\r\n")
        self._segments.append(f"--{self.boundary}--\r\n".encode())
        self._length = sum(len(s) if isinstance(s, bytes) else s[1].size for s in self._segments)
        self._at = 0  # segment being read
        self._offset = 0  # bytes of it already read
        self._open: BinaryIO | None = None

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        want = self._length if size is None or size < 0 else size
        out = bytearray()
        while len(out) < want and self._at < len(self._segments):
            segment = self._segments[self._at]
            if isinstance(segment, bytes):
                piece = segment[self._offset : self._offset + want - len(out)]
            else:
                index, source = segment
                if self._open is None:
                    self._open = source.open()
                piece = self._open.read(min(want - len(out), source.size - self._offset))
                if not piece and self._offset < source.size:
                    raise OSError(f"{source.filename} shrank while it was being uploaded")
                if self._progress is not None and piece:
                    self._progress(index, self._offset + len(piece))
            out += piece
            self._offset += len(piece)
            done = self._offset >= (len(segment) if isinstance(segment, bytes) else segment[1].size)
            if done:
                if self._open is not None:
                    self._open.close()
                    self._open = None
                self._at += 1
                self._offset = 0
        return bytes(out)

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None


class FileBody:
    """One file's bytes for a PUT, with progress."""

    def __init__(self, source: UploadSource, progress: Callable[[int], None] | None = None):
        self._source = source
        self._file: BinaryIO | None = None
        self._sent = 0
        self._progress = progress

    def __len__(self) -> int:
        return self._source.size

    def read(self, size: int = -1) -> bytes:
        if self._file is None:
            self._file = self._source.open()
        left = self._source.size - self._sent
        piece = self._file.read(left if size is None or size < 0 else min(size, left))
        self._sent += len(piece)
        if self._progress is not None and piece:
            self._progress(self._sent)
        if self._sent >= self._source.size:
            self.close()
        return piece

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

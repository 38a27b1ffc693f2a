"""Build multipart/form-data bodies by hand, exactly as clients like ShareX and curl send them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

FilePart = tuple[str, str, str, bytes]  # (field name, filename, content type, data)


def encode(
    files: Iterable[FilePart] = (), fields: Mapping[str, str] | None = None
) -> tuple[bytes, str]:
    boundary = f"----imgtree{uuid.uuid4().hex}"
    out = bytearray()
    for name, value in (fields or {}).items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, filename, content_type, data in files:
        out += (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"

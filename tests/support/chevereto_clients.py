"""Requests built byte for byte as the Chevereto clients build them (read from their sources,
not copied): ShareX's built-in Chevereto uploader, a ShareX custom uploader (.sxcu) and
PicGo plugins (Node's `form-data`, as PicGo's request helper sends a `formData` object).

Each returns (path with query, headers, body); `json_path` reads a response the way ShareX's
`{json:image.url}` syntax does.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

Request = tuple[str, dict[str, str], bytes]

# ShareX's MimeTypes.GetMimeTypeFromFileName for the extensions used here.
_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif"}


def _mime(filename: str) -> str:
    return _MIME.get(filename.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def sharex_boundary() -> str:
    """RequestHelpers.CreateBoundary: 20 dashes and DateTime.Now.Ticks in hex."""
    ticks = int(time.time() * 10_000_000) + 621_355_968_000_000_000
    return "-" * 20 + format(ticks, "x")


def sharex_multipart(
    args: Sequence[tuple[str, str]], file_form_name: str, filename: str, data: bytes
) -> tuple[bytes, str]:
    """Uploader.SendRequestFile: every argument part, then the file part, then the close."""
    boundary = sharex_boundary()
    out = bytearray()
    for name, value in args:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    out += (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="{file_form_name}"; filename="{filename}"\r\nContent-Type: {_mime(filename)}\r\n\r\n'
    ).encode()
    out += data
    out += f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


SHAREX_AGENT = "ShareX/16.1.0"


def sharex_preset(key: str, filename: str, data: bytes, path: str = "/api/1/upload") -> Request:
    """ShareX's "Chevereto" destination: key and format=json as form fields, file `source`."""
    body, ctype = sharex_multipart([("key", key), ("format", "json")], "source", filename, data)
    return path, {"Content-Type": ctype, "User-Agent": SHAREX_AGENT}, body


def sharex_preset_query(key: str, filename: str, data: bytes) -> Request:
    """Older ShareX set-ups: the key and format in the upload URL, only the file in the body."""
    body, ctype = sharex_multipart([], "source", filename, data)
    path = f"/api/1/upload/?key={key}&format=json"
    return path, {"Content-Type": ctype, "User-Agent": SHAREX_AGENT}, body


# A ShareX custom uploader for imgtree's Chevereto route, as docs/chevereto.md gives it.
def sxcu(base_url: str, key: str) -> dict[str, Any]:
    return {
        "Version": "16.1.0",
        "Name": "imgtree (Chevereto API)",
        "DestinationType": "ImageUploader",
        "RequestMethod": "POST",
        "RequestURL": f"{base_url}/api/1/upload",
        "Headers": {"X-API-Key": key},
        "Body": "MultipartFormData",
        "FileFormName": "source",
        "URL": "{json:image.url}",
        "ThumbnailURL": "{json:image.thumb.url}",
        "DeletionURL": "{json:image.delete_url}",
        "ErrorMessage": "{json:error.message}",
    }


def sharex_custom(config: dict[str, Any], base_url: str, filename: str, data: bytes) -> Request:
    """What ShareX sends for a custom uploader: its Headers, its Arguments as form fields
    (none here), the file under FileFormName."""
    args = list((config.get("Arguments") or {}).items())
    body, ctype = sharex_multipart(args, config["FileFormName"], filename, data)
    path = config["RequestURL"].removeprefix(base_url)
    return path, {**config["Headers"], "Content-Type": ctype, "User-Agent": SHAREX_AGENT}, body


def json_path(doc: Any, syntax: str) -> Any:
    """ShareX's `{json:a.b.c}`: the value at that dotted path of the response."""
    assert syntax.startswith("{json:") and syntax.endswith("}"), syntax
    for part in syntax[len("{json:") : -1].split("."):
        doc = doc[part]
    return doc


def form_data(parts: Sequence[tuple[str, str | tuple[str, bytes]]]) -> tuple[bytes, str]:
    """Node's `form-data` (what PicGo's request helper uses for `formData`): 26 dashes and
    24 random digits; a file part names its file and a type looked up from its name."""
    boundary = "-" * 26 + "".join(random.choice("0123456789") for _ in range(24))
    out = bytearray()
    for name, value in parts:
        if isinstance(value, tuple):
            filename, data = value
            out += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {_mime(filename)}\r\n\r\n'
            ).encode()
            out += data + b"\r\n"
        else:
            out += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


PICGO_AGENT = "PicGo"


def picgo_plugin(key: str, filename: str, data: bytes, album_id: str | None = None) -> Request:
    """A picgo-plugin-chevereto style request: `source` first, then `key` (and an album) as
    form fields: the key arrives after the file."""
    parts: list[tuple[str, str | tuple[str, bytes]]] = [("source", (filename, data)), ("key", key)]
    if album_id:
        parts.append(("album_id", album_id))
    body, ctype = form_data(parts)
    return "/api/1/upload", {"Content-Type": ctype, "User-Agent": PICGO_AGENT}, body


def picgo_header_plugin(key: str, filename: str, data: bytes) -> Request:
    """A PicGo plugin for Chevereto V4 sites: the key in an X-API-KEY header, the file name
    as a field, then `source`, asking for JSON."""
    body, ctype = form_data([("filename", filename), ("source", (filename, data))])
    headers = {
        "X-API-KEY": key,
        "Content-Type": ctype,
        "Accept": "application/json",
        "User-Agent": PICGO_AGENT,
    }
    return "/api/1/upload", headers, body

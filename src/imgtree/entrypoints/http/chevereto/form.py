"""The request of `POST /api/1/upload` as Chevereto clients send it, parsed as it streams.

`source` is a file part of a multipart body, or base64 text (a multipart field without a
file name, a urlencoded field, a JSON string): the text is decoded as it arrives by
`json_upload.Base64Sink`, its size capped while decoding, exactly as the v1 JSON upload's
`file_base64`. The other fields are short and bounded. A URL `source` is refused: this server
fetches nothing on a client's behalf.

Every field may also come in the query string (Chevereto reads both); one field given in two
places with two different values is refused, like a repeated query parameter.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any, BinaryIO
from urllib.parse import unquote_to_bytes

import attrs
import falcon
from falcon.media.multipart import MultipartParseError

from imgtree.domain.errors import InvalidInput, UnsupportedMediaType
from imgtree.domain.model import MAX_EXPIRES_IN, MAX_IMAGE_DESCRIPTION, MAX_IMAGE_TITLE
from imgtree.domain.use_cases.upload import IncomingFile
from imgtree.entrypoints.http import json_upload
from imgtree.entrypoints.http.requests import (
    MULTIPART_OVERHEAD,
    PARSE_CHUNK,
    _Budget,
    _copy_part,
    _describe,
    _multipart_form,
    check_body_length,
    media_type,
    query_param,
    spooled,
)

SOURCE = "source"
# The text fields read (UTF-8 bytes kept at most; longer is 400). `tags`, `category_id`,
# `width` and `nsfw` are accepted and ignored (docs/chevereto.md); unknown fields are skipped.
FIELD_BYTES: dict[str, int] = {
    "key": 512,
    "format": 16,
    "title": MAX_IMAGE_TITLE * 4,
    "description": MAX_IMAGE_DESCRIPTION * 4,
    "album_id": 64,
    "expiration": 64,
    "nsfw": 16,
    "tags": 4096,
    "category_id": 64,
    "width": 16,
    "action": 16,
}
FORMATS = ("json", "txt", "redirect")
URL_REFUSED = "Uploading from URL is not supported by this server: send the file or base64"
NOT_BASE64 = "source is not valid base64"
EMPTY_SOURCE = "Empty upload source"
MAX_NAME = 256  # a urlencoded field name


class FormError(InvalidInput):
    """A 400 with Chevereto's own error code for the same condition (120 invalid base64,
    130 empty source); other errors carry their HTTP status as their code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@attrs.define
class CheveretoForm:
    """What the request said. `source` is the spooled image (None when none came);
    `too_large`: a source was sent but exceeded the file limit (refused after the key)."""

    fields: dict[str, str] = attrs.Factory(dict)
    source: BinaryIO | None = None
    filename: str | None = None
    declared_type: str | None = None
    too_large: bool = False

    def close(self) -> None:
        if self.source is not None:
            self.source.close()

    def incoming(self) -> IncomingFile:
        if self.source is None:
            raise FormError(EMPTY_SOURCE, 130)
        return IncomingFile(self.source, self.filename, self.declared_type)

    def source_md5(self) -> str:
        """MD5 of the file as received (Chevereto's `source_md5`), leaving it at 0."""
        assert self.source is not None
        digest = hashlib.md5(usedforsecurity=False)
        self.source.seek(0)
        while chunk := self.source.read(PARSE_CHUNK):
            digest.update(chunk)
        self.source.seek(0)
        return digest.hexdigest()

    def put(self, name: str, value: str) -> None:
        if name in self.fields:
            raise InvalidInput(f"Field {name} given more than once")
        self.fields[name] = value

    def take_sink(self, sink: json_upload.Base64Sink, out: BinaryIO) -> None:
        """Adopt a decoded base64 `source` (or refuse it: a URL, not base64, empty)."""
        if sink.is_url:
            out.close()
            raise FormError(URL_REFUSED, 400)
        if sink.too_large:
            out.close()
            self.too_large = True
            return
        if sink.error is not None:
            out.close()
            if sink.error == json_upload.EMPTY:
                raise FormError(EMPTY_SOURCE, 130)
            raise FormError(NOT_BASE64, 120)
        out.seek(0)
        self.source = out


def query_fields(req: falcon.Request) -> dict[str, str]:
    """The known fields given in the query string (each once); `source` never is."""
    if req.get_param(SOURCE) is not None:
        raise InvalidInput("Send source in the request body (POST), not in the URL")
    fields: dict[str, str] = {}
    for name, limit in FIELD_BYTES.items():
        value = query_param(req, name)
        if value is not None:
            if len(value.encode()) > limit:
                raise InvalidInput(f"{name} is too long")
            fields[name] = value
    return fields


def merged(query: dict[str, str], body: dict[str, str]) -> dict[str, str]:
    """The query's and the body's fields: a field in both must say the same thing."""
    for name in query.keys() & body.keys():
        if query[name] != body[name]:
            raise InvalidInput(f"{name} given twice (URL and body) with different values")
    return {**query, **body}


def parse_body(req: falcon.Request, max_file_bytes: int) -> CheveretoForm:
    """The body's fields and source, by its Content-Type (none: an empty body)."""
    kind = media_type(req)
    if kind == "multipart/form-data":
        return _multipart(req, max_file_bytes)
    if kind == "application/x-www-form-urlencoded":
        return _urlencoded(req, max_file_bytes)
    if kind == "application/json":
        return _json(req, max_file_bytes)
    if not kind and not req.content_length:
        return CheveretoForm()
    raise UnsupportedMediaType(
        "Unsupported Content-Type: use multipart/form-data,"
        " application/x-www-form-urlencoded or application/json"
    )


def _body_limit(max_file_bytes: int) -> int:
    """A base64 source inflates by 4/3; the other fields are bounded by the overhead."""
    return max_file_bytes * 4 // 3 + MULTIPART_OVERHEAD


def _read_text(stream: Any, name: str, budget: _Budget) -> str:
    limit = FIELD_BYTES[name]
    raw = bytearray()
    while len(raw) <= limit and (chunk := budget.read(stream, limit + 1 - len(raw))):
        raw += chunk
    if len(raw) > limit:
        raise InvalidInput(f"{name} is too long")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} is not valid UTF-8") from None


def _multipart(req: falcon.Request, max_file_bytes: int) -> CheveretoForm:
    budget = _Budget(_body_limit(max_file_bytes), req.content_length)
    check_body_length(req, budget.limit)
    if req.content_length is None:
        raise falcon.HTTPLengthRequired(
            description="A multipart body needs a Content-Length header"
        )
    form = CheveretoForm()
    try:
        for part in _multipart_form(req):
            name = part.name or ""
            if name == SOURCE:
                if form.source is not None or form.too_large:
                    raise InvalidInput("Send one source")
                if part.filename is not None:
                    data = _copy_part(part.stream, max_file_bytes, budget)
                    if data is None:
                        form.too_large = True
                    else:
                        form.source, form.filename = data, part.filename
                        form.declared_type = part.content_type
                else:
                    out = spooled(budget.unread)
                    sink = json_upload.Base64Sink(out, max_file_bytes)
                    while chunk := budget.read(part.stream, PARSE_CHUNK):
                        sink.feed(chunk)
                    sink.close()
                    form.take_sink(sink, out)
            elif name in FIELD_BYTES:
                form.put(name, _read_text(part.stream, name, budget))
            else:
                budget.drain(part.stream)  # unknown fields are skipped, within the budget
    except (MultipartParseError, falcon.MediaMalformedError) as exc:
        form.close()
        raise InvalidInput(f"Malformed multipart body: {_describe(exc)}") from None
    except BaseException:
        form.close()
        raise
    return form


class _UrlencodedScanner:
    """`a=1&source=<base64>&b=2` fed in chunks: `source` is percent-decoded and base64-decoded
    as it streams (never held), every other value is kept up to its field's bound."""

    def __init__(self, form: CheveretoForm, max_file_bytes: int, expected: int | None) -> None:
        self.form = form
        self.max_file_bytes = max_file_bytes
        self.expected = expected
        self._name = bytearray()
        self._in_value = False
        self._field: str | None = None  # the known field being read (None: skipped)
        self._value = bytearray()
        self._sink: json_upload.Base64Sink | None = None
        self._out: BinaryIO | None = None
        self._pending = b""  # an escape ("%", "%4") cut by the end of a chunk

    def feed(self, chunk: bytes) -> None:
        pos = 0
        while pos < len(chunk):
            amp = chunk.find(b"&", pos)
            end = len(chunk) if amp < 0 else amp
            self._piece(chunk[pos:end])
            if amp < 0:
                return
            self._end_pair()
            pos = amp + 1

    def finish(self) -> None:
        self._end_pair()

    def _piece(self, data: bytes) -> None:
        if not self._in_value:
            eq = data.find(b"=")
            self._name += data if eq < 0 else data[:eq]
            if len(self._name) > MAX_NAME:
                raise InvalidInput("A form field name is too long")
            if eq < 0:
                return
            self._start_value()
            data = data[eq + 1 :]
        if self._sink is not None:
            self._sink.feed(self._decode(data))
        elif self._field is not None:
            self._value += data
            if len(self._value) > FIELD_BYTES[self._field] * 3:  # %XX: 3 bytes per byte
                raise InvalidInput(f"{self._field} is too long")

    def _start_value(self) -> None:
        self._in_value = True
        name = _unquote(bytes(self._name)).decode("utf-8", "replace")
        if name == SOURCE:
            if self.form.source is not None or self.form.too_large or self._out is not None:
                raise InvalidInput("Send one source")
            self._out = spooled(self.expected)
            self._sink = json_upload.Base64Sink(self._out, self.max_file_bytes)
        elif name in FIELD_BYTES:
            self._field = name

    def _decode(self, data: bytes) -> bytes:
        data = self._pending + data
        cut = len(data)
        if data[-1:] == b"%":
            cut -= 1
        elif data[-2:-1] == b"%":
            cut -= 2
        self._pending = data[cut:]
        return _unquote(data[:cut])

    def _end_pair(self) -> None:
        if self._name and not self._in_value:
            self._start_value()  # "name" alone: an empty value
        if self._sink is not None and self._out is not None:
            tail, self._pending = self._pending, b""
            self._sink.feed(_unquote(tail))
            self._sink.close()
            out, sink = self._out, self._sink
            self._sink = None
            self.form.take_sink(sink, out)
        elif self._field is not None:
            try:
                value = _unquote(bytes(self._value)).decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput(f"{self._field} is not valid UTF-8") from None
            if len(value.encode()) > FIELD_BYTES[self._field]:
                raise InvalidInput(f"{self._field} is too long")
            self.form.put(self._field, value)
        self._name.clear()
        self._value.clear()
        self._in_value = False
        self._field = None

    def abandon(self) -> None:
        if self._out is not None and self.form.source is not self._out:
            self._out.close()


def _unquote(data: bytes) -> bytes:
    return unquote_to_bytes(data.replace(b"+", b" "))


def _body(req: falcon.Request) -> Any:
    """The body to read: a chunked one (no Content-Length; the server marks its input as
    terminated, as gunicorn does) is read to its end, bounded by the caller's budget, where
    falcon's bounded stream would read nothing."""
    if req.content_length is None and req.env.get("wsgi.input_terminated"):
        return req.stream
    return req.bounded_stream


def _urlencoded(req: falcon.Request, max_file_bytes: int) -> CheveretoForm:
    budget = _Budget(_body_limit(max_file_bytes))
    check_body_length(req, budget.limit)
    length = req.content_length
    form = CheveretoForm()
    scanner = _UrlencodedScanner(form, max_file_bytes, None if length is None else length * 3 // 4)
    try:
        stream = _body(req)
        while chunk := budget.read(stream):
            scanner.feed(chunk)
        scanner.finish()
    except BaseException:
        scanner.abandon()
        form.close()
        raise
    return form


def _json(req: falcon.Request, max_file_bytes: int) -> CheveretoForm:
    budget = _Budget(max_file_bytes * 4 // 3 + json_upload.MAX_ENVELOPE_BYTES)
    check_body_length(req, budget.limit)
    length = req.content_length
    out = spooled(None if length is None else length * 3 // 4)
    form = CheveretoForm()
    try:
        scanner = json_upload.JsonUploadScanner(out, max_file_bytes, keys=(SOURCE.encode(),))
        stream = _body(req)
        while chunk := budget.read(stream):
            scanner.feed(chunk)
        try:
            doc, sink = scanner.finish()
        except json_upload.NotJson:
            raise InvalidInput(json_upload.NOT_JSON) from None
        for name in FIELD_BYTES:
            value = doc.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise InvalidInput(f"{name} must be a string")
            text = str(value)
            if len(text.encode()) > FIELD_BYTES[name]:
                raise InvalidInput(f"{name} is too long")
            form.put(name, text)
        if sink is None:
            if doc.get(SOURCE) is not None:
                raise FormError(NOT_BASE64, 120)  # present, but not a string
            out.close()
            return form
        form.take_sink(sink, out)
    except BaseException:
        out.close()
        raise
    return form


# --- field values ---------------------------------------------------------------------------

_DURATION = re.compile(
    r"P(?!$)(?:(\d{1,4})Y)?(?:(\d{1,5})M)?(?:(\d{1,5})W)?(?:(\d{1,6})D)?"
    r"(?:T(?=\d)(?:(\d{1,7})H)?(?:(\d{1,9})M)?(?:(\d{1,11})S)?)?",
    re.ASCII,  # ASCII digits only
)
# A month is 30 days and a year 365, as the web app's "Delete after" choices count them.
_UNIT_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)
EXPIRATION_TEXT = (
    "expiration must be an ISO 8601 duration such as PT5M, P1D or P1Y"
    f" (or whole seconds), at most {MAX_EXPIRES_IN} seconds"
)


def parse_expiration(value: str | None) -> int | None:
    """An ISO 8601 duration (`PT5M`, `P3D`, `PT1H30M`, `P1Y`; designators upper case, whole
    numbers) or whole seconds (as ImgBB clients send) -> seconds; None or "" -> never."""
    if value is None or value == "":
        return None
    if value.isascii() and value.isdigit() and len(value) <= 12:
        seconds = int(value)
    else:
        match = _DURATION.fullmatch(value)
        if match is None or not any(match.groups()):
            raise InvalidInput(EXPIRATION_TEXT)
        seconds = sum(
            int(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n
        )
    if not 1 <= seconds <= MAX_EXPIRES_IN:
        raise InvalidInput(EXPIRATION_TEXT)
    return seconds


def parse_album_id(value: str | None) -> uuid.UUID | None:
    if value is None or value.strip() == "":
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidInput("album_id must be the id of one of your albums (a UUID)") from None


def parse_format(value: str | None) -> str:
    text = (value or "json").strip().lower()
    if text not in FORMATS:
        raise InvalidInput("format must be json, txt or redirect")
    return text

"""Request parsing shared by the upload resources: bodies are streamed, limits enforced as
bytes arrive, and every malformed input becomes a domain error (a clear 4xx)."""

from __future__ import annotations

import ipaddress
import tempfile
import uuid
from collections.abc import Sequence
from typing import Any, BinaryIO, cast

import attrs
import falcon
from falcon.media.multipart import MultipartForm, MultipartParseError, MultipartParseOptions
from falcon.util import BufferedReader

from imgtree.domain.commands import MAX_SEARCH, ImageQuery, ImageSort
from imgtree.domain.errors import FileTooLarge, InvalidInput, UnsupportedMediaType
from imgtree.domain.model import MAX_EXPIRES_IN, ImageFormat, Visibility
from imgtree.domain.use_cases.upload import IncomingFile, UploadFailed
from imgtree.entrypoints.http import json_upload

CHUNK = 1 << 18
PARSE_CHUNK = 1 << 20  # the multipart parser's reads: gunicorn's body read-ahead (see below)
SPOOL_IN_MEMORY = 1 << 20  # files up to 1 MiB stay in memory; larger ones spill to disk
MULTIPART_OVERHEAD = 1 << 20  # headers, boundaries and small fields on top of the files
MAX_JSON_BYTES = 64 * 1024  # non-upload JSON bodies (presign, complete, ...)


@attrs.frozen
class ParsedUpload:
    files: list[IncomingFile]
    # Parse-time per-file failures (e.g. too large), with their position in the request.
    failures: list[tuple[int, UploadFailed]]
    album_id: uuid.UUID | None
    visibility: Visibility = Visibility.UNLISTED
    expires_in: int | None = None  # "delete after", in seconds; None: never

    @property
    def count(self) -> int:
        return len(self.files) + len(self.failures)


# The multipart fields an upload reads besides its files (each short: cut at 1 KiB).
UPLOAD_FIELDS = (
    "albumId",
    "album_id",
    "isPublic",
    "is_public",
    "visibility",
    "expiresIn",
    "expires_in",
)


def spooled(expected: int | None = None) -> BinaryIO:
    """Where an upload's bytes go as they arrive: memory for a small file, else disk. When the
    request already says the file is large, straight to disk (no copy at the roll-over)."""
    if expected is not None and expected > SPOOL_IN_MEMORY:
        return cast(BinaryIO, tempfile.TemporaryFile())
    # typeshed types SpooledTemporaryFile as IO[AnyStr]; in its default "w+b" mode it is the
    # binary file that IncomingFile.source asks for.
    return cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY))


def query_param(req: falcon.Request, name: str) -> str | None:
    """One query parameter, refused (400) when it is given more than once: which copy a
    server reads differs between frameworks and proxies, so a copy one layer checked must
    never be the one another acts on."""
    value = req.params.get(name)
    if isinstance(value, list):
        raise InvalidInput(f"Query parameter {name[:40]!r} given more than once")
    return value


def aliased(doc: dict[str, Any], *names: str) -> Any:
    """The value under whichever of `names` (one field's spellings, e.g. `albumId` and
    `album_id`) `doc` holds, or None. Both spellings at once is 400: a layer that checked one
    must never see the other acted on."""
    present = [name for name in names if name in doc]
    if len(present) > 1:
        raise InvalidInput(f"Send {' or '.join(present)}, not both")
    return doc[present[0]] if present else None


VISIBILITY_CHOICES_TEXT = ", ".join(v.value for v in Visibility)


def parse_visibility(value: Any) -> Visibility:
    try:
        return Visibility(value.strip().lower() if isinstance(value, str) else "")
    except ValueError:
        raise InvalidInput(f"visibility must be one of {VISIBILITY_CHOICES_TEXT}") from None


def upload_visibility(doc: dict[str, Any]) -> Visibility:
    """`visibility` (public, unlisted, private) or the first API's `isPublic` / `is_public`
    (true: unlisted, false: private), from any upload route's fields; neither: unlisted.
    Both at once is 400, like two spellings of one field."""
    raw = aliased(doc, "visibility", "isPublic", "is_public")
    if raw in (None, ""):
        return Visibility.UNLISTED
    if "visibility" in doc:
        return parse_visibility(raw)
    return Visibility.UNLISTED if parse_bool(raw, "isPublic") else Visibility.PRIVATE


EXPIRES_IN_TEXT = f"expiresIn must be a whole number of seconds from 1 to {MAX_EXPIRES_IN}"


def parse_expires_in(raw: Any, *, text: bool = False) -> int | None:
    """A "delete after" in whole seconds, 1 to MAX_EXPIRES_IN (ten years); None: never.
    JSON sends an integer (60.0 is 60, as JSON Schema's "integer" says) or null; a multipart
    field (`text`) its decimal digits, "" for never. Anything else is 400."""
    if raw is None or (text and raw == ""):
        return None
    if text and isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 12:
        raw = int(raw)
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 2**63:
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_EXPIRES_IN:
        raise InvalidInput(EXPIRES_IN_TEXT)
    return raw


def upload_expiry(doc: dict[str, Any], *, text: bool = False) -> int | None:
    """`expiresIn` / `expires_in` from any upload route's fields (both at once is 400);
    `text`: the fields of a multipart form."""
    return parse_expires_in(aliased(doc, "expiresIn", "expires_in"), text=text)


SORT_CHOICES_TEXT = ", ".join(s.value for s in ImageSort)


def image_query(req: falcon.Request) -> ImageQuery:
    """A listing's optional `search`, `sort` (newest, oldest, size, name), `visibility` and
    `type` (a MIME type such as image/png) query parameters; absent or empty: no filter,
    newest first. An unknown value is 400 naming the allowed ones."""
    search = query_param(req, "search") or ""
    if len(search) > MAX_SEARCH:
        raise InvalidInput(f"search must be at most {MAX_SEARCH} characters")
    raw_sort = (query_param(req, "sort") or "newest").strip().lower()
    try:
        sort = ImageSort(raw_sort)
    except ValueError:
        raise InvalidInput(f"sort must be one of {SORT_CHOICES_TEXT}") from None
    raw_visibility = query_param(req, "visibility")
    visibility = parse_visibility(raw_visibility) if raw_visibility else None
    raw_type = (query_param(req, "type") or "").strip().lower()
    content_type = None
    if raw_type:
        try:
            content_type = ImageFormat(raw_type)
        except ValueError:
            allowed = ", ".join(f.value for f in ImageFormat)
            raise InvalidInput(f"type must be one of {allowed}") from None
    return ImageQuery(search=search, sort=sort, visibility=visibility, content_type=content_type)


def parse_uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(f"{what} must be a UUID") from None


def optional_uuid(value: Any, what: str) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    return parse_uuid(value, what)


def parse_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"{what} must be true or false")


def media_type(req: falcon.Request) -> str:
    return (req.content_type or "").split(";", 1)[0].strip().lower()


def check_body_length(req: falcon.Request, limit: int) -> None:
    """Refuse early when the declared length is already too big (413, nothing read)."""
    if req.content_length is not None and req.content_length > limit:
        raise FileTooLarge(f"Request body exceeds {limit} bytes")


def read_bounded(req: falcon.Request, limit: int) -> bytes:
    check_body_length(req, limit)
    data = req.bounded_stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"Request body exceeds {limit} bytes")
    return data


def read_json_object(req: falcon.Request, limit: int = MAX_JSON_BYTES) -> dict[str, Any]:
    if media_type(req) != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    raw = read_bounded(req, limit)
    try:
        doc = json_upload.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("Body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise InvalidInput("JSON body must be an object")
    return doc


class _Budget:
    """Bytes a whole multipart body may still bring: a chunked request has no Content-Length
    to refuse up front, so what is drained or skipped counts too."""

    def __init__(self, limit: int, length: int | None = None) -> None:
        self.limit, self.left = limit, limit
        self.length = length  # the declared Content-Length, when there is one

    @property
    def unread(self) -> int | None:
        """Bytes of the declared body not read yet (None: no Content-Length)."""
        return None if self.length is None else self.length - (self.limit - self.left)

    def read(self, stream: Any, size: int = CHUNK) -> bytes:
        chunk: bytes = stream.read(size)
        self.left -= len(chunk)
        if self.left < 0:
            raise FileTooLarge(f"Request body exceeds {self.limit} bytes")
        return chunk

    def drain(self, stream: Any) -> None:
        while self.read(stream):
            pass


def _copy_part(stream: Any, limit: int, budget: _Budget) -> BinaryIO | None:
    """Copy a part into a spooled file; None (the rest drained) when it exceeds `limit`."""
    out = spooled(budget.unread)  # what is left of the body may be a large file: to disk
    size = 0
    # As large as the parser's own reads: each read scans its buffer for the boundary.
    while chunk := budget.read(stream, PARSE_CHUNK):
        size += len(chunk)
        if size > limit:
            out.close()
            budget.drain(stream)  # so the next part can be parsed
            return None
        out.write(chunk)
    out.seek(0)
    return out


def parse_multipart(
    req: falcon.Request,
    *,
    max_file_bytes: int,
    batch_limit: int,
    file_fields: Sequence[str] = ("file",),
) -> ParsedUpload:
    budget = _Budget(batch_limit * max_file_bytes + MULTIPART_OVERHEAD, req.content_length)
    check_body_length(req, budget.limit)
    if req.content_length is None:
        # Falcon's multipart parser cannot read a body of unknown length (it fails with an
        # AssertionError, a 500): say what is missing instead.
        raise falcon.HTTPLengthRequired(
            description="A multipart body needs a Content-Length header"
        )
    files: list[IncomingFile] = []
    failures: list[tuple[int, UploadFailed]] = []
    fields: dict[str, str] = {}
    position = 0
    try:
        form = _multipart_form(req)
        for part in form:
            name = part.name or ""
            if name in file_fields:
                if position >= batch_limit:
                    raise InvalidInput(f"At most {batch_limit} files per request")
                filename = part.filename
                data = _copy_part(part.stream, max_file_bytes, budget)
                if data is None:
                    failures.append(
                        (
                            position,
                            UploadFailed(
                                FileTooLarge(
                                    f"File exceeds the maximum size of {max_file_bytes} bytes"
                                ),
                                filename,
                            ),
                        )
                    )
                else:
                    files.append(IncomingFile(data, filename, part.content_type))
                position += 1
            elif name in UPLOAD_FIELDS:
                raw = part.stream.read(1024)
                budget.left -= len(raw)
                budget.drain(part.stream)  # a field longer than any UUID or flag is cut
                text = raw.decode("utf-8", "replace").strip()
                if name in fields:
                    raise InvalidInput(f"Field {name} given more than once")
                fields[name] = text
            else:
                budget.drain(part.stream)  # unknown fields are skipped, within the budget
    except (MultipartParseError, falcon.MediaMalformedError) as exc:
        close_all(files)
        raise InvalidInput(f"Malformed multipart body: {_describe(exc)}") from None
    except BaseException:
        close_all(files)
        raise
    album = aliased(fields, "albumId", "album_id")
    return ParsedUpload(
        files=files,
        failures=failures,
        album_id=optional_uuid(album, "albumId"),
        visibility=upload_visibility(fields),
        expires_in=upload_expiry(fields, text=True),
    )


def _multipart_form(req: falcon.Request) -> MultipartForm:
    """What `req.get_media()` gives for multipart, reading the body in 1 MiB steps.

    Falcon's multipart parser reads its stream 32 KiB at a time. gunicorn's body reader
    reads ahead (up to 1 MiB per recv) and, on each such small read, copies what it holds
    beyond it into a new buffer: ~48 MiB of copying per MiB of upload, about half of a
    worker's CPU for a 3.7 MB JPEG (py-spy under wrk, `python -m bench.spy_upload`). Read in
    steps as large as its read-ahead, each byte is copied a few times instead. The parse
    options (part count, header size) are the app's, as configured in `app.py`.
    """
    handler = req.options.media_handlers.get(falcon.MEDIA_MULTIPART)
    options = (
        handler.parse_options
        if isinstance(handler, falcon.media.MultipartFormHandler)
        else MultipartParseOptions()
    )
    _, params = falcon.parse_header(req.content_type or "")
    boundary = params.get("boundary")
    if boundary is None:
        raise falcon.HTTPInvalidHeader(
            f"No boundary specifier found in {req.content_type!r}", "Content-Type"
        )
    boundary = boundary.rstrip()  # RFC 2046 5.1: white space added by a gateway goes
    if not 1 <= len(boundary) <= 70:
        raise falcon.HTTPInvalidHeader(
            "The boundary parameter must consist of 1 to 70 characters", "Content-Type"
        )
    length = req.content_length
    assert length is not None  # parse_multipart answered 411 without one
    reader = BufferedReader(req.bounded_stream.read, length, PARSE_CHUNK)
    return MultipartForm(reader, boundary.encode(), length, options)


def _describe(exc: Exception) -> str:
    description = getattr(exc, "description", None)
    return str(description or "could not be parsed")


def parse_json_upload(req: falcon.Request, *, max_file_bytes: int) -> ParsedUpload:
    """One image as base64 in a JSON object, decoded while the body arrives (`json_upload`):
    the worker never holds the body, its base64 string or the whole decoded file."""
    if media_type(req) != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    # base64 inflates by 4/3; allow for that plus the envelope.
    budget = _Budget(max_file_bytes * 4 // 3 + json_upload.MAX_ENVELOPE_BYTES)
    check_body_length(req, budget.limit)
    length = req.content_length
    out = spooled(None if length is None else length * 3 // 4)
    try:
        scanner = json_upload.JsonUploadScanner(out, max_file_bytes)
        while chunk := budget.read(req.bounded_stream):
            scanner.feed(chunk)
        try:
            doc, sink = scanner.finish()
        except json_upload.NotJson:
            raise InvalidInput(json_upload.NOT_JSON) from None
        filename = doc.get("filename")
        filename = filename if isinstance(filename, str) else None
        declared = doc.get("contentType")
        if sink is None:
            if doc.get("file_base64", doc.get("base64")) is None:
                raise InvalidInput("No files provided: send file_base64 (or base64)")
            raise InvalidInput(json_upload.EMPTY)  # present, but not a string
        if sink.error is not None:
            raise InvalidInput(sink.error)
        album_id = optional_uuid(doc.get("albumId"), "albumId")
        visibility = upload_visibility(doc)
        expires_in = upload_expiry(doc)
    except BaseException:
        out.close()
        raise
    if sink.too_large:
        out.close()
        failure = UploadFailed(
            FileTooLarge(f"File exceeds the maximum size of {max_file_bytes} bytes"), filename
        )
        return ParsedUpload(
            files=[],
            failures=[(0, failure)],
            album_id=album_id,
            visibility=visibility,
            expires_in=expires_in,
        )
    out.seek(0)
    return ParsedUpload(
        files=[IncomingFile(out, filename, declared if isinstance(declared, str) else None)],
        failures=[],
        album_id=album_id,
        visibility=visibility,
        expires_in=expires_in,
    )


def close_all(files: Sequence[IncomingFile]) -> None:
    for f in files:
        f.source.close()


# --- who is asking ----------------------------------------------------------------------------


def bearer_token(req: falcon.Request) -> str | None:
    header = req.get_header("Authorization")
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ""  # present but malformed: "invalid", not "missing"
    return token.strip()


def client_ip(
    req: falcon.Request,
    trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> str:
    """The peer address; X-Forwarded-For is believed only when the peer is a trusted proxy.

    Walk the forwarded chain from the right, skipping trusted proxies: the first untrusted hop
    is the client (a client cannot spoof entries added by our own proxies).
    """
    peer = req.remote_addr or "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = req.get_header("X-Forwarded-For") or ""
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_ip(hop) else peer
    return hops[0] if hops and _is_ip(hops[0]) else peer


def rate_limit_client(
    req: falcon.Request,
    trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> str:
    """The client as rate limits count it: its IPv4 address, or its IPv6 /64.

    One IPv6 host usually holds a whole /64 (SLAAC, privacy addresses) and can take a fresh
    address from it for every request; counting per address would give it 2^64 buckets."""
    address = client_ip(req, trusted)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(
    value: str, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return any(address in net for net in trusted)

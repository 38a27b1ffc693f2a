"""The JSON base64 upload body, decoded as it arrives (issue [speed]).

`{"file_base64": "<base64 or data URL>", "filename": ..., "albumId": ...}` used to be read
whole, parsed by `json.loads` and decoded by `base64.b64decode`: for a 50 MB image that held
the ~67 MB body, the ~67 MB string and the 50 MB result in the worker at once, and spent
more CPU on JSON and base64 than on the image. Here the body is read in chunks and:

- the value of `file_base64` (or its alias `base64`) in the top-level object is never kept:
  its characters are un-escaped (JSON) and base64-decoded chunk by chunk, straight into the
  spooled file the upload pipeline reads, its size checked as it grows;
- everything else (the envelope: the other fields, punctuation, whitespace) is copied into a
  small skeleton document, with the streamed value replaced by `null`, and parsed by `json`
  at the end, so the document is as strictly valid JSON as before. The envelope is bounded
  (`MAX_ENVELOPE_BYTES`): only the image may be large.

Errors keep their old precedence: a document that is not valid JSON is "Body is not valid
JSON" even when its base64 was bad too; base64 errors and an oversized file are reported once
the document is known to be valid.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

import pybase64

from imgtree.domain.errors import FileTooLarge, InvalidInput

MAX_ENVELOPE_BYTES = 64 * 1024  # every byte of the body but the image's own characters
UPLOAD_KEYS = (b"file_base64", b"base64")
_DATA_URL_HEAD = 256  # enough for "data:<type>/<subtype>;<param>=<value>;base64,"
_WHITESPACE = b" \t\n\r\x0b\x0c"
_CONTROL = bytes(range(0x20))
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_OPEN, _CLOSE = b"{[", b"}]"

NOT_JSON = "Body is not valid JSON"
NOT_BASE64 = "file_base64 is not valid base64"
EMPTY = "file_base64 must be a non-empty base64 string"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise InvalidInput(f"Duplicate key in JSON: {key[:40]!r}")
        doc[key] = value
    return doc


def loads(raw: bytes | str) -> Any:
    """`json.loads` that refuses a repeated key at any depth: parsers disagree on which copy
    wins (Python and most take the last, some the first), so a proxy or WAF that checked one
    copy must never see the other acted on."""
    return json.loads(raw, object_pairs_hook=_unique_keys)


class NotJson(Exception):
    """The body is not valid JSON (raised only once the whole body is in)."""


class Base64Sink:
    """Base64 text in, bytes out to `out`, in pieces of any length.

    Accepts what the whole-string decoder accepted: a `data:<type>;base64,` prefix, line
    breaks and other ASCII whitespace anywhere, the URL-safe alphabet; and, beyond it, a
    missing final padding. Anything else (a character of neither alphabet, padding before the
    end) is an error, recorded rather than raised so the caller decides its precedence.
    """

    def __init__(self, out: BinaryIO, max_bytes: int) -> None:
        self.out = out
        self.max_bytes = max_bytes
        self.size = 0
        self.error: str | None = None
        self.too_large = False
        self._head: bytearray | None = bytearray()  # until the data-URL prefix is settled
        self._carry = b""  # base64 characters not yet a multiple of 4
        self._padded = False  # the last quantum had "=": nothing may follow
        # A raw control character (a literal line break, say) in a JSON string makes the
        # document invalid JSON, whatever base64 would make of it.
        self.bad_json = False
        self._head_raw = True
        # The text was a URL (http:// or https://), not base64: an error like any other, which
        # a route that documents URL sources may word its own way.
        self.is_url = False

    @property
    def stopped(self) -> bool:
        return self.error is not None or self.too_large

    def feed(self, text: bytes, *, raw: bool = False) -> None:
        """`raw`: the characters as they stood in the JSON string (no escapes in them)."""
        if self.stopped or not text:
            return
        if self._head is not None:
            self._head += text
            self._head_raw = self._head_raw and raw
            if len(self._head) < _DATA_URL_HEAD:
                return
            raw = self._head_raw
            text = self._settle_head(raw)
        self._decode(text, raw)

    def close(self) -> None:
        """The string ended: decode what is left (padding it if it was left off)."""
        if self._head is not None:
            raw = self._head_raw
            self._decode(self._settle_head(raw), raw)
        if self.stopped:
            return
        rest = self._carry.translate(_URLSAFE, _WHITESPACE)
        self._carry = b""
        if len(rest) % 4 == 1:
            self.error = NOT_BASE64
        elif rest:
            try:
                self._emit(rest + b"=" * (-len(rest) % 4))
            except ValueError:
                self.error = NOT_BASE64
        if not self.stopped and self.size == 0:
            self.error = EMPTY

    def _settle_head(self, raw: bool) -> bytes:
        head = bytes(self._head or b"")
        if raw and _has_control(head):
            self.bad_json = True
        head = head.lstrip(_WHITESPACE)
        self._head = None
        if head[:8].lower().startswith((b"http://", b"https://")):
            self.is_url = True
            self.error = NOT_BASE64
            return b""
        if head[:5].lower() == b"data:":
            comma = head.find(b",")
            meta = head[5:comma].lower() if comma > 0 else b""
            if not meta.endswith(b";base64") or not _is_media_type(meta[: -len(b";base64")]):
                self.error = NOT_BASE64
                return b""
            return head[comma + 1 :]
        return head

    def _decode(self, text: bytes, raw: bool) -> None:
        if self.stopped:
            return
        data = self._carry + text if self._carry else text
        usable = len(data) - len(data) % 4
        try:
            # The common case, one call per piece: the standard alphabet, no whitespace.
            if not usable:
                raise ValueError
            self._emit(data[:usable])
            self._carry = data[usable:]
            return
        except ValueError:
            if self.stopped:
                return
        if raw and _has_control(text):
            self.bad_json = True
        cleaned = data.translate(_URLSAFE, _WHITESPACE)
        usable = len(cleaned) - len(cleaned) % 4
        self._carry = cleaned[usable:]
        if usable:
            try:
                self._emit(cleaned[:usable])
            except ValueError:
                self.error = NOT_BASE64

    def _emit(self, quanta: bytes) -> None:
        """Decode whole quanta (raises ValueError on anything but the standard alphabet)."""
        if self._padded:
            self.error = NOT_BASE64  # data after the padding that ended the file
            return
        decoded = pybase64.b64decode(quanta, validate=True)
        self._padded = quanta.endswith(b"=")
        self.size += len(decoded)
        if self.size > self.max_bytes:
            self.too_large = True
            return
        self.out.write(decoded)


def _has_control(data: bytes) -> bool:
    return len(data.translate(None, _CONTROL)) != len(data)


def _is_media_type(meta: bytes) -> bool:
    """`type/subtype` with optional `;name=value` parameters, as the data-URL regex allowed."""
    kind, *params = meta.split(b";")
    main, slash, sub = kind.partition(b"/")
    return bool(slash and _token(main) and _token(sub)) and all(_param(p) for p in params)


def _token(text: bytes, extra: bytes = b".+-") -> bool:
    return bool(text) and all(c < 128 and (chr(c).isalnum() or c in b"_" + extra) for c in text)


def _param(text: bytes) -> bool:
    name, eq, value = text.partition(b"=")
    return bool(eq) and _token(name, b"-") and _token(value, b".-")


class JsonUploadScanner:
    """Feed the body's bytes in order, then `finish()`: (document, sink or None).

    A byte-level JSON tokenizer just precise enough to know where strings start and end and
    which key of the top-level object a value belongs to; `json` still judges the document.
    """

    def __init__(
        self, out: BinaryIO, max_file_bytes: int, keys: tuple[bytes, ...] = UPLOAD_KEYS
    ) -> None:
        self.out = out
        self.max_file_bytes = max_file_bytes
        self.keys = keys  # the top-level keys whose value is the image (streamed)
        self.sink: Base64Sink | None = None
        self._skeleton = bytearray()
        self._stack = bytearray()  # open containers: "{" or "["
        self._expect_key = False  # top-level object: the next string is a key
        self._key: bytes | None = None  # raw bytes of the last top-level key
        self._in_string = False
        self._streaming = False  # inside the upload value: characters go to the sink
        self._key_start = -1  # where the current key string starts in the skeleton
        self._backslashes = 0  # run of backslashes ending the previous piece (in a string)
        self._pending = b""  # streamed characters held back: an escape not yet complete
        self._bad_json = False
        self._twice = False

    # --- input --------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        i, n = 0, len(chunk)
        while i < n:
            i = self._string(chunk, i) if self._in_string else self._outside(chunk, i)

    def finish(self) -> tuple[dict[str, Any], Base64Sink | None]:
        bad = self._bad_json or (self.sink is not None and self.sink.bad_json)
        if self._in_string or self._stack or bad:
            raise NotJson
        try:
            doc = loads(bytes(self._skeleton))
        except (ValueError, RecursionError):
            raise NotJson from None
        if not isinstance(doc, dict):
            raise InvalidInput("JSON body must be an object")
        if self._twice:
            names = " or ".join(k.decode() for k in self.keys)
            raise InvalidInput(f"Send one image: {names}, once")
        return doc, self.sink

    # --- between strings ----------------------------------------------------------------

    def _keep(self, data: bytes) -> None:
        self._skeleton += data
        if len(self._skeleton) > MAX_ENVELOPE_BYTES:
            raise FileTooLarge(
                f"JSON fields other than file_base64 exceed {MAX_ENVELOPE_BYTES} bytes"
            )

    def _outside(self, chunk: bytes, i: int) -> int:
        """Structure up to the next string's opening quote (kept in the skeleton)."""
        quote = chunk.find(b'"', i)
        end = len(chunk) if quote < 0 else quote
        segment = chunk[i:end]
        self._keep(segment)  # bounded: only the envelope is ever kept
        for byte in segment:
            if byte in _OPEN:
                self._stack.append(byte)
                self._expect_key = byte == 0x7B and len(self._stack) == 1
            elif byte in _CLOSE:
                if not self._stack:
                    self._bad_json = True
                else:
                    self._stack.pop()
                self._expect_key = False
            elif len(self._stack) == 1 and self._stack[0] == 0x7B:
                if byte == 0x2C:  # ","
                    self._expect_key = True
                elif byte == 0x3A:  # ":"
                    self._expect_key = False
        if quote < 0:
            return end
        self._open_string()
        return quote + 1

    def _open_string(self) -> None:
        self._in_string = True
        self._backslashes = 0
        top_level = len(self._stack) == 1 and self._stack[0] == 0x7B
        if top_level and not self._expect_key and self._key_is_upload():
            if self.sink is not None:
                self._twice = True  # a second image: refused once the JSON is known good
            else:
                self.sink = Base64Sink(self.out, self.max_file_bytes)
            self._streaming = True
            self._keep(b"null")
            return
        self._keep(b'"')
        if top_level and self._expect_key:
            self._key_start = len(self._skeleton)
        else:
            self._key_start = -1

    def _key_is_upload(self) -> bool:
        key = self._key
        self._key = None
        if key is None:
            return False
        if b"\\" in key:  # an escaped key, e.g. "file\u005fbase64": let json read it
            try:
                key = json.loads(b'"' + key + b'"').encode()
            except (ValueError, UnicodeEncodeError):
                return False
        return key in self.keys

    # --- inside a string ----------------------------------------------------------------

    def _string(self, chunk: bytes, i: int) -> int:
        """Characters up to the closing quote: to the sink when streaming, else kept."""
        end, closed = self._closing_quote(chunk, i)
        piece = chunk[i:end]
        if self._streaming:
            self._stream(piece, final=closed)
        else:
            self._keep(piece)
        if not closed:
            return end
        self._in_string = False
        if self._streaming:
            self._streaming = False
            assert self.sink is not None
            if not self._twice:
                self.sink.close()
        else:
            self._keep(b'"')
            if self._key_start >= 0:
                self._key = bytes(self._skeleton[self._key_start : -1])
                self._key_start = -1
        return end + 1

    def _closing_quote(self, chunk: bytes, i: int) -> tuple[int, bool]:
        """(index, True) of the unescaped quote ending the string, or (len, False)."""
        start = i
        while True:
            quote = chunk.find(b'"', i)
            if quote < 0:
                self._backslashes = _trailing_backslashes(
                    chunk, start, len(chunk), self._backslashes
                )
                return len(chunk), False
            run = _trailing_backslashes(chunk, start, quote, self._backslashes)
            if run % 2 == 0:
                return quote, True
            i = quote + 1  # an escaped quote: part of the string

    def _stream(self, piece: bytes, *, final: bool) -> None:
        sink = self.sink
        assert sink is not None
        if self._twice:
            return
        data = self._pending + piece if self._pending else piece
        self._pending = b""
        if b"\\" not in data:
            sink.feed(data, raw=True)  # no escapes: the JSON characters are the text
            return
        cut = len(data) if final else _complete_escapes(data)
        self._pending = data[cut:]
        try:
            text = json.loads(b'"' + data[:cut] + b'"')
        except ValueError:
            self._bad_json = True
            return
        try:
            sink.feed(text.encode("ascii"), raw=False)
        except UnicodeEncodeError:
            sink.error = sink.error or NOT_BASE64


def _trailing_backslashes(chunk: bytes, start: int, end: int, before: int) -> int:
    """How many backslashes end chunk[start:end] (continuing `before` if all are)."""
    j = end
    while j > start and chunk[j - 1] == 0x5C:
        j -= 1
    run = end - j
    return run + before if j == start else run


def _complete_escapes(data: bytes) -> int:
    """The longest prefix of `data` that does not end inside an escape sequence."""
    last = data.rfind(b"\\", max(0, len(data) - 6))
    if last < 0:
        return len(data)
    first = last
    while first > 0 and data[first - 1] == 0x5C:
        first -= 1
    if (last - first + 1) % 2 == 0:
        return len(data)  # the run ends in complete "\\\\" pairs
    size = 6 if data[last + 1 : last + 2] == b"u" else 2
    return len(data) if last + size <= len(data) else last

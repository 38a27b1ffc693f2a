"""The streamed JSON base64 upload body (entrypoints/http/json_upload.py).

The scanner must give exactly what parsing the whole document and decoding the whole string
gives, however the body is cut into chunks, and refuse the same documents."""

from __future__ import annotations

import base64
import io
import itertools
import json
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgtree.domain.errors import FileTooLarge, InvalidInput
from imgtree.entrypoints.http import json_upload
from imgtree.entrypoints.http.json_upload import (
    EMPTY,
    MAX_ENVELOPE_BYTES,
    NOT_BASE64,
    JsonUploadScanner,
    NotJson,
)


def scan(body: bytes, cuts: Sequence[int] = (), max_bytes: int = 1 << 30) -> tuple[Any, ...]:
    """(doc, decoded bytes or the sink's error) for `body` fed in pieces cut at `cuts`."""
    out = io.BytesIO()
    scanner = JsonUploadScanner(out, max_bytes)
    edges = [0, *sorted(c for c in cuts if 0 < c < len(body)), len(body)]
    for start, end in itertools.pairwise(edges):
        scanner.feed(body[start:end])
    doc, sink = scanner.finish()
    if sink is None:
        return doc, None
    if sink.too_large:
        return doc, "too large"
    return doc, sink.error or out.getvalue()


def reference(text: str) -> bytes | str:
    """The whole-string semantics: what the scanner must agree with."""
    text = text.strip()
    if text[:5].lower() == "data:":
        head, comma, rest = text.partition(",")
        if not comma or not head.lower().endswith(";base64"):
            return NOT_BASE64
        text = rest
    cleaned = "".join(text.split()).translate(str.maketrans("-_", "+/"))
    if not cleaned:
        return EMPTY
    if len(cleaned) % 4 == 1:
        return NOT_BASE64
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except ValueError:
        return NOT_BASE64


def body_of(text: str, *, slashes: bool = False, **fields: Any) -> bytes:
    body = json.dumps({**fields, "file_base64": text, "after": "x"})
    if slashes:  # PHP's json_encode writes "/" as "\/"
        body = body.replace("/", "\\/")
    return body.encode()


cuts = st.lists(st.integers(min_value=1, max_value=4000), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.binary(max_size=2000),
    style=st.sampled_from(["plain", "urlsafe", "wrapped", "unpadded", "data-url", "crlf"]),
    slashes=st.booleans(),
    cut=cuts,
)
def test_any_chunking_decodes_what_was_encoded(
    payload: bytes, style: str, slashes: bool, cut: list[int]
) -> None:
    text = base64.b64encode(payload).decode()
    if style == "urlsafe":
        text = base64.urlsafe_b64encode(payload).decode()
    elif style == "wrapped":
        text = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    elif style == "crlf":
        text = "\r\n".join(text[i : i + 64] for i in range(0, len(text), 64)) + "\r\n"
    elif style == "unpadded":
        text = text.rstrip("=")
    elif style == "data-url":
        text = "data:image/png;base64," + text
    body = body_of(text, slashes=slashes, filename='a/b"c.png')
    doc, decoded = scan(body, cut)
    assert decoded == (payload if payload else EMPTY)
    assert doc["filename"] == 'a/b"c.png' and doc["after"] == "x" and doc["file_base64"] is None


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet='AQgw+/-_=  \n\t\r\x00é\\"', max_size=60),
    cut=cuts,
)
def test_agrees_with_the_whole_string_decoder(text: str, cut: list[int]) -> None:
    body = body_of(text)
    _doc, decoded = scan(body, cut)
    assert decoded == reference(text)


@pytest.mark.parametrize(
    "body",
    [
        b'{"file_base64": "AAAA\nAAAA"}',  # a raw line break inside a string
        b'{"file_base64": "AAAA',  # never closed
        b'{"file_base64": "AAAA"',  # object never closed
        b'{"file_base64": "AA\\qA"}',  # an escape JSON does not have
        b'{"file_base64": "AAAA"}}',
        b"{'file_base64': 'AAAA'}",
        b'{"file_base64": "AAAA", "x": [1, 2}',
        b'{"a": "\xff\xfe", "file_base64": "AAAA"}',
    ],
)
def test_invalid_json_is_refused_as_json(body: bytes) -> None:
    for cut in ([], [3], list(range(1, len(body)))):
        with pytest.raises(NotJson):
            scan(body, cut)


def test_json_errors_win_over_base64_errors() -> None:
    with pytest.raises(NotJson):
        scan(b'{"file_base64": "@@@@", "x": }')


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("@@@ not base64 !!!", NOT_BASE64),
        ("AA==AAAA", NOT_BASE64),  # padding before the end
        ("A", NOT_BASE64),
        ("", EMPTY),
        ("  \n ", EMPTY),
        ("data:image/png,AAAA", NOT_BASE64),  # a data URL that is not base64
    ],
)
def test_bad_base64_is_named(text: str, error: str) -> None:
    assert scan(body_of(text))[1] == error


def test_escaped_keys_and_the_alias_are_recognised() -> None:
    assert scan(b'{"file\\u005fbase64": "AAEC"}')[1] == b"\x00\x01\x02"
    assert scan(b'{"base64": "AAEC"}')[1] == b"\x00\x01\x02"
    # Only the top-level object's key counts; nested ones are ordinary fields.
    doc, sink = scan(b'{"meta": {"file_base64": "AAEC"}}')
    assert sink is None and doc["meta"] == {"file_base64": "AAEC"}
    # A non-string value is left to the caller (same error as before).
    doc, sink = scan(b'{"file_base64": 12345}')
    assert sink is None and doc["file_base64"] == 12345


def test_two_images_are_refused() -> None:
    with pytest.raises(InvalidInput, match="once"):
        scan(b'{"file_base64": "AAAA", "base64": "AAAA"}')


def test_the_decoded_size_is_checked_as_it_grows() -> None:
    body = body_of(base64.b64encode(b"x" * 3000).decode())
    assert scan(body, [100, 2000], max_bytes=2999)[1] == "too large"
    assert scan(body, [100, 2000], max_bytes=3000)[1] == b"x" * 3000


def test_the_envelope_is_bounded() -> None:
    big = "y" * MAX_ENVELOPE_BYTES
    with pytest.raises(FileTooLarge):
        scan(json.dumps({"filename": big, "file_base64": "AAAA"}).encode())
    with pytest.raises(FileTooLarge):
        scan(b"[" * (MAX_ENVELOPE_BYTES + 1))


def test_a_top_level_value_that_is_not_an_object() -> None:
    with pytest.raises(InvalidInput, match="must be an object"):
        scan(b'["file_base64", "AAAA"]')


def test_memory_does_not_grow_with_the_image() -> None:
    """A 24 MB base64 string in 256 KiB chunks: the scanner holds one chunk at a time."""
    import tracemalloc

    piece = base64.b64encode(b"\x01\x02\x03" * (1 << 16))  # 256 KiB of base64
    out = io.BytesIO()

    class Discard(io.RawIOBase):
        def write(self, data: Any) -> int:
            return len(data)

    scanner = JsonUploadScanner(Discard(), 1 << 30)  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        scanner.feed(b'{"file_base64": "')
        for _ in range(96):
            scanner.feed(piece)
        scanner.feed(b'"}')
        _doc, sink = scanner.finish()
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink is not None and sink.size == 96 * 3 * (1 << 16)
    assert peak < 4 * len(piece), peak
    out.close()
    assert json_upload.MAX_ENVELOPE_BYTES == 64 * 1024
